"""TOTP for staff: the two-step workbench login, the second factor on every workbench page,
enrolment, and the centre admins' obligation to enrol outside demo mode."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from wangban.accounts.models import User
from wangban.accounts.tests.helpers import (
    STAFF_PASSWORD,
    force_login_verified,
    totp_code,
    totp_device,
)
from wangban.audit.models import AuditEvent
from wangban.conftest import City

pytestmark = pytest.mark.django_db


def password_step(client: Client, username: str, next_url: str = "") -> str:
    data = {"username": username, "password": STAFF_PASSWORD, "next": next_url}
    response = client.post("/workbench/login/", data)
    assert response.status_code == 302
    return response["Location"]


def signed_in_as(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def test_without_a_device_the_password_is_enough(client: Client, city: City) -> None:
    assert password_step(client, "transport_clerk") == "/workbench/"
    assert client.get("/workbench/").status_code == 200


def test_with_a_device_login_takes_two_steps(client: Client, city: City) -> None:
    device = totp_device(city.transport_clerk)
    assert password_step(client, "transport_clerk", "/workbench/staff/") == "/workbench/login/otp/"
    assert signed_in_as(client) is None  # not signed in between the two steps
    assert client.get("/workbench/")["Location"] == "/workbench/login/?next=/workbench/"

    page = client.get("/workbench/login/otp/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "第 2 步，共 2 步" in html
    assert 'autocomplete="one-time-code"' in html
    assert 'inputmode="numeric"' in html

    wrong = client.post("/workbench/login/otp/", {"token": "000000"})
    assert wrong.status_code == 200
    assert "验证码不正确或已过期，请输入身份验证器中当前显示的 6 位数字。" in wrong.content.decode()
    assert signed_in_as(client) is None
    assert AuditEvent.objects.filter(action="auth.otp_failed").count() == 1

    with time_machine.travel(timezone.now() + timedelta(seconds=2)):  # django-otp's back-off
        response = client.post("/workbench/login/otp/", {"token": totp_code(device)})
        assert response.status_code == 302
        assert response["Location"] == "/workbench/staff/"
        assert signed_in_as(client) == str(city.transport_clerk.pk)
        assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
        assert client.get("/workbench/").status_code == 200
    assert AuditEvent.objects.filter(action="auth.login", actor_username="transport_clerk").exists()


def test_a_code_is_good_once(client: Client, city: City) -> None:
    device = totp_device(city.transport_clerk)
    password_step(client, "transport_clerk")
    code = totp_code(device)
    assert client.post("/workbench/login/otp/", {"token": code}).status_code == 302
    other = Client()
    password_step(other, "transport_clerk")
    assert other.post("/workbench/login/otp/", {"token": code}).status_code == 200


def test_the_code_step_expires_after_five_minutes(client: Client, city: City) -> None:
    device = totp_device(city.transport_clerk)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        password_step(client, "transport_clerk")
    with time_machine.travel(start + timedelta(minutes=5, seconds=1), tick=False):
        response = client.post("/workbench/login/otp/", {"token": totp_code(device)})
    assert response.status_code == 302
    assert response["Location"] == "/workbench/login/"
    assert signed_in_as(client) is None


def test_the_code_step_without_the_password_step_goes_back_to_login(client: Client) -> None:
    assert client.get("/workbench/login/otp/")["Location"] == "/workbench/login/"


def test_a_password_only_session_must_give_the_code_for_the_workbench(
    client: Client, city: City
) -> None:
    """E.g. signed in through the portal or the admin login: no workbench page until the
    code is given."""
    device = totp_device(city.transport_clerk)
    client.force_login(city.transport_clerk)
    for url in ["/workbench/", "/workbench/staff/", "/workbench/password/", "/workbench/otp/"]:
        response = client.get(url)
        assert response.status_code == 302, url
    assert client.get("/workbench/")["Location"] == "/workbench/login/otp/?next=%2Fworkbench%2F"
    response = client.post(
        "/workbench/login/otp/?next=/workbench/password/", {"token": totp_code(device)}
    )
    assert response["Location"] == "/workbench/password/"
    assert client.get("/workbench/").status_code == 200


def test_the_admin_site_needs_the_code_too(client: Client, db: None) -> None:
    admin = User.objects.create_superuser("root", password=STAFF_PASSWORD)
    totp_device(admin)
    response = client.post("/admin/login/", {"username": "root", "password": STAFF_PASSWORD})
    assert response.status_code == 302
    response = client.get("/admin/")
    assert response["Location"] == "/workbench/login/otp/?next=%2Fadmin%2F"
    force_login_verified(client, admin)
    assert client.get("/admin/").status_code == 200


def test_centre_admins_must_enrol_outside_demo_mode(client: Client, city: City, settings) -> None:
    settings.DEMO = False
    password_step(client, "centre_admin")
    response = client.get("/workbench/")
    assert response["Location"] == "/workbench/otp/?next=%2Fworkbench%2F"
    assert (
        client.get("/workbench/staff/")["Location"]
        == "/workbench/otp/?next=%2Fworkbench%2Fstaff%2F"
    )

    page = client.get("/workbench/otp/?next=/workbench/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "中心管理员账号须绑定身份验证器后才能使用工作台。" in html
    assert '<img class="qr" src="data:image/png;base64,' in html
    device = TOTPDevice.objects.get(user=city.centre_admin)
    assert device.confirmed is False
    assert device.config_url in html.replace("&amp;", "&")
    assert "otpauth://totp/%E7%BD%91%E5%8A%9E%3Acentre_admin?secret=" in device.config_url

    wrong = client.post("/workbench/otp/", {"token": "123456", "next": "/workbench/"})
    assert wrong.status_code == 200
    assert "验证码不正确，请输入身份验证器中当前显示的 6 位数字。" in wrong.content.decode()
    # A failure does not make a new key: the app already holds this one.
    assert TOTPDevice.objects.get(user=city.centre_admin).pk == device.pk

    with time_machine.travel(timezone.now() + timedelta(seconds=2)):  # django-otp's back-off
        response = client.post(
            "/workbench/otp/", {"token": totp_code(device), "next": "/workbench/"}
        )
        assert response.status_code == 302
        assert response["Location"] == "/workbench/"
        assert client.get("/workbench/").status_code == 200
    device.refresh_from_db()
    assert device.confirmed is True
    assert (
        AuditEvent.objects.filter(action="auth.otp_enrol", actor_username="centre_admin").count()
        == 1
    )


def test_centre_admins_need_not_enrol_in_demo_mode(client: Client, city: City, settings) -> None:
    settings.DEMO = True
    password_step(client, "centre_admin")
    assert client.get("/workbench/").status_code == 200


def test_other_staff_need_not_enrol(client: Client, city: City, settings) -> None:
    settings.DEMO = False
    password_step(client, "transport_admin")
    assert client.get("/workbench/").status_code == 200


def test_an_enrolled_centre_admin_signs_in_with_the_code(
    client: Client, city: City, settings
) -> None:
    settings.DEMO = False
    device = totp_device(city.centre_admin)
    assert password_step(client, "centre_admin") == "/workbench/login/otp/"
    client.post("/workbench/login/otp/", {"token": totp_code(device)})
    assert client.get("/workbench/").status_code == 200


def test_a_new_device_replaces_the_old_one(client: Client, city: City) -> None:
    old = force_login_verified(client, city.transport_clerk)
    client.get("/workbench/otp/")
    new = TOTPDevice.objects.get(user=city.transport_clerk, confirmed=False)
    response = client.post("/workbench/otp/", {"token": totp_code(new)})
    assert response.status_code == 302
    assert list(TOTPDevice.objects.filter(user=city.transport_clerk)) == [new]
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()


def test_a_second_sign_in_in_the_same_browser_ends_the_first(client: Client, city: City) -> None:
    device = totp_device(city.transport_clerk)
    client.force_login(city.transport_admin)
    assert password_step(client, "transport_clerk") == "/workbench/login/otp/"
    assert signed_in_as(client) is None
    client.post("/workbench/login/otp/", {"token": totp_code(device)})
    assert signed_in_as(client) == str(city.transport_clerk.pk)
