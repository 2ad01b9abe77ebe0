"""Organisation, staff and role actions: who may do what, and what each refuses."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from wangban.accounts import actions
from wangban.accounts.choices import Level, Role
from wangban.accounts.models import Department, RoleGrant, User
from wangban.audit.models import AuditEvent
from wangban.conftest import City
from wangban.core.errors import Conflict, Forbidden, InvalidInput

PASSWORD = "a-long-staff-password"


def staff_kwargs(**extra: str) -> dict[str, str]:
    return {
        "username": "newbie",
        "real_name": "新人",
        "phone": "13912345678",
        "password": PASSWORD,
        **extra,
    }


def test_department_admin_adds_staff_to_own_department(city: City) -> None:
    user = actions.do_create_staff(
        actor=city.transport_admin, department=city.transport, **staff_kwargs()
    )
    assert user.department == city.transport
    assert user.check_password(PASSWORD)
    event = AuditEvent.objects.get(action="staff.create")
    assert event.object_id == str(user.pk)


def test_department_admin_cannot_add_staff_elsewhere(city: City) -> None:
    with pytest.raises(Forbidden):
        actions.do_create_staff(
            actor=city.transport_admin, department=city.market, **staff_kwargs()
        )
    assert not User.objects.filter(username="newbie").exists()


def test_centre_admin_adds_staff_anywhere(city: City) -> None:
    user = actions.do_create_staff(
        actor=city.centre_admin, department=city.market, **staff_kwargs()
    )
    assert user.department == city.market


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("username", "transport_clerk", "该用户名已被使用。"),
        ("phone", "12345", "手机号码应为 11 位数字，以 1 开头。"),
        ("real_name", " ", "请填写姓名。"),
        ("password", "short", None),  # the message is the active password policy's
    ],
)
def test_bad_staff_input_is_refused_with_the_field(
    city: City, field: str, value: str, message: str | None
) -> None:
    if message is None:
        with pytest.raises(ValidationError) as refused:
            validate_password(value)
        message = refused.value.messages[0]
    with pytest.raises(InvalidInput) as error:
        actions.do_create_staff(
            actor=city.transport_admin, department=city.transport, **staff_kwargs(**{field: value})
        )
    assert error.value.fields[field][0] == message
    assert (
        not User.objects.filter(username=staff_kwargs(**{field: value})["username"])
        .exclude(username="transport_clerk")
        .exists()
    )


def test_grant_and_revoke_a_role_are_audited(city: City) -> None:
    grant = actions.do_grant_role(
        city.transport_clerk,
        department=city.transport,
        role=Role.HANDLER,
        actor=city.transport_admin,
    )
    assert grant.granted_by == city.transport_admin
    actions.do_revoke_role(grant, actor=city.transport_admin)
    assert not RoleGrant.objects.filter(pk=grant.pk).exists()
    granted, revoked = AuditEvent.objects.filter(action__startswith="role.").order_by("id")
    assert (granted.action, granted.after) == (
        "role.grant",
        {"role": "handler", "department": "D01"},
    )
    assert (revoked.action, revoked.before) == (
        "role.revoke",
        {"role": "handler", "department": "D01"},
    )
    assert granted.actor_username == "transport_admin"


def test_a_role_cannot_be_granted_twice(city: City) -> None:
    with pytest.raises(Conflict) as error:
        actions.do_grant_role(
            city.transport_clerk,
            department=city.transport,
            role=Role.CLERK,
            actor=city.transport_admin,
        )
    assert error.value.code == "already_granted"


def test_department_admin_cannot_grant_in_another_department(city: City) -> None:
    with pytest.raises(Forbidden):
        actions.do_grant_role(
            city.transport_clerk,
            department=city.market,
            role=Role.HANDLER,
            actor=city.transport_admin,
        )


@pytest.mark.parametrize("role", [Role.CENTRE_ADMIN, Role.SUPERVISOR, Role.HOTLINE])
def test_department_admin_cannot_hand_out_centre_roles(city: City, role: str) -> None:
    with pytest.raises(Forbidden):
        actions.do_grant_role(
            city.transport_clerk, department=city.transport, role=role, actor=city.transport_admin
        )


def test_clerk_cannot_grant_roles(city: City) -> None:
    with pytest.raises(Forbidden):
        actions.do_grant_role(
            city.transport_clerk,
            department=city.transport,
            role=Role.APPROVER,
            actor=city.transport_clerk,
        )


def test_roles_go_only_to_staff(city: City) -> None:
    with pytest.raises(InvalidInput):
        actions.do_grant_role(
            city.applicant, department=city.transport, role=Role.CLERK, actor=city.centre_admin
        )


def test_unknown_role_is_refused(city: City) -> None:
    with pytest.raises(InvalidInput):
        actions.do_grant_role(
            city.transport_clerk, department=city.transport, role="king", actor=city.centre_admin
        )


def test_an_admin_cannot_revoke_their_own_admin_role(city: City) -> None:
    grant = RoleGrant.objects.get(user=city.transport_admin)
    with pytest.raises(Conflict):
        actions.do_revoke_role(grant, actor=city.transport_admin)
    assert RoleGrant.objects.filter(pk=grant.pk).exists()


def test_centre_admin_creates_and_updates_a_department(city: City) -> None:
    created = actions.do_save_department(
        actor=city.centre_admin, code="Q01", name="城东区人民政府", level=Level.COUNTY
    )
    town = actions.do_save_department(
        actor=city.centre_admin, code="Q01-J01", name="东湖街道", level=Level.TOWN, parent=created
    )
    assert town.ancestors() == [created]
    updated = actions.do_save_department(
        actor=city.centre_admin,
        code="Q01",
        name="城东区政府",
        level=Level.COUNTY,
        entrusts_acceptance=True,
    )
    assert updated.pk == created.pk
    assert (updated.name, updated.entrusts_acceptance) == ("城东区政府", True)
    event = AuditEvent.objects.filter(action="department.update").get()
    assert (event.before or {})["name"] == "城东区人民政府"
    assert (event.after or {})["name"] == "城东区政府"


def test_a_department_cannot_become_its_own_ancestor(city: City) -> None:
    parent = actions.do_save_department(actor=city.centre_admin, code="P", name="上级")
    child = actions.do_save_department(
        actor=city.centre_admin, code="C", name="下级", parent=parent
    )
    with pytest.raises(InvalidInput) as error:
        actions.do_save_department(actor=city.centre_admin, code="P", name="上级", parent=child)
    assert error.value.fields == {"parent": ["上级部门不能是本部门或其下级。"]}


def test_department_credit_code_is_validated(city: City) -> None:
    with pytest.raises(InvalidInput) as error:
        actions.do_save_department(
            actor=city.centre_admin, code="X", name="某局", credit_code="91350100M000100Y4X"
        )
    assert error.value.fields == {
        "credit_code": ["统一社会信用代码校验码不正确，请核对后重新输入。"]
    }
    department = actions.do_save_department(
        actor=city.centre_admin,
        code="X",
        name="某局",
        credit_code="91350100M000100Y43",
        organisation_code="M000100Y-4",
    )
    assert (department.credit_code, department.organisation_code) == (
        "91350100M000100Y43",
        "M000100Y4",
    )


def test_only_centre_admins_manage_departments(city: City) -> None:
    with pytest.raises(Forbidden):
        actions.do_save_department(actor=city.transport_admin, code="Z", name="某局")
    assert not Department.objects.filter(code="Z").exists()
