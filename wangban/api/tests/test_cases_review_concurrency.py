"""Two staff acting on one case through the API at the same moment (issue 8): one gets 200,
the other 409, and nothing is left half-done — on SQLite and PostgreSQL alike, the row lock
queues them and the `step` each saw tells the second that the case moved on."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest

from wangban.accounts.choices import Role
from wangban.accounts.models import RoleGrant
from wangban.api.tests.cases_helpers import client_for
from wangban.cases.models import Case, CaseEvent, CaseStep
from wangban.cases.tests.helpers import fresh
from wangban.cases.tests.review_helpers import Staff, accepted_case, review_item, review_staff
from wangban.cases.tests.test_review_concurrency import run_together
from wangban.conftest import City, make_staff

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def staff(city: City) -> Staff:
    review_item(city)
    return review_staff(city)


def answer(client: Any, case: Case, body: dict[str, Any]) -> tuple[int, str]:
    response = client.post(f"/api/v1/cases/{case.pk}/transitions", body, format="json")
    code = "ok" if response.status_code == 200 else response.json()["error"]["code"]
    return response.status_code, code


def test_two_reviewers_passing_the_same_step_on_at_once(city: City, staff: Staff) -> None:
    # Holds both review roles: were the step not checked, the loser would pass 复核 on too.
    both = make_staff("both_reviews", city.transport, Role.REVIEWER)
    RoleGrant.objects.create(user=both, department=city.transport, role=Role.SECOND_REVIEWER)
    case = accepted_case(city, staff)
    body = {"action": "approve_step", "opinion": "同意", "step": str(case.current_step_id)}
    clients = [client_for(staff.reviewer), client_for(both)]
    results = run_together([partial(answer, client, case, body) for client in clients])
    assert sorted(results) == [(200, "ok"), (409, "stale")]
    case = fresh(case)
    assert case.current_step is not None
    assert case.current_step.name == "复核"
    assert list(CaseEvent.objects.filter(case=case, action="approve_step").values_list("note")) == [
        ("同意",)
    ]
    assert list(CaseStep.objects.filter(case=case).values_list("name", "outcome")) == [
        ("受理", "accept"),
        ("审核", "approve"),
        ("复核", ""),
    ]


def test_a_suspension_and_an_approval_at_once(city: City, staff: Staff) -> None:
    """Whichever comes second finds the case moved on: suspended (409 invalid_transition)
    or at another step (409 stale)."""
    case = accepted_case(city, staff)
    seen = str(case.current_step_id)
    results = run_together(
        [
            partial(
                answer,
                client_for(staff.handler),
                case,
                {"action": "suspend", "procedure": "hearing", "reason": "听证", "step": seen},
            ),
            partial(
                answer,
                client_for(staff.reviewer),
                case,
                {"action": "approve_step", "opinion": "同意", "step": seen},
            ),
        ]
    )
    assert sorted(status for status, _ in results) == [200, 409]
    case = fresh(case)
    events = list(CaseEvent.objects.filter(case=case).order_by("id").values_list("action"))
    assert events[-1] in {("suspend",), ("approve_step",)}
    assert ("suspend",) not in events or ("approve_step",) not in events
    if case.state == "suspended":
        assert (case.clock_running, case.current_step.name) == (False, "审核")  # type: ignore[union-attr]
    else:
        assert (case.state, case.current_step.name) == ("in_review", "复核")  # type: ignore[union-attr]
