from __future__ import annotations

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
