"""A holiday change recomputes the stored clock of the open cases that cross the changed
dates, audits each change and tells applicants whose due date moved (DESIGN.md §5)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from wangban.accounts.models import User
from wangban.audit.models import AuditEvent
from wangban.cases import actions, clock, review, schedule
from wangban.cases.models import Case, CaseEvent, CaseStep
from wangban.cases.tests.helpers import at, fresh
from wangban.cases.tests.review_helpers import (
    Staff,
    accepted_case,
    last_step_case,
    on,
    review_item,
    review_staff,
)
from wangban.conftest import City
from wangban.core.actions import do_change_holidays
from wangban.core.calendar import OFF, WORK, HolidayEntry, invalidate_calendar_cache
from wangban.core.models import HolidayRow
from wangban.notify.models import Message

D = date
#: Thu 2026-12-17: P = 15 working days runs into 2027, which the package does not know, so
#: that the Monday–Friday fallback counts Fri 2027-01-01 until the schedule is imported.
LATE_ACCEPTANCE = at(2026, 12, 17, 10, 0)
NEW_YEAR = [HolidayEntry(D(2027, 1, 1), OFF, "元旦")]


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    invalidate_calendar_cache()
    yield
    invalidate_calendar_cache()


@pytest.fixture
def staff(city: City) -> Staff:
    review_item(city)
    User.objects.filter(pk=city.applicant.pk).update(phone="13800138000")
    return review_staff(city)


def reschedules(case: Case) -> list[dict]:
    return list(
        CaseEvent.objects.filter(case=case, action="reschedule").values_list("data", flat=True)
    )


def test_new_year_s_day_moves_the_due_date_of_a_case_crossing_it(
    city: City, staff: Staff, django_user_model: type[User]
) -> None:
    crossing = accepted_case(city, staff, LATE_ACCEPTANCE)
    early = accepted_case(city, staff)  # due Thu 2026-10-22: long before
    assert (crossing.due_date, crossing.legal_due_date, crossing.blue_on) == (
        D(2027, 1, 7),
        D(2027, 1, 14),
        D(2027, 1, 4),
    )
    admin = django_user_model.objects.create_user("calendar_admin", password="x" * 16)
    messages = Message.objects.filter(channel="sms").count()
    with on(at(2026, 12, 20, 9, 0)):
        do_change_holidays(NEW_YEAR, actor=admin)
    crossing, early = fresh(crossing), fresh(early)
    assert (crossing.due_date, crossing.legal_due_date, crossing.blue_on) == (
        D(2027, 1, 8),
        D(2027, 1, 15),
        D(2027, 1, 5),
    )
    assert (
        crossing.due_date
        == clock.clock_state(schedule.case_clock(crossing), D(2026, 12, 20)).due_date
    )
    assert crossing.current_step is not None
    assert crossing.current_step.due_on == D(2026, 12, 24)  # the step's 5 days end before
    assert reschedules(crossing) == [
        {
            "changed": {
                "due_date": ["2027-01-07", "2027-01-08"],
                "legal_due_date": ["2027-01-14", "2027-01-15"],
                "blue_on": ["2027-01-04", "2027-01-05"],
            }
        }
    ]
    event = CaseEvent.objects.get(case=crossing, action="reschedule")
    assert (event.actor, event.actor_name, event.from_state, event.to_state) == (
        None,
        "系统",
        "in_review",
        "in_review",
    )
    audit = AuditEvent.objects.get(object_id=crossing.pk, action="case.reschedule")
    assert (audit.actor_id, audit.channel) == (admin.pk, "system")
    assert audit.before == {
        "due_date": "2027-01-07",
        "legal_due_date": "2027-01-14",
        "blue_on": "2027-01-04",
    }
    assert reschedules(early) == []
    texts = list(
        Message.objects.filter(channel="sms").order_by("id").values_list("payload__text", flat=True)
    )
    moved = (
        "因国家法定节假日安排调整，您申请的“道路运输经营许可证核发”"
        f"（受理编号 {crossing.receipt_no}）承诺办结日期由{{}}调整为{{}}。"
    )
    assert texts[messages:] == [moved.format("2027-01-07", "2027-01-08")]


def test_a_change_that_moves_nothing_records_nothing(city: City, staff: Staff) -> None:
    crossing = accepted_case(city, staff, LATE_ACCEPTANCE)
    before = (fresh(crossing).due_date, CaseEvent.objects.count(), Message.objects.count())
    with on(at(2026, 12, 20, 9, 0)):
        do_change_holidays([HolidayEntry(D(2027, 3, 6), WORK, "调休上班")])  # after every date
    assert (fresh(crossing).due_date, CaseEvent.objects.count(), Message.objects.count()) == before


def test_a_make_up_working_day_brings_the_due_date_forward(city: City, staff: Staff) -> None:
    crossing = accepted_case(city, staff, LATE_ACCEPTANCE)
    with on(at(2026, 12, 20, 9, 0)):
        do_change_holidays([HolidayEntry(D(2027, 1, 2), WORK, "元旦调休")])
    assert fresh(crossing).due_date == D(2027, 1, 6)


def test_a_stopped_case_keeps_no_due_date_and_gets_its_new_one_on_restart(
    city: City, staff: Staff
) -> None:
    case = accepted_case(city, staff, LATE_ACCEPTANCE)
    with on(at(2026, 12, 21, 9, 0)):
        review.do_suspend(case, actor=staff.handler, procedure="hearing", reason="听证")
    stopped = fresh(case)
    assert (stopped.due_date, stopped.frozen_remaining) == (None, 14)  # 12-18 was used
    with on(at(2026, 12, 22, 9, 0)):
        do_change_holidays(NEW_YEAR)
    assert reschedules(case) == []  # the unused days lie before the stop: nothing moved
    with on(at(2026, 12, 28, 9, 0)):
        review.do_resume(case, actor=staff.handler)
    # Restarted Mon 12-28 with 14 days left: 12-28 … 12-31 (4), then 01-04 on (01-01 is off).
    case = fresh(case)
    assert case.due_date == D(2027, 1, 15)
    assert case.due_date == clock.clock_state(schedule.case_clock(case), D(2026, 12, 28)).due_date


def test_decided_and_closed_cases_are_left_alone(city: City, staff: Staff) -> None:
    decided = last_step_case(city, staff, LATE_ACCEPTANCE)
    with on(at(2026, 12, 18, 9, 0)):
        review.do_decide(decided, actor=staff.approver, outcome="approved", reason="")
    withdrawn = accepted_case(city, staff, LATE_ACCEPTANCE)
    with on(at(2026, 12, 18, 9, 0)):
        actions.do_withdraw(withdrawn, actor=city.applicant, reason="不再需要")
    # Withdrawn, nothing is due any more; decided, the due date stays as it was then.
    before = [fresh(decided).due_date, fresh(withdrawn).due_date]
    with on(at(2026, 12, 20, 9, 0)):
        do_change_holidays(NEW_YEAR)
    assert [fresh(decided).due_date, fresh(withdrawn).due_date] == before == [D(2027, 1, 7), None]
    assert reschedules(decided) == reschedules(withdrawn) == []


def test_a_rolled_back_holiday_change_leaves_the_cases_as_they_were(
    city: City, staff: Staff
) -> None:
    crossing = accepted_case(city, staff, LATE_ACCEPTANCE)
    events = CaseEvent.objects.count()

    def change_then_fail() -> None:
        with transaction.atomic():
            do_change_holidays(NEW_YEAR)
            assert fresh(crossing).due_date == D(2027, 1, 8)
            raise RuntimeError("the surrounding transaction fails")

    with on(at(2026, 12, 20, 9, 0)), pytest.raises(RuntimeError):
        change_then_fail()
    assert (fresh(crossing).due_date, CaseEvent.objects.count()) == (D(2027, 1, 7), events)


def test_the_recompute_command_catches_rows_written_without_the_action(
    city: City, staff: Staff
) -> None:
    crossing = accepted_case(city, staff, LATE_ACCEPTANCE)
    HolidayRow.objects.create(date=D(2027, 1, 1), kind=OFF, name="元旦")  # raw, no recompute
    invalidate_calendar_cache()
    assert fresh(crossing).due_date == D(2027, 1, 7)
    out = StringIO()
    with on(at(2026, 12, 20, 9, 0)):
        call_command("recompute_case_clocks", stdout=out)
        call_command("recompute_case_clocks", stdout=out)  # idempotent
    assert out.getvalue() == "办结期限有变化的办件 1 件。\n办结期限有变化的办件 0 件。\n"
    assert fresh(crossing).due_date == D(2027, 1, 8)
    assert len(reschedules(crossing)) == 1


def test_the_recompute_command_starts_the_review_of_cases_accepted_before_it(
    city: City, staff: Staff
) -> None:
    case = accepted_case(city, staff)
    # As a case accepted before the stored clock existed: no steps, no figures.
    Case.objects.filter(pk=case.pk).update(current_step=None, due_date=None, clock_running=False)
    CaseStep.objects.filter(case=case).delete()
    with on(at(2026, 9, 28, 9, 0)):
        call_command("recompute_case_clocks", stdout=StringIO())
    case = fresh(case)
    assert (case.due_date, case.clock_running) == (D(2026, 10, 22), True)
    assert case.current_step is not None
    assert case.current_step.name == "审核"


def test_a_correction_asked_during_review_has_its_answer_day_and_clock_recounted(
    city: City, staff: Staff, django_user_model: type[User]
) -> None:
    case = accepted_case(city, staff)
    with on(at(2026, 10, 12, 9, 0)):
        actions.do_request_correction(
            case, actor=staff.handler, items=[{"material_code": "M02", "reason": "营业执照过期"}]
        )
    stopped = fresh(case)
    # 09-28 … 09-30, 10-08 … 10-10 used; five working days to answer: 10-13 … 10-19.
    assert (stopped.correction_due_on, stopped.frozen_remaining) == (D(2026, 10, 19), 9)
    admin = django_user_model.objects.create_user("calendar_admin", password="x" * 16)
    with on(at(2026, 10, 13, 9, 0)):
        do_change_holidays(
            [HolidayEntry(D(2026, 9, 29), OFF, "调整"), HolidayEntry(D(2026, 10, 14), OFF, "调整")],
            actor=admin,
        )
    case = fresh(case)
    assert (case.correction_due_on, case.frozen_remaining) == (D(2026, 10, 20), 10)
    notes = list(
        CaseEvent.objects.filter(case=case, action="reschedule")
        .order_by("id")
        .values_list("note", flat=True)
    )
    # The case is accepted: what moved is the answer day of its correction, not a deadline
    # before the acceptance.
    assert notes == [schedule.HOLIDAY_NOTE, "国家法定节假日安排调整，重新计算补正期限。"]
