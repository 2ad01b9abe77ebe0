"""What `export_items` writes: the published items in the API's representation."""

from __future__ import annotations

from typing import Any

from wangban.catalog.queries import item_to_api, published_items


def exported_items(department: str | None = None) -> list[dict[str, Any]]:
    """`item_to_api` of every published item, in code order; only the items of the
    department with this code, when given (an unknown code gives an empty list)."""
    versions = published_items()
    if department:
        versions = versions.filter(item__department__code=department)
    return [item_to_api(version) for version in versions]
