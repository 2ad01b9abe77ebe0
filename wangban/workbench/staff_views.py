"""Staff and department management in the workbench.

Department admins manage the staff of their own department; centre admins manage every
department and its staff. All writes go through wangban.accounts.actions.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from wangban.accounts import actions
from wangban.accounts.access import can_grant_role, is_centre_admin
from wangban.accounts.choices import Level, Role
from wangban.accounts.forms import add_domain_error
from wangban.accounts.models import Department, RoleGrant, User
from wangban.accounts.roles import departments_where
from wangban.core.errors import DomainError


def managed_departments(user: Any) -> QuerySet[Department]:
    """The departments whose staff `user` manages; refuses (403) users who manage none."""
    if is_centre_admin(user):
        return Department.objects.all()
    ids = departments_where(user, Role.DEPT_ADMIN)
    if not ids:
        raise PermissionDenied
    return Department.objects.filter(pk__in=ids)


def _managed_staff(request: HttpRequest, user_id: int) -> User:
    """One staff member the caller manages; 404 for anyone else (another department)."""
    departments = managed_departments(request.user)
    return get_object_or_404(User, pk=user_id, department__in=departments)


class StaffForm(forms.Form):
    department = forms.ModelChoiceField(label="所属部门", queryset=Department.objects.none())
    username = forms.CharField(label="用户名", max_length=150)
    real_name = forms.CharField(label="姓名", max_length=50)
    phone = forms.CharField(
        label="手机号码", max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    password = forms.CharField(
        label="初始密码",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="请当面告知本人，并提醒首次登录后修改。",
    )

    def __init__(self, *args: Any, departments: QuerySet[Department], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments  # type: ignore[attr-defined]


class GrantForm(forms.Form):
    department = forms.ModelChoiceField(label="部门", queryset=Department.objects.none())
    role = forms.ChoiceField(label="角色", choices=Role.choices)

    def __init__(self, *args: Any, departments: QuerySet[Department], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments  # type: ignore[attr-defined]


class DepartmentForm(forms.Form):
    code = forms.CharField(label="部门编码", max_length=32)
    name = forms.CharField(label="部门名称", max_length=100)
    level = forms.ChoiceField(label="行使层级", choices=Level.choices, initial=Level.CITY)
    parent = forms.ModelChoiceField(
        label="上级部门", queryset=Department.objects.all(), required=False
    )
    credit_code = forms.CharField(label="统一社会信用代码", max_length=18, required=False)
    organisation_code = forms.CharField(label="组织机构代码", max_length=10, required=False)
    is_service_centre = forms.BooleanField(label="政务服务中心", required=False)
    entrusts_acceptance = forms.BooleanField(
        label="委托中心综合窗口受理（一窗受理）", required=False
    )


@login_required(login_url="workbench:login")
def staff_list(request: HttpRequest) -> HttpResponse:
    departments = managed_departments(request.user)
    staff = (
        User.objects.filter(department__in=departments)
        .select_related("department")
        .prefetch_related(
            Prefetch("role_grants", queryset=RoleGrant.objects.select_related("department"))
        )
        .order_by("department__code", "username")
    )
    selected = request.GET.get("department", "")
    if selected:
        staff = staff.filter(department__code=selected)
    page = Paginator(staff, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "workbench/staff/list.html",
        {
            "page": page,
            "departments": departments,
            "selected": selected,
            "query": query.urlencode(),
        },
    )


@login_required(login_url="workbench:login")
def staff_create(request: HttpRequest) -> HttpResponse:
    departments = managed_departments(request.user)
    # A department admin usually manages one department: choose it for them.
    only = departments.first() if departments.count() == 1 else None
    form = StaffForm(request.POST or None, departments=departments, initial={"department": only})
    if request.method == "POST" and form.is_valid():
        try:
            user = actions.do_create_staff(actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"已添加工作人员 {user.real_name}。")
            return HttpResponseRedirect(reverse("workbench:staff-detail", args=[user.pk]))
    return render(request, "workbench/staff/create.html", {"form": form})


@login_required(login_url="workbench:login")
def staff_detail(request: HttpRequest, user_id: int) -> HttpResponse:
    member = _managed_staff(request, user_id)
    departments = managed_departments(request.user)
    form = GrantForm(
        request.POST or None, departments=departments, initial={"department": member.department}
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_grant_role(
                member,
                department=form.cleaned_data["department"],
                role=form.cleaned_data["role"],
                actor=request.user,  # type: ignore[arg-type]
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "已授予角色。")
            return HttpResponseRedirect(request.path)
    grants = [
        (grant, can_grant_role(request.user, grant.department, grant.role))
        for grant in member.role_grants.select_related("department").order_by(
            "department__code", "role"
        )
    ]
    return render(
        request, "workbench/staff/detail.html", {"member": member, "grants": grants, "form": form}
    )


@login_required(login_url="workbench:login")
@require_POST
def role_revoke(request: HttpRequest, user_id: int, grant_id: int) -> HttpResponse:
    member = _managed_staff(request, user_id)
    grant = get_object_or_404(RoleGrant, pk=grant_id, user=member)
    try:
        actions.do_revoke_role(grant, actor=request.user)  # type: ignore[arg-type]
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"已撤销角色：{grant.get_role_display()}（{grant.department}）。")
    return HttpResponseRedirect(reverse("workbench:staff-detail", args=[member.pk]))


def _require_centre_admin(request: HttpRequest) -> None:
    if not is_centre_admin(request.user):
        raise PermissionDenied


@login_required(login_url="workbench:login")
def department_list(request: HttpRequest) -> HttpResponse:
    _require_centre_admin(request)
    departments = Department.objects.select_related("parent").order_by("code")
    return render(request, "workbench/staff/departments.html", {"departments": departments})


@login_required(login_url="workbench:login")
def department_edit(request: HttpRequest, code: str | None = None) -> HttpResponse:
    _require_centre_admin(request)
    department = get_object_or_404(Department, code=code) if code else None
    initial: dict[str, Any] = {}
    if department is not None:
        initial = {field: getattr(department, field) for field in DepartmentForm.base_fields}
    form = DepartmentForm(request.POST or None, initial=initial)
    if department is not None:
        form.fields["code"].disabled = True
        form.fields["parent"].queryset = Department.objects.exclude(pk=department.pk)  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        try:
            saved = actions.do_save_department(actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"已保存部门 {saved.name}。")
            return HttpResponseRedirect(reverse("workbench:department-list"))
    return render(
        request, "workbench/staff/department_form.html", {"form": form, "department": department}
    )
