"""Deadlines before acceptance on the 2026 calendar, and deemed acceptance
(DESIGN.md §5 "Before acceptance", 行政许可法第三十二条)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import time_machine
from django.core.management import call_command

from wangban.accounts.models import Hall
from wangban.audit.models import AuditEvent
from wangban.cases import actions
from wangban.cases.models import CaseEvent
from wangban.cases.tests.helpers import at, fresh, item, pdf, submitted_case
from wangban.catalog.tests.helpers import published_item
from wangban.conftest import City


@pytest.mark.parametrize(
    ("submitted", "sign_in_due", "reply_due", "deemed_due"),
    [
        (at(2026, 6, 12, 15, 0), at(2026, 6, 15, 10, 30), date(2026, 6, 15), date(2026, 6, 22)),
        (at(2026, 9, 30, 16, 0), at(2026, 10, 8, 11, 30), date(2026, 10, 8), date(2026, 10, 13)),
        (at(2026, 10, 3, 10, 0), at(2026, 10, 8, 14, 30), date(2026, 10, 8), date(2026, 10, 13)),
        (at(2026, 2, 13, 15, 0), at(2026, 2, 14, 10, 30), date(2026, 2, 14), date(2026, 2, 27)),
    ],
)
def test_deadlines_of_a_submission(
    city: City, submitted: datetime, sign_in_due: datetime, reply_due: date, deemed_due: date
) -> None:
    item(city)
    with time_machine.travel(submitted, tick=False):
        case = submitted_case(city)
    assert (case.received_on, case.sign_in_due_at, case.reply_due_on, case.deemed_due_on) == (
        submitted.date(),
        sign_in_due,
        reply_due,
        deemed_due,
    )


def test_sign_in_counts_the_halls_office_hours(city: City) -> None:
    item(city)
    Hall.objects.create(
        name="市政务服务大厅",
        department=city.transport,
        address="市府路 1 号",
        office_hours=[["08:30", "12:00"], ["14:00", "18:00"]],
    )
    with time_machine.travel(at(2026, 6, 12, 15, 0), tick=False):
        case = submitted_case(city)
    assert case.sign_in_due_at == at(2026, 6, 15, 9, 30)


def test_a_level_without_sign_in_has_no_sign_in_deadline(city: City) -> None:
    published_item(city, online_service_level="1")
    with time_machine.travel(at(2026, 6, 12, 15, 0), tick=False):
        case = submitted_case(city)
    assert (case.sign_in_due_at, case.reply_due_on) == (None, date(2026, 6, 15))


def test_deemed_acceptance_after_the_fifth_working_day(city: City) -> None:
    item(city)
    with time_machine.travel(at(2026, 9, 30, 16, 0), tick=False):
        case = submitted_case(city)
        waiting = submitted_case(city)
        actions.do_request_correction(
            waiting,
            actor=city.transport_clerk,
            items=[{"material_code": "M01", "reason": "缺签字"}],
        )
    assert actions.do_deem_accept_due(date(2026, 10, 13)) == []
    assert fresh(case).state == "submitted"

    with time_machine.travel(at(2026, 10, 14, 0, 5), tick=False):
        call_command("deem_acceptance")
        assert actions.do_deem_accept_due() == []  # idempotent
    case = fresh(case)
    assert (case.state, case.accepted_on, case.accepted_by, case.deemed_accepted) == (
        "in_review",
        date(2026, 9, 30),
        None,
        True,
    )
    assert case.receipt_no == "D01-20260930-00001"
    assert fresh(waiting).state == "correction_requested"
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert (event.action, event.actor, event.actor_name, event.from_state, event.to_state) == (
        "deem_accept",
        None,
        "系统",
        "submitted",
        "in_review",
    )
    audit = AuditEvent.objects.filter(object_id=case.pk, action="case.deem_accept").get()
    assert (audit.actor_id, audit.channel, audit.department) == (None, "system", "D01")


def test_a_resubmission_starts_the_five_days_again(city: City) -> None:
    item(city)
    with time_machine.travel(at(2026, 6, 1, 10, 0), tick=False):
        case = submitted_case(city)
        actions.do_request_correction(
            case, actor=city.transport_clerk, items=[{"material_code": "M01", "reason": "缺签字"}]
        )
    with time_machine.travel(at(2026, 6, 5, 10, 0), tick=False):
        actions.do_attach_material(case, actor=city.applicant, material_code="M01", upload=pdf())
        actions.do_resubmit(case, actor=city.applicant)
    assert actions.do_deem_accept_due(date(2026, 6, 12)) == []
    assert actions.do_deem_accept_due(date(2026, 6, 13)) == [case.pk]
    assert fresh(case).accepted_on == date(2026, 6, 5)
