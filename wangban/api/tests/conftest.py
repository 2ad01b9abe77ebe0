from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from wangban.accounts.models import User

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db: None) -> User:
    return User.objects.create_user("zhangsan", password=PASSWORD)


@pytest.fixture
def token(api: APIClient, user: User) -> str:
    response = api.post(
        "/api/v1/auth/token", {"username": "zhangsan", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 201
    return response.json()["token"]


@pytest.fixture(autouse=True)
def bodies_match_the_database(monkeypatch: pytest.MonkeyPatch) -> None:
    """The API builds a case's body from the case in hand (`representation.represent`: the
    one it read, or the one the action locked and changed) rather than reading it again.
    In every API test, each such body is compared with the case read afresh, so that an
    action leaving the case in hand different from what it saved fails the test."""
    from wangban.api import cases as api_cases
    from wangban.cases.models import Case
    from wangban.cases.representation import case_to_api, for_representation, represent

    def checked(case: Case, **kwargs: Any) -> dict[str, Any]:
        body = represent(case, **kwargs)
        fresh = for_representation(Case.objects.filter(pk=case.pk)).get()
        assert body == case_to_api(fresh, **kwargs)
        return body

    monkeypatch.setattr(api_cases, "represent", checked)
