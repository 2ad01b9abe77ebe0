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
from wangban.accounts.models import (
    AgentGrant,
    ApiToken,
    Department,
    LegalPerson,
    Person,
    RoleGrant,
    User,
)
from wangban.accounts.roles import user_has_role
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


def do_verify_identity(person: Person, *, actor: Any) -> Person:
    """Verify real name and identity number through the configured verifier (乌海第八条).
    A refusal is audited in its own transaction, so that the event survives the error."""
    verified, reason = _verify_identity(person, actor=actor)
    if verified is not None:
        return verified
    with transaction.atomic():
        _audit("applicant.verify_failed", actor=actor, obj=person, after={"reason": reason})
    raise InvalidInput(f"实名认证未通过：{reason}", code="verification_failed")


@transaction.atomic
def _verify_identity(person: Person, *, actor: Any) -> tuple[Person | None, str]:
    """The verified person, or None and the verifier's reason for refusing."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    if person.real_name_level >= RealNameLevel.IDENTITY_VERIFIED:
        return person, ""
    verifier = get_verifier()
    result = verifier.verify(person.real_name, pii.decrypt(person.id_number_encrypted))
    if not result.ok:
        return None, result.reason
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
    return person, ""


@transaction.atomic
def do_verify_in_person(person: Person, *, clerk: User) -> Person:
    """A window clerk checked the identity card in person (the highest real-name level)."""
    if not (is_centre_admin(clerk) or user_has_role(clerk, Role.CLERK)):
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
    """The unmasked identity number, for its owner and centre admins; each view audited.
    Window clerks see it only for the applicant of a case in their queue, through
    `wangban.cases.identity.do_reveal_applicant_id_number`: a clerk role alone does not
    open every citizen's number."""
    if not (actor.pk == person.user_id or is_centre_admin(actor)):
        raise Forbidden("您无权查看完整的身份证号码。")
    return reveal_id_number(person, actor=actor, request=request)


def reveal_id_number(
    person: Person, *, actor: User, request: HttpRequest | None = None, case: str = ""
) -> str:
    """Decrypt and audit; the caller has decided that `actor` may see it."""
    after = {"field": "id_number", **({"case": case} if case else {})}
    _audit("pii.view", actor=actor, obj=person, after=after, request=request)
    return pii.decrypt(person.id_number_encrypted)


@transaction.atomic
def do_register_legal_person(
    *, owner: User, name: str, credit_code: str, representative_name: str
) -> LegalPerson:
    """A verified person registers the company they represent."""
    person = Person.objects.filter(user=owner).first()  # fresh: the level may just have changed
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
    renamed = existing.name != name
    for field, value in values.items():
        setattr(existing, field, value)
    existing.save(update_fields=list(values))
    if renamed:  # the catalogue's search index copies department names
        # Imported here: the catalogue builds on accounts, not the other way round.
        from wangban.catalog.search import refresh_department

        refresh_department(existing)
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


# Login security: password change and reset, second factor ---------------------------------
# (issue 3; wangban/accounts/{passwords,middleware,lockout,otp,sms}.py hold the rest)

PASSWORD_RESET_SESSION_KEY = "wangban_password_reset"  # noqa: S105 (a session key name)
PASSWORD_RESET_CODE_MINUTES = 10
PASSWORD_RESET_MAX_ATTEMPTS = 5
PASSWORD_RESET_REQUESTS_PER_HOUR = 5  # per user name and client address
PASSWORD_RESET_REQUESTS_PER_IP_PER_HOUR = 20  # per client address, whatever the user name


@transaction.atomic
def do_change_password(
    user: User, *, old_password: str, new_password: str, request: HttpRequest | None = None
) -> User:
    """The signed-in user changes their password (等保: 口令定期更换). The caller keeps the
    session with `update_session_auth_hash`; every other session of the user ends."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.check_password(old_password or ""):
        message = "当前密码不正确。"
        raise InvalidInput(message, fields={"old_password": [message]})
    _check_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    _revoke_api_tokens(user)
    _audit("auth.password_change", actor=user, obj=user, request=request)
    return user


def _revoke_api_tokens(user: User) -> None:
    """A new password ends every API token of the user, as it ends their other sessions."""
    ApiToken.objects.usable().filter(user=user).update(revoked_at=timezone.now())


def _reset_code_digest(salt: str, code: str) -> str:
    from django.utils.crypto import salted_hmac

    return salted_hmac("wangban.password_reset", f"{salt}:{code}").hexdigest()


def start_password_reset(
    session: Any, *, username: str, phone: str, request: HttpRequest | None = None
) -> None:
    """Send a 6-digit code to the account's mobile if user name and mobile match an active
    account, and keep its digest in `session` for 10 minutes and 5 attempts. The outcome is
    the same whether or not they match (the page must not reveal whether an account
    exists): without a match the session holds the digest of a code nobody was sent."""
    import hashlib
    import secrets

    from django.core.cache import cache

    from wangban.accounts.sms import send_sms

    username = _required(username, "username", "用户名")
    phone = clean_mobile(phone)
    # Keyed on the user name *and* the client address, so that strangers cannot use up a
    # victim's requests; a separate per-address limit stops one client spraying names.
    ip = str(request.META.get("REMOTE_ADDR", "")) if request is not None else ""
    name_digest = hashlib.sha256(f"{username.lower()}\n{ip}".encode()).hexdigest()
    ip_digest = hashlib.sha256(ip.encode()).hexdigest()
    limits = [
        ("wangban:password-reset:name-ip:" + name_digest, PASSWORD_RESET_REQUESTS_PER_HOUR),
        ("wangban:password-reset:ip:" + ip_digest, PASSWORD_RESET_REQUESTS_PER_IP_PER_HOUR),
    ]
    counts = [cache.get(key, 0) for key, _ in limits]
    if any(count >= limit for count, (_, limit) in zip(counts, limits, strict=True)):
        message = "获取验证码过于频繁，请一小时后再试。"
        raise InvalidInput(message, code="rate_limited", fields={"username": [message]})
    for count, (key, _) in zip(counts, limits, strict=True):
        cache.set(key, count + 1, 3600)

    user = User.objects.filter(username=username, is_active=True).first()
    matches = user is not None and bool(user.phone) and user.phone == phone
    code = f"{secrets.randbelow(10**6):06d}"
    salt = secrets.token_hex(8)
    session[PASSWORD_RESET_SESSION_KEY] = {
        "user_id": user.pk if matches and user is not None else None,
        "salt": salt,
        "digest": _reset_code_digest(salt, code),
        "expires": int(timezone.now().timestamp()) + PASSWORD_RESET_CODE_MINUTES * 60,
        "attempts": 0,
    }
    if matches:
        send_sms(
            phone,
            f"【网办】您正在重置登录密码，验证码 {code}，{PASSWORD_RESET_CODE_MINUTES} 分钟内有效。"
            "如非本人操作，请忽略本短信，不要把验证码告诉任何人。",
        )
        with transaction.atomic():
            _audit("auth.password_reset_request", actor=None, obj=user, request=request)


def check_password_reset_code(session: Any, code: str) -> User:
    """The account whose reset code this is, or InvalidInput (field `code`): not started,
    expired, wrong (each wrong code counts) or too many attempts (the code is then void)."""
    from django.utils.crypto import constant_time_compare

    def refuse(message: str, error_code: str) -> InvalidInput:
        return InvalidInput(message, code=error_code, fields={"code": [message]})

    state = session.get(PASSWORD_RESET_SESSION_KEY)
    if not isinstance(state, dict):
        raise refuse("请先填写用户名和手机号码获取验证码。", "reset_not_started")
    if int(timezone.now().timestamp()) >= state["expires"]:
        session.pop(PASSWORD_RESET_SESSION_KEY, None)
        raise refuse("验证码已过期，请重新获取。", "code_expired")
    if state["attempts"] >= PASSWORD_RESET_MAX_ATTEMPTS:
        session.pop(PASSWORD_RESET_SESSION_KEY, None)
        raise refuse("验证码错误次数过多，请重新获取。", "too_many_attempts")
    code = (code or "").strip()
    right = constant_time_compare(_reset_code_digest(state["salt"], code), state["digest"])
    user = User.objects.filter(pk=state["user_id"], is_active=True).first()
    if right and user is not None:
        return user
    state["attempts"] += 1
    remaining = PASSWORD_RESET_MAX_ATTEMPTS - state["attempts"]
    if remaining <= 0:
        session.pop(PASSWORD_RESET_SESSION_KEY, None)
        raise refuse("验证码错误次数过多，请重新获取。", "too_many_attempts")
    session[PASSWORD_RESET_SESSION_KEY] = state
    raise refuse(f"验证码不正确，还可以再试 {remaining} 次。", "code_invalid")


def do_reset_password(
    session: Any, *, code: str, new_password: str, request: HttpRequest | None = None
) -> User:
    """Set a new password with the SMS code of `start_password_reset`. Ends the user's other
    sessions (the password hash changes) and lifts a lockout of the user name."""
    user = check_password_reset_code(session, code)  # counts the attempt even if we fail below
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        _check_password(new_password, user)
        user.set_password(new_password)
        user.save(update_fields=["password"])
        _revoke_api_tokens(user)
        _audit("auth.password_reset", actor=user, obj=user, request=request)
    session.pop(PASSWORD_RESET_SESSION_KEY, None)
    from axes.utils import reset as axes_reset

    axes_reset(username=user.get_username())
    return user


@transaction.atomic
def do_start_totp_enrolment(user: User) -> Any:
    """A new, unconfirmed TOTP device for `user` (any earlier unconfirmed one is dropped)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from wangban.accounts.otp import DEVICE_NAME

    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def do_confirm_totp(user: User, *, token: str, request: HttpRequest | None = None) -> Any:
    """Confirm the device being enrolled with a code from the app; it replaces any earlier
    device of the user. The caller marks the session verified (`django_otp.login`)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    with transaction.atomic():  # commits a failed try too: django-otp's throttle counts it
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("-pk")
            .first()
        )
        if device is None:
            raise Conflict("请重新开始绑定身份验证器。", code="enrolment_not_started")
        confirmed = device.verify_token((token or "").strip())
        if confirmed:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            _audit(
                "auth.otp_enrol", actor=user, obj=user, after={"device": "totp"}, request=request
            )
    if not confirmed:
        message = "验证码不正确，请输入身份验证器中当前显示的 6 位数字。"
        raise InvalidInput(message, fields={"token": [message]})
    return device


def do_verify_second_factor(user: User, *, token: str, request: HttpRequest | None = None) -> Any:
    """The confirmed device that accepts `token`, or None (a failure is audited; django-otp
    slows down repeated failures per device)."""
    from django_otp import verify_token

    from wangban.accounts.otp import confirmed_device

    device = confirmed_device(user)
    if device is None:
        return None
    verified = verify_token(user, device.persistent_id, (token or "").strip())
    if verified is None:
        with transaction.atomic():
            from wangban.audit.actions import record

            record("auth.otp_failed", actor=user, obj=user, request=request, outcome="failure")
    return verified
