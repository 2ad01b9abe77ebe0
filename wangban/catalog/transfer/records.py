"""What a reader hands the importer: items in the API's representation, each knowing where
in the file its fields are, and the problems found while reading."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One reason to refuse a file, with the place it was found (a sheet, row and column of
    a workbook, or an item and field of a JSON list)."""

    where: str
    message: str
    # The item the problem belongs to (its place in the file; 0: the file as a whole), so
    # that problems are listed item by item.
    position: int = field(default=0, compare=False)

    def __str__(self) -> str:
        return f"{self.where}：{self.message}" if self.where else self.message


class FileRefused(Exception):
    """The file is refused as a whole; nothing was written. `problems` lists every reason,
    those of the file as a whole first, then item by item."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda problem: problem.position)
        super().__init__("\n".join(str(problem) for problem in problems))


@dataclass
class ItemRecord:
    """One item read from a file.

    `data` has the keys of the item representation (API.md), so the one validator of
    content, `content.clean_content`, reads it as it is. `locate(path)` turns a field path of
    that validator (`name`, `materials[1].code`, `steps`) into the place in the file.
    `flagged` holds the paths the reader already reported, so that a broken cell is not
    reported twice. `file_references` counts the file references (blank forms, samples,
    result sample) the item carried: files do not travel in a file."""

    position: int
    data: dict[str, Any]
    locate: Callable[[str], str]
    flagged: set[str] = field(default_factory=set)
    file_references: int = 0

    @property
    def code(self) -> Any:
        return self.data.get("code")

    def problem(self, path: str, message: str) -> Problem:
        return Problem(self.locate(path), message, self.position)


@dataclass
class Parsed:
    """The items of a file, and what was wrong while reading them."""

    records: list[ItemRecord]
    problems: list[Problem] = field(default_factory=list)


# The messages of Python's JSON decoder, in Chinese.
SYNTAX_MESSAGES = {
    "Expecting value": "此处缺少值",
    "Expecting property name enclosed in double quotes": "键名须用英文双引号括起",
    "Expecting ',' delimiter": "缺少英文逗号“,”",
    "Expecting ':' delimiter": "缺少英文冒号“:”",
    "Unterminated string starting at": "字符串没有结束引号",
    "Invalid control character at": "字符串中有控制字符（如未转义的换行）",
    "Invalid \\escape": "无效的转义字符",
    "Extra data": "多余的内容",
}


def syntax_reason(error: json.JSONDecodeError) -> str:
    """What Python's JSON decoder found wrong, in Chinese."""
    return SYNTAX_MESSAGES.get(error.msg, error.msg)
