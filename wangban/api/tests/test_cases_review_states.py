"""Review and decision through the API (issue 8): every (state, action) pair of API.md in all
eleven states, each state built through the real actions, each action asked by the person
API.md names for it: the allowed ones succeed, the others are 409 and change nothing."""

from __future__ import annotations

from typing import Any

import pytest

from wangban.accounts.choices import Role
from wangban.api.cases import TRANSITIONS as API_TRANSITIONS
from wangban.api.tests.cases_helpers import client_for, error
from wangban.cases.choices import TRANSITIONS, CaseState
from wangban.cases.models import Case, CaseEvent
from wangban.cases.tests.helpers import at
from wangban.cases.tests.review_helpers import Staff, on, review_item, review_staff, trace
from wangban.cases.tests.test_review_transitions import ACTED_AT, case_in
from wangban.conftest import City, make_staff

#: A submission is answered the day it came in (built Mon 06-01, 10:00): a month later its
#: five working days are long over and any clerk's answer would meet the deemed acceptance
#: first (行政许可法第三十二条), which is tested with the acceptance.
SUBMISSION_ANSWERED_AT = at(2026, 6, 1, 11, 0)

#: What each action asks for; `step` is added for the review actions.
BODIES: dict[str, dict[str, Any]] = {
    "sign_in": {},
    "accept": {},
    "request_correction": {
        "items": [{"material_code": "M02", "reason": "不清晰"}],
        "reason_for_second": "再次告知",
    },
    "resubmit": {},
    "reject": {"reason": "材料不符"},
    "terminate": {"reason": "逾期未补正"},
    "reassign": {},  # the assignee depends on the state: see `body`
    "approve_step": {"opinion": "同意"},
    "return_step": {"reason": "需补充核查"},
    "suspend": {"procedure": "site_survey", "reason": "现场勘查"},
    "resume": {"note": "勘查完毕"},
    "extend": {"working_days": 3, "reason": "情况复杂"},
    "decide": {"outcome": "approved", "reason": "符合条件"},
    "complete": {"delivery": "mail", "tracking_no": "SF1234567890"},
    "withdraw": {"reason": "不再需要"},
}
#: Actions of review staff: they do not see a draft at all (404).
REVIEW_STAFF_ACTIONS = {
    "approve_step",
    "return_step",
    "suspend",
    "resume",
    "extend",
    "decide",
    "reassign",
}
#: In review the case waits at 复核 (second_reviewer), or at 审批 (approver) for `decide`.
HOLDERS: dict[str, str] = {Role.SECOND_REVIEWER: "second", Role.APPROVER: "approver"}


@pytest.fixture
def staff(city: City) -> Staff:
    review_item(city)
    make_staff("clerk_two", city.transport, Role.CLERK)
    make_staff("second_two", city.transport, Role.SECOND_REVIEWER)
    return review_staff(city)


def actor(city: City, staff: Staff, case: Case, action: str) -> Any:
    """The person API.md names for `action` on `case`."""
    if action in {"submit", "resubmit", "withdraw"}:
        return city.applicant
    if action in {"approve_step", "return_step"}:
        step = case.current_step
        return getattr(staff, HOLDERS.get(step.role, "reviewer")) if step else staff.reviewer
    if action == "request_correction" and case.accepted_on is not None:
        return staff.handler
    return {
        "reassign": staff.admin,
        "suspend": staff.handler,
        "resume": staff.handler,
        "extend": staff.approver,
        "decide": staff.approver,
    }.get(action, staff.clerk)


def body(case: Case, action: str) -> dict[str, Any]:
    data: dict[str, Any] = {"action": action, **BODIES[action]}
    if action == "reassign":
        data["assignee"] = "clerk_two" if case.state == CaseState.SUBMITTED else "second_two"
    if action in REVIEW_STAFF_ACTIONS and case.current_step_id is not None:
        data["step"] = str(case.current_step_id)  # the step the client saw: still current
    return data


def test_every_action_of_api_md_is_offered() -> None:
    assert set(API_TRANSITIONS) == set(BODIES)


@pytest.mark.parametrize("state", CaseState.values)
@pytest.mark.parametrize("action", list(BODIES))
def test_every_state_and_action_through_the_api(
    city: City, staff: Staff, state: str, action: str
) -> None:
    case = case_in(city, staff, state, at_last_step=action == "decide")
    client = client_for(actor(city, staff, case, action))
    path = f"/api/v1/cases/{case.pk}/transitions"
    target = TRANSITIONS.get((state, action))
    before = trace(case)
    events = CaseEvent.objects.filter(case=case).count()
    with on(SUBMISSION_ANSWERED_AT if state == CaseState.SUBMITTED else ACTED_AT):
        response = client.post(path, body(case, action), format="json")
    if target is None:
        assert trace(case) == before
        if state == CaseState.DRAFT and action in REVIEW_STAFF_ACTIONS:
            assert (response.status_code, error(response)["code"]) == (404, "case_not_found")
        else:
            assert (response.status_code, error(response)["code"]) == (409, "invalid_transition")
            label = CaseState(state).label
            assert error(response)["message"].startswith(f"办件当前状态为“{label}”，不能")
        return
    assert response.status_code == 200, response.json()
    if action == "decide":
        target = "approved"
    assert response.json()["state"] == target
    assert Case.objects.get(pk=case.pk).state == target
    assert CaseEvent.objects.filter(case=case).count() == events + 1
    latest = response.json()["events"][-1]
    assert (latest["action"], latest["from_state"], latest["to_state"]) == (action, state, target)


@pytest.mark.parametrize("state", CaseState.values)
def test_only_a_draft_is_submitted(city: City, staff: Staff, state: str) -> None:
    case = case_in(city, staff, state)
    before = trace(case)
    with on(ACTED_AT):
        response = client_for(city.applicant).post(f"/api/v1/cases/{case.pk}/submit")
    if state == CaseState.DRAFT:
        assert (response.status_code, response.json()["state"]) == (200, "submitted")
    else:
        assert (response.status_code, error(response)["code"]) == (409, "invalid_transition")
        assert trace(case) == before
