"""Races that need PostgreSQL's row locks to interleave (SQLite's IMMEDIATE transactions run
writers one after the other): two actions queue behind a third session holding the case's
row, in a known order, and the second must meet the case as the first left it: its
current step included. A holiday change and the case actions wait for each other: no case
is counted on a calendar replaced meanwhile. Also: a staff name longer than the records'
column."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Any

import pytest
from django.db import connection, transaction

from wangban.accounts.choices import Role
from wangban.api.tests.cases_helpers import client_for
from wangban.cases import actions, review
from wangban.cases.models import ACTOR_NAME_LENGTH, Case, CaseEvent, CaseStep
from wangban.cases.tests.helpers import at, fresh, submitted_case
from wangban.cases.tests.review_helpers import Staff, on, review_item, review_staff, trace
from wangban.conftest import City, make_staff
from wangban.core.actions import do_change_holidays
from wangban.core.calendar import OFF, HolidayEntry

pytestmark = pytest.mark.django_db(transaction=True)

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's IMMEDIATE transactions run writers one after the other",
)


@pytest.fixture
def staff(city: City) -> Staff:
    review_item(city)
    return review_staff(city)


def _wait_until_blocked(sessions: int, timeout: float = 20.0) -> None:
    """Until `sessions` other sessions of this database wait on a lock."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0] >= sessions:
                return
        time.sleep(0.05)
    raise AssertionError("nobody waited on a lock")


def _hold(case: Case, locked: threading.Event, release: threading.Event) -> None:
    """Another session holding the case's row (a colleague's action in progress)."""
    try:
        with transaction.atomic():
            Case.objects.select_for_update().get(pk=case.pk)
            locked.set()
            release.wait(30)
    finally:
        connection.close()


def queued(case: Case, first: Callable[[], Any], second: Callable[[], Any]) -> list[Any]:
    """`first` then `second` queue on the case's row lock, held by a third session; once
    it is released both run. Their results, or the exceptions they raised."""
    locked, release = threading.Event(), threading.Event()
    results: list[Any] = [None, None]

    def run(index: int, function: Callable[[], Any]) -> None:
        try:
            results[index] = function()
        except Exception as exc:  # the outcome under test
            results[index] = exc
        finally:
            connection.close()

    holder = threading.Thread(target=_hold, args=(case, locked, release))
    holder.start()
    assert locked.wait(30)
    one = threading.Thread(target=run, args=(0, first))
    one.start()
    _wait_until_blocked(1)
    two = threading.Thread(target=run, args=(1, second))
    two.start()
    _wait_until_blocked(2)
    release.set()
    for thread in (holder, one, two):
        thread.join(60)
    return results


def _accept(case: Case, clerk: Any, errors: list[Exception]) -> None:
    try:
        actions.do_accept(case.pk, actor=clerk)
    except Exception as exc:  # the outcome under test
        errors.append(exc)
    finally:
        connection.close()


def _change(day: date, name: str, actor: Any, errors: list[Exception]) -> None:
    try:
        do_change_holidays([HolidayEntry(day, OFF, name)], actor=actor)
    except Exception as exc:  # the outcome under test
        errors.append(exc)
    finally:
        connection.close()


@postgres_only
def test_an_acceptance_during_a_holiday_change_gets_the_new_calendar(
    city: City, staff: Staff
) -> None:
    """Thu 2026-10-15 becomes a day off while two cases accepted on Thu 09-24 (P = 15) are
    open: one accepted before the change, one accepted while it runs. Both must end due on
    the new calendar (DESIGN.md §5)."""
    with on(at(2026, 9, 24, 10, 0)):
        earlier = submitted_case(city)
        actions.do_accept(earlier, actor=staff.clerk)
        waiting = submitted_case(city)
        locked, release = threading.Event(), threading.Event()
        errors: list[Exception] = []
        holder = threading.Thread(target=_hold, args=(earlier, locked, release))
        holder.start()
        locked.wait(30)
        changer = threading.Thread(
            target=_change, args=(date(2026, 10, 15), "临时调整", city.centre_admin, errors)
        )
        changer.start()
        _wait_until_blocked(1)  # the change holds the calendar and waits for `earlier`
        # The acceptance waits for the change (it holds the calendar), then counts on the
        # new calendar.
        accepting = threading.Thread(target=_accept, args=(waiting, staff.clerk, errors))
        accepting.start()
        _wait_until_blocked(2)
        release.set()
        for thread in (changer, holder, accepting):
            thread.join(60)
    assert errors == []
    earlier, waiting = fresh(earlier), fresh(waiting)
    assert earlier.due_date == date(2026, 10, 23)  # recomputed by the change
    assert waiting.due_date == earlier.due_date  # counted on the new calendar


@postgres_only
def test_two_holiday_changes_at_once_recount_a_correction_deadline_right(
    city: City, staff: Staff
) -> None:
    """A correction notice of Mon 2026-12-28 gives 5 working days (2027 unknown to the
    package: Mon–Fri): due Mon 2027-01-04. One admin makes Fri 01-01 a day off while another
    makes Mon 01-04 one. One after the other the answer day is Wed 01-06 (12-29, 12-30,
    12-31, 01-05, 01-06); at once, the second recounts on the calendar it read before the
    first committed."""
    with on(at(2026, 12, 28, 10, 0)):
        busy = submitted_case(city)
        actions.do_accept(busy, actor=staff.clerk)  # in review: its clock crosses both days
        waiting = submitted_case(city)
        actions.do_request_correction(
            waiting, actor=staff.clerk, items=[{"material_code": "M01", "reason": "不清晰"}]
        )
        assert fresh(waiting).correction_due_on == date(2027, 1, 4)
        locked, release = threading.Event(), threading.Event()
        errors: list[Exception] = []
        holder = threading.Thread(target=_hold, args=(busy, locked, release))
        holder.start()
        locked.wait(30)
        first = threading.Thread(
            target=_change, args=(date(2027, 1, 1), "元旦", city.centre_admin, errors)
        )
        first.start()
        _wait_until_blocked(1)  # the first change waits for the busy case
        second = threading.Thread(
            target=_change, args=(date(2027, 1, 4), "调整", city.centre_admin, errors)
        )
        second.start()
        _wait_until_blocked(2)  # the second has read its calendar and waits on the first
        release.set()
        for thread in (first, second, holder):
            thread.join(60)
    assert errors == []
    assert fresh(waiting).correction_due_on == date(2027, 1, 6)


@postgres_only
def test_a_step_reassigned_meanwhile_cannot_be_passed_on_by_its_former_holder(
    city: City, staff: Staff
) -> None:
    make_staff("reviewer_two", city.transport, Role.REVIEWER)
    case = submitted_case(city)
    actions.do_accept(case, actor=staff.clerk)
    seen = fresh(case).current_step_id
    results = queued(
        case,
        partial(review.do_reassign, case.pk, actor=staff.admin, assignee="reviewer_two", step=seen),
        partial(review.do_approve_step, case.pk, actor=staff.reviewer, opinion="同意", step=seen),
    )
    assert isinstance(results[0], Case)
    assert getattr(results[1], "code", results[1]) == "permission_denied"
    step = CaseStep.objects.select_related("assignee").get(pk=int(str(seen)))
    assert step.finished_at is None
    assert step.assignee is not None
    assert step.assignee.username == "reviewer_two"


@postgres_only
def test_a_decision_queued_behind_a_return_meets_the_returned_case(
    city: City, staff: Staff
) -> None:
    other = make_staff("approver_two", city.transport, Role.APPROVER)
    case = submitted_case(city)
    actions.do_accept(case, actor=staff.clerk)
    review.do_approve_step(case.pk, actor=staff.reviewer, opinion="同意")
    review.do_approve_step(case.pk, actor=staff.second, opinion="同意")
    results = queued(
        case,
        partial(review.do_return_step, case.pk, actor=staff.approver, reason="需复核"),
        partial(review.do_decide, case.pk, actor=other, outcome="approved", reason="符合"),
    )
    assert isinstance(results[0], Case)
    assert getattr(results[1], "code", results[1]) == "not_last_step"
    case = fresh(case)
    assert case.state == "in_review"
    assert case.current_step is not None
    assert case.current_step.name == "复核"
    assert list(
        CaseStep.objects.filter(case=case).order_by("visit").values_list("name", "outcome")
    ) == [
        ("受理", "accept"),
        ("审核", "approve"),
        ("复核", "approve"),
        ("审批", "return"),
        ("复核", ""),
    ]


def test_a_staff_name_longer_than_the_records_column_is_cut_not_a_500(
    city: City, staff: Staff
) -> None:
    case = submitted_case(city)
    actions.do_accept(case, actor=staff.clerk)
    reviewer = staff.reviewer
    reviewer.real_name, reviewer.first_name, reviewer.last_name = "", "甲" * 80, "乙" * 80
    reviewer.save()
    before = trace(case)
    api = client_for(reviewer)
    api.raise_request_exception = False
    response = api.post(
        f"/api/v1/cases/{case.pk}/transitions",
        {"action": "approve_step", "opinion": "同意"},
        format="json",
    )
    assert response.status_code == 200
    assert trace(case) != before
    event = CaseEvent.objects.get(case=case, action="approve_step")
    assert len(event.actor_name) == ACTOR_NAME_LENGTH
    assert event.actor_name.startswith("甲")
