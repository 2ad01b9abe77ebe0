"""An item's electronic form (电子表单): its JSON Schema (draft 2020-12) rendered as an
accessible HTML form, the posted strings turned back into typed JSON, and the result
validated with jsonschema, every error in Chinese beside its field (GOV.UK pattern).

Three functions, reusable by the application pages of issue 7:

- `render_fields(schema, data, errors)`: the HTML of the fields;
- `parse_form(schema, querydict)`: the typed instance (empty optional fields omitted);
- `validate(schema, data)`: `{field name: [Chinese messages]}`, empty when valid (it lives
  in wangban/catalog/formschema.py with the schema readers, since cases validate with it).

The supported subset (docs/portal-catalogue.md) is a flat object whose properties are
strings (`format` date/email, `pattern`, `minLength`/`maxLength`, long text), integers and
numbers (`minimum`/`maximum`), booleans, single choices (`enum`, or `oneOf` of `const` +
`title` for labelled options) and arrays of choices. Anything else falls back to a text
input and is still validated by jsonschema: a schema never makes the page fail.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from wangban.catalog.formschema import (
    NON_FIELD,
    as_posted,
    choices_of,
    item_choices_of,
    label_of,
    properties,
    property_type,
    required_names,
    validate,
    widget_for,
)

__all__ = [
    "NON_FIELD",
    "answers",
    "build_fields",
    "error_summary",
    "parse_form",
    "render_fields",
    "validate",
]

_SAFE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,60}$")
MAX_NUMBER_LENGTH = 40
_INTEGER = re.compile(r"^[+-]?\d+$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


@dataclass
class Option:
    value: str  # as posted
    label: str
    id: str
    selected: bool = False


@dataclass
class FormField:
    """One property of the schema, ready for the template."""

    name: str
    id: str
    label: str
    hint: str
    required: bool
    widget: str  # text, email, date, number, textarea, select, radios, checkbox, checkboxes
    value: str = ""
    checked: bool = False
    options: list[Option] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    inputmode: str = ""

    @property
    def describedby(self) -> str:
        ids = [f"{self.id}-hint"] if self.hint else []
        if self.errors:
            ids.append(f"{self.id}-error")
        return " ".join(ids)

    @property
    def is_group(self) -> bool:
        """Radios and checkboxes sit in a fieldset whose legend is the label."""
        return self.widget in {"radios", "checkboxes"}


# --- Reading the schema --------------------------------------------------------------------


def field_id(name: str, position: int) -> str:
    """An HTML id for a property: from its name when that is plain ASCII, else from its
    position (names may be Chinese or hold spaces)."""
    return f"field-{name}" if _SAFE_NAME.match(name) else f"field-{position + 1}"


# --- Rendering -----------------------------------------------------------------------------


def _defaults(schema: Any) -> dict[str, Any]:
    return {name: prop["default"] for name, prop in properties(schema).items() if "default" in prop}


def build_fields(
    schema: Any,
    data: Mapping[str, Any] | None = None,
    errors: Mapping[str, list[str]] | None = None,
) -> list[FormField]:
    """The fields of the form with their values and errors. `data` None (a blank form)
    shows the schema's defaults."""
    values = _defaults(schema) if data is None else data
    errors = errors or {}
    required = required_names(schema)
    fields = []
    for position, (name, prop) in enumerate(properties(schema).items()):
        widget = widget_for(prop)
        fid = field_id(name, position)
        value = values.get(name)
        hint = prop.get("description")
        form_field = FormField(
            name=name,
            id=fid,
            label=label_of(name, prop),
            hint=str(hint) if hint else "",
            required=name in required,
            widget=widget,
            errors=list(errors.get(name, [])),
        )
        if widget in {"radios", "select", "checkboxes"}:
            choices = item_choices_of(prop) if widget == "checkboxes" else choices_of(prop)
            chosen = value if isinstance(value, list) else [value]
            chosen_posted = {as_posted(v) for v in chosen if v is not None}
            form_field.options = [
                Option(
                    value=as_posted(choice),
                    label=label,
                    id=fid if index == 0 else f"{fid}-{index + 1}",
                    selected=as_posted(choice) in chosen_posted,
                )
                for index, (choice, label) in enumerate(choices)
            ]
        elif widget == "checkbox":
            form_field.checked = value is True
        elif value is not None:
            form_field.value = as_posted(value) if not isinstance(value, str) else value
        if widget == "number":
            form_field.inputmode = "numeric" if property_type(prop) == "integer" else "decimal"
        fields.append(form_field)
    return fields


def render_fields(
    schema: Any,
    data: Mapping[str, Any] | None = None,
    errors: Mapping[str, list[str]] | None = None,
) -> SafeString:
    """The HTML of the form's fields (labels, hints, the error beside each field); the
    caller writes the `<form>`, the error summary and the buttons."""
    fields = build_fields(schema, data, errors)
    return SafeString(
        render_to_string("portal/catalog/form/_schema_fields.html", {"fields": fields})
    )


def error_summary(schema: Any, errors: Mapping[str, list[str]]) -> list[tuple[str, str]]:
    """(field id, message) for the error summary at the top of the page, in form order;
    errors of no one field link to the first field."""
    fields = build_fields(schema, {}, errors)
    first = fields[0].id if fields else ""
    links = [(first, message) for message in errors.get(NON_FIELD, [])]
    for form_field in fields:  # a group's first option carries the field's id
        links.extend((form_field.id, message) for message in form_field.errors)
    return links


# --- Parsing -------------------------------------------------------------------------------


def _getlist(querydict: Any, name: str) -> list[str]:
    if hasattr(querydict, "getlist"):
        return [str(v) for v in querydict.getlist(name)]
    value = querydict.get(name)
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _text(value: str) -> str:
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def _number(text: str, kind: str) -> Any:
    """An integer or number typed by a person; what is not one stays text, so that
    validation names the problem."""
    compact = text.replace(" ", "")
    if len(compact) > MAX_NUMBER_LENGTH:  # int() refuses thousands of digits; no form needs them
        return text
    if _INTEGER.match(compact):
        return int(compact)
    if kind == "number" and _NUMBER.match(compact):
        number = float(compact)
        return number if math.isfinite(number) else text  # 1e400 is no number a form holds
    return text


def parse_form(schema: Any, querydict: Any) -> dict[str, Any]:
    """The instance a posted form describes: numbers, booleans and lists typed, choices
    mapped back to their JSON values, text trimmed, empty fields omitted (an unticked
    checkbox is false). Keys that are not properties of the schema are ignored."""
    data: dict[str, Any] = {}
    for name, prop in properties(schema).items():
        widget = widget_for(prop)
        posted = _getlist(querydict, name)
        if widget == "checkbox":
            data[name] = bool(posted) and posted[-1] in {"true", "on", "1"}
            continue
        if widget == "checkboxes":
            by_posted = {as_posted(value): value for value, _ in item_choices_of(prop)}
            picked = [by_posted.get(v, v) for v in dict.fromkeys(posted)]
            if picked:
                data[name] = picked
            continue
        text = _text(posted[-1]) if posted else ""
        if not text:
            continue
        if widget in {"radios", "select"}:
            by_posted = {as_posted(value): value for value, _ in choices_of(prop)}
            data[name] = by_posted.get(text, text)
        elif widget == "number":
            data[name] = _number(text, property_type(prop))
        else:
            data[name] = text
    return data


# --- Showing answers -----------------------------------------------------------------------


def answers(schema: Any, data: Mapping[str, Any] | None) -> list[tuple[str, str, str]]:
    """The filled-in answers as (label, text, field id), in form order, for a summary with
    change links (GOV.UK "check answers"); empty answers are left out."""
    rows = []
    for form_field in build_fields(schema, data or {}):
        if form_field.widget == "checkbox":
            text = "是" if form_field.checked else "否"
        elif form_field.options:
            text = "、".join(option.label for option in form_field.options if option.selected)
        else:
            text = form_field.value
        if text:
            rows.append((form_field.label, text, form_field.id))
    return rows
