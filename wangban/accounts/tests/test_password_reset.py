"""Password reset by an SMS code: 6 digits, 10 minutes, 5 attempts, stored hashed, sent by
the SMS gateway plugin; the pages never tell whether an account exists."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone

from wangban.accounts import sms
from wangban.accounts.actions import PASSWORD_RESET_SESSION_KEY
from wangban.accounts.models import User
from wangban.accounts.tests.helpers import PASSWORD, STAFF_PASSWORD, phone_for, register
from wangban.audit.models import AuditEvent
from wangban.conftest import City

pytestmark = pytest.mark.django_db

NEW = "a-brand-new-passphrase"
SENT = "如果用户名和手机号码与我们的记录一致，验证码短信已发送到该手机，10 分钟内有效。"


@pytest.fixture
def zhang(db: None) -> User:
    return register("zhang", 1)


def request_code(client: Client, username: str = "zhang", phone: str = phone_for(1)):
    return client.post("/account/password/reset/", {"username": username, "phone": phone})


def sent_code() -> str:
    match = re.search(r"验证码 (\d{6})", sms.OUTBOX[-1].text)
    assert match is not None
    return match.group(1)


def enter(client: Client, code: str, password: str = NEW):
    return client.post(
        "/account/password/reset/code/",
        {"code": code, "new_password1": password, "new_password2": password},
    )


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_request_page_names_the_development_gateway(client: Client) -> None:
    html = client.get("/account/password/reset/").content.decode()
    assert "开发环境：本地开发短信网关（短信未真正发出，内容写入服务器日志）" in html
    assert 'autocomplete="username"' in html
    assert 'type="tel"' in html


def test_reset_with_the_code_from_the_sms(client: Client, zhang: User) -> None:
    response = request_code(client)
    assert response.status_code == 302
    assert response["Location"] == "/account/password/reset/code/"
    assert messages_of(response) == [SENT]
    assert len(sms.OUTBOX) == 1
    assert sms.OUTBOX[0].phone == phone_for(1)
    code = sent_code()
    state = client.session[PASSWORD_RESET_SESSION_KEY]
    assert code not in str(state)  # stored hashed

    page = client.get("/account/password/reset/code/")
    assert 'autocomplete="one-time-code"' in page.content.decode()
    assert 'inputmode="numeric"' in page.content.decode()

    response = enter(client, code)
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert messages_of(response) == ["密码已重置，请用新密码登录。"]
    assert PASSWORD_RESET_SESSION_KEY not in client.session
    assert User.objects.get(pk=zhang.pk).check_password(NEW)
    assert AuditEvent.objects.filter(action="auth.password_reset", actor_username="zhang").exists()
    login = Client().post("/login/", {"username": "zhang", "password": NEW})
    assert login.status_code == 302


def test_a_wrong_code_counts_down(client: Client, zhang: User) -> None:
    request_code(client)
    response = enter(client, "000000" if sent_code() != "000000" else "111111")
    assert response.status_code == 200
    html = response.content.decode()
    assert "验证码不正确，还可以再试 4 次。" in html
    assert 'class="error-summary"' in html
    assert User.objects.get(pk=zhang.pk).check_password(PASSWORD)


def test_five_wrong_codes_void_the_code(client: Client, zhang: User) -> None:
    request_code(client)
    code = sent_code()
    wrong = "000000" if code != "000000" else "111111"
    for remaining in [4, 3, 2, 1]:
        html = enter(client, wrong).content.decode()
        assert f"验证码不正确，还可以再试 {remaining} 次。" in html
    response = enter(client, wrong)
    assert response.status_code == 302
    assert response["Location"] == "/account/password/reset/"
    assert messages_of(response) == ["验证码错误次数过多，请重新获取。"]
    # The right code no longer helps: the code is void.
    assert enter(client, code)["Location"] == "/account/password/reset/"
    assert User.objects.get(pk=zhang.pk).check_password(PASSWORD)


def test_an_expired_code_is_refused(client: Client, zhang: User) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        request_code(client)
    code = sent_code()
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        response = enter(client, code)
    assert response["Location"] == "/account/password/reset/"
    assert messages_of(response) == [SENT, "验证码已过期，请重新获取。"]
    assert User.objects.get(pk=zhang.pk).check_password(PASSWORD)


def test_a_code_within_ten_minutes_works(client: Client, zhang: User) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        request_code(client)
    with time_machine.travel(start + timedelta(minutes=9, seconds=59), tick=False):
        assert enter(client, sent_code())["Location"] == "/login/"


def test_a_weak_new_password_keeps_the_code(client: Client, zhang: User) -> None:
    request_code(client)
    code = sent_code()
    html = enter(client, code, "short").content.decode()
    assert "密码太短，至少需要 12 个字符。" in html
    assert enter(client, code)["Location"] == "/login/"


@pytest.mark.parametrize(
    ("username", "phone"),
    [("nobody", phone_for(1)), ("zhang", phone_for(2))],
    ids=["no such account", "not the account's mobile"],
)
def test_the_answer_never_tells_whether_the_account_exists(
    client: Client, zhang: User, username: str, phone: str
) -> None:
    real = request_code(Client())
    response = request_code(client, username, phone)
    assert (response.status_code, response["Location"]) == (real.status_code, real["Location"])
    assert messages_of(response) == [SENT]
    assert len(sms.OUTBOX) == 1  # only the real request sent a message
    page = client.get("/account/password/reset/code/")
    assert page.status_code == 200
    assert "验证码不正确，还可以再试 4 次。" in enter(client, "123456").content.decode()


def test_codes_are_rate_limited_per_user_name(client: Client, zhang: User) -> None:
    for _ in range(5):
        assert request_code(client).status_code == 302
    response = request_code(client)
    assert response.status_code == 200
    assert "获取验证码过于频繁，请一小时后再试。" in response.content.decode()
    assert len(sms.OUTBOX) == 5
    # the same answer for a user name that does not exist
    for _ in range(5):
        request_code(client, "nobody")
    assert "获取验证码过于频繁" in request_code(client, "nobody").content.decode()


def test_the_code_page_without_a_request_goes_back(client: Client) -> None:
    assert client.get("/account/password/reset/code/")["Location"] == "/account/password/reset/"


def test_a_reset_lifts_a_lockout(client: Client, zhang: User) -> None:
    for _ in range(5):
        client.post("/login/", {"username": "zhang", "password": "wrong"})
    assert client.post("/login/", {"username": "zhang", "password": PASSWORD}).status_code == 429
    request_code(client)
    enter(client, sent_code())
    assert client.post("/login/", {"username": "zhang", "password": NEW}).status_code == 302


def test_staff_reset_in_the_workbench(client: Client, city: City) -> None:
    User.objects.filter(pk=city.transport_clerk.pk).update(phone="13900000001")
    response = client.post(
        "/workbench/password/reset/", {"username": "transport_clerk", "phone": "13900000001"}
    )
    assert response["Location"] == "/workbench/password/reset/code/"
    page = client.get(response["Location"])
    assert "网办工作台" in page.content.decode()
    response = client.post(
        "/workbench/password/reset/code/",
        {"code": sent_code(), "new_password1": NEW, "new_password2": NEW},
    )
    assert response["Location"] == "/workbench/login/"
    assert not User.objects.get(pk=city.transport_clerk.pk).check_password(STAFF_PASSWORD)
