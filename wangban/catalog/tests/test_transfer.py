"""import_items / export_items with JSON: the round trip, what an import writes (new items,
adjustments, unchanged items, departments, drafts or published versions, history and
audit), who may import, and every refusal, with nothing saved."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any, TypeVar

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from wangban.accounts.models import Department
from wangban.audit.models import AuditEvent
from wangban.catalog import actions, queries
from wangban.catalog.content import form_schema_problems
from wangban.catalog.models import (
    CatalogFile,
    ItemChange,
    ItemVersion,
    Material,
    ServiceItem,
    WorkflowStep,
)
from wangban.catalog.search import search_items
from wangban.catalog.tests.helpers import CODE, FORM, draft, item_content, publish, published_item
from wangban.catalog.transfer.importer import import_items
from wangban.catalog.transfer.jsonio import load_items
from wangban.catalog.transfer.records import FileRefused
from wangban.conftest import City
from wangban.core.errors import InvalidInput

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
T = TypeVar("T")
OTHER = "511A0139000000-511602000000-000-115113010833722043-1-00"
TRANSPORT = {"code": "D01", "name": "市交通运输局"}
DRAFTED_ONE = "导入完成：新增 1、调整 0、未变 0；新增和调整的事项为草稿，提交审核后由中心发布。\n"


class Rollback(Exception):
    """Raised to undo a block of a test: the way back to an empty catalogue."""


def undone(build: Callable[[], T]) -> T:
    """What `build` returns, with everything it wrote to the database undone."""
    kept: list[T] = []
    with contextlib.suppress(Rollback), transaction.atomic():
        kept.append(build())
        raise Rollback
    return kept[0]


def item(code: str = CODE, department: Any = None, **overrides: Any) -> dict[str, Any]:
    """An item as the JSON format carries it."""
    return {
        "code": code,
        "basic_code": "000138001000",
        "department": TRANSPORT if department is None else department,
        **item_content(**overrides),
    }


def at(items: list[dict[str, Any]], index: int, field: str = "") -> str:
    """Where a problem of the `index`-th item (1-based) of a written file is reported."""
    line = 2 + sum(
        len(json.dumps(i, ensure_ascii=False, indent=2).splitlines()) for i in items[: index - 1]
    )
    where = f"第 {index} 项（第 {line} 行，实施编码 {items[index - 1]['code']}）"
    return f"{where}字段 {field}：" if field else where


def write(tmp_path: Path, items: Any, name: str = "items.json") -> Path:
    path = tmp_path / name
    text = items if isinstance(items, str) else json.dumps(items, ensure_ascii=False, indent=2)
    path.write_text(text, encoding="utf-8")
    return path


def run(*args: Any) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_items", *(str(arg) for arg in args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def state() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (
            ServiceItem,
            ItemVersion,
            Material,
            WorkflowStep,
            CatalogFile,
            ItemChange,
            AuditEvent,
            Department,
        )
    )


def refused(*args: Any) -> list[str]:
    """The lines of a refusal, after checking that nothing was saved."""
    before = state()
    with pytest.raises(CommandError) as error:
        run(*args)
    assert state() == before
    assert error.value.returncode == 1  # the exit status of manage.py
    return str(error.value).splitlines()


def exported(*args: str) -> list[dict[str, Any]]:
    out = StringIO()
    call_command("export_items", "-", *args, stdout=out, stderr=StringIO())
    return json.loads(out.getvalue())


def without_version(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in i.items() if k not in ("version", "effective_on")} for i in items]


def rich_catalogue(city: City) -> None:
    """Three published items that use every part of the representation: co-handling and
    entrusted departments, a named assignee, calendar-day limits, a threshold, optional
    materials, procedures without days, guide values of each kind, an adjusted version."""
    published_item(city)
    published_item(
        city,
        OTHER,
        name="=超限运输车辆行驶公路许可",  # a formula-looking name stays text
        case_type="2",
        legal_limit_days=20,
        legal_limit_unit="calendar_days",
        promised_limit_days=15,
        promised_limit_unit="calendar_days",
        promised_limit_note="自受理之日起计算",
        warning_threshold_days=3,
        service_objects=["1", "2"],
        handling_forms=["2"],
        online_depth=["1", "2", "3", "4", "5", "6"],
        online_service_level="3",
        entrusted_department="D02",
        visits_required=0,
        visits_note="",
        special_procedures=[
            {"procedure": "expert_review", "days": None, "note": "专家论证"},
            {"procedure": "public_notice", "days": 5, "note": ""},
        ],
        fees=[
            {
                "name": "工本费",
                "standard": "10 元/证",
                "basis": "发改价格〔2017〕1186号",
                "reducible": True,
            },
            {"name": "检测费", "standard": "", "basis": "", "reducible": False},
        ],
        guide={
            "exercise_level": "3",
            "supports_appointment": True,
            "supports_kiosk": False,
            "themes_person": ["交通出行", "车辆管理"],
            "themes_legal_person": "准营准办",
            "faq": [{"question": "要多久？", "answer": "15 个自然日。"}],
            "place": "[北区] 二楼",
        },
        steps=[
            {"name": "受理", "role": "clerk", "budget_days": 1},
            {
                "name": "联合审查",
                "role": "dept_admin",
                "budget_days": 5,
                "department": "D02",
                "assignment": "person",
                "assignee": "market_admin",
            },
            {"name": "审批", "role": "approver", "budget_days": 3},
        ],
        materials=[
            {
                "code": "A1",
                "name": "申请书",
                "material_type": "form",
                "form": "original_and_copy",
                "source_channel": "other",
                "originals": 1,
                "copies": 2,
                "paper_size": "A4",
                "filling_notes": "逐项填写\n签字盖章",
                "acceptance_standard": "完整",
                "basis": "《公路法》",
            },
            {"code": "A2", "name": "车辆行驶证", "required": False, "condition": "车辆已登记时"},
        ],
    )
    adjusted = actions.do_draft_item(
        actor=city.transport_admin,
        code=CODE,
        kind="adjust",
        content=item_content(name="道路运输经营许可证核发（调整）"),
        change_reason="名称规范",
    )
    publish(city, adjusted)
    published_item(city, "X-3", name="即办事项", case_type="1", promised_limit_days=0)


def test_json_export_is_the_api_representation_in_code_order(city: City) -> None:
    rich_catalogue(city)
    draft(city, "A-DRAFT")  # not published: not exported
    items = exported()
    assert [i["code"] for i in items] == [CODE, OTHER, "X-3"]
    assert items == [queries.item_to_api(v) for v in queries.published_items()]
    assert exported("--department", "D02") == []
    with pytest.raises(CommandError, match="部门“D99”不存在。"):
        exported("--department", "D99")


def test_json_round_trip_into_an_empty_catalogue(city: City, tmp_path: Path) -> None:
    def build() -> list[dict[str, Any]]:
        rich_catalogue(city)
        return exported()

    original = undone(build)
    assert ServiceItem.objects.count() == 0

    out, err = run(write(tmp_path, original), "--by", "centre_admin", "--publish")

    assert out == "导入完成：新增 3、调整 0、未变 0；新增和调整的事项已发布，今日生效。\n"
    assert err == "已校验 3/3\n已写入 3/3\n"
    again = exported()
    assert without_version(again) == without_version(original)
    assert [i["version"] for i in original] == [2, 1, 1]
    assert [i["version"] for i in again] == [1, 1, 1]
    assert {i["effective_on"] for i in again} == {timezone.localdate().isoformat()}


def test_publish_writes_what_the_actions_write(city: City, tmp_path: Path) -> None:
    """The bulk path against the actions, row for row and event for event."""
    published_item(city)
    by_actions = ItemVersion.objects.get(item__code=CODE)

    run(write(tmp_path, [item(OTHER)]), "--by", "centre_admin", "--publish")

    imported = ItemVersion.objects.get(item__code=OTHER)
    api = queries.item_to_api(imported)
    assert api == {**queries.item_to_api(by_actions), "code": OTHER}
    columns = ["number", "change_kind", "state", "department_id", "effective_on"]
    columns += ["warning_threshold_days"]
    assert [getattr(imported, c) for c in columns] == [getattr(by_actions, c) for c in columns]
    assert (imported.created_by, imported.reviewed_by) == (city.centre_admin, city.centre_admin)
    assert imported.submitted_at is not None
    assert imported.reviewed_at is not None
    assert (imported.change_reason, imported.review_note) == (
        "批量导入（items.json）",
        "随导入发布",
    )
    changes = ItemChange.objects.filter(item__code=OTHER)
    assert [(c.version_id, c.event) for c in changes] == [(imported.pk, "published")]
    found = search_items(queries.published_items(), "道路运输")
    assert {v.pk for v in found} == {by_actions.pk, imported.pk}

    def events(version: ItemVersion) -> list[tuple[Any, ...]]:
        found = AuditEvent.objects.filter(
            object_type="catalog.itemversion", object_id=str(version.pk)
        ).order_by("id")
        return [(e.action, e.object_type, e.outcome, e.before, e.after) for e in found]

    expected = [
        (action, type_, outcome, before, {**after, "code": OTHER, "import": "items.json"})
        if "code" in after
        else (action, type_, outcome, before, {**after, "import": "items.json"})
        for action, type_, outcome, before, after in events(by_actions)
    ]
    assert events(imported) == expected
    assert [e[0] for e in expected] == ["item.draft", "item.submit", "item.publish"]
    assert {
        (e.actor_username, e.department, e.channel)
        for e in AuditEvent.objects.filter(
            object_type="catalog.itemversion", object_id=str(imported.pk)
        )
    } == {("centre_admin", "C00", "system")}
    history = list(queries.item_history(imported.item))
    assert [(v.number, v.state, v.created_by.username, v.reviewed_by) for v in history] == [
        (1, "published", "centre_admin", city.centre_admin)
    ]


def test_department_admin_imports_drafts_that_go_through_review(city: City, tmp_path: Path) -> None:
    out, _ = run(write(tmp_path, [item()]), "--by", "transport_admin")

    assert (
        out == "导入完成：新增 1、调整 0、未变 0；新增和调整的事项为草稿，提交审核后由中心发布。\n"
    )
    version = ItemVersion.objects.get()
    assert (version.state, version.number, version.change_kind) == ("draft", 1, "new")
    assert (version.created_by, version.submitted_at, version.effective_on) == (
        city.transport_admin,
        None,
        None,
    )
    assert version.warning_threshold_days is None  # filled on submission, as by the actions
    assert ItemChange.objects.count() == 0
    event = AuditEvent.objects.get()
    assert (event.action, event.actor_username, event.channel, event.after) == (
        "item.draft",
        "transport_admin",
        "system",
        {
            "code": CODE,
            "version": 1,
            "change_kind": "new",
            "department": "D01",
            "import": "items.json",
        },
    )
    # The usual workflow takes it from here.
    publish(city, version)
    assert queries.published_version(CODE).pk == version.pk


def test_centre_admin_imports_drafts_for_any_department(city: City, tmp_path: Path) -> None:
    items = [item(), item(OTHER, department="D02")]
    run(write(tmp_path, items), "--by", "centre_admin")
    assert list(ItemVersion.objects.values_list("item__code", "department__code", "state")) == [
        (CODE, "D01", "draft"),
        (OTHER, "D02", "draft"),
    ]


def test_adjusting_an_existing_item_keeps_its_files(city: City, tmp_path: Path) -> None:
    first = draft(city)
    upload = SimpleUploadedFile("申请表.pdf", PDF)
    actions.do_attach_file(
        first, actor=city.transport_admin, kind="blank_form", material_code="M01", upload=upload
    )
    publish(city, first)
    changed = item(name="道路运输经营许可证核发（新版）")

    out, _ = run(write(tmp_path, [changed]), "--by", "transport_admin")

    assert (
        out == "导入完成：新增 0、调整 1、未变 0；新增和调整的事项为草稿，提交审核后由中心发布。\n"
    )
    second = ItemVersion.objects.get(item__code=CODE, number=2)
    assert (second.state, second.change_kind, second.change_reason) == (
        "draft",
        "adjust",
        "批量导入（items.json）",
    )
    assert second.name == "道路运输经营许可证核发（新版）"
    assert queries.published_version(CODE).pk == first.pk
    assert [(f.material and f.material.code, f.kind, f.name) for f in second.files.all()] == [
        ("M01", "blank_form", "申请表.pdf")
    ]

    # Published at once: the first version is superseded, the feed says "adjusted".
    actions.do_discard_draft(second, actor=city.transport_admin)
    run(write(tmp_path, [changed]), "--by", "centre_admin", "--publish", "--reason", "名称规范")
    versions = ItemVersion.objects.filter(item__code=CODE).order_by("number")
    assert [(v.number, v.state, v.change_reason) for v in versions] == [
        (1, "superseded", ""),
        (2, "published", "名称规范"),
    ]
    assert [c.event for c in ItemChange.objects.order_by("id")] == ["published", "adjusted"]
    publish_event = AuditEvent.objects.filter(action="item.publish").latest("id")
    assert (publish_event.after or {})["superseded_version"] == 1


def test_unchanged_items_are_skipped(city: City, tmp_path: Path) -> None:
    rich_catalogue(city)
    path = write(tmp_path, exported())
    before = state()

    out, _ = run(path, "--by", "centre_admin", "--publish")

    assert out == "导入完成：新增 0、调整 0、未变 3；目录没有变化。\n"
    assert state() == before
    # An empty warning threshold means the default the submission filled in: unchanged too.
    items = exported()
    items[0]["warning_threshold_days"] = None
    out, _ = run(write(tmp_path, items), "--by", "centre_admin")
    assert out == "导入完成：新增 0、调整 0、未变 3；目录没有变化。\n"


def test_dry_run_changes_nothing(city: City, tmp_path: Path) -> None:
    published_item(city)
    items = [
        item(name="新名称"),
        item(OTHER, department={"code": "D09", "name": "市数据局"}),
    ]
    before = state()

    out, _ = run(
        write(tmp_path, items), "--by", "centre_admin", "--create-departments", "--dry-run"
    )

    assert out == "检查通过，未写入任何内容：将新增 1、调整 1、未变 0。\n将新建部门 1 个：D09。\n"
    assert state() == before


def test_create_departments(city: City, tmp_path: Path) -> None:
    steps = [
        {"name": "受理", "role": "clerk", "budget_days": 1},
        {
            "name": "会签",
            "role": "reviewer",
            "budget_days": 2,
            "department": {"code": "D10", "name": "市公安局"},
        },
    ]
    items = [item(department={"code": "D09", "name": "市数据局"}, steps=steps)]

    out, _ = run(write(tmp_path, items), "--by", "centre_admin", "--create-departments")

    assert out.splitlines()[1] == "新建部门 2 个：D09、D10。"
    created = Department.objects.filter(code__in=["D09", "D10"]).order_by("code")
    assert [(d.code, d.name, d.level, d.parent) for d in created] == [
        ("D09", "市数据局", "3", None),
        ("D10", "市公安局", "3", None),
    ]
    events = AuditEvent.objects.filter(action="department.create").order_by("id")
    assert [(e.object_id, e.actor_username) for e in events] == [
        (str(created[0].pk), "centre_admin"),
        (str(created[1].pk), "centre_admin"),
    ]
    version = ItemVersion.objects.get()
    assert version.department.code == "D09"
    assert [s.department.code if s.department else None for s in version.steps.all()] == [
        None,
        "D10",
    ]


def test_file_references_do_not_travel(city: City, tmp_path: Path) -> None:
    data = item()
    data["materials"][0]["blank_form"] = {"name": "申请表.pdf", "url": "/files/1/申请表.pdf"}
    data["result_sample"] = {"name": "许可证样本.pdf", "url": "/files/2/许可证样本.pdf"}

    out, _ = run(write(tmp_path, [data]), "--by", "centre_admin", "--publish")

    assert out.splitlines()[1] == (
        "注意：1 个事项带有附件引用（空白表格、填写示例或审批结果样本）。附件不随文件导入："
        "新增的事项请在工作台上传；调整的事项保留目录中同一材料编码的附件。"
    )
    assert CatalogFile.objects.count() == 0


# Who may import --------------------------------------------------------------------------


def test_who_may_import(city: City, tmp_path: Path) -> None:
    path = write(tmp_path, [item()])
    where = at([item()], 1, "department")
    for username in ("market_admin", "transport_clerk", "supervisor", "someone"):
        assert refused(path, "--by", username) == [
            "未导入任何事项：items.json 有 1 处问题。",
            f"{where}{username} 不是市交通运输局的部门管理员，不能导入该部门的事项。",
        ]
    assert refused(path, "--by", "transport_admin", "--publish") == [
        "未导入任何事项：items.json 有 1 处问题。",
        "只有政务服务中心管理员可以导入并直接发布（--publish）。",
    ]
    assert refused(path, "--by", "transport_admin", "--create-departments") == [
        "未导入任何事项：items.json 有 1 处问题。",
        "只有政务服务中心管理员可以在导入时新建部门（--create-departments）。",
    ]
    with pytest.raises(CommandError, match=r"^用户“nobody”不存在。$"):
        run(path, "--by", "nobody")
    city.centre_admin.is_active = False
    city.centre_admin.save(update_fields=["is_active"])
    assert refused(path, "--by", "centre_admin")[1] == "导入人不存在或已停用。"


# Refusals ---------------------------------------------------------------------------------


def lines_for(tmp_path: Path, items: Any, *flags: str) -> list[str]:
    return refused(write(tmp_path, items), "--by", "centre_admin", "--publish", *flags)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[{"code": "A",}]', "第 1 行第 15 列：JSON 格式错误：键名须用英文双引号括起。"),
        ('[{"code": "A"} {"code": "B"}]', "第 1 行第 16 列：JSON 格式错误：缺少英文逗号“,”或“]”。"),
        ('[{"code": "A"}] []', "第 1 行第 17 列：JSON 格式错误：列表结束后还有多余内容。"),
        ('[{"code": "A', "第 1 行第 11 列：JSON 格式错误：字符串没有结束引号。"),
        ("", "文件为空：JSON 文件应为事项列表（以 [ 开始）。"),
        (
            '{"code": "A"}',
            "第 1 行第 1 列：JSON 文件应为事项列表（以 [ 开始），每一项是一个事项对象。",
        ),
        ("[]", "文件中没有任何事项。"),
        ("[1]", "第 1 项（第 1 行）：每一项应为一个事项对象（{…}）。"),
    ],
)
def test_malformed_json_is_refused(city: City, tmp_path: Path, text: str, problem: str) -> None:
    assert lines_for(tmp_path, text) == ["未导入任何事项：items.json 有 1 处问题。", problem]


def test_a_file_that_is_not_utf8_or_missing(city: City, tmp_path: Path) -> None:
    path = tmp_path / "items.json"
    path.write_bytes("[{}]".encode("utf-16"))
    assert refused(path, "--by", "centre_admin")[1] == "JSON 文件不是 UTF-8 编码。"
    assert refused(tmp_path / "none.json", "--by", "centre_admin")[1] == (
        f"文件不存在：{tmp_path / 'none.json'}"
    )


def test_every_problem_of_every_item_is_listed(city: City, tmp_path: Path) -> None:
    bad_schema = {**FORM, "properties": {"company": {"type": "strin", "title": "企业名称"}}}
    items = [
        item(),
        item("A-2", department="D99"),
        item(CODE),
        item("A 4"),
        item("A-5", steps=[]),
        item("A-6", promised_limit_days=30),
        item("A-7", form_schema=bad_schema),
        item("A-8", type="99", service_objects=["8"], fees=[{"name": ""}]),
        item(
            "A-9",
            materials=[{"code": "M1", "name": "表", "form": "paper"}],
            steps=[{"name": "审核", "role": "boss", "budget_days": "五"}],
        ),
        item("A-10", name="", steps=[], form_schema={}),
    ]
    lines = lines_for(tmp_path, items)
    schema_message = form_schema_problems(bad_schema)[0]
    assert lines == [
        "未导入任何事项：items.json 有 15 处问题。",
        at(items, 2, "department") + "实施部门“D99”不存在；需要新建部门请加 --create-departments。",
        at(items, 3, "code") + f"实施编码“{CODE}”在文件中重复，第一次出现在{at(items, 1)}。",
        at(items, 4, "code") + "实施编码须为 1 至 64 个字符，不含空格、“/”、“?”、“#”。",
        at(items, 5, "steps") + "审批流程至少需要一个环节。",
        at(items, 6, "promised_limit_days") + "承诺办结时限（30）不能超过法定办结时限（20）。",
        at(items, 7, "form_schema") + schema_message,
        at(items, 8, "type") + "事项类型“99”不是有效的代码。",
        at(items, 8, "service_objects") + "服务对象应为代码列表，可选：1、2、3、4、5、6、9。",
        at(items, 8, "fees[0].name") + "请填写收费项目。",
        at(items, 9, "materials[0].form") + "材料形式“paper”不是有效的代码。",
        at(items, 9, "steps[0].role") + "办理角色“boss”不是有效的代码。",
        at(items, 9, "steps[0].budget_days") + "环节时限应为不小于 0 的整数。",
        at(items, 10, "name") + "请填写事项名称。",
        at(items, 10, "steps") + "审批流程至少需要一个环节。",
        at(items, 10, "form_schema") + "请填写电子表单（JSON Schema）。",
    ]


def test_submission_messages_are_the_actions_own(city: City, tmp_path: Path) -> None:
    """The import applies the submission rules through `actions.submission_problems`: for
    each bad content, its messages are those of `do_submit_for_review`."""
    bad: list[dict[str, Any]] = [
        {"steps": []},
        {"promised_limit_days": 30},
        {"promised_limit_unit": "working_days", "legal_limit_unit": "calendar_days"},
        {"case_type": "1"},
        {"promised_limit_days": 2},
        {"form_schema": {"type": "array"}},
        {"form_schema": {**FORM, "properties": {"a": {"type": "string"}}}},
    ]
    for number, overrides in enumerate(bad):
        code = f"S-{number}"
        version = draft(city, code, **overrides)
        with pytest.raises(InvalidInput) as error:
            actions.do_submit_for_review(version, actor=city.transport_admin)
        items = [item(f"N-{number}", **overrides)]
        expected = [
            at(items, 1, field) + message
            for field, messages in error.value.fields.items()
            for message in messages
        ]
        lines = lines_for(tmp_path, items)
        assert lines[1:] == expected, overrides


def test_pending_and_cancelled_items_are_refused(city: City, tmp_path: Path) -> None:
    draft(city)  # a draft, never published
    published_item(city, OTHER)
    actions.do_draft_item(
        actor=city.transport_admin, code=OTHER, kind="cancel", change_reason="撤销"
    )
    cancelled = published_item(city, "X-3")
    cancel = actions.do_draft_item(
        actor=city.transport_admin, code="X-3", kind="cancel", change_reason="撤销"
    )
    publish(city, cancel)
    assert cancelled.item.versions.filter(state="published").count() == 0

    items = [item(), item(OTHER), item("X-3")]
    lines = lines_for(tmp_path, items)

    pending = "该事项已有待发布的版本（草稿、待审核或待生效），请先在工作台处理完再导入。"
    assert lines == [
        "未导入任何事项：items.json 有 3 处问题。",
        at(items, 1, "code") + pending,
        at(items, 2, "code") + pending,
        at(items, 3, "code") + "该事项已取消或尚未发布，不能通过导入调整。",
    ]


def test_department_and_basic_code_of_an_existing_item_do_not_change(
    city: City, tmp_path: Path
) -> None:
    published_item(city)
    moved = [{**item(department="D02"), "basic_code": "999"}]
    assert lines_for(tmp_path, moved)[1:] == [
        at(moved, 1, "department") + "目录中该事项的实施部门是“D01”，与文件不一致；"
        "更换实施部门请在工作台起草下放。",
    ]
    renumbered = [{**item(), "basic_code": "999"}]
    assert lines_for(tmp_path, renumbered)[1:] == [
        at(renumbered, 1, "basic_code") + "目录中该事项的基本编码是“000138001000”，"
        "导入不能修改基本编码。",
    ]


def test_new_departments_need_a_consistent_name(city: City, tmp_path: Path) -> None:
    items = [
        item(department="D09"),
        item(OTHER, department={"code": "D10", "name": "甲"}),
        item("X-3", department={"code": "D10", "name": "乙"}),
    ]
    lines = lines_for(tmp_path, items, "--create-departments")
    assert lines == [
        "未导入任何事项：items.json 有 2 处问题。",
        at(items, 1, "department") + "新建部门“D09”须填写实施部门名称。",
        at(items, 3, "department") + "部门“D10”的名称“乙”与前面的“甲”不一致。",
    ]


def test_command_output_and_exit_status(city: City, tmp_path: Path) -> None:
    """Summary on stdout, progress on stderr; a refusal is a CommandError, which manage.py
    turns into `CommandError: …` on stderr and exit status 1 (its `returncode`)."""
    out, err = run(write(tmp_path, [item()]), "--by", "centre_admin")
    assert (out, err) == (DRAFTED_ONE, "已校验 1/1\n已写入 1/1\n")

    bad_items = [item(OTHER, steps=[])]
    progress = StringIO()
    with pytest.raises(CommandError) as error:
        call_command(
            "import_items",
            str(write(tmp_path, bad_items, "bad.json")),
            "--by",
            "centre_admin",
            stdout=StringIO(),
            stderr=progress,
        )
    assert error.value.returncode == 1
    assert str(error.value) == (
        "未导入任何事项：bad.json 有 1 处问题。\n"
        + at(bad_items, 1, "steps")
        + "审批流程至少需要一个环节。"
    )
    assert progress.getvalue() == "已校验 1/1\n"
    assert ServiceItem.objects.count() == 1


def test_a_change_between_the_checks_and_the_write_refuses_the_file(city: City) -> None:
    """The checks run outside the write transaction; what they relied on is confirmed under
    lock before anything is written."""
    published_item(city, OTHER)
    items = [item(), item(OTHER, name="新名称")]
    parsed = load_items(json.dumps(items, ensure_ascii=False, indent=2))

    def meanwhile(message: str) -> None:
        if message == "已校验 2/2":  # checked: someone else acts before the write
            published_item(city)
            actions.do_draft_item(
                actor=city.transport_admin, code=OTHER, kind="cancel", change_reason="撤销"
            )

    before = state()
    with pytest.raises(FileRefused) as error:
        import_items(parsed, actor=city.centre_admin, publish=True, progress=meanwhile)
    assert [str(problem) for problem in error.value.problems] == [
        at(items, 1, "code") + "检查之后该事项在目录中被修改了，请重新导入。",
        at(items, 2, "code") + "检查之后该事项在目录中被修改了，请重新导入。",
    ]
    assert state()[:2] == (before[0] + 1, before[1] + 2)  # only what the others did
