"""An item's electronic form (电子表单) as data: reading its JSON Schema (draft 2020-12) and
checking what an applicant filled in, every problem in plain Chinese under its field.

The domain (cases) validates with `validate`; the portal renders the same schema as an
accessible HTML form (wangban/portal/schema_form.py) from the readers here, so the page and
the rule never disagree about a field's label, widget or choices.
"""

from __future__ import annotations

import json
import re
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError, UnknownType, ValidationError
from referencing.exceptions import Unresolvable

NON_FIELD = "__all__"  # errors that belong to no one field
LONG_TEXT = 200  # a maxLength above this gets a textarea
MAX_RADIOS = 5  # more options than this: a select
WIDGETS = {"text", "textarea", "select", "radios"}  # the values of "x-widget"
BROKEN_SCHEMA = "该事项的电子表单定义有误，暂时无法校验，请联系事项所属部门。"

TYPE_NAMES = {
    "string": "文字",
    "integer": "整数",
    "number": "数字",
    "boolean": "是或否",
    "array": "多个选项",
    "object": "一组内容",
    "null": "空值",
}
FORMAT_MESSAGES = {
    "date": "{label}应为有效的日期，例如 2026-01-31。",
    "email": "{label}应为有效的电子邮箱地址，例如 name@example.com。",
    "time": "{label}应为有效的时间，例如 09:30:00。",
}


# --- Reading the schema --------------------------------------------------------------------


def properties(schema: Any) -> dict[str, dict[str, Any]]:
    """The properties in form order: `x-order` (a list of names) first, then the rest as
    stored. PostgreSQL's jsonb does not keep the key order of an object, so a schema that
    cares about its order says it with `x-order`."""
    if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
        return {}
    props = {
        str(name): prop if isinstance(prop, dict) else {}
        for name, prop in schema["properties"].items()
    }
    order = schema.get("x-order")
    first = (
        [n for n in order if isinstance(n, str) and n in props] if isinstance(order, list) else []
    )
    return {name: props[name] for name in dict.fromkeys([*first, *props])}


def required_names(schema: Any) -> set[str]:
    required = schema.get("required") if isinstance(schema, dict) else None
    return {str(name) for name in required} if isinstance(required, list) else set()


def property_type(prop: Any) -> str:
    """The property's type; of a list of types (["string", "null"]) the first that is not
    null."""
    kind = prop.get("type") if isinstance(prop, dict) else None
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    return kind if isinstance(kind, str) else ""


def as_posted(value: Any) -> str:
    """How a JSON value travels in a form field: strings as they are, others as JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def choices_of(prop: Any) -> list[tuple[Any, str]]:
    """The options of a choice: `enum` values (each its own label), or `oneOf`/`anyOf` of
    `{"const": value, "title": label}`."""
    if not isinstance(prop, dict):
        return []
    if isinstance(prop.get("enum"), list):
        return [(value, as_posted(value)) for value in prop["enum"]]
    for key in ("oneOf", "anyOf"):
        entries = prop.get(key)
        if (
            isinstance(entries, list)
            and entries
            and all(isinstance(entry, dict) and "const" in entry for entry in entries)
        ):
            return [
                (entry["const"], str(entry.get("title") or as_posted(entry["const"])))
                for entry in entries
            ]
    return []


def item_choices_of(prop: dict[str, Any]) -> list[tuple[Any, str]]:
    return choices_of(prop.get("items")) if property_type(prop) == "array" else []


def widget_for(prop: dict[str, Any]) -> str:
    """The widget of a property (docs/portal-catalogue.md lists the rules)."""
    requested = prop.get("x-widget")
    kind = property_type(prop)
    if kind == "array":
        return "checkboxes" if item_choices_of(prop) else "text"
    choices = choices_of(prop)
    if choices:
        if requested in {"select", "radios"}:
            return str(requested)
        return "radios" if len(choices) <= MAX_RADIOS else "select"
    if kind == "boolean":
        return "checkbox"
    if kind in {"integer", "number"}:
        return "number"
    if kind == "string":
        if prop.get("format") in {"date", "email"}:
            return str(prop["format"])
        max_length = prop.get("maxLength")
        long_text = isinstance(max_length, int) and max_length > LONG_TEXT
        if requested == "textarea" or long_text:
            return "textarea"
    return "text"


def label_of(name: str, prop: dict[str, Any]) -> str:
    title = prop.get("title")
    return str(title) if title else name


# --- Validation ----------------------------------------------------------------------------


def _message(error: ValidationError, label: str, prop: dict[str, Any]) -> str:
    """Jsonschema's error in plain Chinese, by keyword. A property's `x-messages` may say it
    better for its own keywords (e.g. what a `pattern` means)."""
    keyword = str(error.validator)
    custom = prop.get("x-messages")
    if isinstance(custom, dict) and isinstance(custom.get(keyword), str):
        return str(custom[keyword])
    value = error.validator_value
    choice = widget_for(prop) in {"radios", "select", "checkboxes", "checkbox"}
    if keyword == "required":
        return f"请选择{label}。" if choice else f"请填写{label}。"
    if keyword == "type":
        kinds = value if isinstance(value, list) else [value]
        names = "或".join(TYPE_NAMES.get(str(k), str(k)) for k in kinds if k != "null")
        return f"{label}应为{names}。"
    if keyword == "pattern":
        return f"{label}的格式不正确。"
    if keyword == "minimum":
        return f"{label}不能小于 {value}。"
    if keyword == "maximum":
        return f"{label}不能大于 {value}。"
    if keyword == "exclusiveMinimum":
        return f"{label}必须大于 {value}。"
    if keyword == "exclusiveMaximum":
        return f"{label}必须小于 {value}。"
    if keyword == "multipleOf":
        return f"{label}应为 {value} 的整数倍。"
    if keyword == "maxLength":
        return f"{label}不能超过 {value} 个字。"
    if keyword == "minLength":
        return f"请填写{label}。" if value == 1 else f"{label}至少需要 {value} 个字。"
    if keyword in {"enum", "oneOf", "anyOf"} and choice:
        return f"请从给出的选项中选择{label}。"
    if keyword == "enum":
        return f"{label}不是可选的值。"
    if keyword == "const":
        if value is True:
            return f"请勾选“{label}”。"
        return f"{label}应为“{as_posted(value)}”。"
    if keyword == "format":
        template = FORMAT_MESSAGES.get(str(value), "{label}的格式不正确。")
        return template.format(label=label)
    if keyword == "minItems":
        return f"{label}至少选择 {value} 项。"
    if keyword == "maxItems":
        return f"{label}最多选择 {value} 项。"
    if keyword == "uniqueItems":
        return f"{label}有重复的选项。"
    return f"{label}填写不正确，请检查。"


def validate(schema: Any, data: Any) -> dict[str, list[str]]:
    """`{field name: [messages]}` for everything wrong with `data`, in form order; empty
    when it is valid. Formats are checked (date, email, …). A broken schema does not fail
    the page: it yields one error of no field (`NON_FIELD`)."""
    props = properties(schema)
    found: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        messages = found.setdefault(name, [])
        if message not in messages:
            messages.append(message)

    try:
        Draft202012Validator.check_schema(schema)
        validator = Draft202012Validator(schema, format_checker=FormatChecker())
        errors = list(validator.iter_errors(data))
    except (
        SchemaError,
        UnknownType,
        Unresolvable,
        re.error,
        TypeError,
        ValueError,
        RecursionError,
    ):
        return {NON_FIELD: [BROKEN_SCHEMA]}
    for error in errors:
        path = list(error.path)
        if path and str(path[0]) in props:
            name = str(path[0])
            add(name, _message(error, label_of(name, props[name]), props[name]))
        elif not path and error.validator == "required" and isinstance(data, dict):
            for name in map(str, error.validator_value):
                if name in data:
                    continue
                prop = props.get(name, {})
                add(
                    name if name in props else NON_FIELD,
                    _message(error, label_of(name, prop), prop),
                )
        else:
            add(NON_FIELD, "表单内容不符合要求，请检查后重新提交。")
    order = {name: index for index, name in enumerate([NON_FIELD, *props])}
    return dict(sorted(found.items(), key=lambda entry: order.get(entry[0], len(order))))
