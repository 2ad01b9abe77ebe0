"""`catalog.frozen`: a frozen version's steps and materials are read once per process; a
draft's are read every time."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from wangban.catalog import actions, frozen
from wangban.catalog.models import Material, WorkflowStep
from wangban.catalog.tests.helpers import draft, item_content, publish
from wangban.conftest import City


def _as_rows(parts: list) -> list[dict]:
    return [
        {f.attname: getattr(part, f.attname) for f in type(part)._meta.concrete_fields}
        for part in parts
    ]


def test_a_published_version_is_read_once_and_matches_the_rows(city: City) -> None:
    version = publish(city, draft(city))
    with CaptureQueriesContext(connection) as first:
        steps, materials = frozen.steps(version), frozen.materials(version)
    with CaptureQueriesContext(connection) as again:
        steps_again, materials_again = frozen.steps(version), frozen.materials(version)
    assert len(first) == 2
    assert len(again) == 0
    expected_steps = list(WorkflowStep.objects.filter(version=version).order_by("order"))
    expected_materials = list(Material.objects.filter(version=version).order_by("order"))
    assert [s.name for s in steps] == ["受理", "审核", "审批"]
    assert [m.code for m in materials] == ["M01", "M02", "M03"]
    assert _as_rows(steps) == _as_rows(steps_again) == _as_rows(expected_steps)
    assert _as_rows(materials) == _as_rows(materials_again) == _as_rows(expected_materials)
    # Fresh instances at every call, saved state as read from the database.
    assert steps[0] is not steps_again[0]
    assert steps[0] == steps_again[0]
    assert not steps[0]._state.adding
    assert steps[0]._state.db == "default"


def test_what_is_fetched_through_one_call_does_not_reach_the_next(city: City) -> None:
    version = publish(city, draft(city))
    material = frozen.materials(version)[0]
    assert material.version == version  # fetched and cached on this instance only
    fresh = frozen.materials(version)[0]
    assert not Material.version.is_cached(fresh)


def test_a_draft_is_read_every_time_and_its_changes_are_seen(city: City) -> None:
    version = draft(city)
    assert [s.name for s in frozen.steps(version)] == ["受理", "审核", "审批"]
    changed = item_content(steps=[{"name": "受理", "role": "clerk", "budget_days": 1}])
    version = actions.do_update_draft(version, actor=city.transport_admin, content=changed)
    with CaptureQueriesContext(connection) as read:
        steps = frozen.steps(version)
    assert [s.name for s in steps] == ["受理"]
    assert len(read) == 1


def test_forget_drops_what_was_kept(city: City) -> None:
    version = publish(city, draft(city))
    frozen.steps(version)
    frozen.forget()
    with CaptureQueriesContext(connection) as read:
        frozen.steps(version)
    assert len(read) == 1
