"""What a locked-out sign-in sees (django-axes' `AXES_LOCKOUT_CALLABLE`).

After `AXES_FAILURE_LIMIT` failures a user name is locked from that address for
`AXES_COOLOFF_TIME`; every sign-in through `authenticate()` (portal, workbench, admin and the
API token endpoint) is refused until then, even with the right password. Pages get a Chinese
page, the API the error envelope; both answer 429. The attempt that locks is audited
(`auth.lockout`); the attempts refused while locked are audited as failed sign-ins already.
"""

from __future__ import annotations

from typing import Any

from axes.helpers import get_client_username
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from wangban.api.errors import error_response, wants_json


def cool_off_minutes() -> int:
    cool_off = settings.AXES_COOLOFF_TIME
    return max(1, int(cool_off.total_seconds() // 60)) if cool_off else 0


def lockout_message() -> str:
    return (
        f"登录失败次数过多，为保护账户安全，该账号已暂时锁定，请 {cool_off_minutes()} 分钟后再试。"
    )


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    username = get_client_username(request, credentials) or ""
    # A number here means this very request's failure reached the limit (axes counts it);
    # requests refused while already locked leave it None.
    if getattr(request, "axes_failures_since_start", None) is not None:
        from wangban.audit.actions import record_lockout

        record_lockout(request, str(username))
    if wants_json(request):
        return error_response(429, "locked_out", lockout_message())
    workbench = request.path.startswith(("/workbench/", "/admin/"))
    context = {
        "base_template": "workbench/base.html" if workbench else "portal/base.html",
        "message": lockout_message(),
        "reset_url": "workbench:password-reset" if workbench else "portal:password-reset",
        "login_url": "workbench:login" if workbench else "portal:login",
    }
    return render(request, "portal/account/locked_out.html", context, status=429)
