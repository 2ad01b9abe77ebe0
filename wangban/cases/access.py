"""Who sees a case and who may act on it. One place decides (DESIGN.md §4).

- The applicant sees their own cases. A case filed for a legal person (法人) is the legal
  person's: its owner sees it, and so does an agent while a grant for that item is in force
  (乌海第八条) — also the agent who filed it, who loses it when the grant ends.
- Window clerks (`clerk`) of the accepting department see its queue: the service centre's
  clerks for departments that entrust acceptance (一窗受理, 乌海第六、十二条), the
  department's own clerks otherwise. They also see the drafts they register at the window.
- Staff with a review role (`handler`, `reviewer`, `second_reviewer`, `approver`,
  `dept_admin`) see the cases of their department once submitted.
- Supervisors (`supervisor`) see every submitted case, read-only.

Nobody but the applicant side sees an online draft: it is not an application yet. A case
the user may not see is 404; one they may see but not change is 403 (API.md).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from wangban.accounts.access import may_act_for
from wangban.accounts.choices import Role
from wangban.accounts.models import AgentGrant
from wangban.accounts.roles import departments_where, user_has_role
from wangban.cases.choices import CaseAction, CaseState, Channel
from wangban.cases.models import Case
from wangban.core.errors import Forbidden, NotFound

REVIEW_ROLES = (Role.HANDLER, Role.REVIEWER, Role.SECOND_REVIEWER, Role.APPROVER, Role.DEPT_ADMIN)

#: Who may do what (API.md "who"): the applicant side, the accepting department's clerks,
#: or the system alone.
APPLICANT_ACTIONS = {CaseAction.SUBMIT, CaseAction.RESUBMIT, CaseAction.WITHDRAW}
CLERK_ACTIONS = {
    CaseAction.SIGN_IN,
    CaseAction.REQUEST_CORRECTION,
    CaseAction.ACCEPT,
    CaseAction.REJECT,
    CaseAction.TERMINATE,
}
#: A clerk may also submit and resubmit what they register at a window, and hand in a
#: correction there (大安办法第十九条: 窗口工作人员进行材料补齐补正操作).
CLERK_AT_WINDOW_ACTIONS = {CaseAction.SUBMIT, CaseAction.RESUBMIT}

NOT_FOUND_MESSAGE = "办件不存在，或您无权查看。"


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def is_applicant_side(case: Case, user: Any) -> bool:
    """The applicant of a personal case; for a legal person's case its owner or an agent
    with a grant in force for the item today."""
    if not _signed_in(user):
        return False
    if case.on_behalf_of is None:
        return bool(case.applicant_id == user.pk)
    return may_act_for(user, case.on_behalf_of, case.item.code, on=timezone.localdate())


def is_clerk_of(user: Any, department: Any) -> bool:
    """A window clerk of `department` (a Department or its id)."""
    return _signed_in(user) and user_has_role(user, Role.CLERK, department=department)


def is_queue_clerk(case: Case, user: Any) -> bool:
    """A window clerk of the case's accepting department: they register window applications
    for it and pre-review, accept, correct and reject its submissions."""
    return is_clerk_of(user, case.accepting_department_id)


def can_see_case(case: Case, user: Any) -> bool:
    if not _signed_in(user):
        return False
    if is_applicant_side(case, user):
        return True
    if is_queue_clerk(case, user):
        return case.state != CaseState.DRAFT or case.channel == Channel.WINDOW
    if case.state == CaseState.DRAFT:
        return False
    return user_has_role(user, *REVIEW_ROLES, department=case.department_id) or user_has_role(
        user, Role.SUPERVISOR
    )


def may_act(case: Case, user: Any, action: str) -> bool:
    """Whether `user` may do `action` on a case they can see (the state is checked apart)."""
    if action == CaseAction.DEEM_ACCEPT:
        return False  # the system only
    if action in CLERK_ACTIONS:
        # Nobody decides on their own application (回避): a clerk who is also its applicant
        # side may not accept, reject, correct or terminate it.
        return is_queue_clerk(case, user) and not is_applicant_side(case, user)
    applicant = is_applicant_side(case, user)
    if action in APPLICANT_ACTIONS:
        window = case.channel == Channel.WINDOW and action in CLERK_AT_WINDOW_ACTIONS
        return applicant or (window and is_queue_clerk(case, user))
    return applicant


def require_may_act(case: Case, user: Any, action: str) -> None:
    if not may_act(case, user, action):
        raise Forbidden(f"您无权对该办件执行“{CaseAction(action).label}”。")


def may_change_materials(case: Case, user: Any, *, paper: bool = False) -> bool:
    """Files: the applicant side, and the accepting clerks (window intake and corrections
    handed in at the window). Paper marks: the clerks only."""
    if paper:
        return is_queue_clerk(case, user)
    return is_applicant_side(case, user) or is_queue_clerk(case, user)


def access_case(case_id: Any, user: Any, *, for_write: bool = False) -> Case:
    """The case `case_id` if `user` may see it, else NotFound (404). With `for_write` the
    row is locked (call it inside a transaction) and read-only viewers (supervisors) get
    Forbidden (403); which actions a writer may do is `may_act`."""
    queryset = Case.objects.select_related(
        "item", "version", "department", "accepting_department", "on_behalf_of", "applicant"
    )
    if for_write:
        queryset = queryset.select_for_update(of=("self",))
    case = queryset.filter(pk=str(case_id)).first()
    if case is None or not can_see_case(case, user):
        raise NotFound(NOT_FOUND_MESSAGE, code="case_not_found")
    if for_write and not (
        is_applicant_side(case, user)
        or is_queue_clerk(case, user)
        or user_has_role(user, *REVIEW_ROLES, department=case.department_id)
    ):
        raise Forbidden("您只能查看该办件，不能办理。")
    return case


def _applicant_side(user: Any) -> Q:
    """`is_applicant_side` in SQL: own personal cases, the legal persons' cases the user
    owns, and those of the items an agent grant in force today covers."""
    applicant_side = Q(on_behalf_of__isnull=True, applicant=user) | Q(on_behalf_of__owner=user)
    for grant in AgentGrant.objects.in_force(timezone.localdate()).filter(agent=user):
        items = Q() if grant.all_items else Q(item__code__in=grant.item_codes)
        applicant_side |= Q(on_behalf_of=grant.legal_person_id) & items
    return applicant_side


def applicant_cases(user: Any) -> QuerySet[Case]:
    """The cases `user` holds as applicant side (我的办件), whatever staff roles they have."""
    if not _signed_in(user):
        return Case.objects.none()
    return Case.objects.filter(_applicant_side(user))


def cases_visible_to(user: Any) -> QuerySet[Case]:
    """Every case `user` may see: the same rules as `can_see_case`, in SQL, for lists."""
    if not _signed_in(user):
        return Case.objects.none()
    applicant_side = _applicant_side(user)
    filed = ~Q(state=CaseState.DRAFT)
    clerk_of = departments_where(user, Role.CLERK)
    staff_of = departments_where(user, *REVIEW_ROLES)
    scope = applicant_side
    scope |= Q(accepting_department__in=clerk_of) & (filed | Q(channel=Channel.WINDOW))
    scope |= Q(department__in=staff_of) & filed
    if user_has_role(user, Role.SUPERVISOR):
        scope |= filed
    return Case.objects.filter(scope)
