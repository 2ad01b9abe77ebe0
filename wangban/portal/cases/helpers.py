"""What the case pages share: the applicant's view of a case (404 for everyone else), the
list of their cases, the apply steps, the deadlines that matter now, what is still missing
before submission, and links to documents and materials."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from wangban.cases import access, queries, schedule
from wangban.cases.choices import TRANSITIONS, CaseState, Light, StopKind
from wangban.cases.documents import documents_of
from wangban.cases.models import Case, CaseMaterial, CorrectionNotice
from wangban.catalog.choices import SpecialProcedure
from wangban.catalog.formschema import NON_FIELD
from wangban.catalog.models import CatalogFile, Material
from wangban.catalog.queries import file_to_api
from wangban.core.errors import NotFound
from wangban.portal import schema_form

S = CaseState
LOGIN = "portal:login"

#: The steps of applying online (GOV.UK "one thing per page" with a progress indicator).
APPLY_STEPS = ("选择申请人", "填写申请表", "上传材料", "核对并提交")

#: The filters of 我的办件: a label and the states of each group. A decision made but not
#: yet delivered (`approved`, `denied`) is still in progress until the case is `completed`.
STATE_GROUPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "active": (
        "进行中",
        (S.SUBMITTED, S.CORRECTION_REQUESTED, S.IN_REVIEW, S.SUSPENDED, S.APPROVED, S.DENIED),
    ),
    "closed": ("已办结", (S.COMPLETED, S.REJECTED, S.TERMINATED, S.WITHDRAWN)),
    "draft": ("草稿", (S.DRAFT,)),
}


def step_caption(number: int) -> str:
    """ "第 2 步，共 4 步"."""
    return f"第 {number} 步，共 {len(APPLY_STEPS)} 步"


def apply_steps(current: int) -> list[dict[str, Any]]:
    """The progress indicator: each step's number, name and whether it is done or current."""
    return [
        {"number": n, "name": name, "current": n == current, "done": n < current}
        for n, name in enumerate(APPLY_STEPS, start=1)
    ]


# --- Access --------------------------------------------------------------------------------


def applicant_case(request: HttpRequest, case_id: str) -> Case:
    """The case if the signed-in user may see it *as its applicant side*, else NotFound.

    `access_case` decides visibility; the portal then shows a case only to its applicant
    side (`access.is_applicant_side`): the portal is the applicant's window on a case, and
    staff who may see it (the accepting clerks, reviewers, supervisors) work it in the
    workbench. For them, as for strangers, the portal's case pages do not exist."""
    case = access.access_case(case_id, request.user)
    if not access.is_applicant_side(case, request.user):
        raise NotFound(access.NOT_FOUND_MESSAGE, code="case_not_found")
    return case


def case_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page of the applicant's: signed in (else to the portal's login), and a case that
    is not theirs — or an object an action does not find — answers 404 with a page that
    says so in Chinese."""

    @login_required(login_url=LOGIN)
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFound as error:
            context = {"message": error.message}
            return render(request, "portal/cases/not_found.html", context, status=404)

    return wrapped


def refused(
    request: HttpRequest, case: Case, *, title: str, message: str, status: int
) -> HttpResponse:
    """A clear Chinese page for a refused request (wrong state 409, not allowed 403): what
    happened, and the way back to the case. Nothing was changed."""
    context = {"case": case, "title": title, "message": message}
    return render(request, "portal/cases/refused.html", context, status=status)


def may_now(case: Case, user: Any, action: str) -> bool:
    """Whether `user` may do `action` on `case` now: `access.may_act` and the transition
    table (`choices.TRANSITIONS`)."""
    return (case.state, action) in TRANSITIONS and access.may_act(case, user, action)


def my_cases(user: Any) -> QuerySet[Case]:
    """The cases on the applicant side of `user`, for 我的办件: a staff member who also
    applies sees only their own applications here, not their queue."""
    return access.applicant_cases(user)


# --- Deadlines and notices ------------------------------------------------------------------


@dataclass
class Fact:
    label: str
    value: str
    emphasis: bool = False


def day(value: date | None) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if value else ""


def key_facts(case: Case, today: date) -> list[Fact]:
    """The dates and numbers that matter in the case's current state."""
    facts: list[Fact] = []
    if case.receipt_no:
        facts.append(Fact("受理编号", case.receipt_no, emphasis=True))
    if case.state == S.DRAFT:
        facts.append(Fact("创建日期", day(timezone.localdate(case.created_at))))
    if case.received_on:
        facts.append(Fact("收件日期", day(case.received_on)))
    if case.state == S.SUBMITTED and case.reply_due_on:
        facts.append(Fact("答复是否受理的期限", day(case.reply_due_on), emphasis=True))
    if case.state == S.CORRECTION_REQUESTED and case.correction_due_on:
        overdue = today > case.correction_due_on
        text = day(case.correction_due_on) + ("（已逾期）" if overdue else "")
        facts.append(Fact("补正期限", text, emphasis=True))
    if case.accepted_on:
        text = day(case.accepted_on) + ("（依法视为受理）" if case.deemed_accepted else "")
        facts.append(Fact("受理日期", text))
    if schedule.has_open_clock(case):
        facts.extend(_clock_facts(case, today))
    if case.closed_at:
        facts.append(Fact("结束日期", day(timezone.localdate(case.closed_at))))
    return facts


#: What each light tells the applicant (大安办法第三十一条 绿灯正常、蓝灯预警、红灯超期).
LIGHT_TEXT = {
    Light.GREEN: "绿灯：正常办理中",
    Light.BLUE: "蓝灯：即将到达承诺办结日期",
    Light.RED: "红灯：已超过承诺办结日期",
}


def _clock_facts(case: Case, today: date) -> list[Fact]:
    """The approval clock of a case under review, as the workbench shows it to staff: the
    due dates and the light while it runs; while stopped, why and what is left."""
    remaining = schedule.remaining_working_days(case, today)
    if not case.clock_running:
        unit = schedule.remaining_unit(case)  # 自然日 for a calendar-day limit
        stop = schedule.open_stop(case)
        if stop is not None and stop.kind == StopKind.CORRECTION:
            why = "等待补正材料"
        else:
            procedures = dict(SpecialProcedure.choices)
            why = procedures.get(stop.procedure, "特别程序") if stop is not None else "特别程序"
        facts = [Fact("办理时限", f"暂停计算（{why}），恢复后重新计算办结日期", emphasis=True)]
        if remaining is not None and remaining >= 0:
            facts.append(Fact("剩余办理时间", f"恢复计时后还有 {remaining} 个{unit}"))
        elif remaining is not None:  # stopped when already overdue
            facts.append(Fact("剩余办理时间", f"已超期 {-remaining} 个{unit}"))
        return facts
    facts = [Fact("承诺办结日期", day(case.due_date), emphasis=True)]
    if case.legal_due_date:
        facts.append(Fact("法定办结日期", day(case.legal_due_date)))
    if remaining is not None:
        left = f"{remaining} 个工作日" if remaining >= 0 else f"已超期 {-remaining} 个工作日"
        facts.append(Fact("剩余办理时间", left))
    light = schedule.case_light(case, today)
    if light:
        facts.append(Fact("办理时限状态", LIGHT_TEXT[Light(light)]))
    if case.extension_days:
        facts.append(Fact("已延长", f"{case.extension_days} 个工作日"))
    return facts


def latest_notice(case: Case) -> CorrectionNotice | None:
    notice: CorrectionNotice | None = (
        case.correction_notices.select_related("department").order_by("-issued_at", "-pk").first()
    )
    return notice


def correction_overdue(case: Case, today: date) -> bool:
    return case.correction_due_on is not None and today > case.correction_due_on


# --- Materials and what is missing ------------------------------------------------------------


@dataclass
class MaterialRow:
    """One material of the case's version, with what the applicant has attached."""

    material: Material
    anchor: str  # the HTML id of its section; material codes may be any text
    attached: CaseMaterial | None
    blank_form: dict[str, Any] | None = None
    sample: dict[str, Any] | None = None
    download_url: str | None = None
    errors: list[str] | None = None
    replaced: bool = False  # during a correction: handed in for the coming submission

    @property
    def file_id(self) -> str:
        return f"{self.anchor}-file"

    @property
    def reuse_id(self) -> str:
        return f"{self.anchor}-reuse"


def material_rows(case: Case, *, codes: list[str] | None = None) -> list[MaterialRow]:
    """The materials of the version the case was filed under, in the item's order (only
    `codes` when given), each with its blank form and sample and the attached file."""
    attached = {row.material_code: row for row in case.materials.all()}
    materials = list(case.version.materials.all())
    files: dict[tuple[int | None, str], dict[str, Any]] = {
        (file.material_id, file.kind): file_to_api(file)
        for file in CatalogFile.objects.filter(version=case.version, material__isnull=False)
    }
    rows = []
    for position, material in enumerate(materials, start=1):
        if codes is not None and material.code not in codes:
            continue
        row = attached.get(material.code)
        rows.append(
            MaterialRow(
                material=material,
                anchor=f"material-{position}",
                attached=row,
                blank_form=files.get((material.pk, "blank_form")),
                sample=files.get((material.pk, "sample")),
                download_url=material_url(case, row) if row and not row.paper else None,
                replaced=row is not None and row.submission == case.submission + 1,
            )
        )
    return rows


@dataclass
class Missing:
    """Something the application still lacks, with the page and field where to fix it."""

    message: str
    url: str


def missing_items(case: Case) -> list[Missing]:
    """What `do_submit` would refuse, in the order of the pages: the form's problems against
    the whole schema (required fields included), then each required material not attached.
    The portal shows them before submission (issue 7: 提交前提示缺少的内容)."""
    schema = case.version.form_schema
    form_url = reverse("portal:case-apply-form", args=[case.pk])
    missing = []
    problems = schema_form.validate(schema, case.form) if schema else {}
    for target, message in schema_form.error_summary(schema, problems):
        missing.append(Missing(f"申请表：{message}", f"{form_url}#{target}"))
    materials_url = reverse("portal:case-apply-materials", args=[case.pk])
    for row in material_rows(case):
        if row.material.required and row.attached is None:
            missing.append(
                Missing(f"请上传“{row.material.name}”。", f"{materials_url}#{row.file_id}")
            )
    return missing


def form_errors(fields: dict[str, list[str]]) -> dict[str, list[str]]:
    """An action's `form.<name>` problems as the schema form's `{name: [...]}`."""
    errors: dict[str, list[str]] = {}
    for key, messages in fields.items():
        if key == "form":
            name = NON_FIELD
        elif key.startswith("form."):
            name = key.removeprefix("form.")
        else:
            continue
        errors.setdefault(name, []).extend(messages)
    return errors


# --- Documents and downloads -----------------------------------------------------------------


def material_url(case: Case, row: CaseMaterial) -> str:
    """The material's download (`portal/case_files.py`: access checked, audited). The URL
    ends in the material code, not the uploaded name: a file called after a person's
    identity number must not reach access logs (API.md: no personal identifiers in URLs);
    the download still carries its real name in Content-Disposition."""
    return reverse("portal:case-material", args=[case.pk, row.pk, queries.url_file_name(row)])


@dataclass
class DocumentLink:
    kind: str
    title: str
    url: str


def documents(case: Case) -> list[DocumentLink]:
    """The notices and decisions of the case that are ready (受理通知书, 补正告知书,
    不予受理决定书…); a document still being rendered appears once it is ready."""
    return [
        DocumentLink(
            kind=document.get_kind_display(),
            title=document.title,
            url=reverse("portal:case-document", args=[case.pk, document.pk, document.file_name]),
        )
        for document in documents_of(case)
    ]
