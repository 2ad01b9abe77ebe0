"""The rules an imported item must meet, by the functions the actions use, so that an
import refuses exactly what the staff pages refuse, with the same messages."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any, cast

from django.db.models import Model

from wangban.catalog.actions import submission_problems
from wangban.catalog.content import CleanContent, clean_content, default_warning_threshold
from wangban.catalog.models import ItemVersion
from wangban.catalog.transfer.records import ItemRecord, Problem
from wangban.core.errors import InvalidInput

# The keys `actions.submission_problems` reads, and stand-ins for the other required keys
# when the content has problems elsewhere.
SUBMISSION_KEYS = frozenset(
    {
        "steps",
        "case_type",
        "legal_limit_days",
        "legal_limit_unit",
        "promised_limit_days",
        "promised_limit_unit",
        "form_schema",
    }
)
STAND_INS = {"name": "-", "type": "01"}


class _Unsaved:
    """The attributes `actions.submission_problems` reads, for content not saved yet: the
    submission rules are the actions' own function (tests hold the import's messages to the
    actions' ones)."""

    def __init__(self, content: CleanContent) -> None:
        self.__dict__.update(content.fields)
        self.steps = _Steps(content.steps)


class _Steps:
    """Stands in for the `steps` manager of a version, over steps not saved yet."""

    def __init__(self, steps: list[dict[str, Any]]) -> None:
        self._steps = steps

    def exists(self) -> bool:
        return bool(self._steps)

    def count(self) -> int:
        return len(self._steps)

    def all(self) -> list[SimpleNamespace]:
        return [SimpleNamespace(**step) for step in self._steps]

    def values_list(self, *names: str, flat: bool = False) -> list[Any]:
        rows = [tuple(step[name] for name in names) for step in self._steps]
        return [row[0] for row in rows] if flat else rows


def _add(record: ItemRecord, fields: dict[str, list[str]], problems: list[Problem]) -> None:
    for path, messages in fields.items():
        if path not in record.flagged:
            problems.extend(record.problem(path, message) for message in messages)


def content_problems(
    record: ItemRecord, data: dict[str, Any] | None = None
) -> tuple[CleanContent | None, list[Problem]]:
    """`content.clean_content` of the item (or of `data`, a variant of it). When the
    content has problems only in fields the submission rules do not read, those rules are
    checked too (on the content without those fields), so that one pass reports both."""
    data = record.data if data is None else data
    try:
        return clean_content(data), []
    except InvalidInput as error:
        problems: list[Problem] = []
        _add(record, error.fields, problems)
        failing = {re.split(r"[\[.]", path, maxsplit=1)[0] for path in error.fields}
        if failing & SUBMISSION_KEYS:
            return None, problems
        rest = {key: value for key, value in data.items() if key not in failing}
        rest.update({key: value for key, value in STAND_INS.items() if key in failing})
        try:
            checked = clean_content(rest)
        except InvalidInput:
            return None, problems
        return None, problems + ready_problems(record, checked)


def ready_problems(record: ItemRecord, content: CleanContent) -> list[Problem]:
    """`actions.submission_problems` of content not saved yet (at least one step, limits,
    case type, a valid JSON Schema form)."""
    problems: list[Problem] = []
    _add(record, submission_problems(cast(ItemVersion, _Unsaved(content))), problems)
    return problems


def _nonblank(guide: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in guide.items() if value not in (None, "", [], {})}


def _matches(obj: Any, values: dict[str, Any]) -> bool:
    """Do the columns of a saved row hold `values` (foreign keys compared by id)?"""
    for key, value in values.items():
        stored = getattr(obj, obj._meta.get_field(key).attname)
        if stored != (value.pk if isinstance(value, Model) else value):
            return False
    return True


def same_content(version: ItemVersion, content: CleanContent) -> bool:
    """Does `content` say exactly what the published `version` says? Compared column by
    column and row by row; an empty warning threshold means the default the submission
    would fill in, and empty guide entries count as absent (a workbook cannot tell them
    apart)."""
    fields = dict(content.fields)
    if fields["warning_threshold_days"] is None:
        fields["warning_threshold_days"] = default_warning_threshold(fields["promised_limit_days"])
    guide = fields.pop("guide")
    if _nonblank(version.guide) != _nonblank(guide) or not _matches(version, fields):
        return False
    for rows, entries in (
        (list(version.materials.all()), content.materials),
        (list(version.steps.all()), content.steps),
    ):
        if len(rows) != len(entries):
            return False
        if not all(_matches(row, entry) for row, entry in zip(rows, entries, strict=True)):
            return False
    return True
