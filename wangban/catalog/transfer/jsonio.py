"""The JSON format: a list of items in the API's item representation (API.md, `item_to_api`).

Export writes exactly what `GET /api/v1/items/{code}` returns for each published item, in
code order. Import reads the same list; the keys that say which version it was (`version`,
`effective_on`) and the derived ones (`co_handling_departments`, `result_sample`, a
material's `blank_form` and `sample`) are ignored, so an export can be imported elsewhere.
Files are only referenced by URL in the representation: they do not travel."""

from __future__ import annotations

import json
from typing import Any

from wangban.catalog.transfer.records import (
    FileRefused,
    ItemRecord,
    Parsed,
    Problem,
    syntax_reason,
)


def dump_items(items: list[dict[str, Any]]) -> str:
    """The export: the representations as a JSON list, Chinese kept readable."""
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"


def file_references(data: dict[str, Any]) -> int:
    """How many file references (blank forms, samples, the result sample) an item carries."""
    count = 1 if data.get("result_sample") else 0
    materials = data.get("materials")
    if isinstance(materials, list):
        for material in materials:
            if isinstance(material, dict):
                count += bool(material.get("blank_form")) + bool(material.get("sample"))
    return count


def _locator(position: int, line: int, code: Any) -> Any:
    name = f"，实施编码 {code}" if isinstance(code, str) and code.strip() else ""
    item = f"第 {position} 项（第 {line} 行{name}）"

    def locate(path: str) -> str:
        return f"{item}字段 {path}" if path else item

    return locate


def load_items(text: str) -> Parsed:
    """Read an export. The list is decoded item by item, so that every problem names the
    item's position, the line on which it starts, its code and the field. A file that is
    not a JSON list is refused as a whole (FileRefused)."""
    text = text.removeprefix("\ufeff")
    decoder = json.JSONDecoder()

    counted = [0, 1]  # (position, line there): lines are counted once, front to back

    def line_of(position: int) -> int:
        if position < counted[0]:
            return text.count("\n", 0, position) + 1
        counted[1] += text.count("\n", counted[0], position)
        counted[0] = position
        return counted[1]

    def skip_space(position: int) -> int:
        while position < len(text) and text[position] in " \t\r\n":
            position += 1
        return position

    def refuse(position: int, message: str) -> FileRefused:
        column = position - text.rfind("\n", 0, position)
        return FileRefused([Problem(f"第 {line_of(position)} 行第 {column} 列", message)])

    position = skip_space(0)
    if position >= len(text):
        raise FileRefused([Problem("", "文件为空：JSON 文件应为事项列表（以 [ 开始）。")])
    if text[position] != "[":
        try:
            decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            raise _syntax(error) from error
        raise refuse(position, "JSON 文件应为事项列表（以 [ 开始），每一项是一个事项对象。")
    position = skip_space(position + 1)
    records: list[ItemRecord] = []
    problems: list[Problem] = []
    if position < len(text) and text[position] == "]":
        position = skip_space(position + 1)
    else:
        while True:
            start = position
            try:
                value, position = decoder.raw_decode(text, position)
            except json.JSONDecodeError as error:
                raise _syntax(error) from error
            index = len(records) + 1
            data = value if isinstance(value, dict) else {}
            record = ItemRecord(
                position=index,
                data=data,
                locate=_locator(index, line_of(start), data.get("code")),
                file_references=file_references(data),
            )
            records.append(record)
            if not isinstance(value, dict):
                problems.append(record.problem("", "每一项应为一个事项对象（{…}）。"))
                record.flagged.add("*")
            position = skip_space(position)
            if position < len(text) and text[position] == ",":
                position = skip_space(position + 1)
                continue
            if position < len(text) and text[position] == "]":
                position = skip_space(position + 1)
                break
            raise refuse(position, "JSON 格式错误：缺少英文逗号“,”或“]”。")
    if position != len(text):
        raise refuse(position, "JSON 格式错误：列表结束后还有多余内容。")
    return Parsed(records, problems)


def _syntax(error: json.JSONDecodeError) -> FileRefused:
    where = f"第 {error.lineno} 行第 {error.colno} 列"
    return FileRefused([Problem(where, f"JSON 格式错误：{syntax_reason(error)}。")])
