"""Sign-in pages shared by the portal (applicants) and the workbench (staff): log in, log out,
register, change the password, reset it with an SMS code. Each view takes an `Area` that
names its layout and its URLs; the workbench's own two-step login is in
wangban/workbench/views.py."""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from wangban.accounts import actions
from wangban.accounts.forms import (
    LoginForm,
    PasswordChangeForm,
    PasswordResetCodeForm,
    PasswordResetRequestForm,
    RegisterForm,
    add_domain_error,
)
from wangban.accounts.middleware import mark_active
from wangban.accounts.models import Person
from wangban.accounts.sms import get_sms_gateway
from wangban.core.errors import DomainError

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


@dataclass(frozen=True)
class Area:
    """Where a shared page is shown: its layout and the URL names it links to."""

    name: str
    base_template: str
    login_url: str
    home_url: str
    change_url: str
    reset_url: str
    reset_code_url: str

    def context(self, **extra: Any) -> dict[str, Any]:
        return {"area": self, "base_template": self.base_template, **extra}


PORTAL = Area(
    name="portal",
    base_template="portal/base.html",
    login_url="portal:login",
    home_url="portal:account",
    change_url="portal:password-change",
    reset_url="portal:password-reset",
    reset_code_url="portal:password-reset-code",
)
WORKBENCH = Area(
    name="workbench",
    base_template="workbench/base.html",
    login_url="workbench:login",
    home_url="workbench:home",
    change_url="workbench:password-change",
    reset_url="workbench:password-reset",
    reset_code_url="workbench:password-reset-code",
)


def is_applicant(user: Any) -> bool:
    """Applicants (a natural person's account, no department) use the portal, not the
    workbench."""
    if getattr(user, "department_id", None) is not None:
        return False
    return Person.objects.filter(user_id=user.pk).exists()


def workbench_login_required(view: Any) -> Any:
    """Signed in (else to the workbench login) and not an applicant (else 403). The second
    factor is enforced for every workbench page by SecondFactorMiddleware."""

    @login_required(login_url=WORKBENCH.login_url)
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if is_applicant(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(default)


class PortalLoginView(auth_views.LoginView):
    """`/login/`: Django's view and form; `authenticate()` goes through django-axes."""

    form_class = LoginForm
    template_name = "portal/account/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return reverse(PORTAL.home_url)

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        mark_active(self.request)
        return response


class PortalLogoutView(auth_views.LogoutView):
    next_page = "portal:home"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.success(request, "您已安全退出。")
        return response


@sensitive_post_parameters("new_password1", "new_password2")
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """`/register/`: a natural person registers (real-name level: registered)."""
    if request.user.is_authenticated:
        return redirect(PORTAL.home_url)
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = actions.do_register_person(
                username=data["username"],
                password=data["new_password1"],
                real_name=data["real_name"],
                id_number=data["id_number"],
                phone=data["phone"],
            )
        except DomainError as error:
            add_domain_error(form, error, {"password": "new_password1"})
        else:
            auth_login(request, user, backend=MODEL_BACKEND)
            mark_active(request)
            messages.success(request, "注册成功。完成实名认证后即可在线办事。")
            return redirect(PORTAL.home_url)
    return render(request, "portal/account/register.html", {"form": form})


def password_change(request: HttpRequest, area: Area) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = actions.do_change_password(
                request.user,  # type: ignore[arg-type]
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password1"],
                request=request,
            )
        except DomainError as error:
            add_domain_error(form, error, {"password": "new_password1"})
        else:
            update_session_auth_hash(request, user)
            messages.success(request, "密码已修改。")
            return redirect(area.home_url)
    return render(request, "portal/account/password_change.html", area.context(form=form))


def password_reset(request: HttpRequest, area: Area) -> HttpResponse:
    """Step 1: user name and mobile. The answer is the same whether or not they match."""
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.start_password_reset(
                request.session,
                username=form.cleaned_data["username"],
                phone=form.cleaned_data["phone"],
                request=request,
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.info(
                request,
                "如果用户名和手机号码与我们的记录一致，验证码短信已发送到该手机，10 分钟内有效。",
            )
            return redirect(area.reset_code_url)
    gateway = get_sms_gateway()
    context = area.context(form=form, sms_gateway=gateway)
    return render(request, "portal/account/password_reset.html", context)


def password_reset_code(request: HttpRequest, area: Area) -> HttpResponse:
    """Step 2: the code from the SMS and the new password."""
    if actions.PASSWORD_RESET_SESSION_KEY not in request.session:
        return redirect(area.reset_url)
    form = PasswordResetCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_reset_password(
                request.session,
                code=form.cleaned_data["code"],
                new_password=form.cleaned_data["new_password1"],
                request=request,
            )
        except DomainError as error:
            add_domain_error(form, error, {"password": "new_password1"})
            if error.code in {"code_expired", "too_many_attempts"}:
                messages.error(request, error.message)
                return redirect(area.reset_url)
        else:
            messages.success(request, "密码已重置，请用新密码登录。")
            return redirect(area.login_url)
    return render(request, "portal/account/password_reset_code.html", area.context(form=form))


# One view per area and page, so that each URL has its own name and login page.


@sensitive_post_parameters()
@login_required(login_url=PORTAL.login_url)
@require_http_methods(["GET", "POST"])
def portal_password_change(request: HttpRequest) -> HttpResponse:
    return password_change(request, PORTAL)


@sensitive_post_parameters()
@workbench_login_required
@require_http_methods(["GET", "POST"])
def workbench_password_change(request: HttpRequest) -> HttpResponse:
    return password_change(request, WORKBENCH)


@require_http_methods(["GET", "POST"])
def portal_password_reset(request: HttpRequest) -> HttpResponse:
    return password_reset(request, PORTAL)


@require_http_methods(["GET", "POST"])
def workbench_password_reset(request: HttpRequest) -> HttpResponse:
    return password_reset(request, WORKBENCH)


@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def portal_password_reset_code(request: HttpRequest) -> HttpResponse:
    return password_reset_code(request, PORTAL)


@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def workbench_password_reset_code(request: HttpRequest) -> HttpResponse:
    return password_reset_code(request, WORKBENCH)
