"""The import's write path: the rows and audit events the actions would write, in bulk.

For each new or adjusted item, what `actions.do_draft_item` writes (the item, version n
as a draft with its materials and steps, an adjustment's copies of the published version's
files for the materials that keep their code, the `item.draft` event); with `publish`,
also what `do_submit_for_review` and `do_review` → `_take_effect` write (the default
warning threshold, `submitted_at`, `reviewed_by`/`reviewed_at`, effective today, the
previous version superseded, an `ItemChange` row, the `item.submit` and `item.publish`
events, the search index). One INSERT per table per chunk instead of one per row is what
makes 5,000 items a matter of seconds.

Every audit event is the one `audit.actions.record` would append for the actor, on the
channel `system` (a management command has no request), with `"import": <file name>`
added to `after`, so the trail says the change came from an import.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils import timezone

from wangban.audit.actions import build_event
from wangban.audit.chain import schedule_chaining
from wangban.audit.choices import Channel
from wangban.audit.models import AuditEvent
from wangban.catalog.actions import announce_changes
from wangban.catalog.choices import ChangeEvent, ChangeKind, VersionState
from wangban.catalog.content import default_warning_threshold
from wangban.catalog.models import (
    CatalogFile,
    ItemChange,
    ItemVersion,
    Material,
    ServiceItem,
    WorkflowStep,
)
from wangban.catalog.search import refresh_index
from wangban.catalog.transfer.plan import ADJUST, NEW, Plan, chunks

CHUNK = 500
REVIEW_NOTE = "随导入发布"
VERSION_TYPE = ItemVersion._meta.label_lower


class _Events:
    """Audit events as `record()` builds them (`build_event`), collected for one bulk INSERT."""

    def __init__(self, actor: Any, source_name: str) -> None:
        self.actor = actor
        self.source_name = source_name
        self.events: list[AuditEvent] = []

    def add(
        self,
        action: str,
        version: ItemVersion,
        before: dict[str, Any] | None,
        after: dict[str, Any],
    ) -> None:
        self.events.append(
            build_event(
                action,
                actor=self.actor,
                object_type=VERSION_TYPE,
                object_id=version.pk,
                before=before,
                after={**after, "import": self.source_name},
                channel=Channel.SYSTEM,
            )
        )

    def flush(self) -> None:
        AuditEvent.objects.bulk_create(self.events)
        self.events = []


def _version(plan: Plan, *, actor: Any, publish: bool, reason: str, now: Any) -> ItemVersion:
    fields = dict(plan.content.fields)
    version = ItemVersion(
        item=plan.item,
        number=plan.number,
        change_kind=ChangeKind.NEW if plan.kind == NEW else ChangeKind.ADJUST,
        change_reason=reason,
        department=plan.department,
        created_by=actor,
        **fields,
    )
    if publish:
        if version.warning_threshold_days is None:
            version.warning_threshold_days = default_warning_threshold(version.promised_limit_days)
        version.state = VersionState.PUBLISHED
        version.submitted_at = now
        version.effective_on = timezone.localdate()
        version.reviewed_by = actor
        version.reviewed_at = now
        version.review_note = REVIEW_NOTE
    return version


def _file_copies(plan: Plan, version: ItemVersion, materials: list[Material]) -> list[CatalogFile]:
    """As `actions._copy_files`: the published version's files go with the new version, a
    material's to the material with the same code; files of dropped materials stay behind."""
    if plan.published is None:
        return []
    by_code = {material.code: material for material in materials}
    copies = []
    for file in plan.published.files.all():
        material = by_code.get(file.material.code) if file.material else None
        if file.material and material is None:
            continue
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
    return copies


def _write_chunk(
    plans: list[Plan], *, actor: Any, publish: bool, reason: str, events: _Events
) -> None:
    now = timezone.now()
    new_items = [
        ServiceItem(code=p.code, basic_code=p.basic_code, department=p.department)
        for p in plans
        if p.kind == NEW
    ]
    ServiceItem.objects.bulk_create(new_items)
    created = iter(new_items)
    for plan in plans:
        if plan.kind == NEW:
            plan.item = next(created)
    superseded = [p.published.pk for p in plans if publish and p.published is not None]
    if superseded:
        # Before the new versions go in: at most one published version per item.
        ItemVersion.objects.filter(pk__in=superseded).update(state=VersionState.SUPERSEDED)
    versions = [
        _version(plan, actor=actor, publish=publish, reason=reason, now=now) for plan in plans
    ]
    ItemVersion.objects.bulk_create(versions)
    materials = {
        version.pk: [Material(version=version, **entry) for entry in plan.content.materials]
        for plan, version in zip(plans, versions, strict=True)
    }
    Material.objects.bulk_create([m for rows in materials.values() for m in rows])
    WorkflowStep.objects.bulk_create(
        [
            WorkflowStep(version=version, **entry)
            for plan, version in zip(plans, versions, strict=True)
            for entry in plan.content.steps
        ]
    )
    CatalogFile.objects.bulk_create(
        [
            copy
            for plan, version in zip(plans, versions, strict=True)
            for copy in _file_copies(plan, version, materials[version.pk])
        ]
    )
    changes = []
    for plan, version in zip(plans, versions, strict=True):
        events.add(
            "item.draft",
            version,
            None,
            {
                "code": plan.code,
                "version": version.number,
                "change_kind": version.change_kind,
                "department": plan.department.code,
            },
        )
        if not publish:
            continue
        events.add(
            "item.submit",
            version,
            {"state": VersionState.DRAFT},
            {
                "state": VersionState.IN_REVIEW,
                "warning_threshold_days": version.warning_threshold_days,
            },
        )
        events.add(
            "item.publish",
            version,
            {"state": VersionState.IN_REVIEW},
            {
                "state": version.state,
                "code": plan.code,
                "version": version.number,
                "effective_on": version.effective_on,
                "department": plan.department.code,
                "superseded_version": plan.published.number if plan.published else None,
            },
        )
        event = ChangeEvent.ADJUSTED if plan.published is not None else ChangeEvent.PUBLISHED
        changes.append(ItemChange(item=version.item, version=version, event=event))
    announce_changes(ItemChange.objects.bulk_create(changes))
    events.flush()


def write_plans(
    plans: list[Plan],
    *,
    actor: Any,
    publish: bool,
    reason: str,
    source_name: str,
    progress: Callable[[str], None] | None = None,
) -> None:
    """Write the new and adjusted items of checked plans (in the caller's transaction), in
    chunks of 500 items, in code order."""
    todo = sorted((p for p in plans if p.kind in (NEW, ADJUST)), key=lambda p: p.code)
    events = _Events(actor, source_name)
    done = 0
    for chunk in chunks(todo, CHUNK):
        _write_chunk(chunk, actor=actor, publish=publish, reason=reason, events=events)
        done += len(chunk)
        if progress:
            progress(f"已写入 {done}/{len(todo)}")
    if publish and todo:
        refresh_index([plan.item.pk for plan in todo if plan.item is not None])
    if todo:
        schedule_chaining()
