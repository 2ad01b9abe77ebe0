"""Login security that applies to every page: idle timeout, the staff second factor and the
forced change of an expired password. Installed in this order after the authentication,
django-otp and messages middleware (see config/settings.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from wangban.accounts import otp
from wangban.accounts.passwords import password_expired
from wangban.api.errors import error_response, wants_json

LAST_ACTIVITY_KEY = "wangban_last_activity"
# The stamp is written at most this often, so that a page costs no session write; a
# session can therefore end up to this much before the full idle period, never after.
ACTIVITY_RESOLUTION_SECONDS = 60
IDLE_MESSAGE = "您已长时间未操作，为保护账户安全已自动退出，请重新登录。"

GetResponse = Callable[[HttpRequest], HttpResponse]


def is_staff_user(user: Any) -> bool:
    return getattr(user, "department_id", None) is not None


def idle_limit_seconds(user: Any) -> int:
    minutes = (
        settings.WANGBAN_STAFF_IDLE_MINUTES
        if is_staff_user(user)
        else settings.WANGBAN_APPLICANT_IDLE_MINUTES
    )
    return int(minutes) * 60


def in_workbench(request: HttpRequest) -> bool:
    return request.path.startswith(("/workbench/", "/admin/"))


def login_url_for(request: HttpRequest, user: Any) -> str:
    """The workbench login for staff and for workbench pages, the portal login otherwise."""
    if in_workbench(request) or is_staff_user(user):
        return reverse("workbench:login")
    return reverse("portal:login")


def _with_next(url: str, request: HttpRequest) -> str:
    if request.method != "GET":
        return url
    return f"{url}?{urlencode({'next': request.get_full_path()})}"


def mark_active(request: HttpRequest) -> None:
    """Start the idle clock (called at sign-in)."""
    request.session[LAST_ACTIVITY_KEY] = int(time.time())


class IdleTimeoutMiddleware:
    """Signs a session out after `WANGBAN_STAFF_IDLE_MINUTES` (staff: users with a
    department) or `WANGBAN_APPLICANT_IDLE_MINUTES` (everyone else) without a request.
    The check applies to every request whose session has a signed-in user, whatever other
    headers it carries (`request.user` here is the session user: DRF sets a bearer token's
    user later), so a stale session cookie cannot be revived by adding an `Authorization`
    header. API calls with a bearer token and no session are not affected."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            now = int(time.time())
            last = request.session.get(LAST_ACTIVITY_KEY)
            if isinstance(last, int) and now - last >= idle_limit_seconds(user):
                return self._timed_out(request, user)
            if not isinstance(last, int) or now - last >= ACTIVITY_RESOLUTION_SECONDS:
                request.session[LAST_ACTIVITY_KEY] = now
        return self.get_response(request)

    def _timed_out(self, request: HttpRequest, user: Any) -> HttpResponse:
        logout(request)
        if wants_json(request):
            return error_response(401, "session_expired", IDLE_MESSAGE)
        messages.warning(request, IDLE_MESSAGE)
        return HttpResponseRedirect(_with_next(login_url_for(request, user), request))


# Workbench and admin pages a session without its second factor may still open.
SECOND_FACTOR_EXEMPT = {
    ("workbench", "login"),
    ("workbench", "login-otp"),
    ("workbench", "logout"),
    ("workbench", "otp-enrol"),
    ("workbench", "password-reset"),
    ("workbench", "password-reset-code"),
    ("admin", "login"),
    ("admin", "logout"),
}


def _area(request: HttpRequest) -> tuple[str, str] | None:
    match = request.resolver_match
    if match is None or not match.namespaces:
        return None
    return match.namespaces[0], match.url_name or ""


# The API's own sign-in and sign-out stay open to a session without its second factor.
API_SECOND_FACTOR_EXEMPT = {"/api/v1/auth/token"}
API_SECOND_FACTOR_MESSAGE = "工作人员请在工作台登录并完成动态口令验证；接口令牌暂不支持动态口令。"


def _needs_second_factor(user: Any) -> bool:
    return bool(
        user.is_authenticated
        and not otp.is_verified(user)
        and otp.second_factor_needed(user) is not None
    )


class SecondFactorMiddleware:
    """Workbench and admin pages need the session's second factor when the user has a
    confirmed TOTP device; centre admins outside demo mode must enrol one first.
    Session-authenticated API calls (no `Authorization: Bearer`, which DRF checks first)
    by such users are refused with 403 `second_factor_required` until the session gave
    its second factor on the workbench."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if request.path.startswith("/api/"):
            return self._check_api(request)
        area = _area(request)
        if area is None or area[0] not in {"workbench", "admin"} or area in SECOND_FACTOR_EXEMPT:
            return None
        user = request.user
        if not user.is_authenticated or otp.is_verified(user):
            return None
        needed = otp.second_factor_needed(user)
        if needed == "code":
            return HttpResponseRedirect(_with_next(reverse("workbench:login-otp"), request))
        if needed == "enrol":
            return HttpResponseRedirect(_with_next(reverse("workbench:otp-enrol"), request))
        return None

    def _check_api(self, request: HttpRequest) -> HttpResponse | None:
        if request.path in API_SECOND_FACTOR_EXEMPT:
            return None
        if request.headers.get("Authorization", "").lower().startswith("bearer"):
            return None  # the bearer token authenticates (or fails) before the session
        if _needs_second_factor(request.user):
            return error_response(403, "second_factor_required", API_SECOND_FACTOR_MESSAGE)
        return None


PASSWORD_EXPIRY_EXEMPT = {
    ("portal", "password-change"),
    ("portal", "logout"),
    ("workbench", "password-change"),
    ("workbench", "logout"),
    ("workbench", "login-otp"),
    ("workbench", "otp-enrol"),
    ("admin", "logout"),
}
EXPIRED_MESSAGE = "您的密码已超过规定的使用期限，请先修改密码。"


class PasswordExpiryMiddleware:
    """Under the 等保 policy a password older than its maximum age must be changed before
    any other page (API calls with a bearer token are not pages and are not affected)."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated or wants_json(request):
            return None
        area = _area(request)
        if area is None or area in PASSWORD_EXPIRY_EXEMPT:
            return None
        if not password_expired(user, timezone.now()):
            return None
        workbench = area[0] in {"workbench", "admin"} or is_staff_user(user)
        target = reverse("workbench:password-change" if workbench else "portal:password-change")
        messages.warning(request, EXPIRED_MESSAGE)
        return HttpResponseRedirect(target)
