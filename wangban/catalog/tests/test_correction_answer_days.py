"""An item's own 补正期限 (`correction_answer_days`, issue 7: the applicant answers a
correction notice "within the item's answer time (configurable)"): checked on every way in
(1–60 working days, or empty for the global setting), and carried unchanged by the API
representation, the search entries, the JSON and xlsx exchange files."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from openpyxl import load_workbook
from rest_framework.test import APIClient

from wangban.catalog import actions, queries
from wangban.catalog.models import ItemVersion, ServiceItem
from wangban.catalog.search import ItemSearch
from wangban.catalog.tests.helpers import CODE, draft, item_content, published_item
from wangban.catalog.tests.test_transfer import (
    OTHER,
    exported,
    item,
    refused,
    run,
    state,
    undone,
    without_version,
    write,
)
from wangban.catalog.tests.test_transfer_xlsx import export_xlsx, letter
from wangban.conftest import City
from wangban.core.errors import InvalidInput

MESSAGE = "补正期限应为 1–60 个工作日的整数；留空则按全局设置。"


def test_the_field_is_part_of_the_representation(city: City) -> None:
    with_days = published_item(city, correction_answer_days=10)
    without = published_item(city, OTHER)

    assert with_days.correction_answer_days == 10
    assert without.correction_answer_days is None
    assert queries.item_to_api(with_days)["correction_answer_days"] == 10
    assert queries.public_item(without)["correction_answer_days"] is None
    assert queries.content_of(with_days)["correction_answer_days"] == 10


def test_the_api_gives_it_in_the_list_and_the_item(city: City) -> None:
    published_item(city, correction_answer_days=10)
    published_item(city, OTHER)
    api = APIClient()

    listed = api.get("/api/v1/items").json()["results"]
    one = api.get(f"/api/v1/items/{CODE}").json()

    assert [(i["code"], i["correction_answer_days"]) for i in listed] == [
        (CODE, 10),
        (OTHER, None),
    ]
    assert one["correction_answer_days"] == 10
    stored = ItemSearch.objects.get(version__item__code=CODE).representation or {}
    assert stored["correction_answer_days"] == 10


def test_an_adjustment_copies_it_and_may_change_it(city: City) -> None:
    published_item(city, correction_answer_days=10)
    adjustment = actions.do_draft_item(
        actor=city.transport_admin, code=CODE, kind="adjust", change_reason="延长补正期限"
    )
    assert adjustment.correction_answer_days == 10

    content = {**queries.content_of(adjustment), "correction_answer_days": 15}
    adjustment = actions.do_update_draft(adjustment, actor=city.transport_admin, content=content)

    assert adjustment.correction_answer_days == 15
    assert queries.published_version(CODE).correction_answer_days == 10


@pytest.mark.parametrize("value", [0, 61, "十", "10", 10.0, True, -1])
def test_out_of_range_or_not_a_whole_number_is_refused(city: City, value: Any) -> None:
    before = (ServiceItem.objects.count(), ItemVersion.objects.count())
    with pytest.raises(InvalidInput) as error:
        draft(city, correction_answer_days=value)
    assert error.value.fields == {"correction_answer_days": [MESSAGE]}
    assert (ServiceItem.objects.count(), ItemVersion.objects.count()) == before


@pytest.mark.parametrize("value", [1, 60])
def test_the_bounds_are_accepted(city: City, value: int) -> None:
    assert draft(city, correction_answer_days=value).correction_answer_days == value


def test_a_draft_update_refuses_and_keeps_the_old_value(city: City) -> None:
    version = draft(city, correction_answer_days=10)
    with pytest.raises(InvalidInput) as error:
        actions.do_update_draft(
            version, actor=city.transport_admin, content=item_content(correction_answer_days=61)
        )
    assert error.value.fields == {"correction_answer_days": [MESSAGE]}
    version.refresh_from_db()
    assert version.correction_answer_days == 10


def test_json_round_trip(city: City, tmp_path: Path) -> None:
    def build() -> list[dict[str, Any]]:
        published_item(city, correction_answer_days=10)
        published_item(city, OTHER)
        return exported()

    original = undone(build)
    assert [i["correction_answer_days"] for i in original] == [10, None]

    run(write(tmp_path, original), "--by", "centre_admin", "--publish")

    again = exported()
    assert without_version(again) == without_version(original)
    assert queries.published_version(CODE).correction_answer_days == 10
    # The same file again: unchanged, so nothing is adjusted.
    out, _ = run(write(tmp_path, again), "--by", "centre_admin")
    assert out == "导入完成：新增 0、调整 0、未变 2；目录没有变化。\n"


def test_json_import_adjusts_an_item_whose_days_changed(city: City, tmp_path: Path) -> None:
    published_item(city, correction_answer_days=10)
    out, _ = run(
        write(tmp_path, [item(correction_answer_days=20)]), "--by", "centre_admin", "--publish"
    )
    assert out == "导入完成：新增 0、调整 1、未变 0；新增和调整的事项已发布，今日生效。\n"
    assert queries.published_version(CODE).correction_answer_days == 20


def test_json_import_refuses_bad_days_and_saves_nothing(city: City, tmp_path: Path) -> None:
    lines = refused(
        write(tmp_path, [item(correction_answer_days=61)]), "--by", "centre_admin", "--publish"
    )
    assert lines[0] == "未导入任何事项：items.json 有 1 处问题。"
    assert lines[1].endswith(f"字段 correction_answer_days：{MESSAGE}")


def test_xlsx_round_trip(city: City, tmp_path: Path) -> None:
    path = tmp_path / "items.xlsx"

    def build() -> list[dict[str, Any]]:
        published_item(city, correction_answer_days=10)
        published_item(city, OTHER)
        export_xlsx(path)
        return exported()

    original = undone(build)
    column = letter(path, "事项", "补正期限（工作日）")
    sheet = load_workbook(path)["事项"]
    assert [sheet[f"{column}{row}"].value for row in (2, 3)] == [10, None]

    run(path, "--by", "centre_admin", "--publish")

    assert without_version(exported()) == without_version(original)


@pytest.mark.parametrize("cell", [0, 61, "十天"])
def test_xlsx_import_refuses_bad_days_at_their_cell(city: City, tmp_path: Path, cell: Any) -> None:
    path = tmp_path / "items.xlsx"
    undone(lambda: (published_item(city), export_xlsx(path)))
    column = letter(path, "事项", "补正期限（工作日）")
    workbook = load_workbook(path)
    workbook["事项"][f"{column}2"] = cell
    workbook.save(path)
    before = state()

    lines = refused(path, "--by", "centre_admin", "--publish")

    assert lines == [
        "未导入任何事项：items.xlsx 有 1 处问题。",
        f"事项 第 2 行 {column} 列（补正期限（工作日））：{MESSAGE}",
    ]
    assert state() == before


def test_the_upgrade_adds_the_key_to_stored_search_entries(city: City) -> None:
    """Entries written before the field existed get it as null, the value every existing
    version has, so that the list endpoints (which read the entries) show it too."""
    published_item(city)
    entry = ItemSearch.objects.get()
    stale: dict[str, Any] = dict(entry.representation or {})
    del stale["correction_answer_days"]
    ItemSearch.objects.filter(pk=entry.pk).update(representation=stale)
    migration = importlib.import_module(
        "wangban.catalog.migrations.0005_item_correction_answer_days"
    )

    migration.add_key_to_stored_representations(apps, None)

    entry.refresh_from_db()
    assert entry.representation == {**stale, "correction_answer_days": None}
