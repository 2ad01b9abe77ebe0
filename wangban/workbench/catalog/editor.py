"""The editor of a draft: the item's fields, its lists (materials, steps, fees, special
procedures) as formsets, the files of its materials, and the electronic form.

The forms only parse; the content they produce goes to `actions.do_draft_item` /
`do_update_draft`, which check it. Their refusals name fields in the content's terms
(`materials[2].code`, `steps[0].budget_days`, `form_schema`); `Editor.show` puts each
message beside the field of the row it came from, and `Editor.summary` lists them all at the
top, linking to each field. The save and the uploads run in one transaction: when anything
is refused, nothing is saved. "Save and submit" submits once the draft is saved; problems
that keep a saved draft from review are shown the same way, beside their fields.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.forms.utils import ErrorDict
from django.http import HttpRequest

from wangban.accounts.models import Department, User
from wangban.catalog import actions
from wangban.catalog.choices import FileKind
from wangban.catalog.models import CatalogFile, ItemVersion
from wangban.catalog.queries import content_of, file_to_api
from wangban.core.errors import DomainError
from wangban.workbench.catalog.forms import (
    ROWS,
    ItemForm,
    RowForm,
    department_choices,
    guide_content,
    guide_initial,
    row_formset,
)

# The item's own content keys that the item form edits under the same name.
ITEM_KEYS = (
    "name", "type", "case_type", "legal_limit_days", "legal_limit_unit", "legal_limit_note",
    "promised_limit_days", "promised_limit_unit", "promised_limit_note",
    "warning_threshold_days", "correction_answer_days", "service_objects", "handling_forms",
    "online_depth", "online_service_level", "entrusted_department", "visits_required",
    "visits_note", "legal_basis", "acceptance_conditions", "form_schema",
)  # fmt: skip
ROW_PATH = re.compile(r"^(?P<list>\w+)\[(?P<index>\d+)\]\.(?P<field>\w+)$")
MATERIAL_FILES = (FileKind.BLANK_FORM, FileKind.SAMPLE)


def _initial(content: dict[str, Any]) -> dict[str, Any]:
    """The item form's initial values from a version's content."""
    initial = {key: content.get(key) for key in ITEM_KEYS}
    schema = content.get("form_schema")
    initial["form_schema"] = json.dumps(schema, ensure_ascii=False, indent=2) if schema else ""
    department = content.get("entrusted_department")
    initial["entrusted_department"] = department["code"] if department else ""
    return {**initial, **guide_initial(content.get("guide") or {})}


def _row_initial(key: str, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for position, entry in enumerate(entries, start=1):
        row = {**entry, "position": position}
        if key == "steps":
            row["assignee"] = entry.get("assignee") or ""
            row["department"] = (entry.get("department") or {}).get("code", "")
        if key == "materials":
            row["certificate_type"] = entry.get("certificate_type") or ""
        rows.append(row)
    return rows


def place_error(form: forms.Form, name: str | None, message: str) -> None:
    """Add an error to a bound form, or show one on an unbound form (a submission refused
    for a saved draft): Django's `add_error` needs cleaned data, so the error dict is set."""
    if form.is_bound:
        form.add_error(name, message)
        return
    unbound: Any = form
    if unbound._errors is None:
        unbound._errors = ErrorDict()
    key = name or NON_FIELD_ERRORS
    if key not in unbound._errors:
        unbound._errors[key] = form.error_class(error_class="nonfield" if name is None else None)
    unbound._errors[key].append(message)


@dataclass
class FieldRefusal(Exception):
    """An upload refused (type, size): beside the file field it came from."""

    form: forms.Form
    field: str
    error: DomainError


@dataclass
class Editor:
    """The item form and the four lists; `kept` holds the rows that make up each list, in
    their order (the content's `materials[i]` is `kept["materials"][i]`), so that refusals
    find their row."""

    item_form: ItemForm
    lists: dict[str, forms.BaseFormSet]
    section_errors: dict[str, list[str]] = field(default_factory=dict)
    kept: dict[str, list[RowForm]] = field(default_factory=dict)

    # --- Building --------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        *,
        version: ItemVersion | None,
        departments: Any = None,
        request: HttpRequest | None = None,
    ) -> Editor:
        """Bound to the POST of `request`, or showing `version` (or a blank new item)."""
        new = version is None
        choices = department_choices()
        kwargs: dict[str, Any] = {
            "new": new,
            "first_version": version is None or version.number == 1,
            "departments": departments,
            "department_choices": choices,
        }
        row_kwargs: dict[str, dict[str, Any]] = {key: {} for key in ROWS}
        row_kwargs["steps"] = {"department_choices": choices}
        if request is not None and request.method == "POST":
            item_form = ItemForm(request.POST, request.FILES, **kwargs)
            lists = {
                key: row_formset(key)(
                    request.POST, request.FILES, prefix=key, form_kwargs=row_kwargs[key]
                )
                for key in ROWS
            }
        else:
            content = content_of(version) if version is not None else {}
            initial = _initial(content) if content else {}
            if version is not None and version.number > 1:
                initial["change_reason"] = version.change_reason
            if new and departments is not None and len(departments) == 1:
                initial["department"] = departments[0]
            item_form = ItemForm(initial=initial, **kwargs)
            lists = {
                key: row_formset(key)(
                    initial=_row_initial(key, content.get(key, [])),
                    prefix=key,
                    form_kwargs=row_kwargs[key],
                )
                for key in ROWS
            }
        editor = cls(item_form=item_form, lists=lists)
        editor.section_errors = {key: [] for key in ROWS}
        editor.kept = {key: editor._kept_rows(formset) for key, formset in lists.items()}
        return editor

    @staticmethod
    def _kept_rows(formset: forms.BaseFormSet) -> list[RowForm]:
        """The rows that make up the list, in the order of their 序号: untouched blank rows
        and rows marked for removal are left out (their errors too)."""
        if not formset.is_bound:
            return list(formset.forms[: formset.initial_form_count()])
        if not formset.management_form.is_valid():
            return []
        rows = []
        for index, form in enumerate(formset.forms):
            if index >= formset.initial_form_count() and not form.has_changed():
                continue
            form.is_valid()
            data = getattr(form, "cleaned_data", {})
            if data.get("remove"):
                form._errors = ErrorDict()
                continue
            rows.append((data.get("position") or index + 1, index, form))
        return [form for _, _, form in sorted(rows, key=lambda row: row[:2])]

    # --- Reading ---------------------------------------------------------------------

    def is_valid(self) -> bool:
        """Did everything parse? (The catalogue's rules are the actions' to check.)"""
        valid = self.item_form.is_valid()
        for key, formset in self.lists.items():
            if not formset.management_form.is_valid():
                self.section_errors[key].append("表格数据不完整，请刷新页面后重新填写。")
                valid = False
            rows_valid = [form.is_valid() for form in self.kept[key]]  # each shows its errors
            valid = all(rows_valid) and valid
        return valid

    def identity(self) -> dict[str, Any]:
        data = self.item_form.cleaned_data
        return {
            "code": data.get("code", ""),
            "basic_code": data.get("basic_code", ""),
            "department": data.get("department"),
        }

    def change_reason(self) -> str | None:
        if "change_reason" not in self.item_form.fields:
            return None
        return str(self.item_form.cleaned_data.get("change_reason", ""))

    def content(self) -> dict[str, Any]:
        """The content the forms describe (fields that did not parse are left out)."""
        data = getattr(self.item_form, "cleaned_data", {})
        content = {key: data[key] for key in ITEM_KEYS if key in data}
        content["guide"] = guide_content(data)
        for key, rows in self.kept.items():
            content[key] = [row.content() for row in rows]
        return content

    def uploads(self) -> list[tuple[forms.Form, str, UploadedFile, str | None]]:
        """(form, field, file, material code) of every file chosen for upload."""
        chosen: list[tuple[forms.Form, str, UploadedFile, str | None]] = []
        for row in self.kept["materials"]:
            for kind in MATERIAL_FILES:
                upload = row.cleaned_data.get(kind)
                if upload:
                    chosen.append((row, kind, upload, row.cleaned_data["code"]))
        upload = self.item_form.cleaned_data.get("result_sample")
        if upload:
            chosen.append((self.item_form, FileKind.RESULT_SAMPLE, upload, None))
        return chosen

    def removals(self) -> list[tuple[str, str | None]]:
        """(kind, material code) of every file marked for removal."""
        marked: list[tuple[str, str | None]] = [
            (kind, row.cleaned_data["code"])
            for row in self.kept["materials"]
            for kind in MATERIAL_FILES
            if row.cleaned_data.get(f"remove_{kind}")
        ]
        if self.item_form.cleaned_data.get("remove_result_sample"):
            marked.append((FileKind.RESULT_SAMPLE, None))
        return marked

    # --- Errors ----------------------------------------------------------------------

    def show(self, error: DomainError) -> None:
        """Put a refusal beside the fields it names (top of the form when it names none)."""
        if not error.fields:
            place_error(self.item_form, None, error.message)
        for key, messages in error.fields.items():
            form, name = self._target(key)
            if form is None:
                match = ROW_PATH.match(key)
                self.section_errors[match["list"] if match else key].extend(messages)
                continue
            if name is not None and form.is_bound and form.errors.get(name):
                continue  # the field did not parse; that message says it already
            for message in messages:
                place_error(form, name, message)

    def _target(self, key: str) -> tuple[forms.Form | None, str | None]:
        match = ROW_PATH.match(key)
        if match and match["list"] in self.kept:
            rows = self.kept[match["list"]]
            index = int(match["index"])
            if index < len(rows):
                row = rows[index]
                return row, match["field"] if match["field"] in row.fields else None
            return None, None
        if key in self.lists:
            return None, None
        if key in self.item_form.fields:
            return self.item_form, key
        return self.item_form, None

    def has_errors(self) -> bool:
        return bool(
            self.item_form.errors
            or any(self.section_errors.values())
            or any(row.errors for rows in self.kept.values() for row in rows)
        )

    def summary(self) -> list[tuple[str, str]]:
        """(link, text) of every error, in the order of the page."""
        entries = error_entries(self.item_form, "", "#item-fields")
        for key, (_, row_label, list_label) in ROWS.items():
            entries += [(f"#{key}-section", f"{list_label}：{m}") for m in self.section_errors[key]]
            forms_in_page = list(self.lists[key].forms)
            for row in self.kept[key]:
                number = forms_in_page.index(row) + 1
                entries += error_entries(row, f"{row_label} {number} · ", f"#{row.prefix}")
        return entries

    # --- Files shown beside their fields ---------------------------------------------

    def attach_current_files(self, version: ItemVersion | None) -> None:
        """Give each material row (by its code) and the item form the files the draft has."""
        files: dict[tuple[str | None, str], dict[str, Any]] = {}
        if version is not None:
            for file in CatalogFile.objects.filter(version=version).select_related("material"):
                code = file.material.code if file.material else None
                files[(code, file.kind)] = {**file_to_api(file), "id": file.pk}
        for row in self.lists["materials"].forms:
            code = row["code"].value()
            row.current_files = {kind: files.get((code, kind)) for kind in MATERIAL_FILES}
        self.item_form.current_result_sample = files.get((None, FileKind.RESULT_SAMPLE))  # type: ignore[attr-defined]

    # --- Saving ----------------------------------------------------------------------

    def save(self, request: HttpRequest, *, version: ItemVersion | None) -> ItemVersion:
        """Save the draft (create the item when new) and its files in one transaction.
        Raises DomainError or FieldRefusal; nothing is kept then."""
        actor: User = request.user  # type: ignore[assignment]
        with transaction.atomic():
            if version is None:
                identity = self.identity()
                version = actions.do_draft_item(
                    actor=actor,
                    code=identity["code"],
                    basic_code=identity["basic_code"],
                    department=identity["department"],
                    content=self.content(),
                    request=request,
                )
            else:
                version = actions.do_update_draft(
                    version,
                    actor=actor,
                    content=self.content(),
                    change_reason=self.change_reason(),
                    request=request,
                )
            for kind, code in self.removals():
                files = CatalogFile.objects.filter(version=version, kind=kind)
                files = files.filter(material__code=code) if code else files.filter(material=None)
                file = files.first()
                if file is not None:
                    actions.do_remove_file(file, actor=actor, request=request)
            for form, name, upload, code in self.uploads():
                try:
                    actions.do_attach_file(
                        version,
                        actor=actor,
                        kind=name,
                        upload=upload,
                        material_code=code,
                        request=request,
                    )
                except DomainError as error:
                    raise FieldRefusal(form, name, error) from error
        return version


def _focus_target(bound: forms.BoundField) -> str:
    """The id a summary link moves the focus to: the control, or for a group of radio
    buttons or checkboxes its first one (a fieldset cannot take the focus)."""
    if bound.use_fieldset and bound.subwidgets:
        return str(bound.subwidgets[0].id_for_label)
    return str(bound.auto_id)


def error_entries(form: forms.Form, prefix: str = "", anchor: str = "") -> list[tuple[str, str]]:
    """(link, text) of a form's errors; a message that names its field stands alone."""
    entries = [(anchor, f"{prefix}{message}") for message in form.non_field_errors()]
    for bound in form:
        for message in bound.errors:
            named = str(bound.label) in message
            text = message if named else f"{bound.label}：{message}"
            entries.append((f"#{_focus_target(bound)}", f"{prefix}{text}"))
    return entries


def lower_departments(department: Department) -> Any:
    """Departments an item of `department` may be delegated to (下放): a lower level (A.2)."""
    return Department.objects.filter(is_active=True, level__gt=department.level).order_by("code")
