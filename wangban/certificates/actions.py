"""Every write to electronic seals goes through these actions.

Each runs in one transaction: checks that the actor may manage seals (403), locks the
department row so that two changes to one department's seals follow each other, checks the
state (409), validates the input (400), writes, and appends the audit event (`seal.create`,
`seal.rotate`) in the same transaction; a refusal changes nothing and records nothing.

Seals are the service centre's to manage (the centre admin, or the system for the
`create_seals` command and the demo); departments only use them. A key is never changed in
place: rotation retires the seal and creates a new one, so documents sealed before stay
verifiable under the old key id (大安办法第二十六条, 乌海规范第十四条、第二十四条).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from wangban.accounts.access import is_centre_admin
from wangban.accounts.models import Department
from wangban.audit.actions import record
from wangban.certificates.choices import SealPurpose
from wangban.certificates.models import Seal
from wangban.certificates.queries import departments_without_seal
from wangban.core import signing
from wangban.core.errors import Conflict, Forbidden, InvalidInput

NAME_MAX_LENGTH = Seal._meta.get_field("name").max_length or 100


def _require_may_manage_seals(actor: Any) -> None:
    """The centre admin, or the system (actor None)."""
    if actor is not None and not is_centre_admin(actor):
        raise Forbidden("只有政务服务中心管理员可以管理电子印章。", code="permission_denied")


def _lock(department: Department) -> Department:
    return Department.objects.select_for_update().get(pk=department.pk)


def _locked_active_seal(department: Department, purpose: str) -> Seal | None:
    return (
        Seal.objects.select_for_update()
        .filter(department=department, purpose=purpose, is_active=True)
        .first()
    )


def _purpose(purpose: str) -> str:
    if purpose not in SealPurpose.values:
        raise InvalidInput(fields={"purpose": ["印章用途无效。"]})
    return purpose


def _name(name: str, department: Department, purpose: str) -> str:
    """The given name, or the department's name followed by the purpose's label."""
    text = (name or "").strip() or f"{department.name}{SealPurpose(purpose).label}"
    if len(text) > NAME_MAX_LENGTH:
        raise InvalidInput(fields={"name": [f"印章名称不能超过 {NAME_MAX_LENGTH} 个字。"]})
    return text


def _new_seal(department: Department, purpose: str, name: str) -> Seal:
    keys = signing.generate_keypair()
    seal = Seal(department=department, purpose=purpose, name=name, public_key=keys.public_key)
    seal.set_private_key(keys.private_key)
    seal.save()
    return seal


def _public(seal: Seal) -> dict[str, Any]:
    """What the audit keeps of a seal: everything but the private key."""
    return {
        "key_id": seal.key_id,
        "name": seal.name,
        "purpose": seal.purpose,
        "department": seal.department.code,
        "public_key": seal.public_key,
    }


@transaction.atomic
def do_create_seal(
    department: Department,
    *,
    actor: Any,
    purpose: str = SealPurpose.APPROVAL,
    name: str = "",
    request: HttpRequest | None = None,
) -> Seal:
    """Create the department's seal for `purpose` with a fresh key pair. Refused when the
    department already has one in use (rotate it instead) or is no longer active."""
    _require_may_manage_seals(actor)
    department = _lock(department)
    if not department.is_active:
        raise Conflict(f"{department.name}已停用，不能新建电子印章。", code="department_inactive")
    purpose = _purpose(purpose)
    if _locked_active_seal(department, purpose) is not None:
        raise Conflict(
            f"{department.name}已有在用的{SealPurpose(purpose).label}，如需更换密钥请轮换印章。",
            code="seal_exists",
        )
    seal = _new_seal(department, purpose, _name(name, department, purpose))
    record(
        "seal.create",
        actor=actor,
        request=request,
        obj=seal,
        department=department.code if actor is None else None,
        after=_public(seal),
    )
    return seal


@transaction.atomic
def do_rotate_seal(
    department: Department,
    *,
    actor: Any,
    purpose: str = SealPurpose.APPROVAL,
    name: str = "",
    reason: str = "",
    request: HttpRequest | None = None,
) -> Seal:
    """Retire the department's seal in use for `purpose` and put a new key pair in its place
    (same name unless another is given). The old seal stays, retired, so that documents it
    sealed keep verifying; new documents are sealed with the new one."""
    _require_may_manage_seals(actor)
    department = _lock(department)
    purpose = _purpose(purpose)
    old = _locked_active_seal(department, purpose)
    if old is None:
        raise Conflict(
            f"{department.name}尚无在用的{SealPurpose(purpose).label}，无法轮换；请先新建印章。",
            code="no_active_seal",
        )
    new_name = _name(name or old.name, department, purpose)
    reason = (reason or "").strip()
    if len(reason) > 500:
        raise InvalidInput(fields={"reason": ["轮换原因不能超过 500 个字。"]})
    # Retire first: the partial unique index admits one active seal at a time.
    old.is_active = False
    old.retired_at = timezone.now()
    old.save(update_fields=["is_active", "retired_at"])
    seal = _new_seal(department, purpose, new_name)
    record(
        "seal.rotate",
        actor=actor,
        request=request,
        obj=seal,
        department=department.code if actor is None else None,
        before={**_public(old), "retired_at": old.retired_at},
        after={**_public(seal), "reason": reason},
    )
    return seal


@transaction.atomic
def create_missing_seals(*, actor: Any = None, purpose: str = SealPurpose.APPROVAL) -> list[Seal]:
    """A seal for `purpose` for every active department that has none in use (the
    `create_seals` command and the demo). Idempotent: a second run creates nothing."""
    return [
        do_create_seal(department, actor=actor, purpose=purpose)
        for department in departments_without_seal(purpose)
    ]
