"""Every write to organisation, staff, applicants and agents goes through these actions.

Each runs in one transaction, validates its input with messages in Chinese, and records an
audit event (大安第三十四条: nothing changes silently).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from wangban.accounts.access import can_grant_role, can_manage_staff, is_centre_admin
from wangban.accounts.choices import Level, RealNameLevel, Role
from wangban.accounts.models import AgentGrant, Department, LegalPerson, Person, RoleGrant, User
from wangban.accounts.verifiers import get_verifier
from wangban.core import pii
from wangban.core.errors import Conflict, Forbidden, InvalidInput
from wangban.core.identifiers import (
    clean_credit_code,
    clean_mobile,
    clean_organisation_code,
    clean_resident_id,
    mask_resident_id,
)


def _audit(
    action: str,
    *,
    actor: Any,
    obj: Any,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> None:
    from wangban.audit.actions import record

    record(action, actor=actor, obj=obj, before=before, after=after, request=request)


def _required(value: str, field: str, label: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(f"请填写{label}。", fields={field: [f"请填写{label}。"]})
    return value


def _check_password(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise InvalidInput(error.messages[0], fields={"password": list(error.messages)}) from None


# Applicants ------------------------------------------------------------------------------


@transaction.atomic
def do_register_person(
    *, username: str, password: str, real_name: str, id_number: str, phone: str
) -> User:
    """Register a natural person (registered level: phone only, not yet verified)."""
    username = _required(username, "username", "用户名")
    real_name = _required(real_name, "real_name", "姓名")
    number = clean_resident_id(id_number)
    phone = clean_mobile(phone)
    if User.objects.filter(username__iexact=username).exists():
        raise InvalidInput("该用户名已被使用。", fields={"username": ["该用户名已被使用。"]})
    digest = pii.digest(number)
    if Person.objects.filter(id_number_digest=digest).exists():
        message = "该身份证号码已注册，请直接登录或找回密码。"
        raise InvalidInput(message, fields={"id_number": [message]})
    user = User(username=username, real_name=real_name, phone=phone)
    _check_password(password, user)
    user.set_password(password)
    user.save()
    Person.objects.create(
        user=user,
        real_name=real_name,
        id_number_encrypted=pii.encrypt(number),
        id_number_digest=digest,
        id_number_masked=mask_resident_id(number),
        phone=phone,
    )
    _audit("applicant.register", actor=user, obj=user, after={"real_name": real_name})
    return user


def find_person(id_number: str) -> Person | None:
    """The person with this identity number, through the keyed digest (never a scan)."""
    return Person.objects.filter(id_number_digest=pii.digest(clean_resident_id(id_number))).first()


@transaction.atomic
def do_verify_identity(person: Person, *, actor: Any) -> Person:
    """Verify real name and identity number through the configured verifier (乌海第八条)."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    if person.real_name_level >= RealNameLevel.IDENTITY_VERIFIED:
        return person
    verifier = get_verifier()
    result = verifier.verify(person.real_name, pii.decrypt(person.id_number_encrypted))
    if not result.ok:
        _audit("applicant.verify_failed", actor=actor, obj=person, after={"reason": result.reason})
        raise InvalidInput(f"实名认证未通过：{result.reason}", code="verification_failed")
    before = {"real_name_level": person.real_name_level}
    person.real_name_level = RealNameLevel.IDENTITY_VERIFIED
    person.verified_at = timezone.now()
    person.verified_by = verifier.code
    person.save(update_fields=["real_name_level", "verified_at", "verified_by"])
    _audit(
        "applicant.verify",
        actor=actor,
        obj=person,
        before=before,
        after={"real_name_level": person.real_name_level, "verifier": verifier.code},
    )
    return person


@transaction.atomic
def do_verify_in_person(person: Person, *, clerk: User) -> Person:
    """A window clerk checked the identity card in person (the highest real-name level)."""
    if not (is_centre_admin(clerk) or clerk.role_grants.filter(role=Role.CLERK).exists()):
        raise Forbidden("只有窗口工作人员可以现场核验身份。")
    person = Person.objects.select_for_update().get(pk=person.pk)
    before = {"real_name_level": person.real_name_level}
    person.real_name_level = RealNameLevel.VERIFIED_IN_PERSON
    person.verified_at = timezone.now()
    person.verified_by = f"window:{clerk.username}"
    person.save(update_fields=["real_name_level", "verified_at", "verified_by"])
    _audit(
        "applicant.verify_in_person",
        actor=clerk,
        obj=person,
        before=before,
        after={"real_name_level": person.real_name_level},
    )
    return person


@transaction.atomic
def do_reveal_id_number(person: Person, *, actor: User, request: HttpRequest | None = None) -> str:
    """The unmasked identity number, for its owner or staff who need it; each view audited."""
    allowed = actor.pk == person.user_id or (
        actor.is_department_staff and actor.role_grants.exists()
    )
    if not allowed:
        raise Forbidden("您无权查看完整的身份证号码。")
    _audit("pii.view", actor=actor, obj=person, after={"field": "id_number"}, request=request)
    return pii.decrypt(person.id_number_encrypted)


@transaction.atomic
def do_register_legal_person(
    *, owner: User, name: str, credit_code: str, representative_name: str
) -> LegalPerson:
    """A verified person registers the company they represent."""
    person = getattr(owner, "person", None)
    if person is None or person.real_name_level < RealNameLevel.IDENTITY_VERIFIED:
        raise Forbidden("请先完成实名认证，再登记法人。", code="verification_required")
    name = _required(name, "name", "法人名称")
    representative_name = _required(representative_name, "representative_name", "法定代表人")
    code = clean_credit_code(credit_code)
    if LegalPerson.objects.filter(credit_code=code).exists():
        message = "该统一社会信用代码已登记。"
        raise InvalidInput(message, fields={"credit_code": [message]})
    legal_person = LegalPerson.objects.create(
        owner=owner, name=name, credit_code=code, representative_name=representative_name
    )
    _audit(
        "legal_person.register",
        actor=owner,
        obj=legal_person,
        after={"name": name, "credit_code": code},
    )
    return legal_person


@transaction.atomic
def do_grant_agent(
    legal_person: LegalPerson,
    *,
    actor: User,
    agent_username: str,
    valid_from: date,
    valid_to: date,
    all_items: bool = False,
    item_codes: list[str] | None = None,
) -> AgentGrant:
    """The legal person authorises an agent (经办人) for items and a period (乌海第八条)."""
    if legal_person.owner_id != actor.pk:
        raise Forbidden("只有法人账号持有人可以授权经办人。")
    agent = User.objects.filter(username=(agent_username or "").strip()).first()
    agent_person = getattr(agent, "person", None) if agent else None
    if agent is None or agent_person is None:
        message = "找不到该用户，经办人须先注册为个人用户。"
        raise InvalidInput(message, fields={"agent_username": [message]})
    if agent.pk == actor.pk:
        message = "不能授权给自己。"
        raise InvalidInput(message, fields={"agent_username": [message]})
    if agent_person.real_name_level < RealNameLevel.IDENTITY_VERIFIED:
        message = "经办人须先完成实名认证。"
        raise InvalidInput(message, fields={"agent_username": [message]})
    if valid_to < valid_from:
        message = "截止日期不能早于起始日期。"
        raise InvalidInput(message, fields={"valid_to": [message]})
    if valid_to < timezone.localdate():
        message = "截止日期已过。"
        raise InvalidInput(message, fields={"valid_to": [message]})
    codes = sorted({code.strip() for code in item_codes or [] if code.strip()})
    if not all_items and not codes:
        message = "请选择授权的事项，或勾选全部事项。"
        raise InvalidInput(message, fields={"item_codes": [message]})
    if any(len(code) > 64 for code in codes):
        message = "事项编码最长 64 个字符。"
        raise InvalidInput(message, fields={"item_codes": [message]})
    grant = AgentGrant.objects.create(
        legal_person=legal_person,
        agent=agent,
        all_items=all_items,
        item_codes=[] if all_items else codes,
        valid_from=valid_from,
        valid_to=valid_to,
        granted_by=actor,
    )
    _audit(
        "agent.grant",
        actor=actor,
        obj=grant,
        after={
            "agent": agent.username,
            "all_items": all_items,
            "item_codes": grant.item_codes,
            "valid_from": valid_from.isoformat(),
            "valid_to": valid_to.isoformat(),
        },
    )
    return grant


@transaction.atomic
def do_revoke_agent(grant: AgentGrant, *, actor: User) -> AgentGrant:
    grant = AgentGrant.objects.select_for_update().select_related("legal_person").get(pk=grant.pk)
    if grant.legal_person.owner_id != actor.pk:
        raise Forbidden("只有法人账号持有人可以撤销授权。")
    if grant.revoked_at is not None:
        raise Conflict("该授权已撤销。", code="already_revoked")
    grant.revoked_at = timezone.now()
    grant.save(update_fields=["revoked_at"])
    _audit(
        "agent.revoke",
        actor=actor,
        obj=grant,
        before={"revoked_at": None},
        after={"revoked_at": grant.revoked_at.isoformat()},
    )
    return grant


# Organisation and staff ------------------------------------------------------------------


@transaction.atomic
def do_save_department(
    *,
    actor: User,
    code: str,
    name: str,
    level: str = Level.CITY,
    parent: Department | None = None,
    credit_code: str = "",
    organisation_code: str = "",
    is_service_centre: bool = False,
    entrusts_acceptance: bool = False,
) -> Department:
    """Create or update a department (by code). Centre admins only."""
    if not is_centre_admin(actor):
        raise Forbidden("只有中心管理员可以管理部门。")
    code = _required(code, "code", "部门编码")
    name = _required(name, "name", "部门名称")
    if level not in Level.values:
        raise InvalidInput("行使层级无效。", fields={"level": ["行使层级无效。"]})
    credit_code = clean_credit_code(credit_code) if credit_code.strip() else ""
    organisation_code = (
        clean_organisation_code(organisation_code) if organisation_code.strip() else ""
    )
    existing = Department.objects.select_for_update().filter(code=code).first()
    if existing is not None and parent is not None:
        node: Department | None = parent
        while node is not None:
            if node.pk == existing.pk:
                message = "上级部门不能是本部门或其下级。"
                raise InvalidInput(message, fields={"parent": [message]})
            node = node.parent
    values = {
        "name": name,
        "level": level,
        "parent": parent,
        "credit_code": credit_code,
        "organisation_code": organisation_code,
        "is_service_centre": is_service_centre,
        "entrusts_acceptance": entrusts_acceptance,
    }
    if existing is None:
        department = Department.objects.create(code=code, **values)
        _audit(
            "department.create",
            actor=actor,
            obj=department,
            after={k: str(v) for k, v in values.items()},
        )
        return department
    before = {k: str(getattr(existing, k)) for k in values}
    for field, value in values.items():
        setattr(existing, field, value)
    existing.save(update_fields=list(values))
    _audit(
        "department.update",
        actor=actor,
        obj=existing,
        before=before,
        after={k: str(v) for k, v in values.items()},
    )
    return existing


@transaction.atomic
def do_create_staff(
    *,
    actor: User,
    department: Department,
    username: str,
    real_name: str,
    phone: str,
    password: str,
) -> User:
    """A department admin adds staff to their own department; a centre admin anywhere."""
    if not can_manage_staff(actor, department):
        raise Forbidden("您只能管理本部门的工作人员。")
    username = _required(username, "username", "用户名")
    real_name = _required(real_name, "real_name", "姓名")
    phone = clean_mobile(phone)
    if User.objects.filter(username__iexact=username).exists():
        raise InvalidInput("该用户名已被使用。", fields={"username": ["该用户名已被使用。"]})
    user = User(username=username, real_name=real_name, phone=phone, department=department)
    _check_password(password, user)
    user.set_password(password)
    user.save()
    _audit(
        "staff.create",
        actor=actor,
        obj=user,
        after={"department": department.code, "real_name": real_name},
    )
    return user


@transaction.atomic
def do_grant_role(user: User, *, department: Department, role: str, actor: User) -> RoleGrant:
    """Grant `role` in `department` (audited). Staff hold roles in their own department,
    except that centre staff may hold centre roles anywhere."""
    if role not in Role.values:
        raise InvalidInput("角色无效。", fields={"role": ["角色无效。"]})
    if not can_grant_role(actor, department, role):
        raise Forbidden("您无权在该部门授予此角色。")
    if not user.is_department_staff:
        raise InvalidInput(
            "只能给工作人员授予角色。", fields={"user": ["只能给工作人员授予角色。"]}
        )
    try:
        with transaction.atomic():
            grant = RoleGrant.objects.create(
                user=user, department=department, role=role, granted_by=actor
            )
    except IntegrityError:
        raise Conflict("该工作人员已在此部门拥有该角色。", code="already_granted") from None
    _audit("role.grant", actor=actor, obj=user, after={"role": role, "department": department.code})
    return grant


@transaction.atomic
def do_revoke_role(grant: RoleGrant, *, actor: User) -> None:
    grant = (
        RoleGrant.objects.select_for_update().select_related("department", "user").get(pk=grant.pk)
    )
    if not can_grant_role(actor, grant.department, grant.role):
        raise Forbidden("您无权撤销该角色。")
    if grant.user_id == actor.pk and grant.role in {Role.CENTRE_ADMIN, Role.DEPT_ADMIN}:
        raise Conflict("不能撤销自己的管理员角色。", code="cannot_revoke_own_admin")
    user, department, role = grant.user, grant.department, grant.role
    grant.delete()
    _audit(
        "role.revoke", actor=actor, obj=user, before={"role": role, "department": department.code}
    )
