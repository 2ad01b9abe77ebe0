"""Every write to the catalogue goes through these actions.

The publication workflow (issue 6; 国务院办公厅《关于全面推行政务服务事项“一网通办”》and
GB/T 39046-2020 on implementation lists): a department admin drafts a version of one of
their department's items (新增、调整、取消), submits it, and the service centre reviews its
legality (法制审核) and publishes it with an effective date, or returns it with a reason.
Published versions are immutable; cases keep the version they were filed under. A version
approved with a future effective date waits as `scheduled` until `do_activate_due` (the
periodic `activate_items` command) puts it into effect on that day.

Each action runs in one transaction, locks the item row, checks the transition against
`TRANSITIONS`, and records an audit event (大安第三十四条: nothing changes silently).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone

from wangban.accounts.choices import Role
from wangban.accounts.models import Department
from wangban.accounts.roles import user_has_role
from wangban.audit.actions import record
from wangban.catalog.access import require_edit_items, require_review_items
from wangban.catalog.choices import (
    FROZEN_STATES,
    PENDING_STATES,
    ChangeEvent,
    ChangeKind,
    FileKind,
    LimitUnit,
    VersionState,
)
from wangban.catalog.content import (
    CleanContent,
    Limits,
    Problems,
    clean_content,
    default_warning_threshold,
    form_schema_problems,
    limit_problem,
)
from wangban.catalog.feed import change_to_api
from wangban.catalog.models import (
    IMMUTABLE_MESSAGE,
    CatalogFile,
    ItemChange,
    ItemVersion,
    Material,
    ServiceItem,
    WorkflowStep,
)
from wangban.catalog.queries import content_of
from wangban.catalog.search import refresh_index
from wangban.core import files
from wangban.core.errors import Conflict, InvalidInput, NotFound
from wangban.notify.actions import publish_event
from wangban.notify.models import WebhookEndpoint

# Blank forms, samples and result samples of the guide.
MAX_FILE_BYTES = 10 * 1024 * 1024

# The one transition table of a version: (from, to) → the action that makes it.
TRANSITIONS: dict[tuple[str, str], str] = {
    (VersionState.DRAFT, VersionState.IN_REVIEW): "submit",
    (VersionState.IN_REVIEW, VersionState.DRAFT): "return",
    (VersionState.IN_REVIEW, VersionState.PUBLISHED): "approve",
    (VersionState.IN_REVIEW, VersionState.CANCELLED): "approve_cancel",
    (VersionState.IN_REVIEW, VersionState.SCHEDULED): "approve_later",
    (VersionState.SCHEDULED, VersionState.PUBLISHED): "activate",
    (VersionState.SCHEDULED, VersionState.CANCELLED): "activate_cancel",
    (VersionState.PUBLISHED, VersionState.SUPERSEDED): "supersede",
}

CODE_PATTERN = re.compile(r"^[^\s/?#]{1,64}$")


def check_transition(from_state: str, to_state: str) -> str:
    """The action that moves a version from `from_state` to `to_state`, or Conflict."""
    action = TRANSITIONS.get((from_state, to_state))
    if action is not None:
        return action
    if from_state in FROZEN_STATES:
        raise Conflict(IMMUTABLE_MESSAGE, code="version_immutable")
    labels = dict(VersionState.choices)
    raise Conflict(
        f"事项版本不能从“{labels[from_state]}”变为“{labels[to_state]}”。",
        code="invalid_transition",
    )


def _lock(version: ItemVersion) -> ItemVersion:
    """Lock the item, then read the version afresh (every action on an item serialises)."""
    ServiceItem.objects.select_for_update().get(pk=version.item_id)
    return ItemVersion.objects.select_related("item__department", "department").get(pk=version.pk)


def _save_parts(version: ItemVersion, content: CleanContent) -> None:
    """Replace the materials and steps; a material that keeps its code keeps its files."""
    kept = list(version.files.filter(material__isnull=False).select_related("material"))
    version.materials.all().delete()  # and their files, restored below by material code
    version.steps.all().delete()
    materials = Material.objects.bulk_create(
        Material(version=version, **m) for m in content.materials
    )
    WorkflowStep.objects.bulk_create(WorkflowStep(version=version, **s) for s in content.steps)
    _copy_files(kept, version, materials)


def _copy_files(source: list[CatalogFile], version: ItemVersion, materials: list[Material]) -> None:
    """Attach copies of `source` files to `version`, each material's to the material with the
    same code (the bytes are shared: blobs are named by their content)."""
    by_code = {material.code: material for material in materials}
    copies = []
    for file in source:
        material = by_code.get(file.material.code) if file.material else None
        if file.material and material is None:
            continue  # the material is gone, and its files with it
        copies.append(
            CatalogFile(
                version=version,
                material=material,
                kind=file.kind,
                name=file.name,
                blob=file.blob,
                content_type=file.content_type,
                size=file.size,
                sha256=file.sha256,
            )
        )
    CatalogFile.objects.bulk_create(copies)


def clean_code(code: Any) -> str:
    code = code.strip() if isinstance(code, str) else ""
    if not CODE_PATTERN.match(code):
        message = "实施编码须为 1 至 64 个字符，不含空格、“/”、“?”、“#”。"
        raise InvalidInput(message, fields={"code": [message]})
    return code


def _required_reason(reason: str, field: str, label: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        message = f"请填写{label}。"
        raise InvalidInput(message, fields={field: [message]})
    return reason


@transaction.atomic
def do_draft_item(
    *,
    actor: Any,
    code: str,
    kind: ChangeKind | str = ChangeKind.NEW,
    department: Department | None = None,
    basic_code: str = "",
    content: dict[str, Any] | None = None,
    change_reason: str = "",
    request: HttpRequest | None = None,
) -> ItemVersion:
    """Draft a version: a new item (`new`: `department` and `content` required), or a new
    version of a published item (`adjust`: `content`, or a copy of the published version;
    `cancel`: a copy, to withdraw the item; `delegate`: a copy, or new `content`, handing
    the item to `department`, a department of a lower level, 下放). A department admin of
    the item's department only; one pending (draft, in review or scheduled) version per
    item."""
    source: ItemVersion | None = None
    if kind == ChangeKind.NEW:
        if department is None:
            raise InvalidInput("请选择实施部门。", fields={"department": ["请选择实施部门。"]})
        require_edit_items(actor, department)
        code = clean_code(code)
        basic = basic_code.strip() if isinstance(basic_code, str) else ""
        if len(basic) > 64:
            message = "基本编码不能超过 64 个字符。"
            raise InvalidInput(message, fields={"basic_code": [message]})
        if ServiceItem.objects.filter(code=code).exists():
            message = f"实施编码“{code}”已存在。"
            raise InvalidInput(message, code="duplicate_code", fields={"code": [message]})
        if content is None:
            raise InvalidInput("请填写事项内容。", fields={"content": ["请填写事项内容。"]})
        clean = clean_content(content)
        try:
            with transaction.atomic():
                item = ServiceItem.objects.create(
                    code=code, basic_code=basic, department=department
                )
        except IntegrityError:
            message = f"实施编码“{code}”已存在。"
            raise InvalidInput(message, code="duplicate_code", fields={"code": [message]}) from None
        number = 1
    elif kind in (ChangeKind.ADJUST, ChangeKind.CANCEL, ChangeKind.DELEGATE):
        found = ServiceItem.objects.select_for_update().filter(code=code).first()
        if found is None:
            raise NotFound("该事项不存在。", code="item_not_found")
        item = found
        require_edit_items(actor, item.department)
        published = item.versions.filter(state=VersionState.PUBLISHED).first()
        if published is None:
            raise Conflict("该事项没有已发布的版本，不能调整或取消。", code="item_not_published")
        if item.versions.filter(state__in=PENDING_STATES).exists():
            raise Conflict("该事项已有待发布的版本，请先完成它。", code="pending_version_exists")
        if kind == ChangeKind.CANCEL and content is not None:
            message = "取消事项不修改内容。"
            raise InvalidInput(message, fields={"content": [message]})
        if kind == ChangeKind.DELEGATE:
            department = _check_delegation(item.department, department)
        else:
            department = item.department
        change_reason = _required_reason(change_reason, "change_reason", "变更原因")
        clean = clean_content(content if content is not None else _copied(published))
        number = (item.versions.aggregate(Max("number"))["number__max"] or 0) + 1
        source = published
    else:
        raise InvalidInput("变更类型无效。", fields={"kind": ["变更类型无效。"]})

    version = ItemVersion.objects.create(
        item=item,
        number=number,
        change_kind=str(kind),
        change_reason=(change_reason or "").strip(),
        department=department,
        created_by=actor,
        **clean.fields,
    )
    _save_parts(version, clean)
    if source is not None:
        _copy_files(
            list(source.files.select_related("material")), version, list(version.materials.all())
        )
    record(
        "item.draft",
        actor=actor,
        request=request,
        obj=version,
        after={
            "code": item.code,
            "version": number,
            "change_kind": str(kind),
            "department": department.code,
        },
    )
    return version


def _check_delegation(current: Department, target: Department | None) -> Department:
    """下放: to an existing department of a lower level than the one implementing it now."""
    if target is None:
        message = "请选择承接事项的下级部门。"
        raise InvalidInput(message, fields={"department": [message]})
    if not target.level > current.level:  # A.2 codes grow downwards: 3 市级, 4 县级, 5 镇级
        message = f"只能下放到比{current.name}层级更低的部门。"
        raise InvalidInput(message, fields={"department": [message]})
    return target


@transaction.atomic
def do_update_draft(
    version: ItemVersion,
    *,
    actor: Any,
    content: dict[str, Any],
    change_reason: str | None = None,
    request: HttpRequest | None = None,
) -> ItemVersion:
    """Replace the content of a draft. Published versions are immutable (409)."""
    version = _lock(version)
    require_edit_items(actor, version.item.department)
    if version.state in FROZEN_STATES:
        raise Conflict(IMMUTABLE_MESSAGE, code="version_immutable")
    if version.state != VersionState.DRAFT:
        raise Conflict("该版本正在审核，不能修改；需要修改请由中心退回。", code="version_in_review")
    before = content_of(version)
    clean = clean_content(content)
    for name, value in clean.fields.items():
        setattr(version, name, value)
    update_fields = list(clean.fields)
    if change_reason is not None:
        version.change_reason = change_reason.strip()
        update_fields.append("change_reason")
    version.save(update_fields=update_fields)
    _save_parts(version, clean)
    after = content_of(version)
    changed = sorted(key for key in after if after[key] != before[key])
    record(
        "item.update_draft",
        actor=actor,
        request=request,
        obj=version,
        before={key: before[key] for key in changed},
        after={key: after[key] for key in changed},
    )
    return version


def submission_problems(version: ItemVersion) -> dict[str, list[str]]:
    """What keeps a draft from review: no steps, step budgets that add up to more than the
    promised limit (in working days; the steps' lights would promise what the item cannot),
    a promised limit above the statutory one, a case type that contradicts the limit, an
    invalid electronic form."""
    p = Problems()
    # (The department is unknown for content not saved yet: the import checks it apart.)
    for step in version.steps.all():
        department = step.department or getattr(version, "department", None)
        if (
            step.assignee
            and department
            and not user_has_role(step.assignee, step.role, department=department)
        ):
            p.add(
                f"steps[{step.order - 1}].assignee",
                f"指定人员须是{department.name}的“{Role(step.role).label}”。",
            )
    budgets = list(version.steps.values_list("budget_days", flat=True))
    if not budgets:
        p.add("steps", "审批流程至少需要一个环节。")
    elif (
        version.case_type == "2"
        and version.promised_limit_unit == LimitUnit.WORKING_DAYS
        and sum(budgets) > version.promised_limit_days
    ):
        p.add(
            "steps",
            f"各环节时限之和（{sum(budgets)} 个工作日）超过承诺办结时限"
            f"（{version.promised_limit_days} 个工作日）。",
        )
    problem = limit_problem(
        Limits(
            legal_days=version.legal_limit_days,
            legal_unit=version.legal_limit_unit,
            promised_days=version.promised_limit_days,
            promised_unit=version.promised_limit_unit,
        )
    )
    if problem:
        p.add("promised_limit_days", problem)
    if version.case_type == "1" and version.promised_limit_days != 0:
        p.add("case_type", "即办件的承诺办结时限应为 0。")
    if version.case_type == "2" and version.promised_limit_days == 0:
        p.add("case_type", "承诺办结时限为 0 的事项应为即办件。")
    if version.promised_limit_unit == LimitUnit.CALENDAR_DAYS and version.case_type == "1":
        p.add("promised_limit_unit", "即办件的时限单位应为工作日。")
    for message in form_schema_problems(version.form_schema):
        p.add("form_schema", message)
    return p.fields


def _copied(published: ItemVersion) -> dict[str, Any]:
    """The published version's content, as a new version starts from it."""
    return {**content_of(published), "warning_threshold_days": _copied_threshold(published)}


def _copied_threshold(version: ItemVersion) -> int | None:
    """The blue-light threshold a copy of `version` starts with: unset when it is the
    default of the version's promised limit (set at submission), so that the default
    follows the new version's limit if that changes."""
    default = default_warning_threshold(version.promised_limit_days)
    return None if version.warning_threshold_days == default else version.warning_threshold_days


@transaction.atomic
def do_submit_for_review(
    version: ItemVersion, *, actor: Any, request: HttpRequest | None = None
) -> ItemVersion:
    """Send a draft to the centre for legality review, once it meets every rule."""
    version = _lock(version)
    require_edit_items(actor, version.item.department)
    check_transition(version.state, VersionState.IN_REVIEW)
    problems = submission_problems(version)
    if problems:
        first = next(iter(problems.values()))[0]
        raise InvalidInput(first, fields=problems)
    update_fields = ["state", "submitted_at"]
    if version.warning_threshold_days is None:
        version.warning_threshold_days = default_warning_threshold(version.promised_limit_days)
        update_fields.append("warning_threshold_days")
    version.state = VersionState.IN_REVIEW
    version.submitted_at = timezone.now()
    version.save(update_fields=update_fields)
    record(
        "item.submit",
        actor=actor,
        request=request,
        obj=version,
        before={"state": VersionState.DRAFT},
        after={"state": version.state, "warning_threshold_days": version.warning_threshold_days},
    )
    return version


@transaction.atomic
def do_review(
    version: ItemVersion,
    *,
    actor: Any,
    approve: bool,
    effective_on: date | None = None,
    note: str = "",
    request: HttpRequest | None = None,
) -> ItemVersion:
    """The centre's legality review (法制审核). Approve: the version is published (a cancel
    version: the item leaves the catalogue) from `effective_on` (today by default, never in
    the past), and the version published before is superseded. Return: back to draft with
    the reason in `note`."""
    version = _lock(version)
    require_review_items(actor)
    today = timezone.localdate()
    if not approve:
        check_transition(version.state, VersionState.DRAFT)
        version.review_note = _required_reason(note, "note", "退回原因")
        version.state = VersionState.DRAFT
        version.reviewed_by = actor
        version.reviewed_at = timezone.now()
        version.save(update_fields=["state", "review_note", "reviewed_by", "reviewed_at"])
        record(
            "item.return",
            actor=actor,
            request=request,
            obj=version,
            before={"state": VersionState.IN_REVIEW},
            after={"state": version.state, "note": version.review_note},
        )
        return version

    effective_on = effective_on or today
    if effective_on < today:
        message = "生效日期不能早于今天。"
        raise InvalidInput(message, fields={"effective_on": [message]})
    check_transition(version.state, VersionState.SCHEDULED)
    version.effective_on = effective_on
    version.review_note = (note or "").strip()
    version.reviewed_by = actor
    version.reviewed_at = timezone.now()
    if effective_on > today:
        version.state = VersionState.SCHEDULED
        version.save(
            update_fields=["state", "effective_on", "review_note", "reviewed_by", "reviewed_at"]
        )
        record(
            "item.schedule",
            actor=actor,
            request=request,
            obj=version,
            before={"state": VersionState.IN_REVIEW},
            after={"state": version.state, "effective_on": effective_on},
        )
        return version
    version.save(update_fields=["effective_on", "review_note", "reviewed_by", "reviewed_at"])
    return _take_effect(version, actor=actor, request=request)


def _take_effect(
    version: ItemVersion, *, actor: Any, request: HttpRequest | None = None
) -> ItemVersion:
    """Put an approved version (in review or scheduled, item locked) into effect: it replaces
    the published version, or for a cancellation withdraws the item; a delegation moves the
    item to its new department. The change feed and the search index follow in the same
    transaction."""
    before_state = version.state
    cancel = version.change_kind == ChangeKind.CANCEL
    target = VersionState.CANCELLED if cancel else VersionState.PUBLISHED
    check_transition(version.state, target)
    previous = (
        ItemVersion.objects.filter(item_id=version.item_id, state=VersionState.PUBLISHED)
        .exclude(pk=version.pk)
        .first()
    )
    if previous is not None:
        check_transition(previous.state, VersionState.SUPERSEDED)
        previous.state = VersionState.SUPERSEDED
        previous.save(update_fields=["state"])
    version.state = target
    version.save(update_fields=["state"])
    item = version.item
    if item.department_id != version.department_id:
        item.department = version.department
        item.save(update_fields=["department"])
    if cancel:
        event = ChangeEvent.CANCELLED
    else:
        event = ChangeEvent.ADJUSTED if previous is not None else ChangeEvent.PUBLISHED
    announce_changes([ItemChange.objects.create(item=item, version=version, event=event)])
    refresh_index([item.pk])
    record(
        "item.cancel" if cancel else "item.publish",
        actor=actor,
        request=request,
        obj=version,
        before={"state": before_state},
        after={
            "state": version.state,
            "code": item.code,
            "version": version.number,
            "effective_on": version.effective_on,
            "department": version.department.code,
            "superseded_version": previous.number if previous else None,
        },
    )
    return version


def announce_changes(changes: list[ItemChange]) -> None:
    """一调五调: systems registered for webhooks hear of each change through the outbox, in
    the transaction that makes it (so nothing is announced that did not happen, and nothing
    that happened goes unannounced). The payload is the change feed's entry. Applicants with
    open cases on a changed item are told in the same transaction (大安办法第十一条)."""
    from wangban.cases.item_changes import tell_applicants_of_changes  # cases imports catalog

    tell_applicants_of_changes(changes)
    if not WebhookEndpoint.objects.filter(active=True).exists():
        return
    for change in changes:
        publish_event(f"item.{change.event}", change_to_api(change), key=f"item-change:{change.pk}")


def do_activate_due(today: date | None = None) -> list[ItemVersion]:
    """Put every scheduled version whose effective date has come into effect, each in its own
    transaction (the `activate_items` periodic job; running it twice changes nothing)."""
    today = today or timezone.localdate()
    done = []
    due = ItemVersion.objects.filter(state=VersionState.SCHEDULED, effective_on__lte=today)
    for pk in due.order_by("effective_on", "pk").values_list("pk", flat=True):
        with transaction.atomic():
            version = _lock(ItemVersion.objects.get(pk=pk))
            if version.state == VersionState.SCHEDULED:  # not activated meanwhile
                done.append(_take_effect(version, actor=None))
    return done


@transaction.atomic
def do_discard_draft(
    version: ItemVersion, *, actor: Any, request: HttpRequest | None = None
) -> None:
    """Throw away a draft (never a version that went to review and came back published). A
    new item whose only version is discarded leaves the catalogue's records entirely; its
    code becomes free again."""
    version = _lock(version)
    require_edit_items(actor, version.item.department)
    if version.state != VersionState.DRAFT:
        raise Conflict("只能删除草稿；待审核的版本请先由中心退回。", code="invalid_transition")
    item = version.item
    summary = {"code": item.code, "version": version.number, "change_kind": version.change_kind}
    record("item.discard", actor=actor, request=request, obj=version, before=summary)
    version.delete()
    if not item.versions.exists():
        item.delete()


@transaction.atomic
def do_attach_file(
    version: ItemVersion,
    *,
    actor: Any,
    kind: FileKind | str,
    upload: UploadedFile,
    material_code: str | None = None,
    request: HttpRequest | None = None,
) -> CatalogFile:
    """Attach a blank form or sample to a material of a draft (or the result sample to the
    draft itself), replacing the one there. Type checked by content, at most 10 MB."""
    version = _lock(version)
    require_edit_items(actor, version.item.department)
    if version.state != VersionState.DRAFT:
        raise Conflict(IMMUTABLE_MESSAGE, code="version_immutable")
    if kind not in FileKind.values:
        raise InvalidInput("文件类别无效。", fields={"kind": ["文件类别无效。"]})
    material = None
    if kind == FileKind.RESULT_SAMPLE:
        if material_code:
            message = "审批结果样本属于事项，不属于某一材料。"
            raise InvalidInput(message, fields={"material_code": [message]})
    else:
        material = version.materials.filter(code=material_code or "").first()
        if material is None:
            message = f"该版本没有编码为“{material_code or ''}”的材料。"
            raise InvalidInput(message, fields={"material_code": [message]})
    name = (upload.name or "").rsplit("/", 1)[-1].strip()[:200] or "文件"
    stored = files.store(upload, prefix="catalog", max_bytes=MAX_FILE_BYTES)
    replaced = version.files.filter(material=material, kind=kind).first()
    if replaced is not None:
        replaced.delete()
    attached = CatalogFile.objects.create(
        version=version,
        material=material,
        kind=kind,
        name=name,
        blob=stored.blob,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
    )
    record(
        "item.attach_file",
        actor=actor,
        request=request,
        obj=version,
        before={"name": replaced.name, "sha256": replaced.sha256} if replaced else None,
        after={
            "kind": str(kind),
            "material": material.code if material else None,
            "name": name,
            "sha256": stored.sha256,
        },
    )
    return attached


@transaction.atomic
def do_remove_file(file: CatalogFile, *, actor: Any, request: HttpRequest | None = None) -> None:
    """Take a file off a draft (its bytes stay: other versions may share them)."""
    version = _lock(file.version)
    require_edit_items(actor, version.item.department)
    if version.state != VersionState.DRAFT:
        raise Conflict(IMMUTABLE_MESSAGE, code="version_immutable")
    record(
        "item.remove_file",
        actor=actor,
        request=request,
        obj=version,
        before={"kind": file.kind, "name": file.name, "sha256": file.sha256},
    )
    file.delete()
