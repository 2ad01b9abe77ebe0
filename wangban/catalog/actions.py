"""Every write to the catalogue goes through these actions.

The publication workflow (issue 6; 国务院办公厅《关于全面推行政务服务事项“一网通办”》and
GB/T 39046-2020 on implementation lists): a department admin drafts a version of one of
their department's items (新增、调整、取消), submits it, and the service centre reviews its
legality (法制审核) and publishes it with an effective date, or returns it with a reason.
Published versions are immutable; cases keep the version they were filed under.

Each action runs in one transaction, locks the item row, checks the transition against
`TRANSITIONS`, and records an audit event (大安第三十四条: nothing changes silently).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone

from wangban.accounts.models import Department
from wangban.audit.actions import record
from wangban.catalog.access import require_edit_items, require_review_items
from wangban.catalog.choices import FROZEN_STATES, ChangeKind, LimitUnit, VersionState
from wangban.catalog.content import (
    CleanContent,
    Limits,
    Problems,
    clean_content,
    default_warning_threshold,
    form_schema_problems,
    limit_problem,
)
from wangban.catalog.models import (
    IMMUTABLE_MESSAGE,
    ItemVersion,
    Material,
    ServiceItem,
    WorkflowStep,
)
from wangban.catalog.queries import content_of
from wangban.core.errors import Conflict, InvalidInput, NotFound

# The one transition table of a version: (from, to) → the action that makes it.
TRANSITIONS: dict[tuple[str, str], str] = {
    (VersionState.DRAFT, VersionState.IN_REVIEW): "submit",
    (VersionState.IN_REVIEW, VersionState.DRAFT): "return",
    (VersionState.IN_REVIEW, VersionState.PUBLISHED): "approve",
    (VersionState.IN_REVIEW, VersionState.CANCELLED): "approve_cancel",
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
    return ItemVersion.objects.select_related("item__department").get(pk=version.pk)


def _save_parts(version: ItemVersion, content: CleanContent) -> None:
    version.materials.all().delete()
    version.steps.all().delete()
    Material.objects.bulk_create(Material(version=version, **m) for m in content.materials)
    WorkflowStep.objects.bulk_create(WorkflowStep(version=version, **s) for s in content.steps)


def _clean_code(code: Any) -> str:
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
    `cancel`: a copy, to withdraw the item). A department admin of the item's department
    only; one pending (draft or in review) version per item."""
    if kind == ChangeKind.NEW:
        if department is None:
            raise InvalidInput("请选择实施部门。", fields={"department": ["请选择实施部门。"]})
        require_edit_items(actor, department)
        code = _clean_code(code)
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
    elif kind in (ChangeKind.ADJUST, ChangeKind.CANCEL):
        found = ServiceItem.objects.select_for_update().filter(code=code).first()
        if found is None:
            raise NotFound("该事项不存在。", code="item_not_found")
        item = found
        require_edit_items(actor, item.department)
        published = item.versions.filter(state=VersionState.PUBLISHED).first()
        if published is None:
            raise Conflict("该事项没有已发布的版本，不能调整或取消。", code="item_not_published")
        if item.versions.filter(state__in=[VersionState.DRAFT, VersionState.IN_REVIEW]).exists():
            raise Conflict("该事项已有待发布的版本，请先完成它。", code="pending_version_exists")
        if kind == ChangeKind.CANCEL and content is not None:
            message = "取消事项不修改内容。"
            raise InvalidInput(message, fields={"content": [message]})
        change_reason = _required_reason(change_reason, "change_reason", "变更原因")
        clean = clean_content(content if content is not None else content_of(published))
        number = (item.versions.aggregate(Max("number"))["number__max"] or 0) + 1
    else:
        raise InvalidInput("变更类型无效。", fields={"kind": ["变更类型无效。"]})

    version = ItemVersion.objects.create(
        item=item,
        number=number,
        change_kind=str(kind),
        change_reason=(change_reason or "").strip(),
        created_by=actor,
        **clean.fields,
    )
    _save_parts(version, clean)
    record(
        "item.draft",
        actor=actor,
        request=request,
        obj=version,
        after={"code": item.code, "version": number, "change_kind": str(kind)},
    )
    return version


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
    """What keeps a draft from review: no steps, a promised limit above the statutory one,
    a case type that contradicts the limit, an invalid electronic form."""
    p = Problems()
    if not version.steps.exists():
        p.add("steps", "审批流程至少需要一个环节。")
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

    target = (
        VersionState.CANCELLED
        if version.change_kind == ChangeKind.CANCEL
        else VersionState.PUBLISHED
    )
    check_transition(version.state, target)
    effective_on = effective_on or today
    if effective_on < today:
        message = "生效日期不能早于今天。"
        raise InvalidInput(message, fields={"effective_on": [message]})
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
    version.effective_on = effective_on
    version.review_note = (note or "").strip()
    version.reviewed_by = actor
    version.reviewed_at = timezone.now()
    version.save(
        update_fields=["state", "effective_on", "review_note", "reviewed_by", "reviewed_at"]
    )
    record(
        "item.cancel" if target == VersionState.CANCELLED else "item.publish",
        actor=actor,
        request=request,
        obj=version,
        before={"state": VersionState.IN_REVIEW},
        after={
            "state": version.state,
            "code": version.item.code,
            "version": version.number,
            "effective_on": effective_on,
            "superseded_version": previous.number if previous else None,
        },
    )
    return version
