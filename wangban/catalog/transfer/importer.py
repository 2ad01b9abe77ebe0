"""Importing a catalogue file: check everything, then write everything, or nothing.

Every item is checked with the rules of the actions, by the actions' own functions
(`rules`): `content.clean_content` (shape, codes, materials, steps, departments, users)
and `actions.submission_problems` (at least one step, step budgets, promised ≤ statutory
limit, case type, a valid JSON Schema form), whether or not the import publishes. Beyond
them: code shape, duplicate codes in the file, departments that do not exist (unless they
are to be created), who may import for which department, and the state of items that
exist already (a pending version blocks; the department and basic code cannot change).
Every problem is collected; one problem refuses the whole file.

Then one transaction writes: a code that does not exist becomes a new item; one that
exists becomes an adjustment of its published version if its content differs, and is left
alone if not. The checks read the database outside that transaction (on SQLite a writer
holds the whole database), so the transaction first locks the items and confirms that
nothing changed since; when departments are to be created, everything runs inside it,
since the checks must see them. Rows and audit events are written in bulk by
`bulk.write_plans`, the same ones the actions write.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max, Prefetch

from wangban.accounts.access import is_centre_admin
from wangban.accounts.models import Department
from wangban.catalog.access import can_edit_items
from wangban.catalog.actions import clean_code
from wangban.catalog.choices import PENDING_STATES, VersionState
from wangban.catalog.models import CatalogFile, ItemVersion, ServiceItem
from wangban.catalog.transfer.bulk import write_plans
from wangban.catalog.transfer.departments import Departments, find_departments, ref
from wangban.catalog.transfer.plan import ADJUST, NEW, UNCHANGED, Plan, chunks
from wangban.catalog.transfer.records import FileRefused, ItemRecord, Parsed, Problem
from wangban.catalog.transfer.rules import content_problems, ready_problems, same_content
from wangban.core.errors import InvalidInput

Progress = Callable[[str], None]
PROGRESS_EVERY = 500
IN_CHUNK = 900  # parameters per `__in` query
BASIC_CODE_MAX = ServiceItem._meta.get_field("basic_code").max_length or 64
CHANGED_MEANWHILE = "检查之后该事项在目录中被修改了，请重新导入。"


@dataclass
class ImportSummary:
    """The outcome, by implementation code; `departments` are the codes created."""

    created: list[str] = field(default_factory=list)
    adjusted: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)
    file_references: int = 0
    publish: bool = False
    dry_run: bool = False


@dataclass
class _Options:
    actor: Any
    publish: bool
    progress: Progress | None


class _DryRun(Exception):
    def __init__(self, summary: ImportSummary) -> None:
        self.summary = summary


def _refuse_actor(actor: Any, *, publish: bool, create_departments: bool) -> None:
    if actor is None or not actor.is_active:
        message = "导入人不存在或已停用。"
    elif publish and not is_centre_admin(actor):
        message = "只有政务服务中心管理员可以导入并直接发布（--publish）。"
    elif create_departments and not is_centre_admin(actor):
        message = "只有政务服务中心管理员可以在导入时新建部门（--create-departments）。"
    else:
        return
    raise FileRefused([Problem("", message)])


def import_items(
    parsed: Parsed,
    *,
    actor: Any,
    publish: bool = False,
    create_departments: bool = False,
    dry_run: bool = False,
    source_name: str = "",
    reason: str = "",
    progress: Progress | None = None,
) -> ImportSummary:
    """Import the items read from a file, all or nothing.

    Who: with `publish` (the new versions take effect today, as if submitted, reviewed and
    approved at once) and with `create_departments`, a centre admin (法制审核 and the
    organisation belong to the centre); otherwise a centre admin, or a department admin
    for the items of their own department, and the versions are drafts that go through the
    usual review. Raises FileRefused with every problem; `dry_run` checks everything and
    writes nothing."""
    _refuse_actor(actor, publish=publish, create_departments=create_departments)
    problems = list(parsed.problems)
    records = [record for record in parsed.records if "*" not in record.flagged]
    if not records and not problems:
        raise FileRefused([Problem("", "文件中没有任何事项。")])
    departments = find_departments(records, create=create_departments, problems=problems)
    options = _Options(actor, publish, progress)
    creating = bool(departments.to_create)
    outer: AbstractContextManager[Any] = transaction.atomic() if creating else nullcontext()
    try:
        with outer:
            if creating:
                departments.create(actor)
            plans, summary = _check(records, departments, options, problems)
            summary.departments = sorted(departments.to_create)
            summary.publish, summary.dry_run = publish, dry_run
            if dry_run:
                raise _DryRun(summary)  # rolls back the departments created for the checks
            try:
                with transaction.atomic():
                    _confirm(plans)
                    write_plans(
                        plans,
                        actor=actor,
                        publish=publish,
                        reason=reason.strip() or f"批量导入（{source_name or '文件'}）",
                        source_name=source_name,
                        progress=progress,
                    )
            except IntegrityError as error:  # a code created by someone else meanwhile
                raise FileRefused([Problem("", "检查之后目录被修改了，请重新导入。")]) from error
    except _DryRun as done:
        return done.summary
    return summary


def _check(
    records: list[ItemRecord],
    departments: Departments,
    options: _Options,
    problems: list[Problem],
) -> tuple[list[Plan], ImportSummary]:
    summary = ImportSummary(file_references=sum(r.file_references > 0 for r in records))
    codes = _codes(records, problems)
    existing = _existing([code for code in codes.values() if code])
    plans: list[Plan] = []
    for done, record in enumerate(records, start=1):
        code = codes.get(id(record))
        if code == "":
            continue  # a repeated code: reported once, its content is not the item's
        plan, found = _plan(record, code, departments, existing, options)
        problems.extend(found)
        if plan is not None:
            plans.append(plan)
        if options.progress and (done % PROGRESS_EVERY == 0 or done == len(records)):
            options.progress(f"已校验 {done}/{len(records)}")
    if problems:
        raise FileRefused(problems)
    lists = {NEW: summary.created, ADJUST: summary.adjusted, UNCHANGED: summary.unchanged}
    for plan in plans:
        lists[plan.kind].append(plan.code)
    return plans, summary


def _codes(records: list[ItemRecord], problems: list[Problem]) -> dict[int, str]:
    """The clean code of each record (by `id`), its shape checked as `do_draft_item` does;
    a code seen before in the file is a problem (and the record's code is "")."""
    codes: dict[int, str] = {}
    first: dict[str, ItemRecord] = {}
    for record in records:
        try:
            code = clean_code(record.code)
        except InvalidInput as error:
            if "code" not in record.flagged:
                problems.append(record.problem("code", error.message))
            continue
        if code in first:
            where = first[code].locate("")
            message = f"实施编码“{code}”在文件中重复，第一次出现在{where}。"
            problems.append(record.problem("code", message))
            codes[id(record)] = ""
            continue
        first[code] = record
        codes[id(record)] = code
    return codes


@dataclass
class _Existing:
    """The items of the file's codes that exist already, their published versions with
    parts and files, which have a pending version, and their highest version number."""

    items: dict[str, ServiceItem] = field(default_factory=dict)
    published: dict[int, ItemVersion] = field(default_factory=dict)
    pending: set[int] = field(default_factory=set)
    numbers: dict[int, int] = field(default_factory=dict)


def _existing(codes: list[str]) -> _Existing:
    found = _Existing()
    for code_chunk in chunks(sorted(codes), IN_CHUNK):
        items = ServiceItem.objects.select_related("department").filter(code__in=code_chunk)
        found.items.update({item.code: item for item in items})
    files = Prefetch("files", queryset=CatalogFile.objects.select_related("material"))
    for chunk in chunks([item.pk for item in found.items.values()], IN_CHUNK):
        versions = ItemVersion.objects.filter(item_id__in=chunk, state=VersionState.PUBLISHED)
        for version in versions.prefetch_related("materials", "steps", files):
            found.published[version.item_id] = version
        found.pending.update(
            ItemVersion.objects.filter(item_id__in=chunk, state__in=PENDING_STATES).values_list(
                "item_id", flat=True
            )
        )
        found.numbers.update(
            ItemVersion.objects.filter(item_id__in=chunk)
            .values("item_id")
            .annotate(top=Max("number"))
            .values_list("item_id", "top")
        )
    return found


def _plan(
    record: ItemRecord,
    code: str | None,
    departments: Departments,
    existing: _Existing,
    options: _Options,
) -> tuple[Plan | None, list[Problem]]:
    """Check one item; what to do with it, or why not."""
    content, problems = content_problems(record)
    department_code = ref(record.data.get("department"))[0]
    department = (
        departments.known.get(department_code) if isinstance(department_code, str) else None
    )
    if not department_code:
        problems.append(record.problem("department", "请填写实施部门代码。"))
    elif not isinstance(department_code, str):
        problems.append(record.problem("department", "实施部门代码应为文字。"))
    basic_code = record.data.get("basic_code") or ""
    if not isinstance(basic_code, str) or len(basic_code.strip()) > BASIC_CODE_MAX:
        message = f"基本编码应为不超过 {BASIC_CODE_MAX} 个字符的文字。"
        problems.append(record.problem("basic_code", message))
        basic_code = ""
    if department is not None and not _may_import(options, department):
        message = (
            f"{options.actor.get_username()} 不是{department.name}的部门管理员，"
            "不能导入该部门的事项。"
        )
        problems.append(record.problem("department", message))
    item = existing.items.get(code) if code else None
    published = existing.published.get(item.pk) if item else None
    # A published version met the submission rules: identical content is left alone, not
    # checked again (the JSON Schema check is the costliest rule).
    unchanged = content is not None and published is not None and same_content(published, content)
    if content is not None and not unchanged:
        problems.extend(ready_problems(record, content))
    if code is None or department is None or content is None or problems:
        return None, problems
    plan = Plan(record, code, basic_code.strip(), department, content, NEW, item=item)
    if item is not None:
        problem = _existing_problem(item, plan, existing)
        if problem:
            return None, [record.problem(*problem)]
        plan.published = published
        plan.number = existing.numbers[item.pk] + 1
        plan.kind = UNCHANGED if unchanged else ADJUST
    return plan, []


def _may_import(options: _Options, department: Department) -> bool:
    """Drafts: a centre admin, or a department admin of the item's department. Publishing
    is the centre's, checked once for the whole file."""
    return (
        options.publish
        or is_centre_admin(options.actor)
        or can_edit_items(options.actor, department)
    )


def _existing_problem(item: ServiceItem, plan: Plan, existing: _Existing) -> tuple[str, str] | None:
    if item.department_id != plan.department.pk:
        return (
            "department",
            (
                f"目录中该事项的实施部门是“{item.department.code}”，与文件不一致；"
                "更换实施部门请在工作台起草下放。"
            ),
        )
    if plan.basic_code and plan.basic_code != item.basic_code:
        return (
            "basic_code",
            f"目录中该事项的基本编码是“{item.basic_code}”，导入不能修改基本编码。",
        )
    if item.pk in existing.pending:
        return (
            "code",
            "该事项已有待发布的版本（草稿、待审核或待生效），请先在工作台处理完再导入。",
        )
    if item.pk not in existing.published:
        return ("code", "该事项已取消或尚未发布，不能通过导入调整。")
    return None


def _confirm(plans: list[Plan]) -> None:
    """In the write transaction: lock the items to be adjusted, and refuse if anything the
    checks relied on changed since (an item created, published or drafted meanwhile)."""
    todo = [plan for plan in plans if plan.kind != UNCHANGED]
    current: dict[str, int] = {}
    for code_chunk in chunks(sorted(plan.code for plan in todo), IN_CHUNK):
        locked = ServiceItem.objects.select_for_update().filter(code__in=code_chunk)
        locked = locked.order_by("code")
        current.update(locked.values_list("code", "pk"))
    published: dict[int, int] = {}
    pending: set[int] = set()
    for chunk in chunks(sorted(current.values()), IN_CHUNK):
        versions = ItemVersion.objects.filter(item_id__in=chunk)
        published.update(versions.filter(state=VersionState.PUBLISHED).values_list("item_id", "pk"))
        pending.update(versions.filter(state__in=PENDING_STATES).values_list("item_id", flat=True))
    problems = []
    for plan in todo:
        item_id = current.get(plan.code)
        if plan.kind == NEW:
            changed = item_id is not None
        else:
            expected = plan.published.pk if plan.published else None
            changed = item_id is None or item_id in pending or published.get(item_id) != expected
        if changed:
            problems.append(plan.record.problem("code", CHANGED_MEANWHILE))
    if problems:
        raise FileRefused(problems)
