"""`manage.py import_holidays FILE`: CSV and JSON, all or nothing, line-numbered errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from wangban.core.calendar import (
    OFF,
    SHANGHAI,
    WORK,
    HolidayEntry,
    add_working_days,
    invalidate_calendar_cache,
    is_working_day,
)
from wangban.core.management.commands.import_holidays import parse_holiday_file
from wangban.core.models import HolidayCalendarVersion, HolidayRow

EXAMPLE = Path(settings.BASE_DIR) / "docs" / "examples" / "holidays-2027.csv"

GOOD_CSV = """date,kind,name
2027-01-01,off,元旦
2027-01-02,off,元旦
2027-01-03,off,元旦
2027-01-30,work,春节调休
"""


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    invalidate_calendar_cache()
    yield
    invalidate_calendar_cache()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(path: Path, *args: str) -> str:
    out = StringIO()
    call_command("import_holidays", str(path), *args, stdout=out)
    return out.getvalue()


def rows() -> list[tuple[date, str, str]]:
    return list(HolidayRow.objects.values_list("date", "kind", "name"))


@pytest.mark.django_db
def test_a_good_csv_is_loaded_and_the_calendar_rebuilt(tmp_path: Path) -> None:
    assert add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 1)
    with time_machine.travel(datetime(2026, 11, 25, 10, tzinfo=SHANGHAI), tick=False):
        output = run(write(tmp_path, "2027.csv", GOOD_CSV))
    assert output == "已导入 4 条记录（2027 年）：新增 4 条，更新 0 条，未变 0 条。\n"
    assert rows() == [
        (date(2027, 1, 1), OFF, "元旦"),
        (date(2027, 1, 2), OFF, "元旦"),
        (date(2027, 1, 3), OFF, "元旦"),
        (date(2027, 1, 30), WORK, "春节调休"),
    ]
    assert add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)
    assert is_working_day(date(2027, 1, 30)) is True  # a Saturday
    assert HolidayCalendarVersion.objects.get().version == 1


@pytest.mark.django_db
def test_a_good_json_is_loaded(tmp_path: Path) -> None:
    data = [
        {"date": "2027-10-01", "kind": "off", "name": "国庆节"},
        {"date": "2027-10-09", "kind": "work", "name": "国庆节调休"},
    ]
    output = run(write(tmp_path, "2027.json", json.dumps(data, ensure_ascii=False, indent=2)))
    assert output.startswith("已导入 2 条记录（2027 年）：新增 2 条，")
    assert rows() == [(date(2027, 10, 1), OFF, "国庆节"), (date(2027, 10, 9), WORK, "国庆节调休")]
    assert add_working_days(date(2027, 9, 30), 1) == date(2027, 10, 4)


@pytest.mark.django_db
def test_the_format_is_guessed_from_the_content(tmp_path: Path) -> None:
    run(write(tmp_path, "schedule.txt", '[{"date": "2027-01-01", "kind": "off", "name": "元旦"}]'))
    run(write(tmp_path, "schedule", "date,kind,name\n2027-01-02,off,元旦\n"))
    assert [r[0] for r in rows()] == [date(2027, 1, 1), date(2027, 1, 2)]


@pytest.mark.django_db
def test_excel_bom_comments_and_blank_lines_are_accepted(tmp_path: Path) -> None:
    text = "\ufeff# 来源：示例\ndate,kind,name\r\n\r\n2027-01-01,off,元旦\r\n# 注释\r\n"
    run(write(tmp_path, "2027.csv", text))
    assert rows() == [(date(2027, 1, 1), OFF, "元旦")]


@pytest.mark.django_db
def test_a_reimport_updates_rows_for_dates_already_present(tmp_path: Path) -> None:
    run(write(tmp_path, "first.csv", GOOD_CSV))
    again = "date,kind,name\n2027-01-03,work,元旦调休\n2027-01-01,off,元旦\n2027-01-04,off,补假\n"
    output = run(write(tmp_path, "second.csv", again))
    assert output.startswith("已导入 3 条记录（2027 年）：新增 1 条，更新 1 条，未变 1 条。")
    assert rows() == [
        (date(2027, 1, 1), OFF, "元旦"),
        (date(2027, 1, 2), OFF, "元旦"),
        (date(2027, 1, 3), WORK, "元旦调休"),
        (date(2027, 1, 4), OFF, "补假"),
        (date(2027, 1, 30), WORK, "春节调休"),
    ]
    assert add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 3)
    assert HolidayCalendarVersion.objects.get().version == 2


@pytest.mark.django_db
def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    output = run(write(tmp_path, "2027.csv", GOOD_CSV), "--dry-run")
    assert output == "检查通过：4 条记录（2027 年），未写入。\n"
    assert rows() == []


@pytest.mark.django_db
def test_the_import_warns_when_next_year_is_still_missing(tmp_path: Path) -> None:
    with time_machine.travel(datetime(2027, 11, 3, 10, tzinfo=SHANGHAI), tick=False):
        output = run(write(tmp_path, "2027.csv", GOOD_CSV))
    assert output.splitlines()[1].startswith("2028 年的节假日安排尚未导入。")


BAD_CSV_CASES = [
    (
        "date,kind,name\n2027-01-01,off,元旦\n2027/01/02,off,元旦\n",
        "第 3 行：日期“2027/01/02”格式无效，应为 YYYY-MM-DD（如 2027-10-01）。",
    ),
    ("date,kind,name\n2027-02-30,off,春节\n", "第 2 行：日期“2027-02-30”不存在。"),
    ("date,kind,name\n,off,春节\n", "第 2 行：缺少日期。"),
    (
        "date,kind,name\n2027-01-01,holiday,元旦\n",
        "第 2 行：类型“holiday”无效，应为 off（休息日）或 work（调休上班日）。",
    ),
    ("date,kind,name\n2027-01-01,,元旦\n", "第 2 行：缺少类型（off 休息日 或 work 调休上班日）。"),
    ("date,kind,name\n2027-01-01,off,\n", "第 2 行：缺少名称（如：春节）。"),
    ("date,kind,name\n2027-01-01,off,  \n", "第 2 行：缺少名称（如：春节）。"),
    (f"date,kind,name\n2027-01-01,off,{'节' * 51}\n", "第 2 行：名称超过 50 个字。"),
    (
        "date,kind,name\n2027-01-01,off,元旦\n# 注释\n2027-01-01,work,元旦\n",
        "第 4 行：日期 2027-01-01 与第 2 行重复。",
    ),
    ("date,kind,name\n2027-01-01,off\n", "第 2 行：应有 3 列（date,kind,name），实际为 2 列。"),
    (
        "date,kind,name\n2027-01-01,off,元旦,多余\n",
        "第 2 行：应有 3 列（date,kind,name），实际为 4 列。",
    ),
    (
        "日期,类型,名称\n2027-01-01,off,元旦\n",
        "第 1 行：表头应为 date,kind,name，实际为“日期,类型,名称”。",
    ),
    ("", "文件为空：第一行应为表头 date,kind,name。"),
    ("date,kind,name\n", "文件中没有任何节假日记录。"),
]


@pytest.mark.parametrize(("text", "message"), BAD_CSV_CASES)
@pytest.mark.django_db
def test_a_bad_csv_row_refuses_the_whole_file(tmp_path: Path, text: str, message: str) -> None:
    run(write(tmp_path, "before.csv", "date,kind,name\n2027-05-01,off,劳动节\n"))
    before = rows()
    with pytest.raises(CommandError) as caught:
        run(write(tmp_path, "bad.csv", text))
    assert str(caught.value).startswith("未导入任何记录：bad.csv 有 1 处错误。\n")
    assert str(caught.value).splitlines()[1] == message
    assert rows() == before
    assert HolidayCalendarVersion.objects.get().version == 1


BAD_JSON_CASES = [
    (
        (
            '[\n  {"date": "2027-01-01", "kind": "off", "name": "元旦"},\n'
            '  {"date": "2027-13-01", "kind": "off", "name": "元旦"}\n]'
        ),
        "第 3 行：日期“2027-13-01”不存在。",
    ),
    (
        '[\n  {"date": 20270101, "kind": "off", "name": "元旦"}\n]',
        "第 2 行：日期“20270101”格式无效，应为 YYYY-MM-DD（如 2027-10-01）。",
    ),
    (
        '[\n  {"date": "2027-01-01", "kind": "rest",\n   "name": "元旦"}\n]',
        "第 2 行：类型“rest”无效，应为 off（休息日）或 work（调休上班日）。",
    ),
    ('[\n  {"date": "2027-01-01", "kind": "off"}\n]', "第 2 行：缺少名称（如：春节）。"),
    (
        (
            '[\n  {"date": "2027-01-01", "kind": "off", "name": "元旦"},\n'
            '  {"date": "2027-01-01", "kind": "work", "name": "元旦"}\n]'
        ),
        "第 3 行：日期 2027-01-01 与第 2 行重复。",
    ),
    (
        '[\n  {"date": "2027-01-01", "kind": "off", "name": "元旦"},\n  "2027-01-02"\n]',
        "第 3 行：每一项应为含 date、kind、name 的对象。",
    ),
    (
        '[\n  {"date": "2027-01-01", "kind": "off", "name": "元旦"}\n  {"date": "2027-01-02"}\n]',
        "第 3 行：JSON 格式错误（缺少 , 或 ]）。",
    ),
    (
        '[\n  {"date": "2027-01-01", "kind": "off", "name": 元旦}\n]',
        "第 2 行：JSON 格式错误（Expecting value）。",
    ),
    (
        '{"date": "2027-01-01", "kind": "off", "name": "元旦"}',
        "第 1 行：JSON 文件应为对象列表（以 [ 开始）。",
    ),
    ("[]", "文件中没有任何节假日记录。"),
    (
        '[{"date": "2027-01-01", "kind": "off", "name": "元旦"}]\n[]',
        "第 2 行：列表结束后还有多余内容。",
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD_JSON_CASES)
@pytest.mark.django_db
def test_a_bad_json_row_refuses_the_whole_file(tmp_path: Path, text: str, message: str) -> None:
    run(write(tmp_path, "before.csv", "date,kind,name\n2027-05-01,off,劳动节\n"))
    before = rows()
    with pytest.raises(CommandError) as caught:
        run(write(tmp_path, "bad.json", text))
    assert str(caught.value).splitlines()[1] == message
    assert rows() == before


@pytest.mark.django_db
def test_every_bad_row_is_listed(tmp_path: Path) -> None:
    text = "date,kind,name\n2027-01-01,off,元旦\n2027-01-32,off,元旦\n2027-01-03,x,\n"
    with pytest.raises(CommandError) as caught:
        run(write(tmp_path, "bad.csv", text))
    assert str(caught.value) == (
        "未导入任何记录：bad.csv 有 3 处错误。\n"
        "第 3 行：日期“2027-01-32”不存在。\n"
        "第 4 行：类型“x”无效，应为 off（休息日）或 work（调休上班日）。\n"
        "第 4 行：缺少名称（如：春节）。"
    )
    assert rows() == []


@pytest.mark.django_db
def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="文件不存在"):
        run(tmp_path / "missing.csv")


@pytest.mark.django_db
def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes("date,kind,name\n2027-01-01,off,元旦\n".encode("gbk"))
    with pytest.raises(CommandError, match="不是 UTF-8 编码"):
        run(path)
    assert rows() == []


def test_the_documented_example_file_parses() -> None:
    entries = parse_holiday_file(EXAMPLE)
    assert len(entries) == 35
    assert {e.date.year for e in entries} == {2027}
    assert entries[0] == HolidayEntry(date(2027, 1, 1), OFF, "元旦")
    assert {e.kind for e in entries} == {OFF, WORK}
    assert all(e.date.weekday() >= 5 for e in entries if e.kind == WORK)
    assert "并非国务院办公厅公布" in EXAMPLE.read_text(encoding="utf-8")
