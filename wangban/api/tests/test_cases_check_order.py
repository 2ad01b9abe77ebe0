"""The order of the refusals (API.md: 401, 404, 403, 409, 400): whatever the body, a
caller who may not act gets 403, and a case that does not allow the action 409."""

from __future__ import annotations

import pytest

from wangban.api.tests.cases_helpers import client_for, error
from wangban.cases.tests.decision_helpers import decided_case, review_world
from wangban.cases.tests.helpers import at
from wangban.cases.tests.review_helpers import (
    Staff,
    accepted_case,
    last_step_case,
    on,
    review_item,
    review_staff,
    trace,
)
from wangban.conftest import City

LATER = at(2026, 9, 25, 10, 0)


@pytest.fixture
def staff(city: City) -> Staff:
    review_item(city)
    return review_staff(city)


def test_decide_before_the_last_step_is_409_even_with_a_bad_body(city: City, staff: Staff) -> None:
    """docs/api.md: the action's own conditions (409 not_last_step …) come before its
    input (400); API.md: 409 before 400."""
    case = accepted_case(city, staff)  # waits at 审核, not the last step
    before = trace(case)
    with on(LATER):
        response = client_for(staff.approver).post(
            f"/api/v1/cases/{case.pk}/transitions",
            {"action": "decide", "outcome": "maybe"},
            format="json",
        )
    assert trace(case) == before
    assert (response.status_code, error(response)["code"]) == (409, "not_last_step")


def test_passing_the_last_step_on_is_409_even_with_a_bad_body(city: City, staff: Staff) -> None:
    case = last_step_case(city, staff)  # waits at 审批, the last step
    before = trace(case)
    with on(LATER):
        response = client_for(staff.approver).post(
            f"/api/v1/cases/{case.pk}/transitions",
            {"action": "approve_step", "opinion": ["同意"]},
            format="json",
        )
    assert trace(case) == before
    assert (response.status_code, error(response)["code"]) == (409, "last_step_decides")


def test_returning_from_the_first_review_step_is_409_even_with_a_bad_body(
    city: City, staff: Staff
) -> None:
    case = accepted_case(city, staff)  # 审核: before it only the acceptance
    before = trace(case)
    with on(LATER):
        response = client_for(staff.reviewer).post(
            f"/api/v1/cases/{case.pk}/transitions",
            {"action": "return_step", "reason": {"text": "退回"}},
            format="json",
        )
    assert trace(case) == before
    assert (response.status_code, error(response)["code"]) == (409, "no_previous_step")


@pytest.mark.parametrize(
    "tracking_no",
    [
        "SF1234567890",  # the action's check: online delivery takes none
        "SF" * 40,  # the body's check: too long
        ["SF1234567890"],  # the body's check: not text
    ],
)
def test_online_delivery_before_the_decision_is_sealed_is_409_even_with_a_bad_tracking_no(
    city: City, tracking_no: object
) -> None:
    """The sealed decision not there yet is the case's state (409 decision_not_ready),
    which the tracking number an online delivery does not take (400) must not hide,
    whether the action or the body's check refuses it."""
    staff = review_world(city)
    case = decided_case(city, staff)  # its decision is still being rendered
    before = trace(case)
    with on(at(2026, 10, 12, 10, 0)):
        response = client_for(staff.clerk).post(
            f"/api/v1/cases/{case.pk}/transitions",
            {"action": "complete", "delivery": "online", "tracking_no": tracking_no},
            format="json",
        )
    assert trace(case) == before
    assert (response.status_code, error(response)["code"]) == (409, "decision_not_ready")


def test_terminating_before_the_answer_is_due_is_409_even_with_a_bad_body(city: City) -> None:
    from wangban.api.tests.cases_helpers import unchanged
    from wangban.cases import actions
    from wangban.cases.tests.helpers import item, submitted_case

    item(city)
    with on(at(2026, 9, 24, 10, 0)):
        case = submitted_case(city)
        actions.do_request_correction(
            case, actor=city.transport_clerk, items=[{"material_code": "M01", "reason": "缺签字"}]
        )
    with on(at(2026, 9, 25, 10, 0)), unchanged(case):
        response = client_for(city.transport_clerk).post(
            f"/api/v1/cases/{case.pk}/transitions",
            {"action": "terminate", "reason": ["逾期未补正"]},
            format="json",
        )
    assert (response.status_code, error(response)["code"]) == (409, "correction_not_overdue")


def test_a_bad_materials_body_from_staff_who_may_not_attach_is_403(
    city: City, staff: Staff
) -> None:
    """API.md: 403 before 400. The reviewer may see (and work) the case but never attach
    its applicant's files: any body they send is 403, as a well-formed one is."""
    case = accepted_case(city, staff)
    before = trace(case)
    with on(LATER):
        response = client_for(staff.reviewer).post(
            f"/api/v1/cases/{case.pk}/materials", "[1]", content_type="application/json"
        )
    assert trace(case) == before
    assert response.status_code == 403


def test_a_bad_materials_body_in_a_locked_state_is_409(city: City, staff: Staff) -> None:
    """API.md: 409 before 400. In review the materials are locked whatever is sent."""
    case = accepted_case(city, staff)
    before = trace(case)
    with on(LATER):
        response = client_for(city.applicant).post(
            f"/api/v1/cases/{case.pk}/materials", "{not json", content_type="application/json"
        )
    assert trace(case) == before
    assert (response.status_code, error(response)["code"]) == (409, "materials_locked")


def test_a_step_id_from_someone_who_may_not_act_is_403_not_409(city: City, staff: Staff) -> None:
    """API.md's order: 403 (may see it but not do this) before 409 (stale write). The
    applicant may never pass a review step on, whatever step they name."""
    case = accepted_case(city, staff)
    before = trace(case)
    with on(LATER):
        response = client_for(city.applicant).post(
            f"/api/v1/cases/{case.pk}/transitions",
            {"action": "approve_step", "opinion": "同意", "step": "999999"},
            format="json",
        )
    assert trace(case) == before
    assert response.status_code == 403
