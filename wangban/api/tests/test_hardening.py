"""Fixes from the security review: staff need their second factor for the API, token issue
is audited, and refusals and over-long paths are never stored for Idempotency-Key replay."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from wangban.accounts.models import ApiToken, User
from wangban.accounts.tests.helpers import STAFF_PASSWORD, force_login_verified, totp_device
from wangban.api.models import IdempotencyRecord
from wangban.api.tests.conftest import PASSWORD
from wangban.audit.models import AuditEvent
from wangban.conftest import City

pytestmark = pytest.mark.django_db

SECOND_FACTOR_MESSAGE = "工作人员请在工作台登录并完成动态口令验证；接口令牌暂不支持动态口令。"
SECOND_FACTOR_ERROR = {
    "error": {"code": "second_factor_required", "message": SECOND_FACTOR_MESSAGE, "fields": {}}
}


def ask_token(api: APIClient, username: str, password: str = STAFF_PASSWORD):
    return api.post(
        "/api/v1/auth/token", {"username": username, "password": password}, format="json"
    )


def test_staff_with_a_totp_device_get_no_token_on_a_password_alone(
    api: APIClient, city: City
) -> None:
    totp_device(city.transport_clerk)
    response = ask_token(api, "transport_clerk")
    assert response.status_code == 403
    assert response.json() == SECOND_FACTOR_ERROR
    assert ApiToken.objects.count() == 0


def test_centre_admins_who_must_enrol_get_no_token(api: APIClient, city: City, settings) -> None:
    settings.DEMO = False
    response = ask_token(api, "centre_admin")
    assert response.status_code == 403
    assert response.json() == SECOND_FACTOR_ERROR
    assert ApiToken.objects.count() == 0


def test_an_issued_token_is_audited_as_an_api_login(api: APIClient, user: User) -> None:
    response = ask_token(api, "zhangsan", PASSWORD)
    assert response.status_code == 201
    event = AuditEvent.objects.get(action="auth.login")
    assert (event.actor_id, event.channel, event.ip) == (user.pk, "api", "127.0.0.1")


@pytest.mark.urls("wangban.api.tests.idempotency_urls")
def test_a_session_api_call_without_the_second_factor_is_refused(city: City) -> None:
    totp_device(city.transport_clerk)
    api = APIClient()
    api.force_login(city.transport_clerk)
    response = api.post("/api/v1/test-users", {"username": "x"}, format="json")
    assert response.status_code == 403
    assert response.json() == SECOND_FACTOR_ERROR
    assert not User.objects.filter(username="x").exists()


@pytest.mark.urls("wangban.api.tests.idempotency_urls")
def test_a_session_api_call_after_the_second_factor_runs(city: City) -> None:
    api = APIClient()
    force_login_verified(api, city.transport_clerk)
    response = api.post("/api/v1/test-users", {"username": "x"}, format="json")
    assert response.status_code == 201


@pytest.mark.urls("wangban.api.tests.idempotency_urls")
@pytest.mark.parametrize("status", [401, 403, 429])
def test_refusals_are_not_stored_for_replay(api: APIClient, user: User, status: int) -> None:
    api.force_login(user)
    path = f"/api/v1/test-refuse?status={status}"
    for _ in range(2):
        response = api.post(path, {"username": "lisi"}, format="json", HTTP_IDEMPOTENCY_KEY="k")
        assert response.status_code == status
        assert "Idempotent-Replayed" not in response
    assert IdempotencyRecord.objects.count() == 0
    assert not User.objects.filter(username="lisi").exists()


@pytest.mark.urls("wangban.api.tests.idempotency_urls")
def test_other_client_errors_are_still_stored(api: APIClient, user: User) -> None:
    api.force_login(user)
    path = "/api/v1/test-refuse?status=409"
    api.post(path, {"username": "lisi"}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    again = api.post(path, {"username": "lisi"}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert again.status_code == 409
    assert again["Idempotent-Replayed"] == "true"
    assert User.objects.filter(username="lisi").count() == 1


@pytest.mark.urls("wangban.api.tests.idempotency_urls")
def test_a_path_too_long_to_store_is_400_not_a_database_error(api: APIClient, user: User) -> None:
    api.force_login(user)
    path = "/api/v1/test-long/" + "a" * 483  # 501 characters
    assert len(path) == 501
    response = api.post(path, {"username": "lisi"}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "validation_failed",
            "message": "请求路径过长，不能使用 Idempotency-Key。",
            "fields": {"Idempotency-Key": ["请求路径最长 500 个字符。"]},
        }
    }
    assert not User.objects.filter(username="lisi").exists()
    ok = api.post(path[:-1], {"username": "lisi"}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert ok.status_code == 201
    assert IdempotencyRecord.objects.get().path == path[:-1]
