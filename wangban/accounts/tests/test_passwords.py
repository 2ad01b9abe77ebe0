"""Password policies: ASVS (length, common list, no composition rules, no rotation) and 等保
(complexity and rotation), the date a password was set, and the forced change."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.password_validation import get_password_validators, validate_password
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.test import Client
from django.utils import timezone

from wangban.accounts import actions
from wangban.accounts.models import User
from wangban.accounts.passwords import password_expires_at, password_validators
from wangban.accounts.tests.helpers import PASSWORD, STAFF_PASSWORD, register
from wangban.conftest import City
from wangban.core.errors import InvalidInput

ASVS = get_password_validators(password_validators("asvs"))
DENGBAO = get_password_validators(password_validators("dengbao", max_age_days=90))


@pytest.fixture
def dengbao(settings) -> None:
    settings.AUTH_PASSWORD_VALIDATORS = password_validators("dengbao", max_age_days=90)


DENGBAO_PASSWORD = "Tianqi2026x"


def problems(password: str, validators: list, user: User | None = None) -> list[str]:
    try:
        validate_password(password, user, password_validators=validators)
    except ValidationError as error:
        return list(error.messages)
    return []


@pytest.mark.parametrize(
    "password",
    [
        "correct-horse-battery-staple",  # a passphrase
        "839201746558213",  # digits only: ASVS has no composition rules
        "我的密码是长城长城长城长城",  # any Unicode counts
        "x" * 7 + "y" * 121,  # 128 characters
    ],
)
def test_asvs_accepts(password: str) -> None:
    assert problems(password, ASVS) == []


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("Sh0rt-pass!", ["密码太短，至少需要 12 个字符。"]),
        ("x" * 129, ["密码太长，最多 128 个字符。"]),
        ("password1234", ["这个密码太常见，容易被猜中，请换一个。"]),
        ("1qaz2wsx3edc", ["这个密码太常见，容易被猜中，请换一个。"]),
    ],
)
def test_asvs_refuses(password: str, expected: list[str]) -> None:
    assert problems(password, ASVS) == expected


@pytest.mark.django_db
def test_both_policies_refuse_a_password_like_the_user(db: None) -> None:
    user = User(username="zhangsan-beijing", real_name="张三", phone="13800138000")
    message = ["密码与您的用户名太相似，请换一个。"]
    assert problems("zhangsan-beijing1", ASVS, user) == message
    assert problems("Zhangsan-Beijing1", DENGBAO, user) == message
    assert problems("13800138000a", ASVS, user) == ["密码与您的手机号码太相似，请换一个。"]


@pytest.mark.parametrize("password", ["Wb#k29Lm", "Tianqi2026x", "tianqi-2026-x", "TIANQI_xyz"])
def test_dengbao_accepts(password: str) -> None:
    assert problems(password, DENGBAO) == []


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("Wb#k29L", ["密码太短，至少需要 8 个字符。"]),
        ("abcdefgh2026", ["密码须包含大写字母、小写字母、数字、特殊字符中的至少 3 种。"]),
        (
            "correct-horse-battery-staple",
            ["密码须包含大写字母、小写字母、数字、特殊字符中的至少 3 种。"],
        ),
        ("Password1", ["这个密码太常见，容易被猜中，请换一个。"]),
        (
            "kq",
            [
                "密码太短，至少需要 8 个字符。",
                "密码须包含大写字母、小写字母、数字、特殊字符中的至少 3 种。",
            ],
        ),
    ],
)
def test_dengbao_refuses(password: str, expected: list[str]) -> None:
    assert problems(password, DENGBAO) == expected


def test_an_unknown_policy_is_refused_at_start() -> None:
    with pytest.raises(ImproperlyConfigured, match="WANGBAN_PASSWORD_POLICY must be one of"):
        password_validators("strong")


@pytest.mark.django_db
def test_the_date_a_password_was_set_is_recorded(db: None) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        user = register("zhang", 1)
    assert User.objects.get(pk=user.pk).password_changed_at == start
    with time_machine.travel(start + timedelta(days=3), tick=False):
        actions.do_change_password(
            user, old_password=PASSWORD, new_password="another-long-passphrase"
        )
    assert User.objects.get(pk=user.pk).password_changed_at == start + timedelta(days=3)


@pytest.mark.usefixtures("dengbao")
def test_the_password_of_a_user_created_without_the_date_expires_from_the_account(
    db: None,
) -> None:
    user = User.objects.create_user("zhang", password=DENGBAO_PASSWORD)  # no date stamped
    assert user.password_changed_at is None
    assert password_expires_at(user) == user.date_joined + timedelta(days=90)


@pytest.mark.django_db
def test_the_new_password_must_differ_from_the_current_one(db: None) -> None:
    user = User.objects.create_user("zhang", password=PASSWORD)
    with pytest.raises(InvalidInput) as error:
        actions.do_change_password(user, old_password=PASSWORD, new_password=PASSWORD)
    assert error.value.fields == {"password": ["新密码不能与当前密码相同。"]}


@pytest.mark.django_db
def test_a_wrong_current_password_is_refused(db: None) -> None:
    user = User.objects.create_user("zhang", password=PASSWORD)
    with pytest.raises(InvalidInput) as error:
        actions.do_change_password(user, old_password="wrong", new_password="another-long-one!")
    assert error.value.fields == {"old_password": ["当前密码不正确。"]}
    assert User.objects.get(pk=user.pk).check_password(PASSWORD)


@pytest.mark.django_db
@pytest.mark.usefixtures("dengbao")
def test_dengbao_forces_the_change_of_a_password_older_than_90_days(client: Client) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        user = User.objects.create_user("zhang", password=DENGBAO_PASSWORD)
    with time_machine.travel(start + timedelta(days=89, hours=23), tick=False):
        client.force_login(user)
        assert client.get("/account/").status_code == 200
    client = Client()  # a new sign-in (the first session has been idle too long)
    with time_machine.travel(start + timedelta(days=90), tick=False):
        client.force_login(user)
        response = client.get("/account/")
        assert response.status_code == 302
        assert response["Location"] == "/account/password/"
        page = client.get("/account/password/")
        assert page.status_code == 200
        assert "您的密码已超过规定的使用期限，请先修改密码。" in page.content.decode()
        assert client.get("/").status_code == 302  # every page, not only the account
        response = client.post(
            "/account/password/",
            {
                "old_password": DENGBAO_PASSWORD,
                "new_password1": "Haitang#2027",
                "new_password2": "Haitang#2027",
            },
        )
        assert response.status_code == 302
        assert client.get("/account/").status_code == 200  # the session was kept


@pytest.mark.usefixtures("dengbao")
def test_dengbao_sends_staff_to_the_workbench_password_page(client: Client, city: City) -> None:
    User.objects.filter(pk=city.transport_clerk.pk).update(
        password_changed_at=timezone.now() - timedelta(days=91)
    )
    client.post("/workbench/login/", {"username": "transport_clerk", "password": STAFF_PASSWORD})
    response = client.get("/workbench/")
    assert response.status_code == 302
    assert response["Location"] == "/workbench/password/"
    assert client.get("/workbench/password/").status_code == 200


@pytest.mark.usefixtures("dengbao")
def test_a_password_set_before_the_date_was_recorded_counts_from_the_account(
    client: Client, db: None
) -> None:
    user = User.objects.create_user("zhang", password=DENGBAO_PASSWORD)
    User.objects.filter(pk=user.pk).update(
        password_changed_at=None, date_joined=timezone.now() - timedelta(days=100)
    )
    client.force_login(user)
    assert client.get("/account/")["Location"] == "/account/password/"


@pytest.mark.django_db
def test_asvs_never_forces_a_change(client: Client) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        user = User.objects.create_user("zhang", password=PASSWORD)
    with time_machine.travel(start + timedelta(days=3650), tick=False):
        client.force_login(user)
        assert client.get("/account/").status_code == 200
