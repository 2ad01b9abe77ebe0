"""The change feed (一调五调): entries for publication, adjustment, delegation and
cancellation in order, `GET /api/v1/item-changes?since=` paging, scheduled versions only
once in effect, and ids handed out in commit order on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from wangban.accounts.choices import Level
from wangban.accounts.models import Department
from wangban.catalog import actions, queries
from wangban.catalog.feed import change_to_api
from wangban.catalog.models import ItemChange, ItemVersion
from wangban.catalog.tests.helpers import CODE, draft, item_content, publish, published_item
from wangban.conftest import City

FEED = "/api/v1/item-changes"


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def submitted(city: City, version: ItemVersion) -> ItemVersion:
    return actions.do_submit_for_review(version, actor=city.transport_admin)


def adjust(city: City, code: str = CODE, **changes: Any) -> ItemVersion:
    content = {**queries.content_of(queries.published_version(code)), **changes}
    version = actions.do_draft_item(
        actor=city.transport_admin, code=code, kind="adjust", content=content, change_reason="调整"
    )
    return publish(city, version)


def summary(entries: list[dict[str, Any]]) -> list[tuple[str, str, int, str]]:
    return [(e["event"], e["code"], e["version"], e["department"]["code"]) for e in entries]


def test_publish_adjust_delegate_cancel_in_order(city: City, api: APIClient) -> None:
    county = Department.objects.create(code="D51", name="区交通运输局", level=Level.COUNTY)
    published_item(city)
    published_item(city, "OTHER-1", name="巡游出租汽车经营许可")
    adjust(city, name="道路运输经营许可")
    delegate = actions.do_draft_item(
        actor=city.transport_admin,
        code=CODE,
        kind="delegate",
        department=county,
        change_reason="下放至区级",
    )
    publish(city, delegate)
    cancel = actions.do_draft_item(
        actor=city.transport_admin, code="OTHER-1", kind="cancel", change_reason="法律废止"
    )
    publish(city, cancel)

    body = api.get(FEED).json()
    assert summary(body["results"]) == [
        ("published", CODE, 1, "D01"),
        ("published", "OTHER-1", 1, "D01"),
        ("adjusted", CODE, 2, "D01"),
        ("adjusted", CODE, 3, "D51"),  # a delegation is an adjustment to a new department
        ("cancelled", "OTHER-1", 2, "D01"),
    ]
    assert (body["count"], body["previous"]) == (5, None)
    ids = [entry["id"] for entry in body["results"]]
    assert ids == sorted(ids, key=int)
    assert body["next"] == f"http://testserver{FEED}?since={ids[-1]}"
    # Each entry carries the version that took effect then, even after later changes.
    assert [e["item"]["name"] if e["item"] else None for e in body["results"]] == [
        "道路运输经营许可证核发",
        "巡游出租汽车经营许可",
        "道路运输经营许可",
        "道路运输经营许可",
        None,
    ]
    assert body["results"][3]["item"]["department"] == {"code": "D51", "name": "区交通运输局"}


def test_an_entry_exactly(city: City) -> None:
    version = published_item(city)
    change = ItemChange.objects.get()
    occurred = timezone.localtime(change.occurred_at)
    assert change_to_api(change) == {
        "id": str(change.pk),
        "event": "published",
        "code": CODE,
        "version": 1,
        "occurred_at": occurred.isoformat(),
        "department": {"code": "D01", "name": "市交通运输局"},
        "item": queries.item_to_api(version),
    }
    assert change_to_api(change)["occurred_at"].endswith("+08:00")


def test_since_pages_through_the_feed(city: City, api: APIClient) -> None:
    for n in range(5):
        published_item(city, f"ITEM-{n}")
    first = api.get(FEED, {"page_size": 2}).json()
    assert [e["code"] for e in first["results"]] == ["ITEM-0", "ITEM-1"]
    assert first["count"] == 5
    second = api.get(first["next"]).json()
    assert [e["code"] for e in second["results"]] == ["ITEM-2", "ITEM-3"]
    assert second["count"] == 3
    third = api.get(second["next"]).json()
    assert ([e["code"] for e in third["results"]], third["count"]) == (["ITEM-4"], 1)
    # Caught up: an empty page, and nothing to follow until something changes.
    caught_up = api.get(third["next"]).json()
    assert caught_up == {"count": 0, "next": None, "previous": None, "results": []}
    adjust(city, "ITEM-2", name="道路运输经营许可（调整）")
    news = api.get(third["next"]).json()
    assert summary(news["results"]) == [("adjusted", "ITEM-2", 2, "D01")]


def feed_limit(api: APIClient, page_size: str | None) -> str:
    """The LIMIT of the query that reads the feed for this page_size."""
    query = {} if page_size is None else {"page_size": page_size}
    with CaptureQueriesContext(connection) as captured:
        assert api.get(FEED, query).status_code == 200
    sql = next(q["sql"] for q in captured.captured_queries if "catalog_itemchange" in q["sql"])
    return sql.rsplit("LIMIT", 1)[1].strip()


def test_page_size_defaults_to_100_and_is_at_most_100(city: City, api: APIClient) -> None:
    published_item(city)
    assert [feed_limit(api, size) for size in ["500", "100", "7"]] == ["100", "100", "7"]
    assert feed_limit(api, None) == "100"


@pytest.mark.parametrize("size", ["0", "-3", "abc", "null", "1.5", ""])
def test_a_bad_page_size_is_400(city: City, api: APIClient, size: str) -> None:
    response = api.get(FEED, {"page_size": size})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"page_size": ["page_size 应为正整数。"]}


@pytest.mark.parametrize("since", ["abc", "-1", "1.5", "١٢", "99999999999999999999", " 1", "0x10"])
def test_an_invalid_cursor_is_400_naming_since(city: City, api: APIClient, since: str) -> None:
    response = api.get(FEED, {"since": since})
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "validation_failed",
            "message": "since 应为变更记录的 id（上一页最后一条的 id），或留空从头读取。",
            "fields": {
                "since": ["since 应为变更记录的 id（上一页最后一条的 id），或留空从头读取。"]
            },
        }
    }


def test_the_feed_is_public(city: City, api: APIClient) -> None:
    published_item(city)
    response = api.get(FEED, HTTP_AUTHORIZATION="Bearer stale-token")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1


def test_scheduled_versions_appear_only_when_activated(city: City, api: APIClient) -> None:
    day = timezone.localdate() + timedelta(days=3)
    actions.do_review(
        submitted(city, draft(city)), actor=city.centre_admin, approve=True, effective_on=day
    )
    assert api.get(FEED).json()["results"] == []
    with time_machine.travel(day, tick=False):
        actions.do_activate_due()
    assert summary(api.get(FEED).json()["results"]) == [("published", CODE, 1, "D01")]


def test_reading_a_page_takes_the_same_queries_for_any_size(city: City, api: APIClient) -> None:
    for n in range(6):
        published_item(city, f"ITEM-{n}")
    with CaptureQueriesContext(connection) as small:
        assert len(api.get(FEED, {"page_size": 1}).json()["results"]) == 1
    with CaptureQueriesContext(connection) as large:
        assert len(api.get(FEED, {"page_size": 6}).json()["results"]) == 6
    assert len(small) == len(large) == 6  # changes, versions, 3 prefetches, count


@pytest.mark.django_db(transaction=True)
def test_feed_ids_follow_commit_order(city: City) -> None:
    """A writer that draws a feed id holds the feed until it commits: a second publication
    waits instead of taking a higher id and committing first, which a reader paging with
    `since` would have skipped past (PostgreSQL: the trigger's advisory lock; SQLite: one
    writer at a time)."""
    first = submitted(city, draft(city, "FIRST"))
    second = submitted(city, draft(city, "SECOND"))
    drawn = threading.Event()
    release = threading.Event()

    def in_thread(work: Callable[[], object]) -> threading.Thread:
        def run() -> None:
            try:
                work()
            finally:
                connection.close()

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    def publish_and_hold() -> None:
        with transaction.atomic():
            actions.do_review(first, actor=city.centre_admin, approve=True)
            drawn.set()
            release.wait(timeout=30)

    holder = in_thread(publish_and_hold)
    try:
        assert drawn.wait(timeout=30)
        waiter = in_thread(lambda: actions.do_review(second, actor=city.centre_admin, approve=True))
        waiter.join(timeout=0.5)
        assert waiter.is_alive()  # waiting for the first writer to commit
    finally:
        release.set()
        holder.join()
    waiter.join(timeout=30)
    assert list(ItemChange.objects.values_list("item__code", flat=True)) == ["FIRST", "SECOND"]


def test_an_item_representation_in_the_feed_matches_the_api(city: City, api: APIClient) -> None:
    published_item(city, materials=item_content()["materials"][:1])
    [entry] = api.get(FEED).json()["results"]
    assert entry["item"] == api.get(f"/api/v1/items/{CODE}").json()
