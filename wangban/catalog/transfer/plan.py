"""What the import decided for each item, handed from the checks to the write path."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeVar

from wangban.accounts.models import Department
from wangban.catalog.content import CleanContent
from wangban.catalog.models import ItemVersion, ServiceItem
from wangban.catalog.transfer.records import ItemRecord

T = TypeVar("T")

NEW, ADJUST, UNCHANGED = "new", "adjust", "unchanged"


@dataclass
class Plan:
    """What the import does with one item: create it (`new`), draft or publish a new
    version of its published one (`adjust`), or leave it (`unchanged`)."""

    record: ItemRecord
    code: str
    basic_code: str
    department: Department
    content: CleanContent
    kind: str
    item: ServiceItem | None = None
    published: ItemVersion | None = None
    number: int = 1


def chunks(values: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
