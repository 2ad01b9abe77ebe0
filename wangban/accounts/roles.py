"""Who holds which role where. Every page and endpoint asks here, never by hand."""

from __future__ import annotations

from typing import Any

from wangban.accounts.choices import Role


def user_roles(user: Any) -> set[tuple[str, int]]:
    """(role, department id) pairs of an active user; cached on the user object."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    cached = getattr(user, "_wangban_roles", None)
    if cached is None:
        cached = set(user.role_grants.values_list("role", "department_id"))
        user._wangban_roles = cached
    return cached


def user_has_role(user: Any, *roles: Role | str, department: Any = None) -> bool:
    """True if `user` holds any of `roles` (in `department`, when given)."""
    wanted = {str(role) for role in roles}
    department_id = getattr(department, "pk", department)
    return any(
        role in wanted and (department_id is None or dept == department_id)
        for role, dept in user_roles(user)
    )


def departments_where(user: Any, *roles: Role | str) -> set[int]:
    """Ids of the departments in which `user` holds any of `roles`."""
    wanted = {str(role) for role in roles}
    return {dept for role, dept in user_roles(user) if role in wanted}
