"""Every write to a case goes through these actions (issue 7: applying and acceptance).

Each action runs in one transaction and, in this order: locks the case row and checks that
the user may see it (404) and may do this (403), checks the transition against
`choices.TRANSITIONS` (409), validates the input with Chinese messages per field (400, or
413/415 for files), saves with `update_fields`, appends a `CaseEvent` and an audit event
(`case.*`), puts the applicant's SMS and in-site message into the notify outbox and writes
the step's written notice (`CaseDocument`, rendered after the commit) — all in the same
transaction, so a refused action changes nothing and records nothing.

The rules: 行政许可法第三十二条 (acceptance, one-time correction notice, deemed acceptance
after five days), 淮安办法第十二条 (pre-review reply within 1 working day; the notice names
the date and the handler), 镇江办法第九条 (sign-in within 4 working hours), 大安办法第十七—
二十一条 (window intake, correction and rejection with reasons), 乌海规范第六、十二条
(一窗受理: the service centre accepts for departments that entrust it).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Case as DjangoCase
from django.db.models import When
from django.http import HttpRequest
from django.utils import timezone

from wangban.accounts.access import require_may_act_for
from wangban.accounts.choices import RealNameLevel
from wangban.accounts.models import Department, Hall, LegalPerson, Person
from wangban.audit.actions import record
from wangban.audit.choices import Channel as AuditChannel
from wangban.cases import clock, schedule
from wangban.cases.access import (
    access_case,
    action_transaction,
    can_see_case,
    holds_current_step,
    is_applicant_side,
    is_clerk_of,
    is_held,
    is_queue_clerk,
    lock_case,
    lock_cases,
    may_act,
    may_change_materials,
    release,
    require_may_act,
)
from wangban.cases.choices import (
    EDITABLE_STATES,
    CaseAction,
    CaseState,
    Channel,
    check_transition,
)
from wangban.cases.documents import issue_documents
from wangban.cases.models import (
    Case,
    CaseEvent,
    CaseMaterial,
    CorrectionNotice,
    MaterialRecord,
    ReceiptCounter,
    ReplacedMaterial,
    actor_name,
)
from wangban.cases.notifications import tell_applicant, your_application
from wangban.catalog import frozen
from wangban.catalog.choices import OnlineDepth
from wangban.catalog.formschema import NON_FIELD
from wangban.catalog.formschema import validate as validate_form
from wangban.catalog.models import ItemVersion, Material
from wangban.catalog.queries import published_items, published_version
from wangban.core import files
from wangban.core.errors import Conflict, Forbidden, InvalidInput, NotFound

#: Upload limit of a case material; WANGBAN_CASE_MATERIAL_MAX_BYTES overrides it.
DEFAULT_MATERIAL_MAX_BYTES = 20 * 1024 * 1024
#: Working days the applicant has to answer a correction notice;
#: WANGBAN_CORRECTION_ANSWER_WORKING_DAYS overrides it (淮安办法第十二条 leaves it open).
DEFAULT_CORRECTION_ANSWER_WORKING_DAYS = 5


def material_max_bytes() -> int:
    return int(getattr(settings, "WANGBAN_CASE_MATERIAL_MAX_BYTES", DEFAULT_MATERIAL_MAX_BYTES))


def correction_answer_limit(version: ItemVersion | None = None) -> clock.Limit:
    """The applicant's time to answer a correction notice, in working days: the item
    version's `correction_answer_days` (补正期限) when its catalogue entry sets one, else
    WANGBAN_CORRECTION_ANSWER_WORKING_DAYS (issue 7: "within the item's answer time
    (configurable)"). Without a version, the setting."""
    if version is not None and version.correction_answer_days is not None:
        return clock.Limit(int(version.correction_answer_days), clock.WORKING_DAYS)
    days = getattr(
        settings, "WANGBAN_CORRECTION_ANSWER_WORKING_DAYS", DEFAULT_CORRECTION_ANSWER_WORKING_DAYS
    )
    return clock.Limit(int(days), clock.WORKING_DAYS)


# --- helpers -----------------------------------------------------------------------------


def accepting_department_for(department: Department) -> Department:
    """一窗受理 (乌海规范第六、十二条): a department that entrusts acceptance has its cases
    accepted by the service centre of its level (a centre with the same parent, else the
    first one); any other department accepts its own."""
    if not department.entrusts_acceptance:
        return department
    centres = Department.objects.filter(is_service_centre=True, is_active=True).order_by("code")
    return centres.filter(parent_id=department.parent_id).first() or centres.first() or department


def office_hours_for(department: Department) -> list[tuple[time, time]] | None:
    """The office hours of a hall of `department`, else of the first hall; None means the
    default hours (09:00–12:00, 13:30–17:30)."""
    own_first = DjangoCase(When(department=department, then=0), default=1)
    hall = Hall.objects.order_by(own_first, "pk").first()
    return hall.office_hour_spans() if hall else None


def _case_id(case: Case | str) -> str:
    return case.pk if isinstance(case, Case) else str(case)


def _audit_channel(case: Case, actor: Any) -> str | None:
    """`system` for the system, `window` for a clerk at a window case; else from the request."""
    if actor is None:
        return AuditChannel.SYSTEM
    if case.channel == Channel.WINDOW and is_queue_clerk(case, actor):
        return AuditChannel.WINDOW
    return None


def _begin(case: Case | str, actor: Any, action: str) -> tuple[Case, str]:
    """Lock and check in API.md's order: 404, 403, 409. Returns the case and the new state."""
    locked = lock_case(case, actor)
    require_may_act(locked, actor, action)
    return locked, check_transition(locked.state, action)


def _finish(
    case: Case,
    action: str,
    to_state: str,
    *,
    actor: Any,
    fields: Sequence[str] = (),
    request: HttpRequest | None = None,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    """Save the changed fields and the new state, append the event and the audit event,
    tell the applicant, and write the written notice the step issues (rendered to PDF by
    the task worker after the commit: `documents.issue_documents`). Returns the timeline
    event."""
    from_state = case.state
    case.state = to_state
    case.save(update_fields=[*fields, "state"])
    event = CaseEvent.objects.create(
        case=case,
        at=timezone.now(),
        actor=actor,
        actor_name=actor_name(actor),
        action=action,
        from_state=from_state,
        to_state=to_state,
        note=note,
        data=data or {},
    )
    record(
        f"case.{action}",
        actor=actor,
        request=request,
        obj=case,
        channel=_audit_channel(case, actor),
        department=case.department.code if actor is None else None,
        before={"state": from_state},
        after={"state": to_state, **{name: _value(case, name) for name in fields}},
    )
    _notify(case, event)
    issue_documents(case, event)
    return event


def _value(case: Case, name: str) -> Any:
    field = case._meta.get_field(name)
    return getattr(case, getattr(field, "attname", name))


def _require_text(value: str | None, field: str, message: str) -> str:
    text = _text(value, field)
    if not text:
        raise InvalidInput(fields={field: [message]})
    return text


def _text(value: str | None, field: str) -> str:
    """A free text as given, trimmed; refused with a NUL character, which PostgreSQL can
    neither store nor compare."""
    text = str(value or "").strip()
    if "\x00" in text:
        raise InvalidInput(fields={field: [NUL_MESSAGE]})
    return text


NUL_MESSAGE = "内容中含有无法保存的空字符，请删除后重试。"
#: What rejecting or terminating without a reason is told (the API's schema marks the reason
#: required with the same words).
NEEDS_REJECT_REASON = "请写明不予受理的具体理由。"
NEEDS_TERMINATE_REASON = "请写明终止办理的理由。"


#: How deep a form may nest objects and lists; real forms are two or three levels deep.
MAX_FORM_DEPTH = 32


def form_problem(form: Any) -> str | None:
    """What no database could store or no schema check should walk: NUL characters, lone
    surrogates (JSON may carry both), and nesting deeper than MAX_FORM_DEPTH. Walked without
    recursion, so that the check itself cannot overflow."""
    pending: list[tuple[Any, int]] = [(form, 0)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_FORM_DEPTH:
            return f"申请表嵌套不能超过 {MAX_FORM_DEPTH} 层。"
        if isinstance(value, str):
            if "\x00" in value or any("\ud800" <= char <= "\udfff" for char in value):
                return "申请表中含有无法保存的字符（空字符或代理字符）。"
        elif isinstance(value, dict):
            pending.extend((key, depth + 1) for key in value)
            pending.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)
    return None


def form_problems(schema: Any, form: Any, *, partial: bool = False) -> dict[str, list[str]]:
    """The form's problems against the version's JSON Schema (draft 2020-12 with formats),
    each under `form.<field>` in Chinese. A draft (`partial`) may leave required fields
    empty; a submission may not."""
    if not isinstance(form, dict):
        return {"form": ["申请表应为一组“字段: 值”的内容。"]}
    if problem := form_problem(form):
        return {"form": [problem]}
    if not _finite(form):
        return {"form": ["申请表中的数字超出范围。"]}
    if not schema:
        return {}
    if partial and isinstance(schema, dict):
        schema = {**schema, "required": []}
    return {
        "form" if name == NON_FIELD else f"form.{name}": messages
        for name, messages in validate_form(schema, form).items()
    }


def _finite(value: Any) -> bool:
    """No infinite or NaN number anywhere (JSON allows 1e400 in; no database stores it)."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(item) for item in value.values())
    if isinstance(value, list):
        return all(_finite(item) for item in value)
    return True


def _schedule_pre_review(case: Case, actor: Any, now: datetime) -> list[str]:
    """A (re)submission: `received_on` is its local day and the pre-acceptance deadlines
    run from it (DESIGN.md §5 "Before acceptance"). A window clerk signs for it at once."""
    level = case.version.online_service_level
    case.submission += 1
    case.submitted_at = now
    case.received_on = timezone.localdate(now)
    case.sign_in_due_at = None
    if level is not None and level.sign_in_hours:
        case.sign_in_due_at = clock.sign_in_due_at(
            now, level.sign_in_hours, office_hours_for(case.accepting_department)
        )
    reply_days = (level.reply_working_days if level else None) or clock.REPLY_WORKING_DAYS
    case.reply_due_on = clock.reply_due_on(case.received_on, reply_days)
    case.deemed_due_on = clock.deemed_acceptance_due(case.received_on)
    at_window = case.channel == Channel.WINDOW and may_act(case, actor, CaseAction.SIGN_IN)
    case.signed_in_at = now if at_window else None
    case.signed_in_by = actor if at_window else None
    return [
        "submission",
        "submitted_at",
        "received_on",
        "sign_in_due_at",
        "reply_due_on",
        "deemed_due_on",
        "signed_in_at",
        "signed_in_by",
    ]


def take_receipt_no(department: Department, day: date) -> str:
    """The next receipt number (受理编号) of `department` on `day`:
    `{department code}-{YYYYMMDD}-{sequence:05d}`, unique and sortable per department.

    The per-department, per-day counter row is created if missing (a concurrent twin's
    insert is skipped, not an error) and locked until the caller's transaction ends, so two
    acceptances never share a number; a rolled-back acceptance may leave a gap."""
    counters = ReceiptCounter.objects.select_for_update().filter(department=department, day=day)
    counter = counters.first()
    if counter is None:  # the department's first acceptance of the day
        ReceiptCounter.objects.bulk_create(
            [ReceiptCounter(department=department, day=day)], ignore_conflicts=True
        )
        counter = counters.get()
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{department.code}-{day:%Y%m%d}-{counter.last:05d}"


# --- notifications -----------------------------------------------------------------------

_MESSAGES = {
    CaseAction.SUBMIT: "您申请的“{name}”已提交，我们将于{reply_due_on}前答复是否受理。",
    CaseAction.RESUBMIT: "您申请的“{name}”补正材料已提交，我们将于{reply_due_on}前答复是否受理。",
    CaseAction.REQUEST_CORRECTION: (
        "{case}需要补正材料，请于{correction_due_on}前登录查看补正告知书并补正。"
    ),
    CaseAction.ACCEPT: "您申请的“{name}”已受理，受理编号 {receipt_no}。",
    CaseAction.DEEM_ACCEPT: "您申请的“{name}”已依法视为受理，受理编号 {receipt_no}。",
    CaseAction.REJECT: "您申请的“{name}”不予受理，理由请登录查看不予受理决定书。",
    CaseAction.TERMINATE: "{case}因逾期未补正材料，已终止办理。",
}

#: A correction asked during review (审查中补正) stops the approval clock, and handing it in
#: resumes the review (淮安办法第十二条: 补正材料期间不计算审批时限).
_REVIEW_MESSAGES = {
    CaseAction.REQUEST_CORRECTION: (
        "{case}需要补正材料，补正期间办理时限暂停计算；请于{correction_due_on}前登录查看"
        "补正告知书并补正，补正材料提交后恢复审查。"
    ),
}


#: The in-site message's title for each step (its text is the SMS's).
_TITLES = {
    CaseAction.SUBMIT: "申请已提交",
    CaseAction.RESUBMIT: "补正材料已提交",
    CaseAction.REQUEST_CORRECTION: "请补正申请材料",
    CaseAction.ACCEPT: "申请已受理",
    CaseAction.DEEM_ACCEPT: "申请已视为受理",
    CaseAction.REJECT: "申请不予受理",
    CaseAction.TERMINATE: "申请已终止办理",
}


def _notify(case: Case, event: CaseEvent) -> None:
    """Tell the applicant by SMS and in-site message through the notify outbox (same
    transaction; `notifications.tell_applicant`). Webhook events for cases need `case.*`
    event types in `notify.choices.EventType` (not ours)."""
    action = CaseAction(event.action)
    template = _MESSAGES.get(action)
    if case.accepted_on is not None:
        template = _REVIEW_MESSAGES.get(action, template)
    if not template:
        return
    text = template.format(
        case=your_application(case),
        name=case.version.name,
        reply_due_on=case.reply_due_on,
        correction_due_on=case.correction_due_on,
        receipt_no=case.receipt_no,
    )
    tell_applicant(
        case,
        event_type=f"case.{event.action}",
        title=_TITLES[action],
        text=text,
        key=f"case-event:{event.pk}",
    )


# --- creating and materials ----------------------------------------------------------------


def _require_online_application(version: ItemVersion, applicant: Any) -> None:
    """Online (and kiosk, mobile, API) applications need an identity-verified applicant
    (乌海规范第八条: 统一身份认证; a window clerk checks the card instead) and an item whose
    网上办理深度 includes 收件 (GB/T 39046 A.7); otherwise it is applied for at a window."""
    person = Person.objects.filter(user_id=applicant.pk).first()
    if person is None or person.real_name_level < RealNameLevel.IDENTITY_VERIFIED:
        raise Forbidden("请先完成实名认证，再在网上申请。", code="verification_required")
    if OnlineDepth.RECEIPT not in (version.online_depth or []):
        raise Conflict(
            f"“{version.name}”不提供网上申请，请到窗口办理。",
            code="online_application_not_offered",
        )


def do_create_case(
    *,
    actor: Any,
    item_code: str,
    form: dict[str, Any] | None = None,
    on_behalf_of: LegalPerson | int | None = None,
    channel: str = Channel.ONLINE,
    applicant: Any = None,
    request: HttpRequest | None = None,
) -> Case:
    """A draft application for the published version of `item_code` (API.md `POST /cases`).

    Online (and kiosk, mobile, api) the actor is the applicant. At a window a clerk of the
    accepting department registers it for `applicant` (大安办法第十七条). For a legal person
    the applicant must be its owner or an agent authorised for the item (乌海规范第八条).
    A draft's form may be incomplete, but what it holds must fit the schema."""
    if channel not in Channel.values:
        raise InvalidInput(fields={"channel": ["未知的申请渠道。"]})
    version = published_version(item_code, parts=False)
    accepting = accepting_department_for(version.department)
    if channel == Channel.WINDOW:
        if not is_clerk_of(actor, accepting):
            raise Forbidden(f"只有{accepting.name}的窗口受理人员可以登记窗口申请。")
        if applicant is None:
            raise InvalidInput(fields={"applicant": ["请指明申请人。"]})
        if applicant.pk == actor.pk:  # 回避
            raise Forbidden("不能为自己登记窗口申请，请由其他窗口人员办理。")
    else:
        if applicant is not None and applicant.pk != actor.pk:
            raise Forbidden("只能以本人名义在网上申请。")
        applicant = actor
        _require_online_application(version, applicant)
    legal_person = None
    if on_behalf_of is not None:
        legal_person = (
            on_behalf_of
            if isinstance(on_behalf_of, LegalPerson)
            else LegalPerson.objects.filter(pk=on_behalf_of).first()
        )
        if legal_person is None:
            raise NotFound("法人不存在，或您无权代其办理。", code="legal_person_not_found")
        require_may_act_for(applicant, legal_person, item_code)
    form = {} if form is None else form
    if problems := form_problems(version.form_schema, form, partial=True):
        raise InvalidInput(fields=problems)
    with transaction.atomic():
        case = Case.objects.create(
            item=version.item,
            version=version,
            department=version.department,
            accepting_department=accepting,
            applicant=applicant,
            on_behalf_of=legal_person,
            created_by=actor,
            channel=channel,
            form=form,
        )
        event = CaseEvent.objects.create(
            case=case,
            at=timezone.now(),
            actor=actor,
            actor_name=actor_name(actor),
            action=CaseAction.CREATE,
            from_state="",
            to_state=case.state,
        )
        record(
            "case.create",
            actor=actor,
            request=request,
            obj=case,
            channel=_audit_channel(case, actor),
            after={
                "item": item_code,
                "version": version.number,
                "channel": channel,
                "applicant": applicant.pk,
                "on_behalf_of": legal_person.pk if legal_person else None,
            },
        )
        _notify(case, event)
    return case


def do_update_form(
    case: Case | str, *, actor: Any, form: dict[str, Any], request: HttpRequest | None = None
) -> Case:
    """Replace a draft's form (checked as a draft: required fields may still be empty)."""
    with action_transaction(case):
        locked = lock_case(case, actor)
        require_may_act(locked, actor, CaseAction.SUBMIT)
        if locked.state != CaseState.DRAFT:
            raise Conflict("只有草稿可以修改申请表。", code="form_locked")
        if problems := form_problems(locked.version.form_schema, form, partial=True):
            raise InvalidInput(fields=problems)
        locked.form = form
        locked.save(update_fields=["form"])
        record("case.update_form", actor=actor, request=request, obj=locked)
    return locked


def require_materials_editable(case: Case, actor: Any, *, paper: bool = False) -> None:
    """403 unless `actor` may change the case's materials; 409 `materials_locked` outside a
    draft or a correction. Whatever the input: callers that read it apart check this first."""
    if not may_change_materials(case, actor, paper=paper):
        what = "登记纸质材料" if paper else "提交材料"
        raise Forbidden(f"您无权为该办件{what}。")
    if case.state not in EDITABLE_STATES:
        raise Conflict(
            f"办件当前状态为“{CaseState(case.state).label}”，不能更改材料。",
            code="materials_locked",
        )


def _editable_material(case: Case, actor: Any, material_code: str, *, paper: bool) -> Material:
    """The item's material `material_code`, if the actor may change it now: in a draft any
    material; during a correction only those the notice names."""
    require_materials_editable(case, actor, paper=paper)
    material = next((m for m in frozen.materials(case.version) if m.code == material_code), None)
    if material is None:
        raise InvalidInput(
            fields={"material_code": [f"该事项没有编码为“{material_code}”的申请材料。"]}
        )
    if case.state == CaseState.CORRECTION_REQUESTED:
        notice = case.correction_notices.order_by("-issued_at", "-pk").first()
        named = {item["material_code"] for item in notice.items} if notice else set()
        if material_code not in named:
            raise Conflict(
                f"补正告知书未要求补正“{material.name}”，不能更换该材料。",
                code="not_in_correction_notice",
            )
    return material


#: What a material row holds (`MaterialRecord`), as `ReplacedMaterial` keeps it.
MATERIAL_FIELDS = tuple(field.attname for field in MaterialRecord._meta.fields)


def _put_material(case: Case, material: Material, actor: Any, **values: Any) -> CaseMaterial:
    """Write the case's row of `material`, replacing what it held. The case is locked, so
    nothing else writes the row meanwhile: it is read, then updated or inserted. What a
    submission handed in is kept as it was (`ReplacedMaterial`, with its file) before a
    correction replaces it; a draft's file replaced before any submission is not."""
    row = CaseMaterial.objects.filter(case=case, material_code=material.code).first()
    if row is not None and row.submission <= case.submission:
        ReplacedMaterial.objects.create(
            case=case,
            **{name: getattr(row, name) for name in MATERIAL_FIELDS},
            replaced_at=timezone.now(),
            replaced_by=actor,
        )
    row = row or CaseMaterial(case=case, material_code=material.code)
    fields = {
        "material_name": material.name,
        "submission": case.submission + 1,
        "attached_by": actor,
        "attached_at": timezone.now(),
        "paper": False,
        "note": "",
        "file_name": "",
        "blob": "",
        "content_type": "",
        "size": 0,
        "sha256": "",
        **values,
    }
    for name, value in fields.items():
        setattr(row, name, value)
    row.save()
    return row


def _stored_file(upload: IO[bytes], material: Material) -> dict[str, Any]:
    stored = files.store(upload, prefix="cases", max_bytes=material_max_bytes())
    name = str(getattr(upload, "name", "") or material.name).rsplit("/", 1)[-1]
    return {
        "file_name": name[:200],
        "blob": stored.blob,
        "content_type": stored.content_type,
        "size": stored.size,
        "sha256": stored.sha256,
    }


def _reused_file(case: Case, reuse: int, actor: Any) -> dict[str, Any]:
    """A file of the same applicant's (and legal person's) earlier case, by reference; the
    actor must be able to see that case, and only its applicant side reaches a draft (a
    clerk registering a walk-in cannot pull files out of cases they may not see). Not found
    and not allowed read the same, so ids cannot be probed."""
    source = (
        CaseMaterial.objects.select_related("case__item", "case__on_behalf_of")
        .filter(pk=reuse, paper=False)
        .exclude(case=case)
        .first()
    )
    visible = source is not None and (
        is_applicant_side(source.case, actor)
        or (source.case.state != CaseState.DRAFT and can_see_case(source.case, actor))
    )
    if (
        source is None
        or not visible
        or (source.case.applicant_id, source.case.on_behalf_of_id)
        != (case.applicant_id, case.on_behalf_of_id)
    ):
        raise InvalidInput(fields={"reuse": ["只能复用同一申请人此前办件中的文件。"]})
    return {
        "file_name": source.file_name,
        "blob": source.blob,
        "content_type": source.content_type,
        "size": source.size,
        "sha256": source.sha256,
        "note": f"复用办件 {source.case_id} 的材料",
    }


def do_attach_material(
    case: Case | str,
    *,
    actor: Any,
    material_code: str,
    upload: IO[bytes] | None = None,
    reuse: int | None = None,
    request: HttpRequest | None = None,
) -> CaseMaterial:
    """Attach a file to one material of the case (API.md `POST /cases/{id}/materials`),
    replacing what was there. The file is checked by content (PDF, Word, Excel, PNG, JPEG:
    415 otherwise) and size (413 above WANGBAN_CASE_MATERIAL_MAX_BYTES, default 20 MB) and
    stored once under its SHA-256. Or `reuse` a file of the same applicant's earlier case
    (a `CaseMaterial` id): the new row references the same stored bytes."""
    with action_transaction(case):
        locked = lock_case(case, actor)
        material = _editable_material(locked, actor, material_code, paper=False)
        if upload is not None and reuse is None:
            values = _stored_file(upload, material)
        elif reuse is not None and upload is None:
            values = _reused_file(locked, reuse, actor)
        elif upload is None:
            raise InvalidInput(fields={"file": ["请选择要上传的文件。"]})
        else:
            raise InvalidInput(fields={"file": ["请上传文件或选择复用的材料，二者选一。"]})
        row = _put_material(locked, material, actor, **values)
        record(
            "case.attach_material",
            actor=actor,
            request=request,
            obj=locked,
            channel=_audit_channel(locked, actor),
            after={
                "material_code": material.code,
                "file_name": row.file_name,
                "sha256": row.sha256,
                "size": row.size,
                "reused_from": reuse,
            },
        )
    return row


def do_mark_paper_material(
    case: Case | str,
    *,
    actor: Any,
    material_code: str,
    note: str = "",
    request: HttpRequest | None = None,
) -> CaseMaterial:
    """A window clerk records that a material was handed over on paper (大安办法第十七—十八条:
    窗口收取纸质材料), with an optional note; it counts as submitted."""
    with action_transaction(case):
        locked = lock_case(case, actor)
        material = _editable_material(locked, actor, material_code, paper=True)
        row = _put_material(locked, material, actor, paper=True, note=_text(note, "note"))
        record(
            "case.mark_paper_material",
            actor=actor,
            request=request,
            obj=locked,
            channel=_audit_channel(locked, actor),
            after={"material_code": material.code, "note": row.note},
        )
    return row


# --- submission and pre-review ------------------------------------------------------------


def _missing_materials(
    case: Case, codes: Iterable[str], submission: int | None, names: dict[str, str] | None = None
) -> dict[str, list[str]]:
    """`materials.<code>` problems for materials of `codes` that are absent (or, with
    `submission`, not handed in for that submission)."""
    rows = {row.material_code: row for row in case.materials.all()}
    if names is None:
        names = {m.code: m.name for m in frozen.materials(case.version)}
    problems: dict[str, list[str]] = {}
    for code in codes:
        row = rows.get(code)
        if row is None or (submission is not None and row.submission != submission):
            problems[f"materials.{code}"] = [f"请提交“{names.get(code, code)}”。"]
    return problems


def do_submit(case: Case | str, *, actor: Any, request: HttpRequest | None = None) -> Case:
    """Submit a draft (API.md `POST /cases/{id}/submit`). The form must satisfy the
    version's schema and every required material be attached or handed over on paper.
    Starts the pre-acceptance deadlines: sign-in (镇江办法第九条), the pre-review reply
    (淮安办法第十二条) and deemed acceptance (行政许可法第三十二条)."""
    with action_transaction(case):
        locked, target = _begin(case, actor, CaseAction.SUBMIT)
        if not published_items().filter(item_id=locked.item_id).exists():
            raise Conflict(
                f"“{locked.version.name}”已取消，不能再提交申请。", code="item_withdrawn"
            )
        problems = form_problems(locked.version.form_schema, locked.form)
        materials = frozen.materials(locked.version)
        required = [m.code for m in materials if m.required]
        names = {m.code: m.name for m in materials}
        problems.update(_missing_materials(locked, required, None, names))
        if problems:
            raise InvalidInput("申请还不完整，请按提示补充后再提交。", fields=problems)
        fields = _schedule_pre_review(locked, actor, timezone.now())
        _finish(locked, CaseAction.SUBMIT, target, actor=actor, fields=fields, request=request)
        return locked


def do_sign_in(case: Case | str, *, actor: Any, request: HttpRequest | None = None) -> Case:
    """A clerk of the accepting department signs for a submission (签收, 镇江办法第九条:
    一级和二级事项四个工作小时内签收). Recorded once; the state stays `submitted`."""
    deem_if_due(case, actor)
    with action_transaction(case):
        locked, target = _begin(case, actor, CaseAction.SIGN_IN)
        if locked.signed_in_at is not None:
            raise Conflict("该申请已签收。", code="already_signed_in")
        locked.signed_in_at = timezone.now()
        locked.signed_in_by = actor
        late = locked.sign_in_due_at is not None and locked.signed_in_at > locked.sign_in_due_at
        _finish(
            locked,
            CaseAction.SIGN_IN,
            target,
            actor=actor,
            fields=["signed_in_at", "signed_in_by"],
            request=request,
            data={"late": late},
        )
        return locked


def do_request_correction(
    case: Case | str,
    *,
    actor: Any,
    items: Sequence[dict[str, Any]],
    reason_for_second: str | None = None,
    request: HttpRequest | None = None,
) -> CorrectionNotice:
    """Issue the one-time correction notice (一次性告知, 行政许可法第三十二条, 淮安办法第十二条,
    大安办法第十九条): every deficient material with its reason, dated and signed with the
    handler's name, at once. The applicant has the item's 补正期限 (`correction_answer_days`),
    else WANGBAN_CORRECTION_ANSWER_WORKING_DAYS (default 5), working days to answer. A
    further notice on the same application breaks the one-time rule: it needs
    `reason_for_second` and is flagged `is_repeat` for supervision."""
    deem_if_due(case, actor)
    with action_transaction(case):
        locked, target = _begin(case, actor, CaseAction.REQUEST_CORRECTION)
        cleaned = _correction_items(locked, items)
        earlier = schedule.notices_of_this_stage(locked).exists()
        repeat_reason = ""
        if earlier:
            repeat_reason = _require_text(
                reason_for_second,
                "reason_for_second",
                "本申请已出具过补正告知书；再次告知违反一次性告知的要求，须写明理由。",
            )
        now = timezone.now()
        today = timezone.localdate(now)
        due = clock.correction_due_on(today, correction_answer_limit(locked.version))
        notice = CorrectionNotice.objects.create(
            case=locked,
            submission=locked.submission,
            issued_at=now,
            issued_on=today,
            handler=actor,
            handler_name=actor_name(actor),
            department=_correction_issuer(locked, actor),
            items=cleaned,
            answer_due_on=due,
            is_repeat=earlier,
            repeat_reason=repeat_reason,
        )
        locked.correction_due_on = due
        # During review (审查中补正) the correction stops the approval clock.
        stopped = schedule.stop_for_correction(locked, actor, notice) if locked.accepted_on else []
        _finish(
            locked,
            CaseAction.REQUEST_CORRECTION,
            target,
            actor=actor,
            fields=["correction_due_on", *stopped],
            request=request,
            note=repeat_reason,
            data={"notice": notice.pk, "items": cleaned, "is_repeat": earlier},
        )
    return notice


def _correction_issuer(case: Case, actor: Any) -> Department:
    """The department that issues a correction notice (大安办法第十九条: the one that asked
    reviews the answer): the accepting department before acceptance; during review the
    department of the step the actor holds (a co-handling department's), else the
    implementing department (its handler)."""
    if case.accepted_on is None:
        return case.accepting_department
    step = case.current_step
    if step is not None and step.finished_at is None and holds_current_step(case, actor):
        return step.department or case.department
    return case.department


def _correction_items(case: Case, items: Any) -> list[dict[str, str]]:
    """Every problem of the notice's items at once, under `items[i].<key>`; the clean items
    in the item's material order."""
    if not isinstance(items, list | tuple) or not items:
        raise InvalidInput(fields={"items": ["请列出需要补正的全部材料及原因。"]})
    materials = {m.code: m for m in frozen.materials(case.version)}
    order = {code: index for index, code in enumerate(materials)}
    problems: dict[str, list[str]] = {}
    seen: set[str] = set()
    cleaned: list[dict[str, str]] = []
    for index, item in enumerate(items):
        item = item if isinstance(item, dict) else {}
        code = str(item.get("material_code") or "").strip()
        reason = str(item.get("reason") or "").strip()
        if "\x00" in code + reason:
            problems[f"items[{index}].reason"] = [NUL_MESSAGE]
            continue
        if not code:
            problems[f"items[{index}].material_code"] = ["请选择需要补正的材料。"]
        elif code not in materials:
            problems[f"items[{index}].material_code"] = [f"该事项没有编码为“{code}”的申请材料。"]
        elif code in seen:
            problems[f"items[{index}].material_code"] = [
                f"“{materials[code].name}”重复列出，请合并为一条。"
            ]
        if not reason:
            problems[f"items[{index}].reason"] = ["请写明需要补正的原因。"]
        if code in materials and code not in seen and reason:
            cleaned.append(
                {"material_code": code, "material_name": materials[code].name, "reason": reason}
            )
        seen.add(code)
    if problems:
        raise InvalidInput("补正告知内容有误，请按提示修改。", fields=problems)
    return sorted(cleaned, key=lambda entry: order[entry["material_code"]])


def do_resubmit(case: Case | str, *, actor: Any, request: HttpRequest | None = None) -> Case:
    """Hand in the correction (补正后重新提交): every material the notice names must have
    been replaced (others could not be). The case is submitted again with a new
    `received_on`, so the reply and deemed-acceptance periods start again
    (行政许可法第三十二条: 自收到全部补正申请材料之日起即为受理)."""
    with action_transaction(case):
        locked, target = _begin(case, actor, CaseAction.RESUBMIT)
        notice = locked.correction_notices.order_by("-issued_at", "-pk").first()
        named = [item["material_code"] for item in notice.items] if notice else []
        if problems := _missing_materials(locked, named, locked.submission + 1):
            raise InvalidInput("请补正告知书所列的全部材料后再提交。", fields=problems)
        if locked.accepted_on is not None:  # a correction during review: back to review
            from wangban.cases.review import resubmit_during_review  # (it imports this module)

            return resubmit_during_review(locked, actor=actor, notice=notice, request=request)
        now = timezone.now()
        fields = _schedule_pre_review(locked, actor, now)
        if notice is not None:
            notice.answered_at = now
            notice.save(update_fields=["answered_at"])
        locked.correction_due_on = None
        _finish(
            locked,
            CaseAction.RESUBMIT,
            target,
            actor=actor,
            fields=[*fields, "correction_due_on"],
            request=request,
            data={"notice": notice.pk if notice else None},
        )
        return locked


def do_accept(case: Case | str, *, actor: Any, request: HttpRequest | None = None) -> Case:
    """Accept a submission (受理, 大安办法第二十条; 乌海规范第十二条 出具受理回执): today is
    the acceptance day, a receipt number is issued, the case goes into review. Accepting
    also signs for it if nobody had."""
    deem_if_due(case, actor)
    with action_transaction(case):
        locked, target = _begin(case, actor, CaseAction.ACCEPT)
        now = timezone.now()
        locked.accepted_on = timezone.localdate(now)
        locked.accepted_by = actor
        locked.receipt_no = take_receipt_no(locked.department, locked.accepted_on)
        fields = ["accepted_on", "accepted_by", "receipt_no"]
        if locked.signed_in_at is None:
            locked.signed_in_at, locked.signed_in_by = now, actor
            fields += ["signed_in_at", "signed_in_by"]
        fields += schedule.start_review(locked, actor, now)  # the approval clock starts
        _finish(locked, CaseAction.ACCEPT, target, actor=actor, fields=fields, request=request)
        return locked


def do_reject(
    case: Case | str, *, actor: Any, reason: str, request: HttpRequest | None = None
) -> Case:
    """Refuse to accept (不予受理) with the specific reason (行政许可法第三十二条,
    大安办法第二十一条: 在决定书上说明具体理由)."""
    deem_if_due(case, actor)
    with action_transaction(case):
        locked, target = _begin(case, actor, CaseAction.REJECT)
        locked.closing_reason = _require_text(reason, "reason", NEEDS_REJECT_REASON)
        locked.closed_at = timezone.now()
        _finish(
            locked,
            CaseAction.REJECT,
            target,
            actor=actor,
            fields=["closing_reason", "closed_at"],
            request=request,
            note=locked.closing_reason,
        )
        return locked


def require_correction_overdue(case: Case) -> None:
    """Termination waits for the day after `correction_due_on` (409 before)."""
    if case.correction_due_on is None or timezone.localdate() <= case.correction_due_on:
        raise Conflict(
            f"补正期限（{case.correction_due_on}）尚未届满，不能终止办理。",
            code="correction_not_overdue",
        )


def do_terminate(
    case: Case | str, *, actor: Any, reason: str, request: HttpRequest | None = None
) -> Case:
    """End an application whose correction was not handed in by its due day (终止办理): from
    the day after `correction_due_on` on (淮安办法第十二条; docs/case-clock.md)."""
    with action_transaction(case):
        locked, target = _begin(case, actor, CaseAction.TERMINATE)
        require_correction_overdue(locked)
        locked.closing_reason = _require_text(reason, "reason", NEEDS_TERMINATE_REASON)
        locked.closed_at = timezone.now()
        _finish(
            locked,
            CaseAction.TERMINATE,
            target,
            actor=actor,
            fields=[
                "closing_reason",
                "closed_at",
                *schedule.end_clock(locked, actor=actor, action=CaseAction.TERMINATE),
            ],
            request=request,
            note=locked.closing_reason,
        )
        return locked


def do_withdraw(
    case: Case | str, *, actor: Any, reason: str = "", request: HttpRequest | None = None
) -> Case:
    """The applicant withdraws the application (撤回申请). A draft needs no reason; a filed
    application does (API.md `withdraw`: `reason`)."""
    with action_transaction(case):
        locked, target = _begin(case, actor, CaseAction.WITHDRAW)
        text = _text(reason, "reason")
        if locked.state != CaseState.DRAFT:
            text = _require_text(reason, "reason", "请写明撤回申请的原因。")
        locked.closing_reason = text
        locked.closed_at = timezone.now()
        _finish(
            locked,
            CaseAction.WITHDRAW,
            target,
            actor=actor,
            fields=[
                "closing_reason",
                "closed_at",
                *schedule.end_clock(locked, actor=actor, action=CaseAction.WITHDRAW),
            ],
            request=request,
            note=text,
        )
        return locked


# --- the system ----------------------------------------------------------------------------


def do_deem_accept_due(today: date | None = None) -> list[str]:
    """Deemed acceptance (视为受理, 行政许可法第三十二条: 逾期不告知的，自收到申请材料之日起
    即为受理): every case still `submitted` — no correction notice, acceptance or rejection
    since its latest submission — once the end of `add_working_days(received_on, 5)` has
    passed is accepted with `accepted_on = received_on`, by the system, flagged
    `deemed_accepted` for supervision. Each case in its own transaction; idempotent.
    Returns the ids of the cases accepted."""
    today = today or timezone.localdate()
    candidates = Case.objects.filter(
        state=CaseState.SUBMITTED, deemed_due_on__lt=today
    ).values_list("pk", flat=True)
    return [case_id for case_id in list(candidates) if _deem_accept(case_id, today)]


#: The clerk's answers to a submission: each meets a deemed acceptance first (`deem_if_due`).
ANSWERS_TO_A_SUBMISSION = (
    CaseAction.SIGN_IN,
    CaseAction.REQUEST_CORRECTION,
    CaseAction.ACCEPT,
    CaseAction.REJECT,
)


def deem_if_due(case: Case | str, actor: Any) -> None:
    """Before a clerk answers a submission: if its five working days have ended and the
    periodic job has not run yet, the law has already accepted it (行政许可法第三十二条), so
    record that first (it commits on its own when no transaction is open: call it before
    opening one); the clerk's action then meets the case in review, and a late answer
    cannot hide the deemed acceptance from supervision. Only for an `actor` who may see the
    case: the action answers anyone else 404, and their request must not move the case."""
    today = timezone.localdate()
    if isinstance(case, Case) and is_held(case):  # locked and checked by the caller
        seen = case
    else:
        try:
            seen = access_case(_case_id(case), actor)  # read afresh
        except NotFound:
            return
    deemed = deemed_acceptance_due(seen, today) and _deem_accept(seen.pk, today)
    if deemed and isinstance(case, Case):
        release(case)


def deemed_acceptance_due(case: Case, today: date) -> bool:
    """The case, as read, waits for an answer past its five working days."""
    deemed_due_on = case.deemed_due_on
    return case.state == CaseState.SUBMITTED and bool(deemed_due_on and deemed_due_on < today)


def _deem_accept(case_id: str, today: date) -> bool:
    """Deem one case accepted if it is still due; True when it was."""
    with transaction.atomic():
        lock_cases([case_id])
        case = Case.objects.select_related("item", "version", "department", "applicant").get(
            pk=case_id
        )
        if case.state != CaseState.SUBMITTED or case.received_on is None:
            return False
        if not clock.is_deemed_accepted(case.received_on, today):
            return False
        target = check_transition(case.state, CaseAction.DEEM_ACCEPT)
        case.accepted_on = case.received_on
        case.accepted_by = None
        case.deemed_accepted = True
        case.receipt_no = take_receipt_no(case.department, case.accepted_on)
        _finish(
            case,
            CaseAction.DEEM_ACCEPT,
            target,
            actor=None,
            fields=[
                "accepted_on",
                "accepted_by",
                "deemed_accepted",
                "receipt_no",
                *schedule.start_review(case, None, timezone.now()),
            ],
            note="逾期未作出受理决定，依法视为受理（行政许可法第三十二条）。",
        )
    return True
