from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from wangban.accounts.models import ApiToken, User, hash_token
from wangban.api.tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def whoami(api: APIClient, token: str) -> int:
    """Status of an authenticated request (revoking needs a valid token, else 401)."""
    return api.delete("/api/v1/auth/token", HTTP_AUTHORIZATION=f"Bearer {token}").status_code


def test_token_is_issued_and_stored_only_as_its_hash(api: APIClient, user: User) -> None:
    response = api.post(
        "/api/v1/auth/token", {"username": "zhangsan", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    raw = body["token"]
    stored = ApiToken.objects.get(user=user)
    assert stored.key_hash == hash_token(raw)
    assert raw not in {stored.key_hash, stored.prefix}
    assert stored.prefix == raw[:8]
    assert body["expires_at"].endswith("+08:00")
    expected = timezone.now() + timedelta(hours=12)
    assert abs((stored.expires_at - expected).total_seconds()) < 5


def test_wrong_password_is_401_with_the_envelope(api: APIClient, user: User) -> None:
    response = api.post(
        "/api/v1/auth/token", {"username": "zhangsan", "password": "wrong"}, format="json"
    )
    assert response.status_code == 401
    assert response.json() == {
        "error": {"code": "authentication_failed", "message": "用户名或密码错误。", "fields": {}}
    }
    assert ApiToken.objects.count() == 0


def test_inactive_user_gets_no_token(api: APIClient, user: User) -> None:
    user.is_active = False
    user.save()
    response = api.post(
        "/api/v1/auth/token", {"username": "zhangsan", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 401
    assert ApiToken.objects.count() == 0


def test_missing_fields_are_400_with_field_messages(api: APIClient) -> None:
    response = api.post("/api/v1/auth/token", {"username": "zhangsan"}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    assert error["fields"] == {"password": ["该字段是必填项。"]}


def test_a_valid_token_authenticates_and_delete_revokes_it(api: APIClient, token: str) -> None:
    assert whoami(api, token) == 204
    stored = ApiToken.objects.get()
    assert stored.revoked_at is not None
    response = api.delete("/api/v1/auth/token", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_an_expired_token_is_refused(api: APIClient, token: str) -> None:
    with time_machine.travel(timezone.now() + timedelta(hours=12, seconds=1)):
        assert whoami(api, token) == 401
    assert ApiToken.objects.get().revoked_at is None


def test_a_token_revoked_in_the_admin_is_refused(api: APIClient, token: str) -> None:
    ApiToken.objects.get().revoke()
    assert whoami(api, token) == 401


def test_an_unknown_or_malformed_token_is_refused(api: APIClient, user: User) -> None:
    assert whoami(api, "not-a-token") == 401
    response = api.delete("/api/v1/auth/token", HTTP_AUTHORIZATION="Bearer")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "访问令牌格式错误。"


def test_token_of_a_deactivated_user_stops_working(api: APIClient, user: User, token: str) -> None:
    user.is_active = False
    user.save()
    assert whoami(api, token) == 401


def test_token_requests_are_rate_limited(api: APIClient, user: User) -> None:
    # A different user name each time: the throttle, not the lockout, must answer.
    statuses = [
        api.post(
            "/api/v1/auth/token", {"username": f"user{n}", "password": "x"}, format="json"
        ).status_code
        for n in range(11)
    ]
    assert statuses == [401] * 10 + [429]
    response = api.post("/api/v1/auth/token", {"username": "zhangsan", "password": "x"})
    assert response.json()["error"]["code"] == "rate_limited"
    assert int(response["Retry-After"]) > 0


def test_a_made_up_forwarded_for_header_does_not_escape_the_rate_limit(
    api: APIClient, user: User
) -> None:
    statuses = [
        api.post(
            "/api/v1/auth/token",
            {"username": f"user{n}", "password": "x"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        ).status_code
        for n in range(11)
    ]
    assert statuses == [401] * 10 + [429]


def test_a_body_nested_too_deeply_is_refused_not_a_server_error(api: APIClient) -> None:
    response = api.post("/api/v1/auth/token", "[" * 100_000, content_type="application/json")
    assert response.status_code == 400
    assert "error" in response.json()
