"""Who may open which catalogue page. The rules are `wangban.catalog.access`'s; this module
turns them into the pages' answers: anonymous visitors are sent to the login page, people
without a catalogue role get 403, and an item outside the caller's scope is 404, so that
its existence does not leak (a transport admin asking for a market item)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from wangban.accounts.choices import Role
from wangban.accounts.models import Department
from wangban.accounts.roles import departments_where, user_has_role
from wangban.catalog.access import can_edit_items, can_review_items
from wangban.catalog.models import ServiceItem
from wangban.portal.account.auth import workbench_login_required

View = Callable[..., HttpResponse]

# Department admins keep their items; centre admins review and publish everyone's.
CATALOGUE_ROLES = (Role.DEPT_ADMIN, Role.CENTRE_ADMIN)
# The supervision figures: supervisors and centre admins city-wide, department admins for
# their own departments.
FIGURE_ROLES = (Role.SUPERVISOR, Role.CENTRE_ADMIN, Role.DEPT_ADMIN)


def requires(*roles: Role) -> Callable[[View], View]:
    """Signed in (else the workbench login) and holding one of `roles` somewhere (else 403)."""

    def decorate(view: View) -> View:
        @workbench_login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not user_has_role(request.user, *roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


catalogue_page = requires(*CATALOGUE_ROLES)
review_page = requires(Role.CENTRE_ADMIN)
figures_page = requires(*FIGURE_ROLES)


def listed_departments(user: Any) -> QuerySet[Department]:
    """The departments whose items `user` lists: every one for the centre, else their own."""
    if can_review_items(user):
        return Department.objects.order_by("code")
    return Department.objects.filter(pk__in=departments_where(user, Role.DEPT_ADMIN)).order_by(
        "code"
    )


def drafting_departments(user: Any) -> QuerySet[Department]:
    """The departments in which `user` may draft new items (their department admin grants)."""
    return Department.objects.filter(pk__in=departments_where(user, Role.DEPT_ADMIN)).order_by(
        "code"
    )


def figure_departments(user: Any) -> list[int] | None:
    """The departments whose figures `user` reads: None for all (supervisors and the centre)."""
    if user_has_role(user, Role.SUPERVISOR, Role.CENTRE_ADMIN):
        return None
    return sorted(departments_where(user, Role.DEPT_ADMIN))


def may_manage(user: Any, item: ServiceItem) -> bool:
    """Sees the item's page and every version of it: its editors and the centre."""
    return can_review_items(user) or can_edit_items(user, item.department)


def visible_item(user: Any, code: str) -> ServiceItem:
    """The item `user` may manage, or 404."""
    item = ServiceItem.objects.select_related("department").filter(code=code).first()
    if item is None or not may_manage(user, item):
        raise Http404("事项不存在。")
    return item


def editable_item(user: Any, code: str) -> ServiceItem:
    """The item `user` may edit: 404 outside their scope, 403 for the centre (it reviews)."""
    item = visible_item(user, code)
    if not can_edit_items(user, item.department):
        raise PermissionDenied
    return item
