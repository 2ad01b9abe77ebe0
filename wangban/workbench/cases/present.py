"""What the acceptance pages show of a case, in Chinese: the row of a queue, the applicant,
the deadlines with their lights, the form with the schema's labels, the materials with their
previews, and the actions this user may take now.

Which actions are offered is decided by `wangban.cases.access.may_act` and the transition
table (`choices.TRANSITIONS`), plus the two conditions the actions check on their own: a
case is signed for once, and terminated only after its correction answer is overdue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.urls import reverse

from wangban.accounts.choices import Role
from wangban.accounts.models import Person, User
from wangban.cases import queries, schedule
from wangban.cases.access import is_own_application, may_act
from wangban.cases.choices import (
    EDITABLE_STATES,
    TRANSITIONS,
    CaseAction,
    CaseState,
    Channel,
    DecisionOutcome,
    StepOutcome,
    StopKind,
)
from wangban.cases.models import Case, CaseMaterial, CaseStep, ClockStop, CorrectionNotice
from wangban.cases.queries import with_step_light
from wangban.cases.queues import LIGHT_LABELS, Now, date_light, moment_light
from wangban.catalog.choices import SpecialProcedure
from wangban.catalog.formschema import as_posted, choices_of, item_choices_of, label_of, properties
from wangban.catalog.models import Material

A = CaseAction
CHANNEL_LABELS: dict[str, str] = dict(Channel.choices)
STATE_LABELS: dict[str, str] = dict(CaseState.choices)
ROLE_LABELS: dict[str, str] = dict(Role.choices)
#: The actions a staff page may offer, in the order of the buttons.
STAFF_ACTIONS: tuple[str, ...] = (
    A.SIGN_IN,
    A.ACCEPT,
    A.REQUEST_CORRECTION,
    A.REJECT,
    A.TERMINATE,
    A.SUBMIT,
    A.RESUBMIT,
)
#: Actions that need input: a page of their own (the others are one-button POSTs).
FORM_ACTIONS: dict[str, str] = {
    A.REQUEST_CORRECTION: "case-correction",
    A.REJECT: "case-reject",
    A.TERMINATE: "case-terminate",
}
POST_ACTIONS: dict[str, str] = {
    A.SIGN_IN: "case-sign-in",
    A.ACCEPT: "case-accept",
    A.SUBMIT: "case-submit",
    A.RESUBMIT: "case-submit",
}
STATE_CLASSES: dict[str, str] = {
    CaseState.DRAFT: "state-draft",
    CaseState.SUBMITTED: "state-review",
    CaseState.CORRECTION_REQUESTED: "state-draft",
    CaseState.IN_REVIEW: "state-scheduled",
    CaseState.SUSPENDED: "state-draft",
    CaseState.APPROVED: "state-published",
    CaseState.DENIED: "state-old",
}


def allowed_actions(case: Case, user: Any, at: Now) -> list[str]:
    """The staff actions `user` may take on `case` now."""
    allowed: list[str] = []
    for action in STAFF_ACTIONS:
        if (case.state, action) not in TRANSITIONS or not may_act(case, user, action):
            continue
        if action == A.SIGN_IN and case.signed_in_at is not None:
            continue
        if action == A.TERMINATE and not (
            case.correction_due_on is not None and at.today > case.correction_due_on
        ):
            continue
        allowed.append(action)
    return allowed


@dataclass
class ActionButton:
    action: str
    label: str
    url: str
    post: bool  # a one-button form; else a link to the action's own page
    primary: bool


def action_buttons(case: Case, actions: list[str]) -> list[ActionButton]:
    buttons = []
    for action in actions:
        post = action in POST_ACTIONS
        name = POST_ACTIONS[action] if post else FORM_ACTIONS[action]
        buttons.append(
            ActionButton(
                action=action,
                label=A(action).label,
                url=reverse(f"workbench:{name}", args=[case.pk]),
                post=post,
                primary=action in (A.ACCEPT, A.SIGN_IN, A.SUBMIT, A.RESUBMIT),
            )
        )
    return buttons


# --- The applicant ---------------------------------------------------------------------------


@dataclass
class Applicant:
    name: str
    id_number_masked: str
    legal_person: str
    credit_code: str


def applicant_of(case: Case) -> Applicant:
    """Name and masked identity number (DESIGN.md §5: shown masked); the legal person for
    whom the application is made, if any."""
    person = Person.objects.filter(user_id=case.applicant_id).first()
    user = case.applicant
    name = person.real_name if person else (user.real_name or user.get_username())
    legal = case.on_behalf_of
    return Applicant(
        name=name,
        id_number_masked=person.id_number_masked if person else "",
        legal_person=legal.name if legal else "",
        credit_code=legal.credit_code if legal else "",
    )


def applicant_name(case: Case) -> str:
    """For a queue row: the legal person's name, else the account's real name."""
    if case.on_behalf_of is not None:
        return case.on_behalf_of.name
    return str(case.applicant.real_name or case.applicant.get_username())


# --- Deadlines -------------------------------------------------------------------------------


@dataclass
class Deadline:
    label: str
    due: Any  # a date or an aware datetime
    light: str = ""
    note: str = ""

    @property
    def light_label(self) -> str:
        return LIGHT_LABELS.get(self.light, "")

    @property
    def is_moment(self) -> bool:
        return hasattr(self.due, "hour")


def deadlines(case: Case, at: Now) -> list[Deadline]:
    """The deadlines before acceptance, each with its light while it still runs."""
    rows: list[Deadline] = []
    submitted = case.state == CaseState.SUBMITTED
    if case.sign_in_due_at is not None:
        row = Deadline("签收时限", case.sign_in_due_at)
        if case.signed_in_at is not None:
            who = case.signed_in_by.get_full_name() if case.signed_in_by else ""
            late = "（超时）" if case.signed_in_at > case.sign_in_due_at else ""
            row.note = f"已签收{late}：{who}".rstrip("：")
        elif submitted:
            row.light = moment_light(case.sign_in_due_at, at)
        rows.append(row)
    if case.reply_due_on is not None:
        rows.append(
            Deadline(
                "预审答复时限",
                case.reply_due_on,
                light=date_light(case.reply_due_on, at.today) if submitted else "",
                note="受理、一次性告知补正或不予受理",
            )
        )
    if case.deemed_due_on is not None and submitted:
        rows.append(
            Deadline(
                "视为受理前最后答复日",
                case.deemed_due_on,
                light=date_light(case.deemed_due_on, at.today),
                note="逾期未答复的，依法视为受理（行政许可法第三十二条）",
            )
        )
    if case.correction_due_on is not None and case.state == CaseState.CORRECTION_REQUESTED:
        overdue = at.today > case.correction_due_on
        rows.append(
            Deadline(
                "补正期限",
                case.correction_due_on,
                light=date_light(case.correction_due_on, at.today),
                note="已逾期未补正，可以终止办理" if overdue else "申请人补正材料的最后一日",
            )
        )
    return rows


# --- The form --------------------------------------------------------------------------------


def _shown(value: Any, prop: dict[str, Any]) -> str:
    """A form value as a person reads it: the label of a choice, 是/否, a list joined."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        labels = {as_posted(v): label for v, label in item_choices_of(prop)}
        return "、".join(labels.get(as_posted(v), as_posted(v)) for v in value)
    labels = {as_posted(v): label for v, label in choices_of(prop)}
    return labels.get(as_posted(value), as_posted(value))


def form_rows(schema: Any, form: Any) -> list[tuple[str, str]]:
    """(label, value) of the filled form in the schema's order, titles as labels; keys the
    schema does not name come last under their own names."""
    form = form if isinstance(form, dict) else {}
    props = properties(schema)
    rows = [
        (label_of(name, prop), _shown(form[name], prop) if name in form else "（未填写）")
        for name, prop in props.items()
    ]
    rows += [(name, _shown(value, {})) for name, value in form.items() if name not in props]
    return rows


# --- Materials -------------------------------------------------------------------------------


@dataclass
class MaterialView:
    index: int
    material: Material
    row: CaseMaterial | None
    url: str = ""
    preview: str = ""  # "image", "pdf" or ""
    editable: bool = False
    named: bool = False  # named by the latest correction notice
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def file_id(self) -> str:
        return f"material-{self.index}-file"

    @property
    def note_id(self) -> str:
        return f"material-{self.index}-note"

    @property
    def preview_url(self) -> str:
        return f"{self.url}?inline=1" if self.url else ""


def preview_kind(content_type: str) -> str:
    if content_type == "application/pdf":
        return "pdf"
    if content_type in {"image/png", "image/jpeg"}:
        return "image"
    return ""


def material_views(
    case: Case, *, editable: bool, errors: dict[str, dict[str, list[str]]] | None = None
) -> list[MaterialView]:
    """Every material of the item, with what the case holds for it. `editable`: the page
    offers uploads and paper marks (a window draft, or a correction handed in at the
    window: then only the materials the notice names)."""
    errors = errors or {}
    rows = {row.material_code: row for row in case.materials.all()}
    named: set[str] = set()
    if case.state == CaseState.CORRECTION_REQUESTED:
        notice = latest_notice(case)
        named = {item["material_code"] for item in notice.items} if notice else set()
    views = []
    for index, material in enumerate(case.version.materials.order_by("order", "pk")):
        row = rows.get(material.code)
        view = MaterialView(index=index, material=material, row=row, named=material.code in named)
        if row is not None and not row.paper and row.file_name:
            view.url = reverse(
                "workbench:case-material", args=[case.pk, row.pk, queries.url_file_name(row)]
            )
            view.preview = preview_kind(row.content_type)
        view.editable = editable and (case.state != CaseState.CORRECTION_REQUESTED or view.named)
        view.errors = errors.get(material.code, {})
        views.append(view)
    return views


def latest_notice(case: Case) -> CorrectionNotice | None:
    return case.correction_notices.order_by("-issued_at", "-pk").first()


def may_edit_materials(case: Case, user: Any) -> bool:
    """The window clerk fills in a window draft, and hands in a correction at the window,
    where they may also submit it: the same actions as the applicant's, at the counter."""
    if case.state not in EDITABLE_STATES:
        return False
    action = A.SUBMIT if case.state == CaseState.DRAFT else A.RESUBMIT
    return may_act(case, user, action)


# --- Review (issue 8) ------------------------------------------------------------------------

#: The review actions a case page may offer, in the order of their forms.
REVIEW_ACTIONS: tuple[str, ...] = (
    A.APPROVE_STEP,
    A.DECIDE,
    A.RETURN_STEP,
    A.SUSPEND,
    A.RESUME,
    A.EXTEND,
    A.REASSIGN,
    A.COMPLETE,
)
PROCEDURE_LABELS: dict[str, str] = dict(SpecialProcedure.choices)
OUTCOME_LABELS: dict[str, str] = dict(StepOutcome.choices)


def _open_step(case: Case) -> CaseStep | None:
    step = case.current_step
    return step if step is not None and step.finished_at is None else None


def _has_next(case: Case, step: CaseStep) -> bool:
    return any(ws.order > step.order for ws in schedule.workflow(case))


def _has_previous(case: Case, step: CaseStep) -> bool:
    """As `review.do_return_step`: a step before this one, unless it is the acceptance
    (受理) step done at acceptance."""
    accepted = set(case.steps.filter(outcome=StepOutcome.ACCEPT).values_list("order", flat=True))
    earlier = [ws.order for ws in schedule.workflow(case) if ws.order < step.order]
    return bool(earlier) and earlier[-1] not in accepted


def review_actions(case: Case, user: Any) -> list[str]:
    """The review actions `user` may take on `case` now: allowed by the transition table
    and by `access.may_act`, and by the step: the last step decides instead of passing on,
    the first step after acceptance cannot be returned."""
    allowed: list[str] = []
    step = _open_step(case)
    for action in REVIEW_ACTIONS:
        if action == A.REASSIGN and case.state == CaseState.SUBMITTED:
            continue  # the pre-review's reassignment is not offered on this page
        if (case.state, action) not in TRANSITIONS or not may_act(case, user, action):
            continue
        if action in (A.APPROVE_STEP, A.RETURN_STEP, A.REASSIGN) and step is None:
            continue
        if action == A.APPROVE_STEP and step is not None and not _has_next(case, step):
            continue
        if action == A.DECIDE and step is not None and _has_next(case, step):
            continue
        if action == A.RETURN_STEP and step is not None and not _has_previous(case, step):
            continue
        allowed.append(action)
    return allowed


def eligible_assignees(case: Case) -> list[tuple[str, str]]:
    """(username, name) of the active staff holding the current step's role in its
    department, except the step's assignee and the applicant side (回避): whom `reassign`
    may hand the step to."""
    step = _open_step(case)
    if step is None:
        return []
    users = (
        User.objects.filter(
            is_active=True,
            role_grants__role=step.role,
            role_grants__department_id=step.department_id,
        )
        .exclude(pk=step.assignee_id or 0)
        .distinct()
        .order_by("username")
    )
    return [
        (u.username, f"{u.get_full_name() or u.username}（{u.username}）")
        for u in users
        if not is_own_application(case, u)
    ]


@dataclass
class StepView:
    step: CaseStep
    light: str

    @property
    def light_label(self) -> str:
        return LIGHT_LABELS.get(self.light, "")

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.step.role, self.step.role)

    @property
    def holder(self) -> str:
        """Whose queue the step is in: the named person, or the department's pool."""
        if self.step.assignee is not None:
            return self.step.assignee.get_full_name() or self.step.assignee.username
        return f"{self.step.department.name}（{self.role_label}队列）"

    @property
    def outcome_label(self) -> str:
        return OUTCOME_LABELS.get(self.step.outcome, "")


def step_views(case: Case, today: date) -> list[StepView]:
    """Every visit of the case's steps in order, each with its own light (in SQL)."""
    steps = with_step_light(case.steps.all(), today).select_related("department", "assignee")
    return [StepView(step=step, light=step.light or "") for step in steps.order_by("visit")]


@dataclass
class ClockView:
    running: bool
    due_date: date | None
    legal_due_date: date | None
    remaining: int | None
    light: str
    stop: ClockStop | None
    extension_days: int
    statutory_extension: int
    remaining_unit: str = "工作日"  # 自然日 while a calendar-day limit is stopped

    @property
    def light_label(self) -> str:
        return LIGHT_LABELS.get(self.light, "")

    @property
    def overdue_days(self) -> int:
        return -self.remaining if self.remaining is not None and self.remaining < 0 else 0

    @property
    def stop_label(self) -> str:
        if self.stop is None:
            return ""
        if self.stop.kind == StopKind.CORRECTION:
            return "审查中补正"
        return PROCEDURE_LABELS.get(self.stop.procedure, "特别程序")


def clock_view(case: Case, today: date) -> ClockView:
    """The approval clock as stored (DESIGN.md §5): due dates (promised and statutory, none
    while stopped), remaining working days (while stopped in the promised limit's unit:
    `schedule.remaining_unit`), the light, the open stop and its reason."""
    return ClockView(
        running=case.clock_running,
        due_date=case.due_date,
        legal_due_date=case.legal_due_date,
        remaining=schedule.remaining_working_days(case, today),
        light=schedule.case_light(case, today) or "",
        stop=schedule.open_stop(case) if not case.clock_running else None,
        extension_days=case.extension_days,
        statutory_extension=schedule.statutory_extension_limit(case.version),
        remaining_unit=schedule.remaining_unit(case),
    )


def decision_label(case: Case) -> str:
    """准予许可 or 不予许可, from the decision's event (the state moves on once completed)."""
    event = case.events.filter(action=A.DECIDE).order_by("-id").first()
    outcome = (event.data or {}).get("outcome") if event is not None else None
    return dict(DecisionOutcome.choices).get(str(outcome), "")
