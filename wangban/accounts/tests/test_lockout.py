"""Lockout after repeated failures (django-axes): the portal login, the workbench login and
the API token endpoint, the Chinese answer, the audit event, cool-off and admin unlock."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from wangban.accounts.lockout import lockout_message
from wangban.accounts.models import ApiToken, User
from wangban.accounts.tests.helpers import PASSWORD, STAFF_PASSWORD
from wangban.audit.models import AuditEvent
from wangban.conftest import City

pytestmark = pytest.mark.django_db

PAGES = {
    "/login/": ("zhang", PASSWORD),
    "/workbench/login/": ("transport_clerk", STAFF_PASSWORD),
}


@pytest.fixture
def accounts(city: City) -> City:
    User.objects.create_user("zhang", password=PASSWORD)
    return city


def attempt(
    client: Client, url: str, username: str, password: str, remote_addr: str = "127.0.0.1"
) -> int:
    data = {"username": username, "password": password}
    return client.post(url, data, REMOTE_ADDR=remote_addr).status_code


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("url", PAGES)
def test_the_fifth_failure_locks_and_the_sixth_try_is_refused_with_the_right_password(
    client: Client, accounts: City, url: str
) -> None:
    username, password = PAGES[url]
    assert [attempt(client, url, username, "wrong-password") for _ in range(5)] == [
        200,
        200,
        200,
        200,
        429,
    ]
    response = client.post(url, {"username": username, "password": password})
    assert response.status_code == 429
    html = response.content.decode()
    assert "<h1>账号已暂时锁定</h1>" in html
    assert "登录失败次数过多，为保护账户安全，该账号已暂时锁定，请 15 分钟后再试。" in html
    assert not signed_in(client)


@pytest.mark.parametrize("url", PAGES)
def test_after_the_cool_off_the_right_password_works(
    client: Client, accounts: City, url: str
) -> None:
    username, password = PAGES[url]
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            attempt(client, url, username, "wrong-password")
    with time_machine.travel(start + timedelta(minutes=14, seconds=59), tick=False):
        assert attempt(client, url, username, password) == 429
    with time_machine.travel(start + timedelta(minutes=15, seconds=1), tick=False):
        assert attempt(client, url, username, password) == 302
    assert signed_in(client)


@pytest.mark.parametrize("url", PAGES)
def test_an_admin_unlocks_with_axes_reset(client: Client, accounts: City, url: str) -> None:
    username, password = PAGES[url]
    for _ in range(5):
        attempt(client, url, username, "wrong-password")
    assert attempt(client, url, username, password) == 429
    call_command("axes_reset", verbosity=0)
    assert attempt(client, url, username, password) == 302


def test_unlock_of_one_user_name_with_axes_reset_username(client: Client, accounts: City) -> None:
    for _ in range(5):
        attempt(client, "/login/", "zhang", "wrong-password")
    call_command("axes_reset_username", "zhang", verbosity=0)
    assert attempt(client, "/login/", "zhang", PASSWORD) == 302


def test_the_lockout_is_audited_once(client: Client, accounts: City) -> None:
    for _ in range(7):
        attempt(client, "/login/", "zhang", "wrong-password")
    events = AuditEvent.objects.filter(action="auth.lockout")
    assert events.count() == 1
    event = events.get()
    assert event.actor_username == "zhang"
    assert event.object_id == str(User.objects.get(username="zhang").pk)
    assert event.outcome == "denied"
    assert event.ip == "127.0.0.1"
    assert event.channel == "web"


def test_a_success_resets_the_count(client: Client, accounts: City) -> None:
    for _ in range(4):
        attempt(client, "/login/", "zhang", "wrong-password")
    assert attempt(client, "/login/", "zhang", PASSWORD) == 302
    client.post("/logout/")
    assert [attempt(client, "/login/", "zhang", "wrong-password") for _ in range(4)] == [200] * 4


def test_the_lock_is_for_that_user_name_from_that_address_only(
    client: Client, accounts: City
) -> None:
    """Not by address alone (one NAT address for a whole office), not by user name alone
    (anyone could lock any citizen out)."""
    for _ in range(5):
        attempt(client, "/login/", "zhang", "wrong-password")
    assert attempt(Client(), "/login/", "zhang", PASSWORD, "10.1.2.3") == 302
    assert attempt(Client(), "/workbench/login/", "transport_clerk", STAFF_PASSWORD) == 302
    assert attempt(Client(), "/login/", "zhang", PASSWORD) == 429


def test_the_lockout_page_offers_the_password_reset(client: Client, accounts: City) -> None:
    for _ in range(5):
        response = client.post("/login/", {"username": "zhang", "password": "x"})
    assert (
        '<a href="/account/password/reset/">用手机验证码重置密码</a>' in response.content.decode()
    )
    for _ in range(5):
        response = client.post(
            "/workbench/login/", {"username": "transport_clerk", "password": "x"}
        )
    assert (
        '<a href="/workbench/password/reset/">用手机验证码重置密码</a>' in response.content.decode()
    )


def token(api: APIClient, password: str) -> tuple[int, dict]:
    response = api.post(
        "/api/v1/auth/token", {"username": "zhang", "password": password}, format="json"
    )
    return response.status_code, response.json()


def test_the_api_token_endpoint_locks_out_too(accounts: City) -> None:
    api = APIClient()
    assert [token(api, "wrong-password")[0] for _ in range(4)] == [401] * 4
    status, body = token(api, "wrong-password")
    assert status == 429
    assert body == {"error": {"code": "locked_out", "message": lockout_message(), "fields": {}}}
    assert token(api, PASSWORD) == (429, body)
    assert ApiToken.objects.count() == 0
    assert AuditEvent.objects.filter(action="auth.lockout", channel="api").count() == 1
    with time_machine.travel(timezone.now() + timedelta(minutes=15, seconds=1)):
        assert token(api, PASSWORD)[0] == 201


def test_failures_on_the_api_and_the_pages_add_up(client: Client, accounts: City) -> None:
    api = APIClient()
    for _ in range(3):
        token(api, "wrong-password")
    assert attempt(client, "/login/", "zhang", "wrong-password") == 200
    assert attempt(client, "/login/", "zhang", "wrong-password") == 429
    assert token(api, PASSWORD)[0] == 429
