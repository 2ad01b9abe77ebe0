"""Workbench home and sign-in: the two-step login (password, then the TOTP code of a staff
member who has an authenticator) and the enrolment of an authenticator."""

from __future__ import annotations

import time
from typing import Any

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from wangban.accounts import actions, otp
from wangban.accounts.forms import LoginForm, OtpTokenForm, add_domain_error
from wangban.accounts.middleware import mark_active
from wangban.accounts.models import User
from wangban.core.errors import DomainError
from wangban.portal.account.auth import (
    WORKBENCH,
    is_applicant,
    safe_next,
    workbench_login_required,
)

# Between the password and the code: who, through which backend, until when, then where.
PENDING_KEY = "wangban_2fa_pending"
PENDING_SECONDS = 300


@workbench_login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "workbench/home.html")


@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    """Step 1: user name and password (`authenticate()` goes through django-axes). With a
    confirmed authenticator the session is not signed in yet: step 2 asks for the code."""
    next_url = safe_next(request, WORKBENCH.home_url)
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.get_user()
        if is_applicant(user):
            form.add_error(None, "这是办事群众的账号，请从网站首页登录办事。")
        elif otp.has_confirmed_device(user):
            if request.user.is_authenticated:
                auth_logout(request)  # a new sign-in ends the one before it in this browser
            request.session[PENDING_KEY] = {
                "user_id": user.pk,
                "backend": user.backend,
                "until": int(time.time()) + PENDING_SECONDS,
                "next": next_url,
            }
            return redirect("workbench:login-otp")
        else:
            auth_login(request, user)
            mark_active(request)
            return redirect(next_url)
    context = {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")}
    return render(request, "workbench/login.html", context)


def _pending_user(request: HttpRequest) -> tuple[User | None, dict[str, Any] | None]:
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict) or pending.get("until", 0) < time.time():
        request.session.pop(PENDING_KEY, None)
        return None, None
    user = User.objects.filter(pk=pending["user_id"], is_active=True).first()
    return user, pending


@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def login_otp(request: HttpRequest) -> HttpResponse:
    """Step 2: the 6-digit code. Also where a signed-in staff member without the second
    factor of this session (e.g. signed in through the admin) is sent."""
    pending: dict[str, Any] | None = None
    if request.user.is_authenticated:
        user: User | None = request.user
        if otp.is_verified(user) or not otp.has_confirmed_device(user):
            return redirect(safe_next(request, WORKBENCH.home_url))
        next_url = safe_next(request, WORKBENCH.home_url)
    else:
        user, pending = _pending_user(request)
        if user is None or pending is None:
            messages.warning(request, "请先输入用户名和密码。")
            return redirect(WORKBENCH.login_url)
        next_url = pending["next"]
    form = OtpTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = actions.do_verify_second_factor(
            user,  # type: ignore[arg-type]
            token=form.cleaned_data["token"],
            request=request,
        )
        if device is None:
            form.add_error("token", "验证码不正确或已过期，请输入身份验证器中当前显示的 6 位数字。")
        else:
            if pending is not None:
                request.session.pop(PENDING_KEY, None)
                auth_login(request, user, backend=pending["backend"])
            otp_login(request, device)
            mark_active(request)
            return redirect(next_url)
    return render(request, "workbench/otp_verify.html", {"form": form, "next": next_url})


@workbench_login_required
@require_http_methods(["GET", "POST"])
def otp_enrol(request: HttpRequest) -> HttpResponse:
    """Bind an authenticator app: scan the QR code (or type the key), confirm with a code.
    A staff member who already has one must have given its code in this session."""
    user = request.user
    if otp.has_confirmed_device(user) and not otp.is_verified(user):
        return redirect(f"{reverse('workbench:login-otp')}?{urlencode({'next': request.path})}")
    next_url = safe_next(request, WORKBENCH.home_url)
    form = OtpTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = actions.do_confirm_totp(
                user,  # type: ignore[arg-type]
                token=form.cleaned_data["token"],
                request=request,
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            otp_login(request, device)
            messages.success(
                request, "身份验证器已绑定。以后登录工作台时，须输入其中的动态验证码。"
            )
            return redirect(next_url)
    device = otp.pending_device(user) or actions.do_start_totp_enrolment(user)  # type: ignore[arg-type]
    context = {
        "form": form,
        "next": request.POST.get("next") or request.GET.get("next", ""),
        "required": otp.enrolment_required(user),
        "otpauth_uri": device.config_url,
        "qr": otp.qr_data_uri(device.config_url),
        "secret": otp.secret_for_display(device),
    }
    return render(request, "workbench/otp_enrol.html", context)
