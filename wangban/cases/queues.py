"""The acceptance queue (受理队列) of a window clerk, and the lists supervision reads.

A clerk's queue is every filed case that waits for pre-acceptance in the departments where
the clerk accepts: the department's own items, or for the service centre's clerks the items
of departments that entrust acceptance to it (一窗受理, 乌海规范第六、十二条). Who sees what is
`wangban.cases.access`; the queue is what the clerk sees as staff without their own
applications (`cases_at_work`: 回避, they may not act on them), narrowed to the clerk's
accepting departments and to the states before acceptance, or decided and waiting for
delivery.

Tabs (a case may be in more than one; "overdue" cuts across the others):

- `to_sign` 待签收: submitted, the item's online level asks for sign-in (the case has a
  `sign_in_due_at`), not signed yet (镇江办法第九条).
- `to_review` 待预审: submitted and signed, or not needing sign-in (淮安办法第十二条).
- `correction` 待补正: a correction notice awaits the applicant's answer; once its due day
  has passed the application may be terminated.
- `overdue` 已超期: the sign-in deadline passed unsigned, the reply day passed while still
  submitted, or the correction answer is overdue.
- `drafts` 窗口草稿: window applications a clerk registered and has not submitted yet.
- `to_deliver` 待送达: decided (准予许可 or 不予许可), the result not delivered yet: the
  accepting clerks record how it reached the applicant (`review.do_complete`, 大安办法第二十七条
  送达), which closes the case. Sorted by the decision day, oldest first; no light.

The pre-acceptance light of a row follows the deadline that matters now: sign-in while
unsigned, else the reply day while submitted, the correction due day while awaiting
correction. Red once it has passed; blue when the reply or correction day is today, or when
the sign-in deadline falls within the next working hour (one office hour on working days
from now, in the hours of the clerk's hall); green otherwise (大安办法第三十一条 绿灯正常、
蓝灯预警、红灯超期). "Now" and "today" are Python values passed into the SQL as parameters
(`timezone.now()`, `timezone.localdate()`), never the database's clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Case as SqlCase
from django.db.models import (
    CharField,
    Count,
    DateField,
    DateTimeField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from wangban.accounts.actions import find_person
from wangban.accounts.choices import Role
from wangban.accounts.models import Department, LegalPerson, User
from wangban.accounts.roles import departments_where, user_roles
from wangban.cases import clock
from wangban.cases.access import cases_at_work, cases_reviewed_by
from wangban.cases.actions import accepting_department_for, office_hours_for
from wangban.cases.choices import CaseState, Channel
from wangban.cases.models import Case, CaseStep, CorrectionNotice
from wangban.cases.queries import OPEN_CLOCK, light_filter, with_light, with_step_light
from wangban.catalog.choices import PENDING_STATES
from wangban.catalog.models import ItemVersion, WorkflowStep
from wangban.catalog.queries import published_items
from wangban.core.errors import InvalidInput
from wangban.core.identifiers import clean_credit_code

SHANGHAI = ZoneInfo("Asia/Shanghai")

TO_SIGN = "to_sign"
TO_REVIEW = "to_review"
CORRECTION = "correction"
OVERDUE = "overdue"
DRAFTS = "drafts"
TO_DELIVER = "to_deliver"
#: The tabs in the order the page shows them, with their Chinese names.
TABS: dict[str, str] = {
    TO_SIGN: "待签收",
    TO_REVIEW: "待预审",
    CORRECTION: "待补正",
    OVERDUE: "已超期",
    DRAFTS: "窗口草稿",
    TO_DELIVER: "待送达",
}

#: Sort keys: the deadline that matters now (default, soonest first; in 待送达 the decision
#: day, oldest first) or the received time.
SORTS = ("due", "-due", "received", "-received")
LIGHT_LABELS = {clock.GREEN: "绿灯", clock.BLUE: "蓝灯", clock.RED: "红灯"}
#: The states before acceptance that the queue lists (drafts only in their own tab).
QUEUE_STATES = (CaseState.SUBMITTED, CaseState.CORRECTION_REQUESTED)
#: The decided states whose result the accepting clerks deliver (`complete` closes them).
DELIVERY_STATES = (CaseState.APPROVED, CaseState.DENIED)
#: How far ahead a sign-in deadline turns the light blue, in working hours.
SIGN_IN_WARNING_HOURS = 1

SUBMITTED = Q(state=CaseState.SUBMITTED)
UNSIGNED = SUBMITTED & Q(sign_in_due_at__isnull=False, signed_in_at__isnull=True)
IN_CORRECTION = Q(state=CaseState.CORRECTION_REQUESTED)
AWAITING_DELIVERY = Q(state__in=DELIVERY_STATES)


@dataclass(frozen=True)
class Now:
    """The moment the queue is read: `now`, its local `today`, and `sign_in_horizon`, the
    moment one working hour from now (sign-in deadlines up to it are blue)."""

    now: datetime
    today: date
    sign_in_horizon: datetime


def now_for(user: Any, now: datetime | None = None) -> Now:
    """The queue's moment for `user`: working hours in the hall of their first accepting
    department (by code), else the default office hours."""
    now = now or timezone.now()
    department = (
        Department.objects.filter(pk__in=departments_where(user, Role.CLERK))
        .order_by("code")
        .first()
    )
    hours = office_hours_for(department) if department is not None else None
    horizon = clock.sign_in_due_at(now, SIGN_IN_WARNING_HOURS, hours)
    return Now(now=now, today=timezone.localdate(now), sign_in_horizon=horizon)


# --- Lights ----------------------------------------------------------------------------------


def light_expression(at: Now) -> SqlCase:
    """The pre-acceptance light of a row, in SQL (see the module's docstring)."""
    today = at.today
    return SqlCase(
        When(UNSIGNED & Q(sign_in_due_at__lt=at.now), then=Value(clock.RED)),
        When(UNSIGNED & Q(sign_in_due_at__lte=at.sign_in_horizon), then=Value(clock.BLUE)),
        When(UNSIGNED, then=Value(clock.GREEN)),
        When(SUBMITTED & Q(reply_due_on__lt=today), then=Value(clock.RED)),
        When(SUBMITTED & Q(reply_due_on=today), then=Value(clock.BLUE)),
        When(SUBMITTED, then=Value(clock.GREEN)),
        When(IN_CORRECTION & Q(correction_due_on__lt=today), then=Value(clock.RED)),
        When(IN_CORRECTION & Q(correction_due_on=today), then=Value(clock.BLUE)),
        When(IN_CORRECTION, then=Value(clock.GREEN)),
        default=Value(""),
        output_field=CharField(),
    )


def date_light(due: date | None, today: date) -> str:
    """A deadline on a day: red after it, blue on it, green before it ("" without one)."""
    if due is None:
        return ""
    if today > due:
        return clock.RED
    return clock.BLUE if today == due else clock.GREEN


def moment_light(due: datetime | None, at: Now) -> str:
    """A deadline at a moment (sign-in): red after it, blue within the next working hour."""
    if due is None:
        return ""
    if at.now > due:
        return clock.RED
    return clock.BLUE if due <= at.sign_in_horizon else clock.GREEN


def case_light(case: Case, at: Now) -> str:
    """The row's light for one case, in Python: the same rule as `light_expression`."""
    if case.state == CaseState.SUBMITTED:
        if case.sign_in_due_at is not None and case.signed_in_at is None:
            return moment_light(case.sign_in_due_at, at)
        return date_light(case.reply_due_on, at.today)
    if case.state == CaseState.CORRECTION_REQUESTED:
        return date_light(case.correction_due_on, at.today)
    return ""


# --- Tabs ------------------------------------------------------------------------------------


def tab_filter(tab: str, at: Now) -> Q:
    """The condition of a tab (the tab names are `TABS`)."""
    if tab == TO_SIGN:
        return UNSIGNED
    if tab == TO_REVIEW:
        return SUBMITTED & (Q(signed_in_at__isnull=False) | Q(sign_in_due_at__isnull=True))
    if tab == CORRECTION:
        return IN_CORRECTION
    if tab == OVERDUE:
        return (
            (UNSIGNED & Q(sign_in_due_at__lt=at.now))
            | (SUBMITTED & Q(reply_due_on__lt=at.today))
            | (IN_CORRECTION & Q(correction_due_on__lt=at.today))
        )
    if tab == DRAFTS:
        return Q(state=CaseState.DRAFT, channel=Channel.WINDOW)
    if tab == TO_DELIVER:
        return AWAITING_DELIVERY
    raise ValueError(f"unknown tab {tab!r}")


def accepting_departments(user: Any) -> set[int]:
    """The departments whose cases `user` accepts as a window clerk."""
    return departments_where(user, Role.CLERK)


def queue_scope(user: Any) -> QuerySet[Case]:
    """Every case of the clerk's queue, in any tab: what `user` sees as staff, without their
    own applications (回避: they may not act on them, `access.cases_at_work`), in the
    departments where they accept, before acceptance (and the window drafts), or decided and
    waiting for the clerk to deliver the result (`complete` is the accepting clerks')."""
    before_acceptance = Q(state__in=QUEUE_STATES) | Q(state=CaseState.DRAFT, channel=Channel.WINDOW)
    return cases_at_work(user).filter(
        before_acceptance | AWAITING_DELIVERY,
        accepting_department__in=accepting_departments(user),
    )


@dataclass(frozen=True)
class QueueFilter:
    """What the clerk asked for: a tab, an item code, a channel, a light, a sort key."""

    tab: str = TO_SIGN
    item: str = ""
    channel: str = ""
    light: str = ""
    sort: str = "due"


def _filtered(cases: QuerySet[Case], wanted: QueueFilter) -> QuerySet[Case]:
    if wanted.item:
        cases = cases.filter(item__code=wanted.item)
    if wanted.channel:
        cases = cases.filter(channel=wanted.channel)
    if wanted.light:
        cases = cases.filter(light=wanted.light)  # type: ignore[misc]  # annotated in SQL
    return cases


def _annotated(cases: QuerySet[Case], at: Now) -> QuerySet[Case]:
    """Each row with its `light`, `due_on` (the day of the deadline that matters now; the
    decision day of a case waiting for delivery), `due_at` (the sign-in moment while
    unsigned) and `received_at` (submission, or creation for a draft)."""
    return cases.annotate(
        light=light_expression(at),
        due_on=SqlCase(
            When(UNSIGNED, then=TruncDate("sign_in_due_at", tzinfo=SHANGHAI)),
            When(SUBMITTED, then=F("reply_due_on")),
            When(IN_CORRECTION, then=F("correction_due_on")),
            When(AWAITING_DELIVERY, then=F("decided_on")),
            default=None,
            output_field=DateField(),
        ),
        due_at=SqlCase(
            When(UNSIGNED, then=F("sign_in_due_at")), default=None, output_field=DateTimeField()
        ),
        received_at=Coalesce("submitted_at", "created_at"),
    )


def _ordering(sort: str) -> list[Any]:
    received = [F("received_at").asc(), "pk"]
    if sort == "received":
        return received
    if sort == "-received":
        return [F("received_at").desc(), "-pk"]
    if sort == "-due":
        return [
            F("due_on").desc(nulls_last=True),
            F("due_at").desc(nulls_last=True),
            F("received_at").desc(),
            "-pk",
        ]
    return [F("due_on").asc(nulls_last=True), F("due_at").asc(nulls_last=True), *received]


def queue(scope: QuerySet[Case], wanted: QueueFilter, at: Now) -> QuerySet[Case]:
    """The rows of one tab of `scope` (`queue_scope(user)`), filtered and sorted, with
    everything a row shows in one query (the page's length does not change the number of
    queries)."""
    cases = _filtered(_annotated(scope, at), wanted).filter(tab_filter(wanted.tab, at))
    return cases.select_related(
        "item", "version", "applicant", "on_behalf_of", "accepting_department"
    ).order_by(*_ordering(wanted.sort))


def tab_counts(scope: QuerySet[Case], wanted: QueueFilter, at: Now) -> dict[str, int]:
    """How many cases of `scope` each tab holds under the same item, channel and light
    filters, in one query."""
    cases = _filtered(_annotated(scope, at), wanted)
    counts = cases.aggregate(**{tab: Count("pk", filter=tab_filter(tab, at)) for tab in TABS})
    return {tab: int(counts[tab] or 0) for tab in TABS}


def _item_choices(rows: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """(code, name) pairs for an item filter, from rows ordered by code and newest version
    first: each item once, under its newest name, sorted by name."""
    names: dict[str, str] = {}
    for code, name in rows:
        names.setdefault(code, name)
    return sorted(names.items(), key=lambda entry: entry[1])


def queue_items(scope: QuerySet[Case]) -> list[tuple[str, str]]:
    """(code, name) of the items that have cases in `scope`, for the filter."""
    rows = (
        scope.order_by("item__code", "-version__number")
        .values_list("item__code", "version__name")
        .distinct()
    )
    return _item_choices(rows)


# --- Supervision -----------------------------------------------------------------------------


def deemed_accepted_cases(user: Any) -> QuerySet[Case]:
    """Cases accepted by law because nobody answered in time (视为受理, 行政许可法第三十二条),
    as far as `user` may see them (supervisors: all; clerks: their queue's), newest first."""
    return (
        cases_at_work(user)
        .filter(deemed_accepted=True)
        .select_related("item", "version", "department", "accepting_department", "applicant")
        .order_by("-accepted_on", "-pk")
    )


def repeat_correction_notices(user: Any) -> QuerySet[CorrectionNotice]:
    """Correction notices issued again on one application, against the one-time rule
    (一次性告知, 淮安办法第十二条, 大安办法第十九条), each with its stated reason: for
    supervision, and for the clerks whose queue their cases are in. As far as `user` may see
    the cases (supervisors: all; clerks: their queue's), newest first."""
    return (
        CorrectionNotice.objects.filter(
            is_repeat=True, case__in=cases_at_work(user).order_by().values("pk")
        )
        .select_related("case__version", "case__department", "department")
        .order_by("-issued_at", "-pk")
    )


# --- Window intake ---------------------------------------------------------------------------


def intake_departments(user: Any) -> list[int]:
    """The implementing departments whose items `user` registers at a window: each
    department where they are a clerk that accepts its own items, and every department that
    entrusts acceptance to one of them (`actions.accepting_department_for`)."""
    mine = accepting_departments(user)
    if not mine:
        return []
    ids = set(
        Department.objects.filter(pk__in=mine, entrusts_acceptance=False).values_list(
            "pk", flat=True
        )
    )
    for department in Department.objects.filter(entrusts_acceptance=True, is_active=True):
        if accepting_department_for(department).pk in mine:
            ids.add(department.pk)
    return sorted(ids)


def intake_versions(user: Any) -> QuerySet[ItemVersion]:
    """The published items a clerk may register a window application for, by name."""
    return (
        published_items()
        .prefetch_related(None)
        .filter(department__in=intake_departments(user))
        .order_by("name", "item__code")
    )


_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_ID_LIKE = re.compile(r"^[0-9]{17}[0-9Xx]$")


def find_applicant(text: str) -> User:
    """The applicant a clerk names at the window (大安办法第十七条): by identity number through
    the keyed digest of `Person` (never a scan of the encrypted numbers), or by user name or
    mobile number. Only applicants' accounts (no department) are found; InvalidInput under
    `applicant` says why nobody, or more than one, was."""
    value = (text or "").strip()

    def refuse(message: str) -> InvalidInput:
        return InvalidInput(message, fields={"applicant": [message]})

    if not value:
        raise refuse("请输入申请人的身份证号码、用户名或手机号码。")
    applicants = User.objects.filter(is_active=True, department__isnull=True)
    if _ID_LIKE.match(value):
        try:
            person = find_person(value)
        except InvalidInput as error:
            raise refuse(error.message) from None
        user = applicants.filter(person=person).first() if person is not None else None
        if user is None:
            raise refuse("没有找到该身份证号码的注册用户，请申请人先在网上办事大厅注册。")
        return user
    if _MOBILE.match(value):
        found = list(applicants.filter(Q(phone=value) | Q(person__phone=value)).distinct()[:2])
        if len(found) > 1:
            raise refuse("该手机号码对应多个账号，请改用身份证号码或用户名查找。")
    else:
        found = list(applicants.filter(username__iexact=value)[:1])
    if not found:
        raise refuse("没有找到该申请人，请核对后重新输入；申请人须已在网上办事大厅注册。")
    return found[0]


def find_legal_person(text: str) -> LegalPerson | None:
    """The legal person with this unified social credit code (None when left empty)."""
    value = (text or "").strip()
    if not value:
        return None
    code = clean_credit_code(value)
    legal_person = LegalPerson.objects.filter(credit_code=code).first()
    if legal_person is None:
        message = "没有找到该统一社会信用代码对应的法人，请法人先在网上办事大厅登记。"
        raise InvalidInput(message, fields={"credit_code": [message]})
    return legal_person


# --- Review queues (审批队列, issue 8) ----------------------------------------------------------
#
# The queues of the staff who work the approval steps (承办、审核、复核、审批). Tabs:
#
# - `todo` 待办: in review, and the current step is in my queue — assigned to me by name, or
#   to the pool of a department where I hold the step's role (镇江办法第七条 转办改派 moves it).
# - `stopped` 停止计时: the clock is stopped — suspended for a special procedure (挂起) or
#   waiting for a correction asked during review (审查中补正).
# - `due_soon` 即将到期 (blue) and `overdue` 已超期 (red): the case's light today.
# - `done` 已办结: decided or completed.
#
# The scope is what `cases_reviewed_by` gives the user (what they see with a review role, not
# their own applications), narrowed to accepted cases: for a reviewer their department's cases
# and those that reached their department's steps, not what they also see as a window clerk or
# a supervisor.
# Lights are `queries.with_light` and `queries.with_step_light`, with today passed in.

TODO = "todo"
STOPPED = "stopped"
DUE_SOON = "due_soon"
REVIEW_OVERDUE = "overdue"
DONE = "done"
REVIEW_TABS: dict[str, str] = {
    TODO: "待办",
    STOPPED: "停止计时",
    DUE_SOON: "即将到期",
    REVIEW_OVERDUE: "已超期",
    DONE: "已办结",
}
#: Sort keys of the review queue: the case's promised due date (default, soonest first),
#: or the current step's due date.
REVIEW_SORTS = ("due", "-due", "step_due", "-step_due")
#: Who works approval steps (and therefore has review queues).
REVIEW_QUEUE_ROLES = (
    Role.HANDLER,
    Role.REVIEWER,
    Role.SECOND_REVIEWER,
    Role.APPROVER,
    Role.DEPT_ADMIN,
)

IN_REVIEW = Q(state=CaseState.IN_REVIEW)
CLOCK_STOPPED = Q(state=CaseState.SUSPENDED) | Q(
    state=CaseState.CORRECTION_REQUESTED, accepted_on__isnull=False
)
DECIDED = Q(decided_on__isnull=False)


def my_steps(user: Any) -> Q:
    """The cases whose open current step is `user`'s to work: assigned to them, or to the
    pool of a department where they hold the step's role (`access.holds_current_step`).
    A case accepted on an item whose only step is 受理 has no step left: it is the work of
    its department's approvers, who decide it directly (`access._may_review`)."""
    # Every alternative of `steps` names a column of the step, so a case without one never
    # matches it; `current_step__isnull=False` would only add a scan of that index.
    open_step = Q(current_step__finished_at__isnull=True)
    pools = Q(pk__in=[])
    for role, department in sorted(user_roles(user)):
        pools |= Q(current_step__role=role, current_step__department_id=department)
    steps = open_step & (
        Q(current_step__assignee=user) | (Q(current_step__assignee__isnull=True) & pools)
    )
    deciding = departments_where(user, Role.APPROVER)
    if not deciding:
        return steps
    return steps | Q(current_step__isnull=True, department_id__in=sorted(deciding))


def review_tab_filter(tab: str, user: Any, today: date) -> Q:
    """The condition of a review tab (`REVIEW_TABS`). The open tabs say `OPEN_CLOCK` in so
    many words, although their states imply it: the partial indexes on open cases need it."""
    if tab == TODO:
        return OPEN_CLOCK & IN_REVIEW & my_steps(user)
    if tab == STOPPED:
        return OPEN_CLOCK & CLOCK_STOPPED
    if tab == DUE_SOON:
        return light_filter(clock.BLUE, today)
    if tab == REVIEW_OVERDUE:
        return light_filter(clock.RED, today)
    if tab == DONE:
        return DECIDED
    raise ValueError(f"unknown tab {tab!r}")


def review_scope(user: Any) -> QuerySet[Case]:
    """Every case of the user's review queues, in any tab: what they see with a review role
    (not their own applications, nor what they see only as a window clerk or a supervisor),
    accepted."""
    return cases_reviewed_by(user).filter(accepted_on__isnull=False)


@dataclass(frozen=True)
class ReviewFilter:
    """What the reviewer asked for: a tab, an item code, a light, a step name, a sort."""

    tab: str = TODO
    item: str = ""
    light: str = ""
    step: str = ""
    sort: str = "due"


def _review_filtered(cases: QuerySet[Case], wanted: ReviewFilter, today: date) -> QuerySet[Case]:
    if wanted.item:
        cases = cases.filter(item__code=wanted.item)
    if wanted.light:
        cases = cases.filter(light_filter(wanted.light, today))
    if wanted.step:
        cases = cases.filter(current_step__name=wanted.step, current_step__finished_at__isnull=True)
    return cases


def _review_ordering(sort: str) -> list[Any]:
    if sort == "-due":
        return [F("due_date").desc(nulls_last=True), "-pk"]
    if sort == "step_due":
        return [F("current_step__due_on").asc(nulls_last=True), F("due_date").asc(), "pk"]
    if sort == "-step_due":
        return [F("current_step__due_on").desc(nulls_last=True), F("due_date").desc(), "-pk"]
    return [F("due_date").asc(nulls_last=True), F("current_step__due_on").asc(), "pk"]


def review_queue(
    scope: QuerySet[Case], wanted: ReviewFilter, user: Any, today: date
) -> QuerySet[Case]:
    """The rows of one review tab, filtered and sorted, each with the case's `light` and its
    current step's `step_light`, everything a row shows in one query (the page's length
    does not change the number of queries)."""
    step_light = with_step_light(CaseStep.objects.filter(pk=OuterRef("current_step_id")), today)
    cases = _review_filtered(scope, wanted, today).filter(
        review_tab_filter(wanted.tab, user, today)
    )
    return (
        with_light(cases, today)
        .annotate(step_light=Subquery(step_light.values("light")[:1]))
        .select_related(
            "item",
            "version",
            "department",
            "applicant",
            "on_behalf_of",
            "current_step",
            "current_step__department",
            "current_step__assignee",
        )
        .order_by(*_review_ordering(wanted.sort))
    )


#: The tabs that show how many cases they hold: those of open cases. 已办结 grows without end
#: and asks nothing of anyone; counting it would read every decided case of the department at
#: each page view (bench/cases.py).
COUNTED_REVIEW_TABS = (TODO, STOPPED, DUE_SOON, REVIEW_OVERDUE)


def review_tab_counts(
    scope: QuerySet[Case], wanted: ReviewFilter, user: Any, today: date
) -> dict[str, int | None]:
    """How many cases each open tab holds under the same filters, in one query over the open
    cases; None for 已办结, which shows no count."""
    cases = _review_filtered(scope, wanted, today).filter(OPEN_CLOCK)
    counts = cases.aggregate(
        **{
            tab: Count("pk", filter=review_tab_filter(tab, user, today))
            for tab in COUNTED_REVIEW_TABS
        }
    )
    return {
        tab: int(counts[tab] or 0) if tab in COUNTED_REVIEW_TABS else None for tab in REVIEW_TABS
    }


def _case_versions(departments: set[int]) -> QuerySet[ItemVersion]:
    """The item versions cases of `departments` can be filed under: versions implemented by
    one of them (a case takes its department from its version, so an item handed to another
    department (下放) keeps its old versions here), or with a step one of them co-handles.
    Versions never published have no case."""
    return ItemVersion.objects.filter(
        Q(department__in=departments) | Q(steps__department__in=departments)
    ).exclude(state__in=PENDING_STATES)


def review_items(user: Any) -> list[tuple[str, str]]:
    """(code, name) of the items whose cases come to `user`'s review queues, for the filter:
    the items of the departments where they hold a review role, and those with a step one of
    these departments co-handles (联办), under the name of their newest version. Read from
    the catalogue, not from the cases, which are many."""
    departments = departments_where(user, *REVIEW_QUEUE_ROLES)
    rows = (
        _case_versions(departments)
        .order_by("item__code", "-number")
        .values_list("item__code", "name")
        .distinct()
    )
    return _item_choices(rows)


def review_steps(user: Any) -> list[str]:
    """The names of the approval steps of the items of `user`'s review queues (`review_items`),
    for the filter (sorted in Python: the databases collate Chinese differently). Read from
    the catalogue, as the items are; the acceptance step (受理) is not a review step."""
    departments = departments_where(user, *REVIEW_QUEUE_ROLES)
    names = (
        WorkflowStep.objects.filter(version__in=_case_versions(departments).values("pk"))
        .exclude(role=Role.CLERK)
        .order_by()
        .values_list("name", flat=True)
        .distinct()
    )
    return sorted(set(names))
