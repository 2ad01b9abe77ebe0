"""Staff and department pages: the permission matrix and the forms."""

from __future__ import annotations

import pytest
from django.test import Client

from wangban.accounts.choices import Role
from wangban.accounts.models import Department, RoleGrant, User
from wangban.accounts.roles import user_has_role
from wangban.accounts.tests.helpers import force_login_verified
from wangban.conftest import City


def as_user(client: Client, user: User | None) -> Client:
    """Sign in; centre admins must have given their second factor (TOTP)."""
    if user is not None and user_has_role(user, Role.CENTRE_ADMIN):
        force_login_verified(client, user)
    elif user is not None:
        client.force_login(user)
    return client


def pages(city: City) -> dict[str, str]:
    clerk, market_admin = city.transport_clerk, city.market_admin
    grant = RoleGrant.objects.get(user=clerk)
    return {
        "staff-list": "/workbench/staff/",
        "staff-create": "/workbench/staff/new/",
        "staff-detail-transport": f"/workbench/staff/{clerk.pk}/",
        "staff-detail-market": f"/workbench/staff/{market_admin.pk}/",
        "role-revoke": f"/workbench/staff/{clerk.pk}/roles/{grant.pk}/revoke/",
        "departments": "/workbench/departments/",
        "department-new": "/workbench/departments/new/",
        "department-edit": "/workbench/departments/D01/",
    }


# Expected GET status per page for each kind of caller (POST for role-revoke).
MATRIX = {
    "anonymous": dict.fromkeys(
        [
            "staff-list",
            "staff-create",
            "staff-detail-transport",
            "staff-detail-market",
            "role-revoke",
            "departments",
            "department-new",
            "department-edit",
        ],
        302,
    ),
    "applicant": {
        "staff-list": 403,
        "staff-create": 403,
        "staff-detail-transport": 403,
        "staff-detail-market": 403,
        "role-revoke": 403,
        "departments": 403,
        "department-new": 403,
        "department-edit": 403,
    },
    "transport_clerk": {
        "staff-list": 403,
        "staff-create": 403,
        "staff-detail-transport": 403,
        "staff-detail-market": 403,
        "role-revoke": 403,
        "departments": 403,
        "department-new": 403,
        "department-edit": 403,
    },
    "transport_admin": {
        "staff-list": 200,
        "staff-create": 200,
        "staff-detail-transport": 200,
        "staff-detail-market": 404,
        "role-revoke": 302,
        "departments": 403,
        "department-new": 403,
        "department-edit": 403,
    },
    "market_admin": {
        "staff-list": 200,
        "staff-create": 200,
        "staff-detail-transport": 404,
        "staff-detail-market": 200,
        "role-revoke": 404,
        "departments": 403,
        "department-new": 403,
        "department-edit": 403,
    },
    "centre_admin": {
        "staff-list": 200,
        "staff-create": 200,
        "staff-detail-transport": 200,
        "staff-detail-market": 200,
        "role-revoke": 302,
        "departments": 200,
        "department-new": 200,
        "department-edit": 200,
    },
}


@pytest.mark.parametrize("caller", list(MATRIX))
def test_permission_matrix(client: Client, city: City, caller: str) -> None:
    user = (
        None
        if caller == "anonymous"
        else (city.applicant if caller == "applicant" else getattr(city, caller))
    )
    as_user(client, user)
    for name, url in pages(city).items():
        if name == "role-revoke":
            status = client.post(url).status_code
            RoleGrant.objects.get_or_create(
                user=city.transport_clerk, department=city.transport, role=Role.CLERK
            )
        else:
            status = client.get(url).status_code
        assert status == MATRIX[caller][name], (caller, name, status)


def test_anonymous_is_sent_to_the_workbench_login(client: Client, city: City) -> None:
    response = client.get("/workbench/staff/")
    assert response["Location"] == "/workbench/login/?next=/workbench/staff/"


def test_department_admin_sees_only_own_staff(client: Client, city: City) -> None:
    html = as_user(client, city.transport_admin).get("/workbench/staff/").content.decode()
    assert "transport_clerk" in html
    assert "market_admin" not in html
    options = as_user(client, city.transport_admin).get("/workbench/staff/new/").content.decode()
    assert "市交通运输局" in options
    assert "市市场监督管理局" not in options


def test_adding_staff_through_the_form(client: Client, city: City) -> None:
    as_user(client, city.transport_admin)
    response = client.post(
        "/workbench/staff/new/",
        {
            "department": city.transport.pk,
            "username": "newbie",
            "real_name": "新人",
            "phone": "13912345678",
            "password": "a-long-staff-password",
        },
    )
    user = User.objects.get(username="newbie")
    assert response.status_code == 302
    assert response["Location"] == f"/workbench/staff/{user.pk}/"
    assert user.department == city.transport


def test_form_errors_are_shown_beside_the_field(client: Client, city: City) -> None:
    as_user(client, city.transport_admin)
    response = client.post(
        "/workbench/staff/new/",
        {
            "department": city.transport.pk,
            "username": "newbie",
            "real_name": "新人",
            "phone": "123",
            "password": "a-long-staff-password",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert '<a href="#id_phone">手机号码：手机号码应为 11 位数字，以 1 开头。</a>' in html
    assert 'id="id_phone-error"' in html
    assert not User.objects.filter(username="newbie").exists()


def test_department_admin_cannot_post_staff_into_another_department(
    client: Client, city: City
) -> None:
    as_user(client, city.transport_admin)
    response = client.post(
        "/workbench/staff/new/",
        {
            "department": city.market.pk,
            "username": "newbie",
            "real_name": "新人",
            "phone": "13912345678",
            "password": "a-long-staff-password",
        },
    )
    assert response.status_code == 200
    assert "选择一个有效的选项" in response.content.decode()
    assert not User.objects.filter(username="newbie").exists()


def test_granting_a_role_through_the_form(client: Client, city: City) -> None:
    as_user(client, city.transport_admin)
    url = f"/workbench/staff/{city.transport_clerk.pk}/"
    response = client.post(url, {"department": city.transport.pk, "role": "handler"})
    assert response.status_code == 302
    assert set(city.transport_clerk.role_grants.values_list("role", flat=True)) == {
        "clerk",
        "handler",
    }
    again = client.post(url, {"department": city.transport.pk, "role": "handler"})
    assert "该工作人员已在此部门拥有该角色。" in again.content.decode()


def test_department_admin_cannot_grant_a_centre_role_through_the_form(
    client: Client, city: City
) -> None:
    as_user(client, city.transport_admin)
    url = f"/workbench/staff/{city.transport_clerk.pk}/"
    response = client.post(url, {"department": city.transport.pk, "role": "supervisor"})
    assert "您无权在该部门授予此角色。" in response.content.decode()
    assert not city.transport_clerk.role_grants.filter(role="supervisor").exists()


def test_centre_admin_edits_a_department(client: Client, city: City) -> None:
    as_user(client, city.centre_admin)
    response = client.post(
        "/workbench/departments/D01/",
        {
            "code": "ignored",
            "name": "市交通运输局（改）",
            "level": "3",
            "entrusts_acceptance": "on",
        },
    )
    assert response.status_code == 302
    department = Department.objects.get(code="D01")
    assert (department.name, department.entrusts_acceptance) == ("市交通运输局（改）", True)


@pytest.mark.parametrize(
    ("caller", "visible", "hidden"),
    [
        ("transport_clerk", ["修改密码"], ["工作人员", "部门", "审计日志"]),
        ("transport_admin", ["工作人员", "修改密码"], ["部门", "审计日志"]),
        ("supervisor", ["审计日志"], ["工作人员", "部门"]),
        ("centre_admin", ["工作人员", "部门", "审计日志"], []),
    ],
)
def test_home_shows_the_sections_of_the_callers_roles(
    client: Client, city: City, caller: str, visible: list[str], hidden: list[str]
) -> None:
    html = as_user(client, getattr(city, caller)).get("/workbench/").content.decode()
    for label in visible:
        assert f">{label}</a></h2>" in html
    for label in hidden:
        assert f">{label}</a></h2>" not in html


def test_staff_list_paginates_and_keeps_the_filter(client: Client, city: City) -> None:
    User.objects.bulk_create(
        User(username=f"staff{n:02d}", department=city.transport) for n in range(55)
    )
    as_user(client, city.transport_admin)
    first = client.get("/workbench/staff/?department=D01").content.decode()
    assert "第 1 / 2 页" in first
    assert '<a href="?department=D01&amp;page=2">下一页</a>' in first
    second = client.get("/workbench/staff/?department=D01&page=2").content.decode()
    assert "staff54" in second
    assert "staff00" not in second
