"""Every action in a state that does not allow it is 409 and changes nothing: each (state,
action) pair of the transition table that is not in it, asked by someone who may do the
action, with a body the action would accept (API.md: 409 comes before 400)."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from wangban.accounts.choices import Role
from wangban.accounts.models import User
from wangban.api.cases import TRANSITIONS as API_TRANSITIONS
from wangban.api.tests.cases_helpers import PDF, applicant, at, client_for, error, unchanged
from wangban.cases import actions
from wangban.cases.access import CLERK_ACTIONS
from wangban.cases.choices import TRANSITIONS, CaseState
from wangban.cases.models import Case
from wangban.cases.tests.helpers import draft_case, item, submitted_case
from wangban.conftest import City, make_staff

ITEMS = [{"material_code": "M01", "reason": "缺少签字"}]
BODIES: dict[str, dict[str, Any]] = {
    "request_correction": {"items": ITEMS},
    "reject": {"reason": "不属于本部门职权范围"},
    "terminate": {"reason": "逾期未补正"},
    "withdraw": {"reason": "不再需要"},
}
#: The states of applying and acceptance, built through the actions at this moment; the
#: requests are made at the same moment (a correction notice of then is overdue by now).
BUILT_AT = at(2026, 9, 24, 10, 0)
ASKED_AT = at(2026, 10, 12, 10, 0)
STATES = [
    CaseState.DRAFT,
    CaseState.SUBMITTED,
    CaseState.CORRECTION_REQUESTED,
    CaseState.IN_REVIEW,
    CaseState.REJECTED,
    CaseState.TERMINATED,
    CaseState.WITHDRAWN,
]


def case_in(state: str, city: City, person: User) -> Case:
    clerk = city.transport_clerk
    with time_machine.travel(BUILT_AT, tick=False):
        if state == CaseState.DRAFT:
            return draft_case(city, actor=person)
        case = submitted_case(city, actor=person)
        if state == CaseState.CORRECTION_REQUESTED:
            actions.do_request_correction(case, actor=clerk, items=ITEMS)
        elif state == CaseState.IN_REVIEW:
            actions.do_accept(case, actor=clerk)
        elif state == CaseState.REJECTED:
            actions.do_reject(case, actor=clerk, reason="不符合条件")
        elif state == CaseState.WITHDRAWN:
            actions.do_withdraw(case, actor=person, reason="不再需要")
        elif state == CaseState.TERMINATED:
            actions.do_request_correction(case, actor=clerk, items=ITEMS)
    if state == CaseState.TERMINATED:
        with time_machine.travel(ASKED_AT, tick=False):
            actions.do_terminate(case, actor=clerk, reason="逾期未补正")
    return Case.objects.get(pk=case.pk)


#: The actions of applying and acceptance; those of review and decision, in every one of
#: the eleven states, are in test_cases_review_states.py.
ACCEPTANCE_ACTIONS = [
    "sign_in",
    "accept",
    "request_correction",
    "resubmit",
    "reject",
    "terminate",
    "withdraw",
]

FORBIDDEN_PAIRS = [
    (state, action)
    for state in STATES
    for action in ACCEPTANCE_ACTIONS
    if (state, action) not in TRANSITIONS
    # An online draft is the applicant's alone: a clerk does not see it (404, tested with
    # the permission matrix).
    and not (state == CaseState.DRAFT and action in CLERK_ACTIONS)
]


def test_the_pairs_cover_every_refusal_of_the_table() -> None:
    assert set(ACCEPTANCE_ACTIONS) <= set(API_TRANSITIONS)
    # 7 states × 7 actions, less the 11 pairs the table allows among them (in review a
    # correction is the handler's) and the 5 clerk actions on an online draft.
    assert len(FORBIDDEN_PAIRS) == 7 * 7 - 11 - 5


@pytest.mark.parametrize(("state", "action"), FORBIDDEN_PAIRS)
def test_an_action_not_allowed_in_the_state_is_409(city: City, state: str, action: str) -> None:
    item(city)
    person = applicant()
    case = case_in(state, city, person)
    assert case.state == state
    actor = city.transport_clerk if action in CLERK_ACTIONS else person
    with time_machine.travel(ASKED_AT, tick=False), unchanged(case):
        response = client_for(actor).post(
            f"/api/v1/cases/{case.pk}/transitions",
            {"action": action, **BODIES.get(action, {})},
            format="json",
        )
    assert response.status_code == 409
    label = CaseState(state).label
    assert error(response)["code"] == "invalid_transition"
    assert error(response)["message"].startswith(f"办件当前状态为“{label}”，不能")


def test_409_comes_before_an_invalid_body(city: City) -> None:
    item(city)
    case = case_in(CaseState.IN_REVIEW, city, applicant())
    with unchanged(case):
        response = client_for(city.transport_clerk).post(
            f"/api/v1/cases/{case.pk}/transitions", {"action": "reject"}, format="json"
        )
    assert (response.status_code, error(response)["code"]) == (409, "invalid_transition")


@pytest.mark.parametrize("state", [s for s in STATES if s != CaseState.DRAFT])
def test_only_a_draft_is_submitted(city: City, state: str) -> None:
    item(city)
    person = applicant()
    case = case_in(state, city, person)
    with unchanged(case):
        response = client_for(person).post(f"/api/v1/cases/{case.pk}/submit")
    assert (response.status_code, error(response)["code"]) == (409, "invalid_transition")


@pytest.mark.parametrize(
    "state",
    [s for s in STATES if s not in (CaseState.DRAFT, CaseState.CORRECTION_REQUESTED)],
)
def test_materials_are_locked_once_submitted(city: City, state: str) -> None:
    item(city)
    person = applicant()
    case = case_in(state, city, person)
    file = SimpleUploadedFile("M01.pdf", PDF, content_type="application/pdf")
    with unchanged(case):
        response = client_for(person).post(
            f"/api/v1/cases/{case.pk}/materials", {"material_code": "M01", "file": file}
        )
    assert response.status_code == 409
    assert error(response) == {
        "code": "materials_locked",
        "message": f"办件当前状态为“{CaseState(state).label}”，不能更改材料。",
        "fields": {},
    }


def test_a_correction_replaces_only_what_the_notice_names(city: City) -> None:
    item(city)
    person = applicant()
    case = case_in(CaseState.CORRECTION_REQUESTED, city, person)
    file = SimpleUploadedFile("M02.pdf", PDF, content_type="application/pdf")
    with unchanged(case):
        response = client_for(person).post(
            f"/api/v1/cases/{case.pk}/materials", {"material_code": "M02", "file": file}
        )
    assert response.status_code == 409
    assert error(response)["code"] == "not_in_correction_notice"


def test_a_submission_is_signed_for_once(city: City) -> None:
    item(city)
    case = case_in(CaseState.SUBMITTED, city, applicant())
    clerk = client_for(city.transport_clerk)
    path = f"/api/v1/cases/{case.pk}/transitions"
    # The same afternoon: weeks later the submission would be deemed accepted first.
    with time_machine.travel(at(2026, 9, 24, 14, 0), tick=False):
        assert clerk.post(path, {"action": "sign_in"}, format="json").status_code == 200
        with unchanged(case):
            again = clerk.post(path, {"action": "sign_in"}, format="json")
    assert (again.status_code, error(again)["code"]) == (409, "already_signed_in")


def test_no_termination_before_the_answer_is_overdue(city: City) -> None:
    item(city)
    case = case_in(CaseState.CORRECTION_REQUESTED, city, applicant())
    # Answer due Friday 10-09 (five working days after 09-24): still open that day.
    with time_machine.travel(at(2026, 10, 9, 16, 0), tick=False), unchanged(case):
        response = client_for(city.transport_clerk).post(
            f"/api/v1/cases/{case.pk}/transitions",
            {"action": "terminate", "reason": "逾期未补正"},
            format="json",
        )
    assert response.status_code == 409
    assert error(response) == {
        "code": "correction_not_overdue",
        "message": "补正期限（2026-10-09）尚未届满，不能终止办理。",
        "fields": {},
    }


def deemed(case: Case) -> tuple[Any, ...]:
    case.refresh_from_db()
    last = case.events.order_by("id").last()
    return (case.state, case.deemed_accepted, case.accepted_on == case.received_on, last.action)  # type: ignore[union-attr]


DEEMED = (CaseState.IN_REVIEW, True, True, "deem_accept")


@pytest.mark.parametrize(
    ("action", "status"),
    [("accept", 409), ("sign_in", 409), ("reject", 409), ("request_correction", 403)],
)
@pytest.mark.parametrize("with_key", [False, True])
def test_a_late_answer_is_refused_and_the_deemed_acceptance_stays(
    city: City, action: str, status: int, with_key: bool
) -> None:
    """Five working days after receipt the law has accepted the submission (行政许可法第三十二
    条): a clerk answering later meets a case in review and is refused (a correction in
    review is the reviewers' to ask: 403), and the deemed acceptance, recorded first in its
    own transaction, is not undone by that refusal — nor by the Idempotency-Key's
    transaction, which rolls back a 403."""
    item(city)
    with time_machine.travel(BUILT_AT, tick=False):
        case = submitted_case(city)
    clerk = client_for(city.transport_clerk)
    headers = {"Idempotency-Key": f"late-{action}"} if with_key else {}
    with time_machine.travel(ASKED_AT, tick=False):
        response = clerk.post(
            f"/api/v1/cases/{case.pk}/transitions",
            {"action": action, **BODIES.get(action, {})},
            format="json",
            headers=headers,
        )
    assert response.status_code == status
    if status == 409:
        assert error(response)["code"] == "invalid_transition"
    assert deemed(case) == DEEMED


def test_a_late_answer_in_a_multipart_body_meets_the_deemed_acceptance_too(city: City) -> None:
    item(city)
    with time_machine.travel(BUILT_AT, tick=False):
        case = submitted_case(city)
    with time_machine.travel(ASKED_AT, tick=False):
        response = client_for(city.transport_clerk).post(
            f"/api/v1/cases/{case.pk}/transitions", {"action": "accept"}, format="multipart"
        )
    assert (response.status_code, error(response)["code"]) == (409, "invalid_transition")
    assert deemed(case) == DEEMED


@pytest.mark.parametrize("with_key", [False, True])
def test_who_may_not_see_the_case_triggers_nothing(city: City, with_key: bool) -> None:
    """Another department's clerk naming an answer: 404, and the case waits for the
    periodic job (or its own clerks) as it was."""
    item(city)
    with time_machine.travel(BUILT_AT, tick=False):
        case = submitted_case(city)
    stranger = client_for(make_staff("market_clerk", city.market, Role.CLERK))
    headers = {"Idempotency-Key": "stranger"} if with_key else {}
    with time_machine.travel(ASKED_AT, tick=False), unchanged(case):
        response = stranger.post(
            f"/api/v1/cases/{case.pk}/transitions",
            {"action": "accept"},
            format="json",
            headers=headers,
        )
    assert (response.status_code, error(response)["code"]) == (404, "case_not_found")


def test_an_answer_in_time_deems_nothing(city: City) -> None:
    item(city)
    with time_machine.travel(BUILT_AT, tick=False):
        case = submitted_case(city)
        response = client_for(city.transport_clerk).post(
            f"/api/v1/cases/{case.pk}/transitions", {"action": "accept"}, format="json"
        )
    assert response.status_code == 200
    case.refresh_from_db()
    assert (case.state, case.deemed_accepted) == (CaseState.IN_REVIEW, False)


@pytest.mark.parametrize("body", ["{not json", "[" * 100_000, '"accept"'])
def test_a_transition_body_that_is_not_a_json_object_is_400(city: City, body: str) -> None:
    """Refused as malformed in its turn, after the 404 (another department's clerk), and
    the case unchanged."""
    item(city)
    with time_machine.travel(ASKED_AT, tick=False):
        case = submitted_case(city)
        path = f"/api/v1/cases/{case.pk}/transitions"
        with unchanged(case):
            response = client_for(city.transport_clerk).post(
                path, body, content_type="application/json"
            )
            stranger = client_for(make_staff("market_clerk", city.market, Role.CLERK))
            hidden = stranger.post(path, body, content_type="application/json")
    assert (response.status_code, error(response)["code"]) == (400, "malformed_request")
    assert (hidden.status_code, error(hidden)["code"]) == (404, "case_not_found")
