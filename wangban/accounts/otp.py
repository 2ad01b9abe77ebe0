"""The staff second factor: TOTP (RFC 6238) through django-otp.

- A staff member with a confirmed device signs in to the workbench in two steps: password,
  then a 6-digit code; until the code is given the workbench is closed to the session
  (`wangban.accounts.middleware.SecondFactorMiddleware`).
- Centre admins must enrol before using the workbench, except in demo mode (DESIGN.md §6:
  demo mode relaxes the second-factor rules).
"""

from __future__ import annotations

import base64
import io
from typing import Any

import qrcode
from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from wangban.accounts.choices import Role
from wangban.accounts.roles import user_has_role

DEVICE_NAME = "身份验证器"


def confirmed_device(user: Any) -> TOTPDevice | None:
    if getattr(user, "pk", None) is None:
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def has_confirmed_device(user: Any) -> bool:
    return confirmed_device(user) is not None


def is_verified(user: Any) -> bool:
    """True once the session's second factor was given (django-otp's OTPMiddleware)."""
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def second_factor_needed(user: Any) -> str | None:
    """What the user's second factor asks of them, with one device lookup: "code" when
    they have a confirmed device, "enrol" for a centre admin without one outside demo mode
    (they must enrol), None when no second factor applies."""
    if has_confirmed_device(user):
        return "code"
    if not settings.DEMO and user_has_role(user, Role.CENTRE_ADMIN):
        return "enrol"
    return None


def enrolment_required(user: Any) -> bool:
    """Centre admins must have a TOTP device outside demo mode."""
    return second_factor_needed(user) == "enrol"


def pending_device(user: Any) -> TOTPDevice | None:
    """The device being enrolled (created, not yet confirmed with a code)."""
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def secret_for_display(device: TOTPDevice) -> str:
    """The base32 secret in groups of four, for typing into an app by hand."""
    secret = base64.b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_data_uri(text: str) -> str:
    """A PNG QR code of `text` as a data: URI (the CSP allows `img-src data:`)."""
    image = qrcode.make(text, box_size=6, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
