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
- Review (issue 8): staff with a review role in a co-handling department (联办部门) see the
  case once it has reached one of their department's steps. A step is worked by the holders
  of its role in its department — only by its assignee when it is assigned to a person;
  `reassign` is for the department admin and the approvers; `extend` and `decide` are the
  approvers'; `complete` (delivery) is the accepting clerks'.

Nobody but the applicant side sees an online draft: it is not an application yet. A case
the user may not see is 404; one they may see but not change is 403 (API.md).
"""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.db.models import BooleanField, F, Func, Q, QuerySet, Subquery
from django.utils import timezone

from wangban.accounts.access import may_act_for
from wangban.accounts.choices import Role
from wangban.accounts.models import AgentGrant, LegalPerson
from wangban.accounts.roles import departments_where, user_has_role
from wangban.cases.choices import CLOCK_STATES, CaseAction, CaseState, Channel
from wangban.cases.models import Case, CaseStep
from wangban.catalog import frozen
from wangban.catalog.models import ServiceItem
from wangban.core.calendar import hold_calendar
from wangban.core.errors import Forbidden, NotFound
from wangban.core.prepared import Prepared

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
#: Review (issue 8, API.md "who"): the current step's holder works it; the handler or the
#: step's holder stops and restarts the clock and asks for a correction during review.
STEP_ACTIONS = {CaseAction.APPROVE_STEP, CaseAction.RETURN_STEP}
CLOCK_ACTIONS = {CaseAction.SUSPEND, CaseAction.RESUME}
REVIEW_ACTIONS = {
    *STEP_ACTIONS,
    *CLOCK_ACTIONS,
    CaseAction.REASSIGN,
    CaseAction.EXTEND,
    CaseAction.DECIDE,
    CaseAction.COMPLETE,
}

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


def is_reviewer_of(case: Case, user: Any) -> bool:
    """Staff with a review role in the implementing department, or in a co-handling
    department whose step the case has reached."""
    if user_has_role(user, *REVIEW_ROLES, department=case.department_id):
        return True
    others = departments_where(user, *REVIEW_ROLES) - {case.department_id}
    return bool(others) and CaseStep.objects.filter(case=case, department__in=others).exists()


def works_a_step(case: Case, user: Any) -> bool:
    """Holds the role of one of the case's workflow steps in that step's department."""
    return any(
        user_has_role(user, step.role, department=step.department_id or case.department_id)
        for step in frozen.steps(case.version)
    )


def holds_current_step(case: Case, user: Any) -> bool:
    """The current step's role in its department — and, when it is assigned to a person,
    that person only. When no step is open (before acceptance, after the decision) it is
    whoever works one of the case's steps, so that the state refuses them (409), not the
    person (403). A case in review without a step (an item whose only step is 受理, which
    the approver decides directly) has no such holder."""
    step = case.current_step
    if step is None or step.finished_at is not None:
        in_review = case.accepted_on is not None and case.state in CLOCK_STATES
        return not in_review and works_a_step(case, user)
    if step.assignee_id is not None and step.assignee_id != user.pk:
        return False
    return user_has_role(user, step.role, department=step.department_id)


def _may_review(case: Case, user: Any, action: str) -> bool:
    department = case.department_id
    if action in STEP_ACTIONS:
        return holds_current_step(case, user)
    if action in CLOCK_ACTIONS or action == CaseAction.REQUEST_CORRECTION:
        return holds_current_step(case, user) or user_has_role(
            user, Role.HANDLER, department=department
        )
    if action == CaseAction.REASSIGN:
        step = case.current_step
        departments = {department, step.department_id} if step else {department}
        return any(
            user_has_role(user, Role.DEPT_ADMIN, Role.APPROVER, department=d) for d in departments
        )
    if action == CaseAction.EXTEND:
        return user_has_role(user, Role.APPROVER, department=department)
    if action == CaseAction.DECIDE:
        step = case.current_step
        named = step is not None and step.assignee_id not in (None, user.pk)
        return user_has_role(user, Role.APPROVER, department=department) and not named
    if action == CaseAction.COMPLETE:
        return is_queue_clerk(case, user)
    return False


def can_see_case(case: Case, user: Any) -> bool:
    return is_applicant_side(case, user) or sees_as_staff(case, user)


def sees_as_staff(case: Case, user: Any) -> bool:
    """Whether `user` sees the case as staff (an accepting clerk, a reviewer, a supervisor),
    whatever they are besides: what the workbench shows a case to. A staff member who sees a
    case only as its applicant side follows it in the portal, which names no staff."""
    if not _signed_in(user):
        return False
    if is_queue_clerk(case, user):
        return case.state != CaseState.DRAFT or case.channel == Channel.WINDOW
    if case.state == CaseState.DRAFT:
        return False
    return is_reviewer_of(case, user) or user_has_role(user, Role.SUPERVISOR)


def is_own_application(case: Case, user: Any) -> bool:
    """回避: the user is on the applicant side now, or was — they filed it (not as a window
    clerk registering a walk-in), it is their own, or they own the legal person. A grant
    that ended does not make an agent impartial about what they filed."""
    if is_applicant_side(case, user):
        return True
    filed_it = case.created_by_id == user.pk and case.channel != Channel.WINDOW
    owner = case.on_behalf_of is not None and case.on_behalf_of.owner_id == user.pk
    return bool(case.applicant_id == user.pk or filed_it or owner)


def may_act(case: Case, user: Any, action: str) -> bool:
    """Whether `user` may do `action` on a case they can see (the state is checked apart)."""
    if action in (CaseAction.DEEM_ACCEPT, CaseAction.RESCHEDULE):
        return False  # the system only
    if action in REVIEW_ACTIONS or (
        action == CaseAction.REQUEST_CORRECTION and case.accepted_on is not None
    ):
        # Nobody decides on their own application (回避).
        return _may_review(case, user, action) and not is_own_application(case, user)
    if action in CLERK_ACTIONS:
        # Nobody decides on their own application (回避): a clerk who is also its applicant
        # side may not accept, reject, correct or terminate it. A submission handed to one
        # clerk (`reassign`) is theirs to pre-review.
        handed = case.state == CaseState.SUBMITTED and case.intake_assignee_id not in (
            None,
            user.pk,
        )
        return is_queue_clerk(case, user) and not is_own_application(case, user) and not handed
    applicant = is_applicant_side(case, user)
    if action in APPLICANT_ACTIONS:
        window = case.channel == Channel.WINDOW and action in CLERK_AT_WINDOW_ACTIONS
        return applicant or (window and is_queue_clerk(case, user))
    return applicant


def require_may_act(case: Case, user: Any, action: str) -> None:
    if not may_act(case, user, action):
        raise Forbidden(f"您无权对该办件执行“{CaseAction(action).label}”。")


def may_change_materials(case: Case, user: Any, *, paper: bool = False) -> bool:
    """Files: the applicant side, and for a window application the accepting clerks (its
    intake and the corrections handed in at the window); an online applicant's files are
    theirs alone to replace. Paper marks: the clerks only."""
    if paper:
        return is_queue_clerk(case, user)
    if is_applicant_side(case, user):
        return True
    return case.channel == Channel.WINDOW and is_queue_clerk(case, user)


def _case_by_id(case_id: str) -> QuerySet[Case]:
    """The case with what every case page and answer shows of it."""
    return (
        Case.objects.select_related(
            "item",
            "version",
            "department",
            "accepting_department",
            "on_behalf_of",
            "applicant",
            "current_step__department",
        )
        .filter(pk=case_id)
        .order_by()
    )


def _case_row_lock(case_id: str) -> QuerySet[Case]:
    """The case's row alone, locked. Locked apart from the read that follows: a locking read
    that joins the current step and waits for another action's lock gets the case's new row
    but the step it joined before the wait (PostgreSQL re-checks only the locked row), so
    the checks would run on a step that has moved on."""
    return Case.objects.select_for_update().filter(pk=case_id).only("pk").order_by()


def lock_cases(ids: list[str]) -> None:
    """Lock the rows of the cases `ids` (in order of id, as every locker does), alone: read
    them with their current step afterwards (`_case_row_lock` says why). The calendar is
    held first (`hold_calendar`), as by every case writer."""
    hold_calendar()
    list(Case.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk"))


# Every case request reads its case so: compiled once (wangban/core/prepared.py).
_READ_CASE = Prepared(_case_by_id, "str")
_LOCK_CASE = Prepared(_case_row_lock, "str")


#: The length of `Case.id`.
MAX_CASE_ID_LENGTH = 32


def access_case(
    case_id: Any, user: Any, *, for_write: bool = False, as_staff: bool = False
) -> Case:
    """The case `case_id` if `user` may see it, else NotFound (404); with `as_staff` only if
    they see it as staff (`sees_as_staff`: the workbench's pages and downloads). With
    `for_write` the row is locked (call it inside a transaction) and read-only viewers
    (supervisors) get Forbidden (403); which actions a writer may do is `may_act`.
    `lock_case` takes the case so locked on to the action."""
    case_id = str(case_id)
    # An id no case can have (too long, or with a NUL that PostgreSQL cannot compare) is
    # not looked up: it is not found, as from every other page and endpoint.
    possible = len(case_id) <= MAX_CASE_ID_LENGTH and "\x00" not in case_id
    if possible and for_write:
        hold_calendar()  # before the case: the order every case writer locks in
        possible = _LOCK_CASE.first(case_id) is not None
    case = _READ_CASE.first(case_id) if possible else None
    seen = sees_as_staff if as_staff else can_see_case
    if case is None or not seen(case, user):
        raise NotFound(NOT_FOUND_MESSAGE, code="case_not_found")
    if for_write and not (
        is_applicant_side(case, user) or is_queue_clerk(case, user) or is_reviewer_of(case, user)
    ):
        raise Forbidden("您只能查看该办件，不能办理。")
    if for_write:
        case._locked_for = (user.pk, _outer_transaction())  # type: ignore[attr-defined]
    return case


def _outer_transaction() -> Any:
    """The outermost transaction now open: a row lock lasts as long as it does."""
    return connection.atomic_blocks[0] if connection.atomic_blocks else None


def is_held(case: Any) -> bool:
    """Locked by `access_case(…, for_write=True)` in the transaction still open and not taken
    over yet: its fields are the row's as it stands."""
    held = getattr(case, "_locked_for", None)
    return held is not None and held[1] is _outer_transaction()


def action_transaction(case: Case | str) -> transaction.Atomic:
    """The transaction of an action on `case`: a savepoint inside an open transaction, but
    none inside the one whose lock `case` carries (`access_case(…, for_write=True)`, the
    API's views). That caller lets any error end its whole transaction, so a savepoint
    there would only cost two statements."""
    return transaction.atomic(savepoint=not is_held(case))


def release(case: Case) -> None:
    """Forget that `case` is held: the row changed behind it, so the action reads it again."""
    case.__dict__.pop("_locked_for", None)


def lock_case(case: Case | str, user: Any) -> Case:
    """`access_case(…, for_write=True)` for an action: the case locked and checked for
    `user`. A Case that `access_case` locked so for the same user in the transaction still
    open is taken over as it is, once, instead of being read and checked again: the API's
    transition view locks and checks before it reads the body, then hands the case to the
    action. What the action returns carries no such mark, so a later action reads afresh."""
    held = getattr(case, "_locked_for", None) if isinstance(case, Case) else None
    if held is not None:
        del case._locked_for  # type: ignore[union-attr]
        outer = _outer_transaction()
        if outer is not None and held[0] == user.pk and held[1] is outer:
            return case  # type: ignore[return-value]
    locked = access_case(case.pk if isinstance(case, Case) else str(case), user, for_write=True)
    del locked._locked_for  # type: ignore[attr-defined]
    return locked


class _AmongIds(Func):
    """`column IN (subquery)`, written `column = ANY(ARRAY(subquery))` on PostgreSQL: there
    the subquery runs once, before the scan, and the index on the column serves the test
    even as one alternative of an OR; `IN (subquery)` would be tested row by row."""

    conditional = True
    output_field = BooleanField()

    template = "%(expressions)s"
    arg_joiner = " IN "

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="%(expressions)s)",
            arg_joiner=" = ANY(ARRAY",
            **extra_context,
        )


def _applicant_side(user: Any) -> Q:
    """`is_applicant_side` in SQL: own personal cases, the legal persons' cases the user
    owns, and those of the items an agent grant in force today covers.

    Every part is a condition on the case's own columns (the owned legal persons come from
    a subquery run once, the granted items are looked up first), so that an index serves
    each part and the parts combine: a join here would make the database read every case
    of the table (bench/cases.py)."""
    applicant_side = Q(on_behalf_of__isnull=True, applicant=user)
    owned = LegalPerson.objects.filter(owner=user).values("pk")
    applicant_side |= Q(_AmongIds(F("on_behalf_of"), Subquery(owned)))
    grants = list(AgentGrant.objects.in_force(timezone.localdate()).filter(agent=user))
    if not grants:
        return applicant_side
    codes = {code for grant in grants if not grant.all_items for code in grant.item_codes}
    item_ids = dict(ServiceItem.objects.filter(code__in=codes).values_list("code", "pk"))
    for grant in grants:
        if grant.all_items:
            applicant_side |= Q(on_behalf_of=grant.legal_person_id)
            continue
        items = [item_ids[code] for code in grant.item_codes if code in item_ids]
        if items:
            applicant_side |= Q(on_behalf_of=grant.legal_person_id, item__in=items)
    return applicant_side


def applicant_cases(user: Any) -> QuerySet[Case]:
    """The cases `user` holds as applicant side (我的办件), whatever staff roles they have."""
    if not _signed_in(user):
        return Case.objects.none()
    return Case.objects.filter(_applicant_side(user))


def cases_visible_to(user: Any) -> QuerySet[Case]:
    """Every case `user` may see: the same rules as `can_see_case`, in SQL, for lists.

    The scope is an OR of conditions that each an index serves (the applicant's own, the
    accepting clerks' department, the implementing department, the co-handled cases), so
    that a department's list reads its department's rows, not the table."""
    if not _signed_in(user):
        return Case.objects.none()
    return Case.objects.filter(_applicant_side(user) | _staff_side(user))


def cases_at_work(user: Any) -> QuerySet[Case]:
    """The cases `user` sees as staff, without their own applications (回避,
    `is_own_application`): what the work queues list."""
    if not _signed_in(user):
        return Case.objects.none()
    return Case.objects.filter(_staff_side(user)).exclude(_own_applications(user))


def cases_reviewed_by(user: Any) -> QuerySet[Case]:
    """The cases `user` sees with a review role (`is_reviewer_of`: their departments' filed
    cases and the co-handled ones that reached their steps), without their own
    applications: what the review queues list. Not what they see as a window clerk or a
    supervisor besides, which is no review work of theirs."""
    if not _signed_in(user):
        return Case.objects.none()
    staff_of = departments_where(user, *REVIEW_ROLES)
    return Case.objects.filter(_reviewer_side(staff_of)).exclude(_own_applications(user))


def _own_applications(user: Any) -> Q:
    """`is_own_application` in SQL."""
    filed_it = Q(created_by=user) & ~Q(channel=Channel.WINDOW)
    return _applicant_side(user) | Q(applicant=user) | filed_it


def _staff_side(user: Any) -> Q:
    filed = ~Q(state=CaseState.DRAFT)
    clerk_of = departments_where(user, Role.CLERK)
    staff_of = departments_where(user, *REVIEW_ROLES)
    scope = Q(pk__in=[])
    if clerk_of:
        scope |= Q(accepting_department__in=clerk_of) & (filed | Q(channel=Channel.WINDOW))
    if staff_of:
        scope |= _reviewer_side(staff_of)
    if user_has_role(user, Role.SUPERVISOR):
        scope |= filed
    return scope


def _reviewer_side(staff_of: set[int]) -> Q:
    """`is_reviewer_of` in SQL, for the departments `staff_of` where the user holds a review
    role: their filed cases, and the co-handled cases that reached one of their steps (the
    case steps of the workflow steps that name one of these departments)."""
    if not staff_of:
        return Q(pk__in=[])
    cohandled = CaseStep.objects.filter(workflow_step__department__in=staff_of).order_by()
    return (Q(department__in=staff_of) & ~Q(state=CaseState.DRAFT)) | Q(
        _AmongIds(F("pk"), Subquery(cohandled.values("case_id")))
    )
