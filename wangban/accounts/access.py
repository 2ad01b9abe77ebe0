"""Who may manage whom, and who may act for a legal person. One place decides."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone

from wangban.accounts.choices import Role
from wangban.accounts.models import AgentGrant, Department, LegalPerson
from wangban.accounts.roles import user_has_role
from wangban.core.errors import Forbidden

# Roles a department admin may not hand out: they belong to the centre.
CENTRE_ROLES = {Role.CENTRE_ADMIN, Role.SUPERVISOR, Role.HOTLINE, Role.KNOWLEDGE_EDITOR}


def is_centre_admin(user: Any) -> bool:
    return user_has_role(user, Role.CENTRE_ADMIN)


def can_manage_staff(user: Any, department: Department) -> bool:
    """Centre admins manage everyone; a department admin manages their own department."""
    return is_centre_admin(user) or user_has_role(user, Role.DEPT_ADMIN, department=department)


def can_grant_role(user: Any, department: Department, role: str) -> bool:
    if is_centre_admin(user):
        return True
    return role not in CENTRE_ROLES and can_manage_staff(user, department)


def may_act_for(
    user: Any, legal_person: LegalPerson, item_code: str, on: date | None = None
) -> bool:
    """The owner always; an agent only inside a grant in force for this item today."""
    if not getattr(user, "is_authenticated", False):
        return False
    if legal_person.owner_id == user.pk:
        return True
    on = on or timezone.localdate()
    grants = AgentGrant.objects.in_force(on).filter(legal_person=legal_person, agent=user)
    return any(grant.covers(item_code, on) for grant in grants)


def require_may_act_for(user: Any, legal_person: LegalPerson, item_code: str) -> None:
    if not may_act_for(user, legal_person, item_code):
        raise Forbidden(
            f"您没有代{legal_person.name}办理该事项的有效授权。", code="agent_not_authorised"
        )
