"""The workbook layout: sheets, their columns, and how a cell maps to a value of the item
representation and back. One table drives the reader, the writer and the README sheet, so
the three cannot drift apart.

A cell is read leniently and checked strictly: codes may be given as their Chinese labels
(行政许可 or 01, 工作日 or working_days), numbers typed as text are numbers, 是/否 are
booleans; whatever cannot be converted is passed on as it is, and `content.clean_content`
refuses it with the same message the staff pages show.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from django.db import models

from wangban.accounts.choices import Level, Role
from wangban.catalog.choices import (
    GUIDE_FIELDS,
    Assignment,
    CaseType,
    HandlingForm,
    ItemType,
    LimitUnit,
    MaterialForm,
    MaterialSource,
    MaterialType,
    OnlineDepth,
    ServiceObject,
    SpecialProcedure,
)
from wangban.catalog.transfer.records import syntax_reason

# Separators of a multi-valued cell (自然人、企业法人). Writing uses the first.
SEPARATORS = re.compile(r"[、,，;；\s]+")
SEPARATOR = "、"
TRUE_WORDS = {"是", "true", "yes", "y", "1", "√"}
FALSE_WORDS = {"否", "false", "no", "n", "0", "×"}
JSON_STARTS = ("[", "{", '"')


class CellError(ValueError):
    """A cell that cannot be read at all (e.g. broken JSON); the message is in Chinese."""


@dataclass(frozen=True)
class Column:
    """One column: its Chinese header, the key it fills (`department.code` for a nested
    key), how the cell is read and written (`kind`), and what the README sheet says."""

    header: str
    key: str
    kind: str = "text"  # text, int, bool, code, codes, level, json, ref, guide_*
    required: bool = False
    choices: type[models.TextChoices] | None = None
    note: str = ""
    example: Any = None


@dataclass(frozen=True)
class Sheet:
    """A worksheet. The item sheet has one row per item (`list_key` None); the others one
    row per entry of the item's list `list_key`, in order, tied to it by 实施编码."""

    title: str
    list_key: str | None
    columns: tuple[Column, ...]
    note: str

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key), None)


EXAMPLE_CODE = "511A0138000000-511602000000-000-115113010833722043-1-00"
CODE_COLUMN = Column(
    "实施编码",
    "code",
    required=True,
    note="事项的实施编码，1–64 个字符，不含空格和 / ? #。",
    example=EXAMPLE_CODE,
)
# The first column of the other sheets: the item an entry belongs to (its key is no key of
# the representation, so it cannot clash with a material's own `code`).
OWNER_KEY = "@item"
OWNER_COLUMN = Column(
    "实施编码", OWNER_KEY, required=True, note="所属事项的实施编码。", example=EXAMPLE_CODE
)


def _guide_kind(key: str) -> str:
    if key.startswith("supports_"):
        return "guide_bool"
    if key.startswith("themes_"):
        return "guide_list"
    if key == "exercise_level":
        return "guide_level"
    return "guide_text"


def _guide_header(label: str) -> str:
    return re.sub(r"（[^）]*）$", "", label)


GUIDE_NOTES = {
    "guide_bool": "是 / 否。",
    "guide_list": "多个主题用“、”分隔。",
    "guide_level": "行使层级的代码或名称（见代码表）。",
    "guide_text": "文字。",
}
GUIDE_EXAMPLES: dict[str, Any] = {
    "exercise_level": "市级",
    "place": "市政务服务中心二楼交通窗口",
    "office_hours": "工作日 9:00–12:00，13:30–17:30",
    "consultation_phone": "0813-12345",
    "supports_appointment": "是",
    "themes_legal_person": "设立变更、准营准办",
}

ITEM_SHEET = Sheet(
    "事项",
    None,
    (
        CODE_COLUMN,
        Column("基本编码", "basic_code", note="基本目录中的基本编码。", example="000138001000"),
        Column(
            "实施部门代码",
            "department.code",
            required=True,
            note="实施部门的部门编码；部门须已存在，或导入时加 --create-departments。",
            example="D01",
        ),
        Column(
            "实施部门名称",
            "department.name",
            note="新建部门时使用（--create-departments）；部门已存在时不修改其名称。",
            example="市交通运输局",
        ),
        Column("事项名称", "name", required=True, example="道路运输经营许可证核发"),
        Column("事项类型", "type", "code", True, ItemType, example="行政许可"),
        Column("办件类型", "case_type", "code", True, CaseType, example="承诺件"),
        Column("法定办结时限", "legal_limit_days", "int", True, note="整数。", example=20),
        Column(
            "法定时限单位",
            "legal_limit_unit",
            "code",
            choices=LimitUnit,
            note="留空为工作日。",
            example="工作日",
        ),
        Column("法定时限说明", "legal_limit_note", example="《道路运输条例》第十一条"),
        Column(
            "承诺办结时限",
            "promised_limit_days",
            "int",
            True,
            note="整数，不超过法定时限；即办件为 0。",
            example=10,
        ),
        Column(
            "承诺时限单位",
            "promised_limit_unit",
            "code",
            choices=LimitUnit,
            note="留空为工作日；法定时限以自然日计时的，承诺时限也须为自然日。",
            example="工作日",
        ),
        Column("承诺时限说明", "promised_limit_note"),
        Column(
            "预警阈值（工作日）",
            "warning_threshold_days",
            "int",
            note="留空则发布时取 max(1, ⌈0.2×承诺时限⌉)。",
        ),
        Column(
            "补正期限（工作日）",
            "correction_answer_days",
            "int",
            note="申请人答复补正告知的期限，1–60 的整数；留空则按全局设置。",
        ),
        Column("服务对象", "service_objects", "codes", choices=ServiceObject, example="企业法人"),
        Column(
            "办理形式",
            "handling_forms",
            "codes",
            choices=HandlingForm,
            example="窗口办理、网上办理",
        ),
        Column(
            "网上办理深度",
            "online_depth",
            "codes",
            choices=OnlineDepth,
            example="互联网咨询、收件、预审、受理",
        ),
        Column("网上办理等级", "online_service_level", "level", example="四级"),
        Column("受委托部门代码", "entrusted_department", "ref", note="部门编码，可留空。"),
        Column("到现场次数", "visits_required", "int", note="整数，留空为 0。", example=1),
        Column("到现场原因", "visits_note", example="领取许可证"),
        Column("法律依据", "legal_basis", example="《中华人民共和国道路运输条例》第十条"),
        Column("受理条件", "acceptance_conditions", example="有与其经营业务相适应的车辆。"),
        *(
            Column(
                _guide_header(label),
                f"guide.{key}",
                _guide_kind(key),
                note=GUIDE_NOTES[_guide_kind(key)],
                example=GUIDE_EXAMPLES.get(key),
            )
            for key, label in GUIDE_FIELDS.items()
        ),
        Column(
            "电子表单（JSON Schema）",
            "form_schema",
            "json",
            True,
            note="JSON Schema 文本：根类型 object，有 title，每个字段有中文 title。",
            example='{"type": "object", "title": "申请表", "properties": '
            '{"company": {"type": "string", "title": "企业名称"}}}',
        ),
    ),
    "每行一个事项。",
)

MATERIAL_SHEET = Sheet(
    "申请材料",
    "materials",
    (
        OWNER_COLUMN,
        Column("材料编码", "code", required=True, note="同一事项内不重复。", example="M01"),
        Column("材料名称", "name", required=True, example="道路运输经营许可申请表"),
        Column("必要", "required", "bool", note="是 / 否，留空为是。", example="是"),
        Column("提交情形", "condition", note="非必要材料须写明在什么情形下提交。"),
        Column(
            "材料类型",
            "material_type",
            "code",
            choices=MaterialType,
            note="留空为其他。",
            example="申请表格文书",
        ),
        Column(
            "材料形式", "form", "code", choices=MaterialForm, note="留空为电子件。", example="原件"
        ),
        Column(
            "来源渠道",
            "source_channel",
            "code",
            choices=MaterialSource,
            note="留空为申请人自备。",
            example="申请人自备",
        ),
        Column("原件份数", "originals", "int", note="整数，留空为 0。", example=1),
        Column("复印件份数", "copies", "int", note="整数，留空为 0。", example=0),
        Column("纸张规格", "paper_size", example="A4"),
        Column("电子证照类型", "certificate_type", note="可替代该材料的电子证照类型代码。"),
        Column("填报须知", "filling_notes"),
        Column("受理标准", "acceptance_standard"),
        Column("材料依据", "basis"),
    ),
    "每行一份材料，按事项的材料顺序排列；空白表格和填写示例文件不随表格导入。",
)

STEP_SHEET = Sheet(
    "审批环节",
    "steps",
    (
        OWNER_COLUMN,
        Column("环节名称", "name", required=True, example="受理"),
        Column("办理角色", "role", "code", True, Role, example="窗口受理人员"),
        Column("环节时限（工作日）", "budget_days", "int", True, note="整数。", example=1),
        Column(
            "分派方式",
            "assignment",
            "code",
            choices=Assignment,
            note="留空为部门队列。",
            example="部门队列",
        ),
        Column("指定人员", "assignee", note="分派方式为指定人员时填写用户名。"),
        Column("联办部门代码", "department", "ref", note="联办部门的部门编码；留空为实施部门。"),
    ),
    "每行一个环节，按办理顺序排列；每个事项至少一个环节。",
)

FEE_SHEET = Sheet(
    "收费",
    "fees",
    (
        OWNER_COLUMN,
        Column("收费项目", "name", required=True, example="不收费"),
        Column("收费标准", "standard"),
        Column("收费依据", "basis"),
        Column("允许减免", "reducible", "bool", note="是 / 否，留空为否。", example="否"),
    ),
    "每行一个收费项目；不收费的事项可写一行“不收费”或不写。",
)

PROCEDURE_SHEET = Sheet(
    "特别程序",
    "special_procedures",
    (
        OWNER_COLUMN,
        Column("特别程序", "procedure", "code", True, SpecialProcedure, example="现场勘查"),
        Column("时限（天）", "days", "int", note="整数，可留空。", example=5),
        Column("说明", "note", example="核查停车场地"),
    ),
    "每行一个特别程序（不计入办结时限）。",
)

SHEETS: tuple[Sheet, ...] = (ITEM_SHEET, MATERIAL_SHEET, STEP_SHEET, FEE_SHEET, PROCEDURE_SHEET)
README_TITLE = "说明"

# Code sets listed on the README sheet (the online levels come from the database).
CODE_SETS: tuple[tuple[str, type[models.TextChoices]], ...] = (
    ("事项类型", ItemType),
    ("办件类型", CaseType),
    ("时限单位", LimitUnit),
    ("服务对象", ServiceObject),
    ("办理形式", HandlingForm),
    ("网上办理深度", OnlineDepth),
    ("行使层级", Level),
    ("材料类型", MaterialType),
    ("材料形式", MaterialForm),
    ("来源渠道", MaterialSource),
    ("办理角色", Role),
    ("分派方式", Assignment),
    ("特别程序", SpecialProcedure),
)


# Reading -------------------------------------------------------------------------------


def _number_text(value: Any) -> Any:
    """A number typed into a text cell, as the text it shows (12345.0 → "12345")."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _text_value(value: Any) -> Any:
    value = _number_text(value)
    return value.strip() if isinstance(value, str) else value


def _int_value(value: Any) -> Any:
    """An integer, or the cell as it is (the validator then says it is not a number)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value.strip())
    return value


def _bool_value(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    word = str(_number_text(value)).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return value


@cache
def _label_map(choices: Any) -> dict[str, str]:
    """Label or code → code, for reading a code column."""
    mapping = {str(label): str(code) for code, label in choices.choices}
    mapping.update({str(code): str(code) for code in choices.values})
    return mapping


def _code_value(value: Any, mapping: dict[str, str], pad: int = 0) -> Any:
    text = _text_value(value)
    if not isinstance(text, str):
        return text
    if text in mapping:
        return mapping[text]
    if pad and text.isascii() and text.isdigit() and text.zfill(pad) in mapping:
        return text.zfill(pad)  # Excel turned 01 into 1
    return text


def _json_value(value: Any, label: str) -> Any:
    if not isinstance(value, str):
        raise CellError(f"{label}应为 JSON 文本。")
    try:
        return json.loads(value)
    except json.JSONDecodeError as error:
        where = f"第 {error.lineno} 行第 {error.colno} 列"
        raise CellError(f"{label}不是有效的 JSON（{where}：{syntax_reason(error)}）。") from error


def _loose_json(text: str) -> Any:
    """Text that holds JSON (a guide value that is not plain text) as that value."""
    if text.startswith(JSON_STARTS):
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text
    return text


def read_cell(column: Column, value: Any, level_codes: dict[str, str]) -> Any:
    """The value a non-empty cell gives the item representation (CellError if unreadable).
    `level_codes` maps the online service levels' labels and codes to their codes."""
    kind = column.kind
    if kind == "int":
        return _int_value(value)
    if kind == "bool":
        return _bool_value(value)
    if kind == "code":
        pad = 2 if column.key == "type" else 0
        return _code_value(value, _label_map(column.choices), pad=pad)
    if kind == "codes":
        mapping = _label_map(column.choices)
        parts = [p for p in SEPARATORS.split(str(_number_text(value)).strip()) if p]
        return [mapping.get(part, part) for part in parts]
    if kind == "level":
        return _code_value(value, level_codes)
    if kind == "json":
        return _json_value(value, column.header)
    text = _text_value(value)
    if not isinstance(text, str):
        return text
    if kind == "guide_bool":
        result = _bool_value(text)
        return result if isinstance(result, bool) else _loose_json(text)
    if kind == "guide_list":
        if text.startswith(JSON_STARTS):
            return _loose_json(text)
        return [part for part in SEPARATORS.split(text) if part]
    if kind == "guide_level":
        code = _code_value(text, _label_map(Level))
        return code if code in Level.values else _loose_json(text)
    if kind == "guide_text":
        return _loose_json(text)
    return text  # text, ref


# Writing -------------------------------------------------------------------------------


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def write_cell(column: Column, value: Any, level_labels: dict[str, str]) -> Any:
    """The cell for a value of the item representation: codes as their Chinese labels,
    lists joined with 、, booleans as 是/否, the form as JSON text. Guide values that do
    not fit their column's kind are written as JSON text, which reads back unchanged.
    `level_labels` maps the online service levels' codes to their labels."""
    kind = column.kind
    if value is None or value == "" or value == [] or value == {}:
        return None
    if kind in ("int", "text"):
        return value
    if kind == "bool":
        return "是" if value else "否"
    if kind == "code":
        labels = dict(column.choices.choices) if column.choices else {}
        return str(labels.get(value, value))
    if kind == "codes":
        labels = dict(column.choices.choices) if column.choices else {}
        return SEPARATOR.join(str(labels.get(code, code)) for code in value)
    if kind == "level":
        return level_labels.get(value, value)
    if kind == "json":
        return _json_text(value)
    if kind == "ref":
        return value.get("code") if isinstance(value, dict) else value
    if kind == "guide_bool" and isinstance(value, bool):
        return "是" if value else "否"
    if (
        kind == "guide_list"
        and isinstance(value, list)
        and all(isinstance(v, str) and v and not SEPARATORS.search(v) for v in value)
        and not value[0].startswith(JSON_STARTS)
    ):
        return SEPARATOR.join(value)
    if kind == "guide_level" and isinstance(value, str) and value in Level.values:
        return str(Level(value).label)
    if kind == "guide_text" and isinstance(value, str) and not value.startswith(JSON_STARTS):
        return value
    return _json_text(value)
