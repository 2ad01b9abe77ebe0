"""Checking what a department admin writes into a version (its `content`: the item
representation of API.md without the identity keys) and the rules a version must meet
before it goes to review. Every message is in Chinese and names its field; all problems
are reported at once (一次性告知)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator, SchemaError, validators

from wangban.accounts.choices import Role
from wangban.accounts.models import Department, User
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
from wangban.catalog.models import OnlineServiceLevel
from wangban.catalog.queries import DERIVED_KEYS, IDENTITY_KEYS
from wangban.core.errors import InvalidInput

MAX_DAYS = 32767  # PositiveSmallIntegerField
MIN_CORRECTION_DAYS, MAX_CORRECTION_DAYS = 1, 60  # 补正期限, working days

# The keys of `content` that become columns of the version (`type` is `item_type`).
FIELD_KEYS = (
    "name", "type", "case_type", "legal_limit_days", "legal_limit_unit", "legal_limit_note",
    "promised_limit_days", "promised_limit_unit", "promised_limit_note",
    "warning_threshold_days", "correction_answer_days", "service_objects", "handling_forms",
    "online_depth", "online_service_level", "entrusted_department", "visits_required",
    "visits_note", "special_procedures", "fees", "legal_basis", "acceptance_conditions",
    "form_schema", "guide",
)  # fmt: skip


class Problems:
    """Collects field errors, then raises them together."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, name: str, message: str) -> None:
        self.fields.setdefault(name, []).append(message)

    def raise_if_any(self) -> None:
        if self.fields:
            first = next(iter(self.fields.values()))[0]
            raise InvalidInput(first, fields=self.fields)


@dataclass
class CleanContent:
    """Content ready to save: the version's columns, its materials and its steps."""

    fields: dict[str, Any]
    materials: list[dict[str, Any]] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)


def _text(
    data: dict[str, Any],
    key: str,
    label: str,
    p: Problems,
    *,
    required: bool = False,
    max_length: int | None = None,
    prefix: str = "",
) -> str:
    value = data.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        p.add(prefix + key, f"{label}应为文字。")
        return ""
    value = value.strip()
    if required and not value:
        p.add(prefix + key, f"请填写{label}。")
    elif max_length is not None and len(value) > max_length:
        p.add(prefix + key, f"{label}不能超过 {max_length} 个字符。")
    return value


def _days(
    data: dict[str, Any],
    key: str,
    label: str,
    p: Problems,
    *,
    required: bool = True,
    default: int | None = 0,
    prefix: str = "",
) -> int | None:
    value = data.get(key)
    if value is None:
        if required:
            p.add(prefix + key, f"请填写{label}。")
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DAYS:
        p.add(prefix + key, f"{label}应为不小于 0 的整数。")
        return default
    return value


def _choice(
    data: dict[str, Any],
    key: str,
    label: str,
    choices: Any,
    p: Problems,
    *,
    default: str | None = None,
    prefix: str = "",
) -> str:
    value = data.get(key, default)
    if value is None or value == "":
        p.add(prefix + key, f"请选择{label}。")
        return ""
    if value not in choices.values:
        p.add(prefix + key, f"{label}“{value}”不是有效的代码。")
        return ""
    return str(value)


def _codes(data: dict[str, Any], key: str, label: str, choices: Any, p: Problems) -> list[str]:
    value = data.get(key) or []
    if not isinstance(value, list) or any(code not in choices.values for code in value):
        p.add(key, f"{label}应为代码列表，可选：{'、'.join(choices.values)}。")
        return []
    if len(set(value)) != len(value):
        p.add(key, f"{label}有重复的代码。")
        return []
    return [str(code) for code in value]


def _dict_list(data: dict[str, Any], key: str, label: str, p: Problems) -> list[dict[str, Any]]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(entry, dict) for entry in value):
        p.add(key, f"{label}应为对象列表。")
        return []
    return value


def _department(
    data: dict[str, Any], key: str, label: str, p: Problems, *, prefix: str = ""
) -> Department | None:
    """A department given by its code, or by the `{"code", "name"}` object the API writes."""
    value = data.get(key)
    if isinstance(value, dict):
        value = value.get("code")
    if value is None or value == "":
        return None
    department = Department.objects.filter(code=value).first() if isinstance(value, str) else None
    if department is None:
        p.add(prefix + key, f"{label}“{value}”不存在，请填写部门代码。")
    return department


def _online_level(data: dict[str, Any], p: Problems) -> OnlineServiceLevel | None:
    value = data.get("online_service_level")
    if value is None or value == "":
        return None
    level = (
        OnlineServiceLevel.objects.filter(code=value).first() if isinstance(value, str) else None
    )
    if level is None:
        codes = "、".join(OnlineServiceLevel.objects.values_list("code", flat=True))
        p.add("online_service_level", f"网上办理等级“{value}”不存在，可选：{codes}。")
    return level


def _special_procedures(data: dict[str, Any], p: Problems) -> list[dict[str, Any]]:
    clean = []
    for index, entry in enumerate(_dict_list(data, "special_procedures", "特别程序", p)):
        prefix = f"special_procedures[{index}]."
        clean.append(
            {
                "procedure": _choice(
                    entry, "procedure", "特别程序", SpecialProcedure, p, prefix=prefix
                ),
                "days": _days(
                    entry, "days", "特别程序时限", p, required=False, default=None, prefix=prefix
                ),
                "note": _text(entry, "note", "特别程序说明", p, prefix=prefix),
            }
        )
    return clean


def _fees(data: dict[str, Any], p: Problems) -> list[dict[str, Any]]:
    clean = []
    for index, entry in enumerate(_dict_list(data, "fees", "收费", p)):
        prefix = f"fees[{index}]."
        reducible = entry.get("reducible", False)
        if not isinstance(reducible, bool):
            p.add(prefix + "reducible", "是否允许减免应为是或否。")
        clean.append(
            {
                "name": _text(entry, "name", "收费项目", p, required=True, prefix=prefix),
                "standard": _text(entry, "standard", "收费标准", p, prefix=prefix),
                "basis": _text(entry, "basis", "收费依据", p, prefix=prefix),
                "reducible": reducible is True,
            }
        )
    return clean


def _guide(data: dict[str, Any], p: Problems) -> dict[str, Any]:
    guide = data.get("guide") or {}
    if not isinstance(guide, dict):
        p.add("guide", "办事指南其他要素应为对象。")
        return {}
    unknown = sorted(set(guide) - set(GUIDE_FIELDS))
    if unknown:
        p.add("guide", f"办事指南没有这些要素：{'、'.join(unknown)}。")
    return guide


def _materials(data: dict[str, Any], p: Problems) -> list[dict[str, Any]]:
    clean: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, entry in enumerate(_dict_list(data, "materials", "申请材料", p), start=1):
        prefix = f"materials[{index - 1}]."
        code = _text(entry, "code", "材料编码", p, required=True, max_length=64, prefix=prefix)
        if code and code in seen:
            p.add(prefix + "code", f"材料编码“{code}”重复。")
        seen.add(code)
        required = entry.get("required", True)
        if not isinstance(required, bool):
            p.add(prefix + "required", "是否必要应为是或否。")
            required = True
        condition = _text(entry, "condition", "提交情形", p, prefix=prefix)
        if not required and not condition:
            p.add(prefix + "condition", "非必要材料须写明在什么情形下提交。")
        clean.append(
            {
                "order": index,
                "code": code,
                "name": _text(
                    entry, "name", "材料名称", p, required=True, max_length=200, prefix=prefix
                ),
                "required": required,
                "condition": condition,
                "certificate_type": _text(
                    entry, "certificate_type", "电子证照类型", p, max_length=64, prefix=prefix
                ),
                "material_type": _choice(
                    entry,
                    "material_type",
                    "材料类型",
                    MaterialType,
                    p,
                    default=MaterialType.OTHER,
                    prefix=prefix,
                ),
                "form": _choice(
                    entry,
                    "form",
                    "材料形式",
                    MaterialForm,
                    p,
                    default=MaterialForm.ELECTRONIC,
                    prefix=prefix,
                ),
                "source_channel": _choice(
                    entry,
                    "source_channel",
                    "来源渠道",
                    MaterialSource,
                    p,
                    default=MaterialSource.APPLICANT,
                    prefix=prefix,
                ),
                "originals": _days(
                    entry, "originals", "原件份数", p, required=False, prefix=prefix
                ),
                "copies": _days(entry, "copies", "复印件份数", p, required=False, prefix=prefix),
                "paper_size": _text(
                    entry, "paper_size", "纸张规格", p, max_length=20, prefix=prefix
                ),
                "filling_notes": _text(entry, "filling_notes", "填报须知", p, prefix=prefix),
                "acceptance_standard": _text(
                    entry, "acceptance_standard", "受理标准", p, prefix=prefix
                ),
                "basis": _text(entry, "basis", "材料依据", p, prefix=prefix),
            }
        )
    return clean


def _steps(data: dict[str, Any], p: Problems) -> list[dict[str, Any]]:
    clean: list[dict[str, Any]] = []
    for index, entry in enumerate(_dict_list(data, "steps", "审批环节", p), start=1):
        prefix = f"steps[{index - 1}]."
        assignment = _choice(
            entry, "assignment", "分派方式", Assignment, p, default=Assignment.POOL, prefix=prefix
        )
        username = entry.get("assignee")
        assignee = None
        if assignment == Assignment.PERSON:
            assignee = User.objects.filter(username=username).first() if username else None
            if assignee is None:
                p.add(prefix + "assignee", "指定人员分派须填写一个存在的用户名。")
        elif username:
            p.add(prefix + "assignee", "部门队列分派不能指定人员。")
        clean.append(
            {
                "order": index,
                "name": _text(
                    entry, "name", "环节名称", p, required=True, max_length=50, prefix=prefix
                ),
                "role": _choice(entry, "role", "办理角色", Role, p, prefix=prefix),
                "budget_days": _days(entry, "budget_days", "环节时限", p, prefix=prefix),
                "assignment": assignment,
                "assignee": assignee,
                "department": _department(entry, "department", "联办部门", p, prefix=prefix),
            }
        )
    return clean


def _correction_answer_days(data: dict[str, Any], p: Problems) -> int | None:
    """The applicant's time to answer a correction notice (补正期限), 1–60 working days, or
    None for the global setting WANGBAN_CORRECTION_ANSWER_WORKING_DAYS (issue 7: the
    applicant answers "within the item's answer time (configurable)"; docs/case-clock.md)."""
    value = data.get("correction_answer_days")
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not MIN_CORRECTION_DAYS <= value <= MAX_CORRECTION_DAYS
    ):
        p.add(
            "correction_answer_days",
            f"补正期限应为 {MIN_CORRECTION_DAYS}–{MAX_CORRECTION_DAYS} 个工作日的整数；"
            "留空则按全局设置。",
        )
        return None
    return value


def clean_content(data: Any) -> CleanContent:
    """Check the shape and codes of `data`; raise InvalidInput naming every bad field."""
    p = Problems()
    if not isinstance(data, dict):
        raise InvalidInput("事项内容应为对象。", fields={"content": ["事项内容应为对象。"]})
    known = {*IDENTITY_KEYS, *DERIVED_KEYS, *FIELD_KEYS, "materials", "steps"}
    for key in sorted(set(data) - known):
        p.add(key, f"事项没有“{key}”这一要素。")
    warning = _days(data, "warning_threshold_days", "预警阈值", p, required=False, default=None)
    form_schema = data.get("form_schema") or {}
    if not isinstance(form_schema, dict):
        p.add("form_schema", "电子表单应为 JSON Schema 对象。")
        form_schema = {}
    fields = {
        "name": _text(data, "name", "事项名称", p, required=True, max_length=200),
        "item_type": _choice(data, "type", "事项类型", ItemType, p),
        "case_type": _choice(data, "case_type", "办件类型", CaseType, p),
        "legal_limit_days": _days(data, "legal_limit_days", "法定办结时限", p),
        "legal_limit_unit": _choice(
            data, "legal_limit_unit", "法定时限单位", LimitUnit, p, default=LimitUnit.WORKING_DAYS
        ),
        "legal_limit_note": _text(data, "legal_limit_note", "法定时限说明", p),
        "promised_limit_days": _days(data, "promised_limit_days", "承诺办结时限", p),
        "promised_limit_unit": _choice(
            data,
            "promised_limit_unit",
            "承诺时限单位",
            LimitUnit,
            p,
            default=LimitUnit.WORKING_DAYS,
        ),
        "promised_limit_note": _text(data, "promised_limit_note", "承诺时限说明", p),
        "warning_threshold_days": warning,
        "correction_answer_days": _correction_answer_days(data, p),
        "service_objects": _codes(data, "service_objects", "服务对象", ServiceObject, p),
        "handling_forms": _codes(data, "handling_forms", "办理形式", HandlingForm, p),
        "online_depth": _codes(data, "online_depth", "网上办理深度", OnlineDepth, p),
        "online_service_level": _online_level(data, p),
        "entrusted_department": _department(data, "entrusted_department", "受委托部门", p),
        "visits_required": _days(data, "visits_required", "到现场次数", p, required=False),
        "visits_note": _text(data, "visits_note", "到现场原因", p),
        "special_procedures": _special_procedures(data, p),
        "fees": _fees(data, p),
        "legal_basis": _text(data, "legal_basis", "法律依据", p),
        "acceptance_conditions": _text(data, "acceptance_conditions", "受理条件", p),
        "form_schema": form_schema,
        "guide": _guide(data, p),
    }
    content = CleanContent(fields=fields, materials=_materials(data, p), steps=_steps(data, p))
    p.raise_if_any()
    return content


def default_warning_threshold(promised_days: int) -> int:
    """The blue light's default: max(1, ⌈0.2 × P⌉) working days (DESIGN.md § The case clock)."""
    return max(1, math.ceil(0.2 * promised_days))


def _patterns(node: Any) -> Iterator[Any]:
    if isinstance(node, dict):
        if "pattern" in node:
            yield node["pattern"]
        if isinstance(node.get("patternProperties"), dict):
            yield from node["patternProperties"]
        for value in node.values():
            yield from _patterns(value)
    elif isinstance(node, list):
        for value in node:
            yield from _patterns(value)


def _surely_valid(schema: dict[str, Any]) -> bool:
    """The meta-schema check of `jsonschema` costs about 2 ms a form, most of an import of
    thousands of items; the Rust validator answers in microseconds. It does not check that
    patterns are regular expressions, so those are compiled here. Anything it doubts goes to
    `jsonschema`, whose messages we show."""
    try:
        if not jsonschema_rs.meta.is_valid(schema):
            return False
        for pattern in _patterns(schema):
            re.compile(pattern)
    except (re.error, TypeError, ValueError):
        return False
    return True


def form_schema_problems(schema: Any) -> list[str]:
    """Why `schema` cannot be an item's electronic form: it must be a valid JSON Schema (by
    its `$schema`, Draft 2020-12 when absent) for an object whose fields all have titles."""
    if not isinstance(schema, dict) or not schema:
        return ["请填写电子表单（JSON Schema）。"]
    if not _surely_valid(schema):
        try:
            validators.validator_for(schema, default=Draft202012Validator).check_schema(schema)
        except SchemaError as error:
            path = "/".join(str(part) for part in error.path) or "（根）"
            return [f"电子表单不是有效的 JSON Schema：{path} 处 {error.message}"]
    problems = []
    if schema.get("type") != "object":
        problems.append("电子表单的根类型应为 object。")
    if not isinstance(schema.get("title"), str) or not schema["title"].strip():
        problems.append("电子表单须有标题（title）。")
    properties = schema.get("properties") or {}
    untitled = [
        name
        for name, prop in properties.items()
        if not (isinstance(prop, dict) and str(prop.get("title", "")).strip())
    ]
    if untitled:
        problems.append(f"这些表单字段缺少中文标题（title）：{'、'.join(untitled)}。")
    return problems


@dataclass(frozen=True)
class Limits:
    legal_days: int
    legal_unit: str
    promised_days: int
    promised_unit: str


def limit_problem(limits: Limits) -> str | None:
    """Is the promised limit within the statutory one?

    Same unit: promised ≤ statutory. A promised limit in 自然日 against a statutory one in
    工作日: promised ≤ statutory is enough, because N calendar days never end after N working
    days. A promised limit in 工作日 against a statutory one in 自然日 cannot be compared
    without knowing the dates (a Spring Festival holiday stretches working days), so it is
    refused: state the promised limit in 自然日 too."""
    if (
        limits.promised_unit == LimitUnit.WORKING_DAYS
        and limits.legal_unit == LimitUnit.CALENDAR_DAYS
    ):
        return "法定时限以自然日计时，承诺时限也须以自然日计时，才能确认不超过法定时限。"
    if limits.promised_days > limits.legal_days:
        return (
            f"承诺办结时限（{limits.promised_days}）不能超过法定办结时限（{limits.legal_days}）。"
        )
    return None
