"""Helpers for tests of sign-in and account pages: people built through the real actions,
and a staff session that has given its second factor."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from stdnum.cn import ric

from wangban.accounts import actions
from wangban.accounts.models import User

PASSWORD = "correct-horse-battery-staple"  # good under both policies' length rules
STAFF_PASSWORD = "staff-password-123"  # wangban.conftest.make_staff


def resident_id(serial: int) -> str:
    """A valid 18-digit identity number (born 1990-01-01 in 东城区) for test person `serial`."""
    body = f"11010119900101{serial:03d}"
    return body + ric.calc_check_digit(body + "0")


def phone_for(serial: int) -> str:
    return f"1380013{serial:04d}"


def register(username: str, serial: int, *, real_name: str = "张三", **extra: Any) -> User:
    return actions.do_register_person(
        username=username,
        password=extra.pop("password", PASSWORD),
        real_name=real_name,
        id_number=resident_id(serial),
        phone=phone_for(serial),
        **extra,
    )


def verified(username: str, serial: int, *, real_name: str = "张三") -> User:
    user = register(username, serial, real_name=real_name)
    actions.do_verify_identity(user.person, actor=user)
    return User.objects.get(pk=user.pk)


def totp_device(user: User, *, confirmed: bool = True) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="测试验证器", confirmed=confirmed)


def totp_code(device: TOTPDevice) -> str:
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def force_login_verified(client: Client, user: User) -> TOTPDevice:
    """Sign `client` in as `user` with a confirmed TOTP device whose code the session gave
    (what the two-step login leaves behind)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or totp_device(user)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device
