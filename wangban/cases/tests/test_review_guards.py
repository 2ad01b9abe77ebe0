"""Guards of review that a review found missing: nobody but the handler stops the clock of a
case in review without a step; a step is not handed to the applicant side (回避); a result
is not delivered online when its sealed decision failed (no seal)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from wangban.accounts.choices import Role
from wangban.accounts.models import RoleGrant
from wangban.api.tests.cases_helpers import at, client_for
from wangban.cases import review
from wangban.cases.documents import render_document, retry_document
from wangban.cases.models import Case
from wangban.cases.tests.decision_helpers import (
    decided_case,
    decision_of,
    review_world,
    transport_seal,
)
from wangban.cases.tests.helpers import fresh
from wangban.cases.tests.review_helpers import (
    Staff,
    acceptance_only_case,
    accepted_case,
    on,
    trace,
)
from wangban.conftest import City
from wangban.core.errors import Conflict
from wangban.workbench.cases.present import eligible_assignees

ACTED_AT = at(2026, 9, 28, 10, 0)


@pytest.fixture(autouse=True)
def _private_media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def staff(city: City) -> Staff:
    return review_world(city)


def post(user: Any, case: Case, body: dict[str, Any]) -> Any:
    with on(ACTED_AT):
        return client_for(user).post(f"/api/v1/cases/{case.pk}/transitions", body, format="json")


def test_the_window_clerk_may_not_stop_a_case_in_review_without_a_step(city: City) -> None:
    case, staff = acceptance_only_case(city)
    assert (case.state, case.current_step) == ("in_review", None)
    before = trace(case)
    body = {"action": "suspend", "procedure": "hearing", "reason": "听证"}
    response = post(staff.clerk, case, body)
    assert response.status_code == 403
    assert trace(case) == before
    # The handler may (API.md: suspend is for the handler or the current step's role).
    assert post(staff.handler, case, body).status_code == 200
    assert fresh(case).state == "suspended"


def test_a_step_is_not_handed_to_the_applicant_side(city: City, staff: Staff) -> None:
    case = accepted_case(city, staff)  # waits at 审核 (reviewer)
    RoleGrant.objects.create(user=city.applicant, department=city.transport, role=Role.REVIEWER)
    assert city.applicant.username not in dict(eligible_assignees(fresh(case)))
    before = trace(case)
    response = post(staff.admin, case, {"action": "reassign", "assignee": city.applicant.username})
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["assignee"] == [
        "该工作人员是本申请的申请人一方，应当回避。"
    ]
    assert trace(case) == before


def test_online_delivery_needs_the_sealed_decision(city: City, staff: Staff) -> None:
    case = decided_case(city, staff)  # the department has no seal yet
    before = trace(case)
    # Still being rendered: it may yet fail, so nothing can be pushed yet.
    assert decision_of(case).state == "pending"
    with pytest.raises(Conflict) as refused, on(at(2026, 10, 12, 10, 0)):
        review.do_complete(case, actor=staff.clerk, delivery="online")
    assert refused.value.code == "decision_not_ready"
    assert "尚未生成" in refused.value.message
    assert trace(case) == before
    # Failed (no seal): refused, saying so.
    assert render_document(decision_of(case).pk) == "failed"
    before = trace(case)
    with pytest.raises(Conflict) as refused, on(at(2026, 10, 12, 10, 0)):
        review.do_complete(case, actor=staff.clerk, delivery="online")
    assert refused.value.code == "decision_not_ready"
    assert "生成失败" in refused.value.message
    assert trace(case) == before
    # Sealed once the seal exists: then it is delivered online.
    transport_seal(city)
    retry_document(decision_of(case), actor=city.centre_admin)
    assert render_document(decision_of(case).pk) == "ready"
    with on(at(2026, 10, 12, 10, 0)):
        assert review.do_complete(case, actor=staff.clerk, delivery="online").state == ("completed")
