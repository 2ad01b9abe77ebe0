"""import_items / export_items with the xlsx workbook: the round trip, the layout and README
sheet of the shipped template, a workbook filled in by hand, and broken workbooks refused
with sheet, row, column and reason, nothing saved."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter

from wangban.catalog import queries
from wangban.catalog.models import ItemVersion, ServiceItem
from wangban.catalog.tests.helpers import CODE, FORM, published_item
from wangban.catalog.tests.test_transfer import (
    OTHER,
    exported,
    refused,
    rich_catalogue,
    run,
    undone,
    without_version,
)
from wangban.conftest import City

TEMPLATE = Path(__file__).resolve().parents[3] / "docs" / "items-template.xlsx"
SHEETS = ["说明", "事项", "申请材料", "审批环节", "收费", "特别程序"]
ITEM_HEADERS = [
    "实施编码", "基本编码", "实施部门代码", "实施部门名称", "事项名称", "事项类型", "办件类型",
    "法定办结时限", "法定时限单位", "法定时限说明", "承诺办结时限", "承诺时限单位", "承诺时限说明",
    "预警阈值（工作日）", "补正期限（工作日）", "服务对象", "办理形式", "网上办理深度",
    "网上办理等级", "受委托部门代码",
    "到现场次数", "到现场原因", "法律依据", "受理条件", "行使层级", "实施主体性质", "设定依据",
    "审批结果类型", "审批结果名称", "支持预约办理", "支持网上支付", "支持物流快递", "支持自助终端",
    "办理地点", "办理时间", "交通指引", "咨询电话", "监督投诉电话", "自然人主题", "法人主题",
    "常见问题", "电子表单（JSON Schema）",
]  # fmt: skip
MATERIAL_HEADERS = [
    "实施编码", "材料编码", "材料名称", "必要", "提交情形", "材料类型", "材料形式", "来源渠道",
    "原件份数", "复印件份数", "纸张规格", "电子证照类型", "填报须知", "受理标准", "材料依据",
]  # fmt: skip
STEP_HEADERS = [
    "实施编码", "环节名称", "办理角色", "环节时限（工作日）", "分派方式", "指定人员", "联办部门代码"
]  # fmt: skip
FEE_HEADERS = ["实施编码", "收费项目", "收费标准", "收费依据", "允许减免"]
PROCEDURE_HEADERS = ["实施编码", "特别程序", "时限（天）", "说明"]


def export_xlsx(path: Path, *args: str) -> str:
    out = StringIO()
    call_command("export_items", str(path), *args, stdout=out)
    return out.getvalue()


def rows(path: Path, sheet: str) -> list[tuple[Any, ...]]:
    """The rows of a sheet, without the empty cells at their ends."""
    found = []
    for row in load_workbook(path)[sheet].iter_rows(values_only=True):
        values = list(row)
        while values and values[-1] is None:
            values.pop()
        found.append(tuple(values))
    return found


def letter(path: Path, sheet: str, header: str) -> str:
    return get_column_letter(rows(path, sheet)[0].index(header) + 1)


def test_xlsx_round_trip_into_an_empty_catalogue(city: City, tmp_path: Path) -> None:
    path = tmp_path / "items.xlsx"

    def build() -> tuple[list[dict[str, Any]], str]:
        rich_catalogue(city)
        return exported(), export_xlsx(path)

    original, said = undone(build)
    assert said == f"已导出 3 个事项到 {path}。\n"
    assert ServiceItem.objects.count() == 0

    out, err = run(path, "--by", "centre_admin", "--publish")

    assert out == "导入完成：新增 3、调整 0、未变 0；新增和调整的事项已发布，今日生效。\n"
    assert err.splitlines() == [
        "已读取“事项”3 行",
        "已读取“申请材料”8 行",
        "已读取“审批环节”9 行",
        "已读取“收费”4 行",
        "已读取“特别程序”4 行",
        "已校验 3/3",
        "已写入 3/3",
    ]
    assert without_version(exported()) == without_version(original)
    # Exported again and imported again: nothing changes.
    export_xlsx(path)
    assert (
        run(path, "--by", "centre_admin")[0] == "导入完成：新增 0、调整 0、未变 3；目录没有变化。\n"
    )


def test_workbook_layout_codes_as_labels_and_text_cells(city: City, tmp_path: Path) -> None:
    rich_catalogue(city)
    path = tmp_path / "items.xlsx"
    export_xlsx(path)

    workbook = load_workbook(path)
    assert workbook.sheetnames == SHEETS
    assert rows(path, "事项")[0] == tuple(ITEM_HEADERS)
    assert rows(path, "申请材料")[0] == tuple(MATERIAL_HEADERS)
    assert rows(path, "审批环节")[0] == tuple(STEP_HEADERS)
    assert rows(path, "收费")[0] == tuple(FEE_HEADERS)
    assert rows(path, "特别程序")[0] == tuple(PROCEDURE_HEADERS)
    other = dict(zip(ITEM_HEADERS, rows(path, "事项")[2], strict=True))
    assert {key: other[key] for key in ITEM_HEADERS[:24]} == {
        "实施编码": OTHER,
        "基本编码": "000138001000",
        "实施部门代码": "D01",
        "实施部门名称": "市交通运输局",
        "事项名称": "=超限运输车辆行驶公路许可",
        "事项类型": "行政许可",
        "办件类型": "承诺件",
        "法定办结时限": 20,
        "法定时限单位": "自然日",
        "法定时限说明": "《道路运输条例》第十一条",
        "承诺办结时限": 15,
        "承诺时限单位": "自然日",
        "承诺时限说明": "自受理之日起计算",
        "预警阈值（工作日）": 3,
        "补正期限（工作日）": None,
        "服务对象": "自然人、企业法人",
        "办理形式": "网上办理",
        "网上办理深度": "互联网咨询、收件、预审、受理、办理、结果反馈",
        "网上办理等级": "三级",
        "受委托部门代码": "D02",
        "到现场次数": 0,
        "到现场原因": None,
        "法律依据": "《中华人民共和国道路运输条例》第十条",
        "受理条件": "有与其经营业务相适应并经检测合格的车辆。",
    }
    assert (other["行使层级"], other["支持预约办理"], other["支持自助终端"]) == ("市级", "是", "否")
    assert (other["自然人主题"], other["法人主题"]) == ("交通出行、车辆管理", '"准营准办"')
    assert other["办理地点"] == '"[北区] 二楼"'
    assert json.loads(other["常见问题"]) == [{"question": "要多久？", "answer": "15 个自然日。"}]
    assert json.loads(other["电子表单（JSON Schema）"]) == FORM
    # A value that looks like a formula is a text cell, never a formula.
    assert workbook["事项"]["E3"].data_type == "s"
    steps = [row for row in rows(path, "审批环节") if row[0] == OTHER]
    assert steps == [
        (OTHER, "受理", "窗口受理人员", 1, "部门队列"),
        (OTHER, "联合审查", "部门管理员", 5, "指定人员", "market_admin", "D02"),
        (OTHER, "审批", "审批人", 3, "部门队列"),
    ]
    materials = [row for row in rows(path, "申请材料") if row[0] == OTHER]
    assert materials == [
        (OTHER, "A1", "申请书", "是", None, "申请表格文书", "原件和复印件", "其他", 1, 2, "A4",
         None, "逐项填写\n签字盖章", "完整", "《公路法》"),
        (OTHER, "A2", "车辆行驶证", "否", "车辆已登记时", "其他", "电子件", "申请人自备", 0, 0),
    ]  # fmt: skip
    assert [row for row in rows(path, "收费") if row[0] == OTHER] == [
        (OTHER, "工本费", "10 元/证", "发改价格〔2017〕1186号", "是"),
        (OTHER, "检测费", None, None, "否"),
    ]
    assert [row for row in rows(path, "特别程序") if row[0] == OTHER] == [
        (OTHER, "专家评审", None, "专家论证"),
        (OTHER, "公示", 5),
    ]


def test_template_and_its_readme(city: City, tmp_path: Path) -> None:
    path = tmp_path / "template.xlsx"
    assert export_xlsx(path, "--template") == f"已写出空白导入模板：{path}\n"
    assert load_workbook(path).sheetnames == SHEETS
    for sheet, headers in [("事项", ITEM_HEADERS), ("申请材料", MATERIAL_HEADERS)]:
        assert rows(path, sheet) == [tuple(headers)]
    readme = rows(path, "说明")
    assert readme[0][0] == "政务服务事项导入模板"
    assert (None, "事项名称", "是", "文字。", "道路运输经营许可证核发") in readme
    unit_note = "留空为工作日；法定时限以自然日计时的，承诺时限也须为自然日。代码见下方“时限单位”。"
    assert (None, "承诺时限单位", None, unit_note, "工作日") in readme
    objects_note = "多个值用“、”分隔。代码见下方“服务对象”。"
    assert (None, "服务对象", None, objects_note, "企业法人") in readme
    for code_row in [
        ("事项类型", "01", "行政许可"),
        ("事项类型", "20", "公共服务"),
        ("服务对象", "2", "企业法人"),
        ("时限单位", "calendar_days", "自然日"),
        ("办理角色", "clerk", "窗口受理人员"),
        ("特别程序", "site_survey", "现场勘查"),
        ("网上办理等级", "4", "四级"),
    ]:
        assert code_row in readme
    example = readme.index(("事项",)) if ("事项",) in readme else None
    assert example is not None
    assert readme[example + 1][:5] == tuple(ITEM_HEADERS[:5])
    assert readme[example + 2][5:7] == ("行政许可", "承诺件")
    # An empty template imports nothing.
    assert refused(path, "--by", "centre_admin")[1] == "文件中没有任何事项。"


def test_the_shipped_template_is_current(city: City, tmp_path: Path) -> None:
    path = tmp_path / "template.xlsx"
    export_xlsx(path, "--template")
    for sheet in SHEETS:
        assert rows(TEMPLATE, sheet) == rows(path, sheet), sheet


def test_a_workbook_filled_in_by_hand(city: City, tmp_path: Path) -> None:
    """Labels or codes, numbers typed as text, other separators, optional sheets and columns
    left out: what a department's own spreadsheet looks like."""
    workbook = Workbook()
    items = workbook.active
    items.title = "事项"
    items.append(
        ["实施编码", "实施部门代码", "事项名称", "事项类型", "办件类型", "法定办结时限",
         "承诺办结时限", "承诺时限单位", "服务对象", "办理形式", "网上办理等级", "支持预约办理",
         "法人主题", "行使层级", "电子表单（JSON Schema）"]
    )  # fmt: skip
    items.append(
        ["HAND-1", "D01", " 道路货物运输经营许可 ", 1, "承诺件", "20", 10.0, "工作日",
         "企业法人，非法人企业", "1、2", "三级", "是", "准营准办", "市级", json.dumps(FORM)]
    )  # fmt: skip
    materials = workbook.create_sheet("申请材料")
    materials.append(["实施编码", "材料编码", "材料名称", "必要", "提交情形", "材料形式"])
    materials.append(["HAND-1", "M01", "申请表", None, None, "原件"])
    materials.append(["HAND-1", 2, "委托书", "否", "委托办理时", "electronic"])
    steps = workbook.create_sheet("审批环节")
    steps.append(["实施编码", "环节名称", "办理角色", "环节时限（工作日）"])
    steps.append(["HAND-1", "受理", "窗口受理人员", 1])
    steps.append(["HAND-1", "审批", "approver", "4"])
    path = tmp_path / "手工.xlsx"
    workbook.save(path)

    run(path, "--by", "transport_admin")

    api = queries.item_to_api(ItemVersion.objects.get(item__code="HAND-1"))
    assert {k: api[k] for k in ("name", "type", "case_type", "legal_limit_days")} == {
        "name": "道路货物运输经营许可",
        "type": "01",
        "case_type": "2",
        "legal_limit_days": 20,
    }
    assert (api["promised_limit_days"], api["legal_limit_unit"], api["service_objects"]) == (
        10,
        "working_days",
        ["2", "5"],
    )
    assert (api["handling_forms"], api["online_service_level"], api["fees"]) == (
        ["1", "2"],
        "3",
        [],
    )
    assert api["guide"] == {
        "supports_appointment": True,
        "themes_legal_person": ["准营准办"],
        "exercise_level": "3",
    }
    assert [(m["code"], m["required"], m["condition"], m["form"]) for m in api["materials"]] == [
        ("M01", True, "", "original"),
        ("2", False, "委托办理时", "electronic"),
    ]
    assert [(s["order"], s["role"], s["budget_days"]) for s in api["steps"]] == [
        (1, "clerk", 1),
        (2, "approver", 4),
    ]
    assert api["form_schema"] == FORM


def test_broken_rows_are_reported_with_sheet_row_and_column(city: City, tmp_path: Path) -> None:
    published_item(city)
    published_item(city, OTHER)
    path = tmp_path / "items.xlsx"
    export_xlsx(path)
    workbook = load_workbook(path)
    items, materials, steps = workbook["事项"], workbook["申请材料"], workbook["审批环节"]
    items[f"{letter(path, '事项', '事项名称')}2"] = None
    items[f"{letter(path, '事项', '法定办结时限')}3"] = "二十"
    items[f"{letter(path, '事项', '电子表单（JSON Schema）')}3"] = "{bad"
    materials.append(["NOPE", "M09", "多余的材料"])
    materials.append([None, "M10", "没有事项"])
    steps[f"{letter(path, '审批环节', '办理角色')}2"] = "老板"
    workbook.save(path)

    lines = refused(path, "--by", "centre_admin")

    def cell(sheet: str, row: int, header: str) -> str:
        return f"{sheet} 第 {row} 行 {letter(path, sheet, header)} 列（{header}）："

    assert lines == [
        "未导入任何事项：items.xlsx 有 6 处问题。",
        cell("申请材料", 8, "实施编码") + "实施编码“NOPE”在“事项”表中没有对应的行。",
        cell("申请材料", 9, "实施编码") + "请填写实施编码。",
        cell("事项", 2, "事项名称") + "请填写事项名称。",
        cell("审批环节", 2, "办理角色") + "办理角色“老板”不是有效的代码。",
        cell("事项", 3, "电子表单（JSON Schema）")
        + "电子表单（JSON Schema）不是有效的 JSON（第 1 行第 2 列：键名须用英文双引号括起）。",
        cell("事项", 3, "法定办结时限") + "法定办结时限应为不小于 0 的整数。",
    ]


def test_item_level_problems_point_at_the_item_row_or_its_sheet(city: City, tmp_path: Path) -> None:
    published_item(city)
    path = tmp_path / "items.xlsx"
    export_xlsx(path)
    workbook = load_workbook(path)
    row = list(next(workbook["事项"].iter_rows(min_row=2, values_only=True)))
    workbook["事项"].append(row)
    workbook["事项"].append(row)
    workbook["事项"]["A4"] = "NEW-2"
    workbook["事项"][f"{letter(path, '事项', '承诺办结时限')}4"] = 30
    workbook.save(path)

    lines = refused(path, "--by", "centre_admin")

    assert lines == [
        "未导入任何事项：items.xlsx 有 3 处问题。",
        f"事项 第 3 行 A 列（实施编码）：实施编码“{CODE}”在文件中重复，第一次出现在事项 第 2 行。",
        "审批环节（实施编码 NEW-2，事项 第 4 行）：审批流程至少需要一个环节。",
        (
            f"事项 第 4 行 {letter(path, '事项', '承诺办结时限')} 列（承诺办结时限）："
            "承诺办结时限（30）不能超过法定办结时限（20）。"
        ),
    ]


@pytest.mark.parametrize(
    ("change", "problems"),
    [
        (
            lambda wb: wb.create_sheet("备注"),
            [
                "工作表“备注”：未知的工作表，应为：事项、申请材料、审批环节、收费、特别程序（以及说明）。"
            ],
        ),
        (
            lambda wb: wb["事项"].cell(row=1, column=len(ITEM_HEADERS) + 1, value="备注"),
            [f"事项 第 1 行 {get_column_letter(len(ITEM_HEADERS) + 1)} 列：未知的列“备注”。"],
        ),
        (
            lambda wb: wb["申请材料"].cell(row=1, column=3, value="材料编码"),
            [
                "申请材料 第 1 行 C 列：列“材料编码”重复。",
                "申请材料 第 1 行：缺少必填列“材料名称”。",
            ],
        ),
        (lambda wb: wb["审批环节"].delete_cols(3), ["审批环节 第 1 行：缺少必填列“办理角色”。"]),
        (lambda wb: wb.remove(wb["事项"]), ["缺少“事项”工作表。"]),
    ],
)
def test_an_unknown_sheet_or_header_refuses_the_workbook(
    city: City, tmp_path: Path, change: Any, problems: list[str]
) -> None:
    published_item(city)
    path = tmp_path / "items.xlsx"
    export_xlsx(path)
    workbook = load_workbook(path)
    change(workbook)
    workbook.save(path)
    assert refused(path, "--by", "centre_admin") == [
        f"未导入任何事项：items.xlsx 有 {len(problems)} 处问题。",
        *problems,
    ]


def test_a_file_that_is_not_a_workbook(city: City, tmp_path: Path) -> None:
    path = tmp_path / "items.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    assert refused(path, "--by", "centre_admin")[1] == "文件不是有效的 xlsx 工作簿。"


def test_format_by_content_when_the_name_does_not_say(city: City, tmp_path: Path) -> None:
    published_item(city)
    path = tmp_path / "items.xlsx"
    export_xlsx(path)
    renamed = path.rename(tmp_path / "catalogue.dat")
    assert (
        run(renamed, "--by", "centre_admin")[0]
        == "导入完成：新增 0、调整 0、未变 1；目录没有变化。\n"
    )
