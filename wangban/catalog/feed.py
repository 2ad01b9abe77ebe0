"""The change feed of the catalogue (一调五调): what systems that mirror the catalogue read
from `GET /api/v1/item-changes?since=<id>`, and what registered systems receive as webhook
data. One entry per `ItemChange` row, written when a version takes effect.

Order: entries are read in id order, and an id is never handed out to a row that commits
after a row with a higher id (on PostgreSQL a trigger of migration 0003 serialises the
writers of the feed from the moment they draw an id until they commit; SQLite has one
writer at a time). So a reader that remembers the last id it saw and asks for `since=` that
id never misses an entry. Ids may have gaps.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from wangban.catalog.choices import ChangeEvent
from wangban.catalog.models import ItemChange, ItemVersion
from wangban.catalog.queries import public_item
from wangban.core.errors import InvalidInput

MAX_PAGE = 100
MAX_CURSOR = 2**63 - 1  # BigAutoField


def change_to_api(change: ItemChange) -> dict[str, Any]:
    """A feed entry: `id` (an opaque string, the cursor), `event` (`published`, `adjusted` or
    `cancelled`), `code`, `version`, `occurred_at` (ISO 8601, +08:00), `department`
    ({`code`, `name`} of the version that took effect: for a delegation, the new one), and
    `item`: the item representation of that version (API.md), null for a cancellation. The
    version is immutable, so an entry reads the same however late it is fetched."""
    version = change.version
    department = version.department
    return {
        "id": str(change.pk),
        "event": change.event,
        "code": change.item.code,
        "version": version.number,
        "occurred_at": timezone.localtime(change.occurred_at).isoformat(),
        "department": {"code": department.code, "name": department.name},
        "item": None if change.event == ChangeEvent.CANCELLED else public_item(version),
    }


def parse_cursor(value: str | None) -> int:
    """The `since` cursor: absent or empty means the beginning; otherwise an id from the feed
    (a string of digits)."""
    if value is None or value == "":
        return 0
    if not (value.isascii() and value.isdigit()) or int(value) > MAX_CURSOR:
        message = "since 应为变更记录的 id（上一页最后一条的 id），或留空从头读取。"
        raise InvalidInput(message, fields={"since": [message]})
    return int(value)


def changes_after(since: int, limit: int = MAX_PAGE) -> list[ItemChange]:
    """At most `limit` entries after the cursor, in order, with everything `change_to_api`
    reads fetched in a fixed number of queries."""
    versions = ItemVersion.objects.select_related(
        "item", "department", "online_service_level", "entrusted_department"
    ).prefetch_related("materials", "steps__assignee", "steps__department", "files")
    return list(
        ItemChange.objects.filter(pk__gt=since)
        .select_related("item")
        .prefetch_related(Prefetch("version", queryset=versions))
        .order_by("pk")[: max(1, min(limit, MAX_PAGE))]
    )


def count_after(since: int) -> int:
    return ItemChange.objects.filter(pk__gt=since).count()
