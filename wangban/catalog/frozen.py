"""The workflow steps and materials of a frozen version, read once per process.

A version in `FROZEN_STATES` is part of the record: its steps and materials never change
(`_VersionPart` refuses to, and no state leads back to the draft). The case actions need
them on nearly every step, so each process keeps their rows by the version's id, and hands
out fresh instances at every call: nothing fetched through one of them (a department, a
person) outlives the caller. A draft or a version in review is read from the database.

Tests roll back the rows this cache may hold, and SQLite gives their ids out again:
`forget()` between tests.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, TypeVar

from django.db import models

from wangban.catalog.choices import FROZEN_STATES
from wangban.catalog.models import ItemVersion, Material, WorkflowStep

#: How many versions a process keeps (a city's catalogue has a few thousand in use).
VERSIONS_KEPT = 4096

Part = TypeVar("Part", bound=models.Model)


def steps(version: ItemVersion) -> list[WorkflowStep]:
    """The version's workflow steps, in order."""
    return _parts(WorkflowStep, version)


def materials(version: ItemVersion) -> list[Material]:
    """The version's materials, in order."""
    return _parts(Material, version)


def forget() -> None:
    """Drop every kept version (tests)."""
    _rows.cache_clear()


def _parts(model: type[Part], version: ItemVersion) -> list[Part]:
    if version.state not in FROZEN_STATES:
        return list(_query(model, version.pk))
    names = _attnames(model)
    return [model.from_db("default", names, list(values)) for values in _rows(model, version.pk)]


def _query(model: type[Part], version_id: int) -> models.QuerySet[Part]:
    return model._default_manager.filter(version_id=version_id).order_by("order", "pk")


@lru_cache(maxsize=2 * VERSIONS_KEPT)
def _rows(model: type[models.Model], version_id: int) -> tuple[tuple[Any, ...], ...]:
    return tuple(_query(model, version_id).values_list(*_attnames(model)))


def _attnames(model: type[models.Model]) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields]
