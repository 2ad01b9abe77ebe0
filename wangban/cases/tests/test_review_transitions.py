"""Every (state, action) pair of API.md, every state built through the real actions: the
allowed ones succeed, the others are refused with 409 and change nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from wangban.accounts.choices import Role
from wangban.cases import actions, review
from wangban.cases.choices import TRANSITIONS, CaseAction, CaseState
from wangban.cases.models import Case, CaseEvent, ClockStop
from wangban.cases.tests.helpers import (
    at,
    attach_required,
    draft_case,
    fresh,
    pdf,
    submitted_case,
)
from wangban.cases.tests.review_helpers import (
    Staff,
    accepted_case,
    on,
    review_item,
    review_staff,
    trace,
)
from wangban.conftest import City, make_staff
from wangban.core.errors import Conflict, InvalidInput, NotFound

BUILT_AT = at(2026, 6, 1, 10, 0)  # Mon
ACTED_AT = at(2026, 7, 1, 10, 0)  # Wed: a correction notice of 06-01 is overdue by then
SUBMISSION_ANSWERED_AT = at(2026, 6, 2, 10, 0)  # Tue: within the five working days
#: Actions people invoke (create, deem_accept and reschedule are the system's or have no
#: state before them).
INVOKED = [a for a in CaseAction.values if a not in {"create", "deem_accept", "reschedule"}]


def test_the_table_holds_exactly_api_md_rows() -> None:
    assert {(s, a): t for (s, a), t in TRANSITIONS.items()} == {
        (None, "create"): "draft",
        ("draft", "submit"): "submitted",
        ("submitted", "sign_in"): "submitted",
        ("submitted", "request_correction"): "correction_requested",
        ("in_review", "request_correction"): "correction_requested",
        ("correction_requested", "resubmit"): "submitted",
        ("submitted", "accept"): "in_review",
        ("submitted", "deem_accept"): "in_review",
        ("submitted", "reject"): "rejected",
        ("correction_requested", "terminate"): "terminated",
        ("draft", "withdraw"): "withdrawn",
        ("submitted", "withdraw"): "withdrawn",
        ("correction_requested", "withdraw"): "withdrawn",
        ("in_review", "withdraw"): "withdrawn",
        ("suspended", "withdraw"): "withdrawn",
        ("submitted", "reassign"): "submitted",
        ("in_review", "reassign"): "in_review",
        ("in_review", "approve_step"): "in_review",
        ("in_review", "return_step"): "in_review",
        ("in_review", "suspend"): "suspended",
        ("suspended", "resume"): "in_review",
        ("in_review", "extend"): "in_review",
        ("in_review", "decide"): "approved",
        ("approved", "complete"): "completed",
        ("denied", "complete"): "completed",
        ("submitted", "reschedule"): "submitted",  # its deadlines before acceptance
        ("in_review", "reschedule"): "in_review",
        ("suspended", "reschedule"): "suspended",
        ("correction_requested", "reschedule"): "correction_requested",
    }


@pytest.fixture
def staff(city: City) -> Staff:
    review_item(city)
    return review_staff(city)


def case_in(city: City, staff: Staff, state: str, *, at_last_step: bool = False) -> Case:
    """A case brought to `state` by the real actions. In review it waits at the second
    review step (复核), or at the last one (审批) with `at_last_step`."""
    clerk, applicant = staff.clerk, city.applicant
    if state == "draft":
        with on(BUILT_AT):
            # Registered at the window, so that the clerks see the draft too.
            case = draft_case(city, actor=clerk, channel="window", applicant=applicant)
            attach_required(case, clerk)
        return _checked(case, state)
    if state in {"submitted", "correction_requested", "rejected", "terminated"}:
        with on(BUILT_AT):
            case = submitted_case(city)
            if state in {"correction_requested", "terminated"}:
                items = [{"material_code": "M01", "reason": "缺签字"}]
                actions.do_request_correction(case, actor=clerk, items=items)
                actions.do_attach_material(case, actor=applicant, material_code="M01", upload=pdf())
            if state == "rejected":
                actions.do_reject(case, actor=clerk, reason="不属于受理范围")
        if state == "terminated":
            with on(at(2026, 6, 9, 9, 0)):
                actions.do_terminate(case, actor=clerk, reason="逾期未补正")
        return _checked(case, state)
    case = accepted_case(city, staff, BUILT_AT)
    with on(BUILT_AT):
        review.do_approve_step(case, actor=staff.reviewer, opinion="同意")
        if at_last_step or state in {"approved", "denied", "completed"}:
            review.do_approve_step(case, actor=staff.second, opinion="同意")
        if state == "suspended":
            review.do_suspend(case, actor=staff.handler, procedure="expert_review", reason="评审")
        if state in {"approved", "completed"}:
            review.do_decide(case, actor=staff.approver, outcome="approved", reason="符合条件")
        if state == "denied":
            review.do_decide(case, actor=staff.approver, outcome="denied", reason="不符合条件")
        if state == "completed":
            review.do_complete(case, actor=clerk, delivery="pickup")
        if state == "withdrawn":
            actions.do_withdraw(case, actor=applicant, reason="不再需要")
    return _checked(case, state)


def _checked(case: Case, state: str) -> Case:
    case = fresh(case)
    assert case.state == state
    return case


def attempt(city: City, staff: Staff, case: Case, action: str) -> Any:
    """`action` by the person API.md names for it."""
    clerk, applicant = staff.clerk, city.applicant
    step = case.current_step
    holder = staff.second if step is not None and step.role == Role.SECOND_REVIEWER else None
    holder = holder or (staff.approver if step and step.role == Role.APPROVER else staff.reviewer)
    in_review = case.accepted_on is not None
    calls = {
        "submit": lambda: actions.do_submit(case, actor=applicant),
        "resubmit": lambda: actions.do_resubmit(case, actor=applicant),
        "withdraw": lambda: actions.do_withdraw(case, actor=applicant, reason="不再需要"),
        "sign_in": lambda: actions.do_sign_in(case, actor=clerk),
        "accept": lambda: actions.do_accept(case, actor=clerk),
        "reject": lambda: actions.do_reject(case, actor=clerk, reason="材料不符"),
        "terminate": lambda: actions.do_terminate(case, actor=clerk, reason="逾期未补正"),
        "request_correction": lambda: actions.do_request_correction(
            case,
            actor=staff.handler if in_review else clerk,
            items=[{"material_code": "M02", "reason": "不清晰"}],
            reason_for_second="再次告知",
        ),
        "reassign": lambda: review.do_reassign(
            case,
            actor=staff.admin,
            assignee="clerk_two" if case.state == CaseState.SUBMITTED else "second_two",
        ),
        "approve_step": lambda: review.do_approve_step(case, actor=holder, opinion="同意"),
        "return_step": lambda: review.do_return_step(case, actor=holder, reason="需补充核查"),
        "suspend": lambda: review.do_suspend(
            case, actor=staff.handler, procedure="site_survey", reason="现场勘查"
        ),
        "resume": lambda: review.do_resume(case, actor=staff.handler, note="勘查完毕"),
        "extend": lambda: review.do_extend(
            case, actor=staff.approver, working_days=3, reason="情况复杂"
        ),
        "decide": lambda: review.do_decide(
            case, actor=staff.approver, outcome="approved", reason="符合条件"
        ),
        "complete": lambda: review.do_complete(
            case, actor=clerk, delivery="mail", tracking_no="SF1234567890"
        ),
    }
    return calls[action]()


@pytest.mark.parametrize("state", CaseState.values)
@pytest.mark.parametrize("action", INVOKED)
def test_every_state_and_action(city: City, staff: Staff, state: str, action: str) -> None:
    make_staff("clerk_two", city.transport, Role.CLERK)
    make_staff("second_two", city.transport, Role.SECOND_REVIEWER)
    case = case_in(city, staff, state, at_last_step=action == "decide")
    before = trace(case)
    events = CaseEvent.objects.filter(case=case).count()
    target = TRANSITIONS.get((state, action))
    # A submission is answered within its five working days; by ACTED_AT the law has
    # accepted it (deemed acceptance, which a late answer meets first).
    with on(SUBMISSION_ANSWERED_AT if state == CaseState.SUBMITTED else ACTED_AT):
        if target is None:
            # Review staff do not see drafts at all (404); everyone else is refused by the state.
            expected = NotFound if state == "draft" and action in _STAFF_ACTIONS else Conflict
            with pytest.raises(expected) as refused:
                attempt(city, staff, case, action)
            if expected is Conflict:
                assert refused.value.code == "invalid_transition"
                assert refused.value.status == 409
            assert trace(case) == before
        else:
            attempt(city, staff, case, action)
            assert fresh(case).state == target
            assert CaseEvent.objects.filter(case=case).count() == events + 1
            event = CaseEvent.objects.filter(case=case).latest("id")
            assert (event.action, event.from_state, event.to_state) == (action, state, target)


_STAFF_ACTIONS = {
    "approve_step",
    "return_step",
    "suspend",
    "resume",
    "extend",
    "decide",
    "reassign",
}


def test_the_decision_s_outcome_chooses_the_state(city: City, staff: Staff) -> None:
    approved = case_in(city, staff, "approved")
    denied = case_in(city, staff, "denied")
    assert (approved.state, denied.state) == ("approved", "denied")
    assert list(denied.events.values_list("action", "to_state").order_by("-id")[:1]) == [
        ("decide", "denied")
    ]


@pytest.mark.parametrize("state", CaseState.values)
def test_the_deemed_acceptance_job_touches_only_submitted_cases(
    city: City, staff: Staff, state: str
) -> None:
    case = case_in(city, staff, state)
    accepted = actions.do_deem_accept_due(date(2026, 7, 1))
    expected = TRANSITIONS.get((state, "deem_accept"), state)
    assert fresh(case).state == expected
    assert accepted == ([case.pk] if state == "submitted" else [])


# --- a correction during review ----------------------------------------------------------------


def in_review_correction(city: City, staff: Staff) -> Case:
    case = case_in(city, staff, "in_review")
    with on(BUILT_AT):
        actions.do_request_correction(
            case, actor=staff.handler, items=[{"material_code": "M01", "reason": "缺签字"}]
        )
    return _checked(case, "correction_requested")


def test_resubmission_of_a_correction_during_review_returns_to_review(
    city: City, staff: Staff
) -> None:
    case = in_review_correction(city, staff)
    with on(ACTED_AT):
        with pytest.raises(InvalidInput) as incomplete:
            actions.do_resubmit(case, actor=city.applicant)
        assert list(incomplete.value.fields) == ["materials.M01"]
        actions.do_attach_material(case, actor=city.applicant, material_code="M01", upload=pdf())
        actions.do_resubmit(case, actor=city.applicant)
    case = fresh(case)
    assert (case.state, case.clock_running, case.submission) == ("in_review", True, 2)
    assert case.current_step is not None
    assert case.current_step.name == "复核"  # the step waits where it was
    event = case.events.latest("id")
    assert (event.action, event.from_state, event.to_state) == (
        "resubmit",
        "correction_requested",
        "in_review",
    )


@pytest.mark.parametrize("action", ["withdraw", "terminate"])
def test_ending_a_case_during_its_correction_closes_the_stop(
    city: City, staff: Staff, action: str
) -> None:
    case = in_review_correction(city, staff)
    with on(ACTED_AT):
        attempt(city, staff, case, action)
    case = fresh(case)
    stop = ClockStop.objects.get(case=case)
    assert (stop.ended_on, stop.ended_by_action) == (date(2026, 7, 1), action)
    assert (case.clock_running, case.frozen_light, case.current_step) == (False, "", None)
    assert case.steps.filter(finished_at__isnull=True).count() == 0
    assert case.steps.latest("visit").outcome == "closed"


def test_withdrawing_while_suspended_closes_the_stop(city: City, staff: Staff) -> None:
    case = case_in(city, staff, "suspended")
    with on(ACTED_AT):
        actions.do_withdraw(case, actor=city.applicant, reason="不再需要")
    stop = ClockStop.objects.get(case=case)
    assert (stop.ended_on, stop.ended_by_action) == (date(2026, 7, 1), "withdraw")
    assert fresh(case).current_step is None
