"""The workbook format departments keep: sheets 事项 (one row per item), 申请材料, 审批环节, 收费
and 特别程序 (one row per entry, tied to its item by 实施编码, in order), and a 说明 sheet
that explains every column and code. Layout in `columns`; docs/catalog-import.md.

Writing uses openpyxl's write-only mode and writes every string as a text cell (never a
formula: a value such as `=HYPERLINK(…)` stays text, as in the audit export). Reading uses
the read-only mode and cached values (a formula someone typed is never evaluated here).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO, Any
from zipfile import BadZipFile

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from wangban.catalog.models import OnlineServiceLevel
from wangban.catalog.transfer.columns import (
    CODE_SETS,
    ITEM_SHEET,
    OWNER_KEY,
    README_TITLE,
    SHEETS,
    CellError,
    Column,
    Sheet,
    read_cell,
    write_cell,
)
from wangban.catalog.transfer.records import FileRefused, ItemRecord, Parsed, Problem

Progress = Callable[[str], None]
LIST_PATH = re.compile(r"^(\w+)\[(\d+)\]\.(\w+)$")
SHEETS_BY_LIST = {sheet.list_key: sheet for sheet in SHEETS if sheet.list_key}
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
VALIDATION_ROWS = 20000


def level_labels() -> dict[str, str]:
    """Code → label of the centre's online service levels (一级–四级 by default)."""
    return dict(OnlineServiceLevel.objects.values_list("code", "label"))


# Reading -------------------------------------------------------------------------------


@dataclass
class _Item:
    """An item row being assembled, and the rows of its entries on the other sheets."""

    row: int
    data: dict[str, Any]
    positions: dict[str, dict[str, int]]
    rows: dict[str, list[int]] = field(default_factory=dict)
    flagged: set[str] = field(default_factory=set)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _where(sheet: Sheet, row: int, position: int | None, column: Column | None) -> str:
    if position is None or column is None:
        return f"{sheet.title} 第 {row} 行"
    return f"{sheet.title} 第 {row} 行 {get_column_letter(position + 1)} 列（{column.header}）"


def _header(sheet: Sheet, values: Iterable[Any], problems: list[Problem]) -> dict[int, Column]:
    """Column position → Column, from the header row; unknown, repeated and missing
    headers are problems."""
    by_header = {column.header: column for column in sheet.columns}
    found: dict[int, Column] = {}
    seen: set[str] = set()
    for position, value in enumerate(values):
        if _blank(value):
            continue
        header = str(value).strip()
        where = f"{sheet.title} 第 1 行 {get_column_letter(position + 1)} 列"
        column = by_header.get(header)
        if column is None:
            problems.append(Problem(where, f"未知的列“{header}”。"))
        elif header in seen:
            problems.append(Problem(where, f"列“{header}”重复。"))
        else:
            seen.add(header)
            found[position] = column
    for column in sheet.columns:
        if column.required and column.header not in seen:
            problems.append(Problem(f"{sheet.title} 第 1 行", f"缺少必填列“{column.header}”。"))
    return found


def _put(data: dict[str, Any], key: str, value: Any) -> None:
    if "." in key:
        outer, inner = key.split(".", 1)
        data.setdefault(outer, {})[inner] = value
    else:
        data[key] = value


def _read_row(
    sheet: Sheet,
    row_number: int,
    values: tuple[Any, ...],
    columns: dict[int, Column],
    level_codes: dict[str, str],
    problems: list[Problem],
    flagged: set[str],
    position: int = 0,
) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for index, column in columns.items():
        value = values[index] if index < len(values) else None
        if _blank(value):
            continue
        try:
            _put(data, column.key, read_cell(column, value, level_codes))
        except CellError as error:
            where = _where(sheet, row_number, index, column)
            problems.append(Problem(where, str(error), position))
            flagged.add(column.key)
    return data


def _rows(worksheet: Any) -> Iterable[tuple[int, tuple[Any, ...]]]:
    for number, values in enumerate(worksheet.iter_rows(min_row=2, values_only=True), start=2):
        if not all(_blank(value) for value in values):
            yield number, values


def _locator(item: _Item, code: str) -> Callable[[str], str]:
    def locate(path: str) -> str:
        match = LIST_PATH.match(path)
        if match and match.group(1) in SHEETS_BY_LIST:
            sheet = SHEETS_BY_LIST[match.group(1)]
            index, key = int(match.group(2)), match.group(3)
            rows = item.rows.get(sheet.list_key or "", [])
            if index < len(rows):
                position = item.positions[sheet.title].get(key)
                return _where(sheet, rows[index], position, sheet.column(key))
        if path in SHEETS_BY_LIST:
            sheet = SHEETS_BY_LIST[path]
            rows = item.rows.get(path, [])
            span = f"第 {rows[0]}–{rows[-1]} 行，" if rows else ""
            return f"{sheet.title}（{span}实施编码 {code}，事项 第 {item.row} 行）"
        column = ITEM_SHEET.column(path) or ITEM_SHEET.column(f"{path}.code")
        if column is None and path == "guide":
            column = next(c for c in ITEM_SHEET.columns if c.key.startswith("guide."))
        position = item.positions[ITEM_SHEET.title].get(column.key) if column else None
        return _where(ITEM_SHEET, item.row, position, column)

    return locate


def read_workbook(source: str | IO[bytes], progress: Progress | None = None) -> Parsed:
    """Read a workbook into items. Problems of structure (an unknown sheet or column, a
    missing required column, no 事项 sheet) refuse the file at once (FileRefused); problems
    of cells and rows are returned with the items, to be reported with the others."""
    try:
        workbook = load_workbook(source, read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, KeyError, OSError, ValueError) as error:
        raise FileRefused([Problem("", "文件不是有效的 xlsx 工作簿。")]) from error
    try:
        return _read(workbook, progress)
    finally:
        workbook.close()


def _read(workbook: Any, progress: Progress | None) -> Parsed:
    known = {sheet.title for sheet in SHEETS} | {README_TITLE}
    problems: list[Problem] = [
        Problem(
            f"工作表“{title}”",
            f"未知的工作表，应为：{'、'.join(s.title for s in SHEETS)}（以及{README_TITLE}）。",
        )
        for title in workbook.sheetnames
        if title not in known
    ]
    if ITEM_SHEET.title not in workbook.sheetnames:
        problems.append(Problem("", f"缺少“{ITEM_SHEET.title}”工作表。"))
    sheets = [s for s in SHEETS if s.title in workbook.sheetnames]
    headers: dict[str, dict[int, Column]] = {}
    for sheet in sheets:
        first = next(workbook[sheet.title].iter_rows(max_row=1, values_only=True), ())
        headers[sheet.title] = _header(sheet, first, problems)
    if problems:
        raise FileRefused(problems)

    positions = {
        title: {column.key: position for position, column in columns.items()}
        for title, columns in headers.items()
    }
    codes = {str(code): str(code) for code in level_labels()}
    codes.update({label: code for code, label in level_labels().items()})
    items: list[_Item] = []
    by_code: dict[str, _Item] = {}
    for number, values in _rows(workbook[ITEM_SHEET.title]):
        flagged: set[str] = set()
        data = _read_row(
            ITEM_SHEET,
            number,
            values,
            headers[ITEM_SHEET.title],
            codes,
            problems,
            flagged,
            position=len(items) + 1,
        )
        item = _Item(number, data, positions, flagged=flagged)
        items.append(item)
        code = data.get("code")
        if isinstance(code, str) and code and code not in by_code:
            by_code[code] = item
    if progress:
        progress(f"已读取“{ITEM_SHEET.title}”{len(items)} 行")

    for sheet in sheets[1:]:
        list_key = sheet.list_key or ""
        for item in items:
            item.data[list_key] = []
        count = 0
        for number, values in _rows(workbook[sheet.title]):
            count += 1
            entry = _read_row(sheet, number, values, headers[sheet.title], codes, problems, set())
            code = entry.pop(OWNER_KEY, None)
            position = positions[sheet.title].get(OWNER_KEY)
            where = _where(sheet, number, position, sheet.column(OWNER_KEY))
            owner = by_code.get(code) if isinstance(code, str) else None
            if _blank(code):
                problems.append(Problem(where, "请填写实施编码。"))
            elif owner is None:
                problems.append(
                    Problem(where, f"实施编码“{code}”在“{ITEM_SHEET.title}”表中没有对应的行。")
                )
            else:
                # Cells the reader could not read are reported already, under this row.
                owner.data[list_key].append(entry)
                owner.rows.setdefault(list_key, []).append(number)
        if progress:
            progress(f"已读取“{sheet.title}”{count} 行")

    records = [
        ItemRecord(
            position=index,
            data=item.data,
            locate=_locator(item, str(item.data.get("code", ""))),
            flagged=item.flagged,
        )
        for index, item in enumerate(items, start=1)
    ]
    return Parsed(records, problems)


# Writing -------------------------------------------------------------------------------


def _cell(worksheet: Any, value: Any, font: Font | None = None) -> Any:
    """A cell for the workbook: strings always as text cells, whatever they start with
    (formula-injection guard), with the control characters XML cannot hold shown as
    `\\xNN`."""
    if not isinstance(value, str) and font is None:
        return value
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
    cell = WriteOnlyCell(worksheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    if font is not None:
        cell.font = font
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="center")
    return cell


def _value(item: dict[str, Any], key: str) -> Any:
    if "." in key:
        outer, inner = key.split(".", 1)
        container = item.get(outer)
        return container.get(inner) if isinstance(container, dict) else None
    return item.get(key)


def _setup_sheet(workbook: Workbook, sheet: Sheet) -> Any:
    worksheet = workbook.create_sheet(sheet.title)
    worksheet.freeze_panes = "B2"
    for position, column in enumerate(sheet.columns, start=1):
        letter = get_column_letter(position)
        width = 40 if column.kind == "json" else max(12, len(column.header) * 2 + 4)
        worksheet.column_dimensions[letter].width = width
        if column.kind == "code" and column.choices is not None:
            labels = ",".join(str(label) for label in column.choices.labels)
            validation = DataValidation(
                type="list", formula1=f'"{labels}"', allow_blank=True, showErrorMessage=False
            )
            validation.add(f"{letter}2:{letter}{VALIDATION_ROWS}")
            worksheet.data_validations.append(validation)
    worksheet.append([_cell(worksheet, column.header, HEADER_FONT) for column in sheet.columns])
    return worksheet


def write_workbook(
    items: list[dict[str, Any]],
    stream: IO[bytes],
    progress: Progress | None = None,
    levels: dict[str, str] | None = None,
) -> None:
    """Write items (API representations) in the workbook layout; with no items, the empty
    template. The first sheet is the README (说明). `levels`: code → label of the online
    service levels, read from the database when not given."""
    labels = level_labels() if levels is None else levels
    workbook = Workbook(write_only=True)
    _write_readme(workbook, labels)
    for sheet in SHEETS:
        worksheet = _setup_sheet(workbook, sheet)
        for item in items:
            entries = [item] if sheet.list_key is None else item.get(sheet.list_key) or []
            for entry in entries:
                row = []
                for column in sheet.columns:
                    if sheet.list_key is not None and column.key == OWNER_KEY:
                        value = item.get("code")
                    else:
                        value = write_cell(column, _value(entry, column.key), labels)
                    row.append(_cell(worksheet, value))
                worksheet.append(row)
        if progress:
            progress(f"已写入“{sheet.title}”")
    workbook.save(stream)


README_INTRO = (
    "政务服务事项导入模板",
    (
        "用法：manage.py import_items 文件.xlsx --by 用户名 [--create-departments] [--publish] "
        "[--dry-run]；详见 docs/catalog-import.md。"
    ),
    (
        "工作表：事项（每行一个事项）；申请材料、审批环节、收费、特别程序（每行一条，第一列为所属"
        "事项的实施编码，按顺序排列）。本“说明”表导入时忽略。"
    ),
    "全部或全部不导入：任何一处有误，将列出每处问题（工作表、行、列和原因），不写入任何内容。",
    "代码列可填代码或中文名称（如“01”或“行政许可”，“working_days”或“工作日”）；多个值用“、”分隔。",
    "附件（空白表格、填写示例、审批结果样本）不随表格导入，请在工作台上传。",
)


KIND_NOTES = {"text": "文字。", "int": "整数。", "bool": "是 / 否。", "codes": "多个值用“、”分隔。"}


def _write_readme(workbook: Workbook, labels: dict[str, str]) -> None:
    worksheet = workbook.create_sheet(README_TITLE)
    for letter, width in zip("ABCDEF", (16, 24, 8, 60, 40, 12), strict=True):
        worksheet.column_dimensions[letter].width = width
    bold = Font(bold=True)

    def heading(*values: Any) -> None:
        worksheet.append([_cell(worksheet, value, bold) for value in values])

    def line(*values: Any) -> None:
        worksheet.append([_cell(worksheet, value) for value in values])

    heading(README_INTRO[0])
    for text in README_INTRO[1:]:
        line(text)
    line()
    heading("工作表", "列名", "必填", "说明", "示例")
    for sheet in SHEETS:
        line(sheet.title, "", "", sheet.note)
        for column in sheet.columns:
            note = column.note or KIND_NOTES.get(column.kind, "")
            if column.choices is not None:
                note = f"{note}代码见下方“{_code_set_name(column)}”。".lstrip()
            if column.kind == "level":
                note = "代码或名称，见下方“网上办理等级”。"
            line("", column.header, "是" if column.required else "", note, column.example)
    line()
    heading("代码集", "代码", "名称")
    for name, choices in CODE_SETS:
        for code, label in choices.choices:
            line(name, code, label)
    for code, label in labels.items():
        line("网上办理等级", code, label)
    line()
    heading("示例行")
    for sheet in SHEETS:
        line(sheet.title)
        line(*(column.header for column in sheet.columns))
        line(*(column.example for column in sheet.columns))


def _code_set_name(column: Column) -> str:
    return next((name for name, choices in CODE_SETS if choices is column.choices), column.header)
