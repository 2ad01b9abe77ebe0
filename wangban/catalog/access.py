"""Who may keep and who may publish the catalogue. One place decides."""

from __future__ import annotations

from typing import Any

from wangban.accounts.access import is_centre_admin
from wangban.accounts.choices import Role
from wangban.accounts.models import Department
from wangban.accounts.roles import user_has_role
from wangban.catalog.choices import VersionState
from wangban.core.errors import Forbidden


def can_edit_items(user: Any, department: Department) -> bool:
    """A department admin drafts and edits the items of their own department."""
    return user_has_role(user, Role.DEPT_ADMIN, department=department)


def can_review_items(user: Any) -> bool:
    """The centre reviews legality (法制审核) and publishes."""
    return is_centre_admin(user)


def require_edit_items(user: Any, department: Department) -> None:
    if not can_edit_items(user, department):
        raise Forbidden(f"只有{department.name}的部门管理员可以维护该部门的事项。")


def require_review_items(user: Any) -> None:
    if not can_review_items(user):
        raise Forbidden("只有政务服务中心管理员可以审核和发布事项。")


def can_see_version(user: Any, version: Any) -> bool:
    """A version that has been in effect is public record; one on its way (draft, in review,
    scheduled) is seen by its department's admins and the centre's reviewers."""
    public = {VersionState.PUBLISHED, VersionState.SUPERSEDED, VersionState.CANCELLED}
    if version.state in public:
        return True
    return can_review_items(user) or can_edit_items(user, version.item.department)
