"""Two staff acting on one case at once: one wins, the other gets 409, and nothing is left
half-done (on SQLite and PostgreSQL alike: the row lock queues them)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from django.db import connection

from wangban.accounts.choices import Role
from wangban.accounts.models import RoleGrant
from wangban.cases import actions, review
from wangban.cases.models import Case, CaseEvent, CaseStep, ClockStop
from wangban.cases.tests.helpers import fresh, submitted_case
from wangban.cases.tests.review_helpers import Staff, review_item, review_staff
from wangban.conftest import City, make_staff

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(functions: list[Callable[[], Any]]) -> list[Any]:
    """Run the functions in threads released at the same moment; each result is the return
    value or the exception raised."""
    start = threading.Barrier(len(functions))
    results: list[Any] = [None] * len(functions)

    def run(index: int, function: Callable[[], Any]) -> None:
        try:
            start.wait()
            results[index] = function()
        except Exception as exc:  # the outcome under test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


def outcome(results: list[Any]) -> list[str]:
    """ "ok" per success, the error code per refusal, sorted."""
    return sorted("ok" if isinstance(r, Case) else getattr(r, "code", repr(r)) for r in results)


@pytest.fixture
def staff(city: City) -> Staff:
    review_item(city)
    return review_staff(city)


def accepted(city: City, staff: Staff) -> Case:
    case = submitted_case(city)
    actions.do_accept(case, actor=staff.clerk)
    return fresh(case)


def test_two_reviewers_passing_the_same_step_on(city: City, staff: Staff) -> None:
    # Holds both review roles: without the stale check, losing the race would pass 复核 on too.
    both = make_staff("both_reviews", city.transport, Role.REVIEWER)
    RoleGrant.objects.create(user=both, department=city.transport, role=Role.SECOND_REVIEWER)
    case = accepted(city, staff)
    seen = case.current_step_id
    results = run_together(
        [
            partial(
                review.do_approve_step, case.pk, actor=staff.reviewer, opinion="同意", step=seen
            ),
            partial(review.do_approve_step, case.pk, actor=both, opinion="同意", step=seen),
        ]
    )
    assert outcome(results) == ["ok", "stale"]
    case = fresh(case)
    assert case.current_step is not None
    assert case.current_step.name == "复核"
    assert list(CaseStep.objects.filter(case=case).values_list("name", "outcome")) == [
        ("受理", "accept"),
        ("审核", "approve"),
        ("复核", ""),
    ]
    assert CaseEvent.objects.filter(case=case, action="approve_step").count() == 1


def test_a_decision_and_a_suspension_at_once(city: City, staff: Staff) -> None:
    case = accepted(city, staff)
    review.do_approve_step(case, actor=staff.reviewer, opinion="同意")
    review.do_approve_step(case, actor=staff.second, opinion="同意")
    results = run_together(
        [
            partial(review.do_decide, case.pk, actor=staff.approver, outcome="approved", reason=""),
            partial(
                review.do_suspend,
                case.pk,
                actor=staff.handler,
                procedure="expert_review",
                reason="专家评审",
            ),
        ]
    )
    assert outcome(results) == ["invalid_transition", "ok"]
    case = fresh(case)
    stops = ClockStop.objects.filter(case=case).count()
    if case.state == "approved":
        assert (stops, case.clock_running, case.frozen_light) == (0, False, "")
        assert case.decided_on is not None
    else:
        assert case.state == "suspended"
        assert (stops, case.decided_on, case.clock_running) == (1, None, False)
    assert CaseEvent.objects.filter(case=case, action__in=["decide", "suspend"]).count() == 1


def test_two_approvers_deciding_at_once(city: City, staff: Staff) -> None:
    other = make_staff("approver_two", city.transport, Role.APPROVER)
    case = accepted(city, staff)
    review.do_approve_step(case, actor=staff.reviewer, opinion="同意")
    review.do_approve_step(case, actor=staff.second, opinion="同意")
    results = run_together(
        [
            partial(review.do_decide, case.pk, actor=staff.approver, outcome="approved"),
            partial(review.do_decide, case.pk, actor=other, outcome="denied", reason="不符合"),
        ]
    )
    assert outcome(results) == ["invalid_transition", "ok"]
    case = fresh(case)
    winner = next(r for r in results if isinstance(r, Case))
    assert case.state == winner.state
    assert CaseEvent.objects.filter(case=case, action="decide").count() == 1
    assert CaseStep.objects.filter(case=case, outcome="decide").count() == 1


def test_two_resumptions_at_once(city: City, staff: Staff) -> None:
    case = accepted(city, staff)
    review.do_suspend(case, actor=staff.handler, procedure="testing", reason="检测")
    results = run_together(
        [partial(review.do_resume, case.pk, actor=staff.handler) for _ in range(2)]
    )
    assert outcome(results) == ["invalid_transition", "ok"]
    case = fresh(case)
    assert (case.state, case.clock_running) == ("in_review", True)
    assert ClockStop.objects.get(case=case).ended_by_action == "resume"
    assert CaseEvent.objects.filter(case=case, action="resume").count() == 1


def test_a_resumption_and_a_withdrawal_at_once(city: City, staff: Staff) -> None:
    """Both are allowed from `suspended`, and a withdrawal also from `in_review`: whichever
    comes first, the case ends withdrawn with its stop closed and no step open."""
    case = accepted(city, staff)
    review.do_suspend(case, actor=staff.handler, procedure="testing", reason="检测")
    results = run_together(
        [
            partial(review.do_resume, case.pk, actor=staff.handler),
            partial(actions.do_withdraw, case.pk, actor=city.applicant, reason="不再需要"),
        ]
    )
    assert outcome(results) in (["ok", "ok"], ["invalid_transition", "ok"])
    assert isinstance(results[1], Case)
    case = fresh(case)
    assert (case.state, case.current_step, case.clock_running) == ("withdrawn", None, False)
    assert ClockStop.objects.filter(case=case, ended_at__isnull=True).count() == 0
    assert CaseStep.objects.filter(case=case, finished_at__isnull=True).count() == 0


def test_two_extensions_from_the_same_page_at_once(city: City, staff: Staff) -> None:
    """Neither moves the step: the `revision` both saw makes the second stale, so the case is
    extended once (6 days, within the statutory 10), not twice into a violation."""
    from wangban.cases.models import CaseExtension

    other = make_staff("approver_two", city.transport, Role.APPROVER)
    case = accepted(city, staff)
    review.do_approve_step(case.pk, actor=staff.reviewer, opinion="同意")
    review.do_approve_step(case.pk, actor=staff.second, opinion="同意")
    seen = fresh(case)
    revision = review.revision_of(seen)
    results = run_together(
        [
            partial(
                review.do_extend,
                case.pk,
                actor=who,
                working_days=6,
                reason="需核查",
                step=seen.current_step_id,
                revision=revision,
            )
            for who in (staff.approver, other)
        ]
    )
    assert outcome(results) == ["ok", "stale"]
    assert fresh(case).extension_days == 6
    assert CaseExtension.objects.filter(case=case).count() == 1
    assert not CaseExtension.objects.filter(case=case, exceeds_statutory=True).exists()
