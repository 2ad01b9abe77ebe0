"""The case representation's clock and deadlines (DESIGN.md §5 "The case clock", 大安办法第
三十一条 green/blue/red): in review the clock runs; before acceptance and after the end there
is no clock, no due date and no light."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from wangban.accounts.models import User
from wangban.api.tests.cases_helpers import ACCEPTED_AT, applicant, at
from wangban.cases import actions
from wangban.cases.models import Case
from wangban.cases.representation import NO_CLOCK, ClockFigures, case_to_api, clock_figures
from wangban.cases.tests.helpers import item, submitted_case
from wangban.conftest import City


def accepted_case_of(city: City, person: User) -> Case:
    case = submitted_case(city, actor=person)
    return actions.do_accept(case, actor=city.transport_clerk)


def accepted_case(city: City) -> Case:
    with time_machine.travel(ACCEPTED_AT, tick=False):
        return accepted_case_of(city, applicant())


@pytest.mark.parametrize(
    ("today", "light", "remaining"),
    [
        (date(2026, 9, 24), "green", 10),
        (date(2026, 10, 12), "green", 3),
        (date(2026, 10, 13), "blue", 2),  # the item's warning threshold: max(1, ⌈0.2 × 10⌉)
        (date(2026, 10, 15), "blue", 0),  # the due day itself
        (date(2026, 10, 16), "red", -1),
        (date(2026, 10, 19), "red", -2),  # the weekend does not count
    ],
)
def test_the_light_follows_the_promised_due_date(
    city: City, today: date, light: str, remaining: int
) -> None:
    item(city)
    case = accepted_case(city)
    assert case.version.warning_threshold_days == 2
    assert clock_figures(case, today) == ClockFigures(
        clock_running=True,
        due_date=date(2026, 10, 15),
        legal_due_date=date(2026, 10, 29),
        light=light,
        remaining_working_days=remaining,
    )
    body = case_to_api(case, today=today)
    assert (body["light"], body["remaining_working_days"], body["due_date"]) == (
        light,
        remaining,
        "2026-10-15",
    )


def test_a_deemed_acceptance_runs_from_the_day_of_receipt(city: City) -> None:
    """视为受理 (行政许可法第三十二条): unanswered by the end of 10-09 (five working days after
    09-24), the case is accepted by the system as of the day received."""
    item(city)
    with time_machine.travel(ACCEPTED_AT, tick=False):
        case = submitted_case(city, actor=applicant())
    assert actions.do_deem_accept_due(date(2026, 10, 10)) == [case.pk]
    body = case_to_api(Case.objects.get(pk=case.pk), today=date(2026, 10, 10))
    assert (body["accepted_on"], body["deemed_accepted"], body["due_date"], body["light"]) == (
        "2026-09-24",
        True,
        "2026-10-15",
        "green",
    )
    assert (
        body["events"][-1]["note"] == "逾期未作出受理决定，依法视为受理（行政许可法第三十二条）。"
    )


def test_before_acceptance_and_after_the_end_there_is_no_clock(city: City) -> None:
    item(city)
    person = applicant()
    with time_machine.travel(ACCEPTED_AT, tick=False):
        submitted = submitted_case(city, actor=person)
        rejected = actions.do_reject(
            submitted_case(city, actor=person), actor=city.transport_clerk, reason="不符合条件"
        )
        withdrawn = accepted_case_of(city, person)
        withdrawn = actions.do_withdraw(withdrawn, actor=person, reason="不再需要")
    for case in (submitted, rejected, withdrawn):
        assert clock_figures(case, date(2026, 10, 1)) == NO_CLOCK, case.state
        body = case_to_api(case, today=date(2026, 10, 1))
        assert (body["clock_running"], body["due_date"], body["light"]) == (False, None, None)
    # The withdrawn case had been accepted: its receipt stays, its pre-acceptance deadlines
    # are not shown any more.
    body = case_to_api(withdrawn)
    assert (body["receipt_no"], body["reply_due_on"], body["sign_in_due_at"]) == (
        "D01-20260924-00001",
        None,
        None,
    )


def test_the_correction_is_shown_only_while_it_is_awaited(city: City) -> None:
    item(city)
    person = applicant()
    with time_machine.travel(ACCEPTED_AT, tick=False):
        case = submitted_case(city, actor=person)
        actions.do_request_correction(
            case,
            actor=city.transport_clerk,
            items=[{"material_code": "M01", "reason": "缺少签字"}],
        )
    waiting = case_to_api(Case.objects.get(pk=case.pk))
    assert waiting["correction"] == {
        "issued_on": "2026-09-24",
        "answer_due_on": "2026-10-09",
        "is_repeat": False,
        "items": [
            {
                "material_code": "M01",
                "material_name": "道路运输经营许可申请表",
                "reason": "缺少签字",
            }
        ],
    }
    with time_machine.travel(at(2026, 9, 25, 9, 0), tick=False):
        actions.do_withdraw(case, actor=person, reason="不再需要")
    assert case_to_api(Case.objects.get(pk=case.pk))["correction"] is None
