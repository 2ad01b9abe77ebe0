"""Finding published items by words (placeholder: a plain substring match on the name until
the jieba full-text index lands)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from wangban.catalog.models import ItemVersion


def refresh_index(item_ids: Iterable[int]) -> None:
    """Bring the search index in step with the published versions of these items. Called in
    the transaction that publishes, adjusts, cancels or imports them."""


def search_items(versions: QuerySet[ItemVersion], query: str) -> QuerySet[ItemVersion]:
    """`versions` narrowed to those matching `query`, best matches first."""
    return versions.filter(name__icontains=query.strip())
