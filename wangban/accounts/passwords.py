"""Password policy: two profiles, chosen by the `WANGBAN_PASSWORD_POLICY` setting.

- `asvs` (default), OWASP ASVS 4.0 §2.1: at least 12 and at most 128 characters, not a
  common password, not too like the user's own details; no composition rules and no
  periodic rotation (ASVS 2.1.9, 2.1.10).
- `dengbao`, 等保 2.0 (GB/T 22239-2019 8.1.4.1 a: 口令具有复杂度要求并定期更换): at least 8
  characters of at least 3 of the 4 kinds (upper-case, lower-case, digits, symbols), not a
  common password, not like the user's details, and changed every
  `WANGBAN_PASSWORD_MAX_AGE_DAYS` days (90 by default): an older password must be changed
  before anything else (`wangban.accounts.middleware.PasswordExpiryMiddleware`).

Both profiles record when a password was set (`User.password_changed_at`, through Django's
`password_changed` hook of the validators) and refuse the current password as a new one.

This module is imported by the settings: it must not import models at import time.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ImproperlyConfigured, ValidationError

POLICIES = ("asvs", "dengbao")

_P = "wangban.accounts.passwords."


def password_validators(policy: str, *, max_age_days: int = 90) -> list[dict[str, Any]]:
    """`AUTH_PASSWORD_VALIDATORS` for the named profile."""
    if policy == "asvs":
        return [
            {"NAME": _P + "MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
            {"NAME": _P + "MaximumLengthValidator", "OPTIONS": {"max_length": 128}},
            {"NAME": _P + "CommonPasswordValidator"},
            {"NAME": _P + "UserAttributeSimilarityValidator"},
            {"NAME": _P + "PasswordAgeValidator", "OPTIONS": {"max_age_days": None}},
        ]
    if policy == "dengbao":
        if max_age_days < 1:
            raise ImproperlyConfigured("WANGBAN_PASSWORD_MAX_AGE_DAYS must be at least 1.")
        return [
            {"NAME": _P + "MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
            {"NAME": _P + "MaximumLengthValidator", "OPTIONS": {"max_length": 128}},
            {"NAME": _P + "CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},
            {"NAME": _P + "CommonPasswordValidator"},
            {"NAME": _P + "UserAttributeSimilarityValidator"},
            {"NAME": _P + "PasswordAgeValidator", "OPTIONS": {"max_age_days": max_age_days}},
        ]
    raise ImproperlyConfigured(
        f"WANGBAN_PASSWORD_POLICY must be one of {', '.join(POLICIES)}, not {policy!r}."
    )


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self) -> str:
        return f"密码太短，至少需要 {self.min_length} 个字符。"

    def get_help_text(self) -> str:
        return f"至少 {self.min_length} 个字符。"


class MaximumLengthValidator:
    """Long passphrases are welcome, but not unbounded input to the hasher."""

    def __init__(self, max_length: int = 128) -> None:
        self.max_length = max_length

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                f"密码太长，最多 {self.max_length} 个字符。", code="password_too_long"
            )

    def get_help_text(self) -> str:
        return f"最多 {self.max_length} 个字符。"


class CommonPasswordValidator(password_validation.CommonPasswordValidator):
    """Django's list of 20,000 common passwords."""

    def get_error_message(self) -> str:
        return "这个密码太常见，容易被猜中，请换一个。"

    def get_help_text(self) -> str:
        return "不能使用常见密码。"


class UserAttributeSimilarityValidator(password_validation.UserAttributeSimilarityValidator):
    """Not like the user name, the name or the mobile number."""

    def __init__(self, max_similarity: float = 0.7) -> None:
        super().__init__(
            user_attributes=("username", "real_name", "phone", "first_name", "email"),
            max_similarity=max_similarity,
        )

    def get_error_message(self) -> str:
        return "密码与您的%(verbose_name)s太相似，请换一个。"

    def get_help_text(self) -> str:
        return "不能与用户名、姓名或手机号码相似。"


_CLASSES = (
    ("大写字母", re.compile(r"[A-Z]")),
    ("小写字母", re.compile(r"[a-z]")),
    ("数字", re.compile(r"[0-9]")),
    ("特殊字符", re.compile(r"[^A-Za-z0-9]")),
)


class CharacterClassesValidator:
    """等保 complexity: characters of at least `min_classes` of the four kinds."""

    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user: Any = None) -> None:
        present = sum(1 for _, pattern in _CLASSES if pattern.search(password))
        if present < self.min_classes:
            raise ValidationError(
                f"密码须包含大写字母、小写字母、数字、特殊字符中的至少 {self.min_classes} 种。",
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return f"包含大写字母、小写字母、数字、特殊字符中的至少 {self.min_classes} 种。"


class PasswordAgeValidator:
    """Records when a password was set and, with `max_age_days`, how long it may be used.

    `validate` refuses the current password as the new one; `password_changed` (called by
    Django after a user with a new password is saved) stamps `password_changed_at`.
    """

    def __init__(self, max_age_days: int | None = None) -> None:
        self.max_age_days = max_age_days

    def validate(self, password: str, user: Any = None) -> None:
        encoded = getattr(user, "password", "") if user is not None else ""
        # hashers.check_password, not user.check_password: the latter may re-hash and save.
        if encoded and check_password(password, encoded):
            raise ValidationError("新密码不能与当前密码相同。", code="password_unchanged")

    def password_changed(self, password: str, user: Any = None) -> None:
        if user is None or user.pk is None:
            return
        from django.utils import timezone

        now = timezone.now()
        type(user)._default_manager.filter(pk=user.pk).update(password_changed_at=now)
        user.password_changed_at = now

    def get_help_text(self) -> str:
        if self.max_age_days:
            return f"每 {self.max_age_days} 天须更换一次。"
        return ""


def max_password_age() -> timedelta | None:
    """How long a password may be used under the configured policy (None: for ever)."""
    for validator in password_validation.get_default_password_validators():
        if isinstance(validator, PasswordAgeValidator) and validator.max_age_days:
            return timedelta(days=validator.max_age_days)
    return None


def password_expires_at(user: Any) -> datetime | None:
    """When `user`'s password must be changed; None if never. A password set before the
    date was recorded counts from the day the account was created."""
    age = max_password_age()
    if age is None or not user.has_usable_password():
        return None
    changed = getattr(user, "password_changed_at", None) or user.date_joined
    return changed + age


def password_expired(user: Any, now: datetime) -> bool:
    expires = password_expires_at(user)
    return expires is not None and now >= expires


def help_texts() -> list[str]:
    """The rules of the configured policy, for the hint under a new-password field."""
    return [text for text in password_validation.password_validators_help_texts() if text]
