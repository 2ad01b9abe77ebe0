"""`manage.py import_holidays FILE`: load an official holiday schedule into the calendar.

The file is CSV with the header `date,kind,name` or JSON (a list of objects with the keys
`date`, `kind`, `name`), chosen by the extension (.csv / .json) or else by the content
(a file starting with `[` is JSON). `kind` is `off` (休息日) or `work` (调休上班日). In CSV,
lines starting with `#` are comments (e.g. the notice the schedule comes from).

All or nothing: a bad row (bad date, unknown kind, missing name, duplicate date, …) is
refused with its line number and the reason, and nothing from the file is loaded. Rows
for a date already present are updated. Writing goes through
`wangban.core.actions.do_change_holidays`, so the cached calendar of every process is
rebuilt. See docs/calendar.md.
"""

from __future__ import annotations

import csv
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from wangban.core.actions import NAME_MAX_LENGTH, do_change_holidays
from wangban.core.calendar import KINDS, HolidayEntry, active_calendar, calendar_warnings
from wangban.core.errors import InvalidInput

HEADER = ("date", "kind", "name")
DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")
MAX_ERRORS_SHOWN = 50


class HolidayFileError(ValueError):
    """A file refused as a whole; `errors` lists each problem with its line."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("\n".join(errors))


def _check_row(
    line: int, raw: dict[str, Any], seen: dict[date, int]
) -> tuple[HolidayEntry | None, list[str]]:
    problems: list[str] = []
    where = f"第 {line} 行"
    raw_date, raw_kind, raw_name = raw.get("date"), raw.get("kind"), raw.get("name")
    day: date | None = None
    text = str(raw_date).strip() if raw_date is not None else ""
    if not text:
        problems.append(f"{where}：缺少日期。")
    elif not isinstance(raw_date, str) or not DATE_PATTERN.fullmatch(text):
        problems.append(f"{where}：日期“{text}”格式无效，应为 YYYY-MM-DD（如 2027-10-01）。")
    else:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            problems.append(f"{where}：日期“{text}”不存在。")
    kind = str(raw_kind).strip() if raw_kind is not None else ""
    if not kind:
        problems.append(f"{where}：缺少类型（off 休息日 或 work 调休上班日）。")
    elif kind not in KINDS:
        problems.append(f"{where}：类型“{kind}”无效，应为 off（休息日）或 work（调休上班日）。")
    name = str(raw_name).strip() if raw_name is not None else ""
    if not name:
        problems.append(f"{where}：缺少名称（如：春节）。")
    elif len(name) > NAME_MAX_LENGTH:
        problems.append(f"{where}：名称超过 {NAME_MAX_LENGTH} 个字。")
    if day is not None:
        if day in seen:
            problems.append(f"{where}：日期 {day.isoformat()} 与第 {seen[day]} 行重复。")
        else:
            seen[day] = line
    if problems or day is None:
        return None, problems
    return HolidayEntry(day, kind, name), []


def _records_from_csv(text: str) -> list[tuple[int, dict[str, Any]]]:
    lines = text.splitlines(keepends=True)
    # Comments and blank lines are dropped, keeping each remaining line's number.
    kept = [
        (number, line)
        for number, line in enumerate(lines, start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not kept:
        raise HolidayFileError(["文件为空：第一行应为表头 date,kind,name。"])
    header_line, header_text = kept[0]
    header = tuple(cell.strip().lower() for cell in next(csv.reader([header_text])))
    if header != HEADER:
        raise HolidayFileError(
            [f"第 {header_line} 行：表头应为 date,kind,name，实际为“{header_text.strip()}”。"]
        )
    records: list[tuple[int, dict[str, Any]]] = []
    errors: list[str] = []
    for number, line in kept[1:]:
        cells = next(csv.reader([line]))
        if len(cells) != len(HEADER):
            errors.append(f"第 {number} 行：应有 3 列（date,kind,name），实际为 {len(cells)} 列。")
            continue
        records.append((number, dict(zip(HEADER, cells, strict=True))))
    if errors:
        raise HolidayFileError(errors)
    return records


def _records_from_json(text: str) -> list[tuple[int, dict[str, Any]]]:
    """Decode a JSON list element by element, to know the line on which each object starts."""
    decoder = json.JSONDecoder()

    def line_of(position: int) -> int:
        return text.count("\n", 0, position) + 1

    def skip_space(position: int) -> int:
        while position < len(text) and text[position] in " \t\r\n":
            position += 1
        return position

    def syntax_error(error: json.JSONDecodeError) -> HolidayFileError:
        return HolidayFileError([f"第 {error.lineno} 行：JSON 格式错误（{error.msg}）。"])

    position = skip_space(0)
    if position >= len(text) or text[position] != "[":
        raise HolidayFileError([f"第 {line_of(position)} 行：JSON 文件应为对象列表（以 [ 开始）。"])
    position = skip_space(position + 1)
    records: list[tuple[int, dict[str, Any]]] = []
    errors: list[str] = []
    if position < len(text) and text[position] == "]":
        return records
    while True:
        start = position
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            raise syntax_error(error) from error
        if isinstance(value, dict):
            records.append((line_of(start), value))
        else:
            errors.append(f"第 {line_of(start)} 行：每一项应为含 date、kind、name 的对象。")
        position = skip_space(position)
        if position < len(text) and text[position] == ",":
            position = skip_space(position + 1)
            continue
        if position < len(text) and text[position] == "]":
            position = skip_space(position + 1)
            break
        raise HolidayFileError([f"第 {line_of(position)} 行：JSON 格式错误（缺少 , 或 ]）。"])
    if position != len(text):
        errors.append(f"第 {line_of(position)} 行：列表结束后还有多余内容。")
    if errors:
        raise HolidayFileError(errors)
    return records


def parse_holidays(text: str, fmt: str | None = None) -> list[HolidayEntry]:
    """Parse a holiday file's text (`fmt` "csv" or "json"; None guesses from the content).

    Raises HolidayFileError listing every bad row with its line number, so that nothing
    of a bad file is loaded."""
    text = text.removeprefix("\ufeff")
    if fmt is None:
        fmt = "json" if text.lstrip().startswith("[") else "csv"
    records = _records_from_json(text) if fmt == "json" else _records_from_csv(text)
    if not records:
        raise HolidayFileError(["文件中没有任何节假日记录。"])
    seen: dict[date, int] = {}
    entries: list[HolidayEntry] = []
    errors: list[str] = []
    for line, raw in records:
        entry, problems = _check_row(line, raw, seen)
        errors.extend(problems)
        if entry is not None:
            entries.append(entry)
    if errors:
        raise HolidayFileError(errors)
    return entries


def parse_holiday_file(path: Path) -> list[HolidayEntry]:
    suffix = path.suffix.lower()
    fmt = {".csv": "csv", ".json": "json"}.get(suffix)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise HolidayFileError([f"文件不存在：{path}"]) from error
    except UnicodeDecodeError as error:
        raise HolidayFileError([f"文件不是 UTF-8 编码：{path}"]) from error
    return parse_holidays(text, fmt)


class Command(BaseCommand):
    help = (
        "导入节假日安排（CSV：表头 date,kind,name；或 JSON 对象列表）。kind 为 off（休息日）"
        "或 work（调休上班日）。任何一行有误则整个文件都不导入；已有日期的记录会被更新。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="CSV 或 JSON 文件")
        parser.add_argument("--dry-run", action="store_true", help="只检查文件，不写入数据库")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            entries = parse_holiday_file(path)
        except HolidayFileError as error:
            shown = error.errors[:MAX_ERRORS_SHOWN]
            more = len(error.errors) - len(shown)
            lines = [f"未导入任何记录：{path.name} 有 {len(error.errors)} 处错误。", *shown]
            if more:
                lines.append(f"……另有 {more} 处错误未列出。")
            raise CommandError("\n".join(lines)) from error
        years = "、".join(str(y) for y in sorted({e.date.year for e in entries}))
        if options["dry_run"]:
            self.stdout.write(f"检查通过：{len(entries)} 条记录（{years} 年），未写入。")
            return
        try:
            summary = do_change_holidays(entries)
        except InvalidInput as error:
            raise CommandError(f"未导入任何记录：{error.message}") from error
        self.stdout.write(
            self.style.SUCCESS(
                f"已导入 {len(entries)} 条记录（{years} 年）：新增 {len(summary.created)} 条，"
                f"更新 {len(summary.updated)} 条，未变 {len(summary.unchanged)} 条。"
            )
        )
        for warning in calendar_warnings(timezone.localdate(), active_calendar()):
            self.stdout.write(self.style.WARNING(warning))
