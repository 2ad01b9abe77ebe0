"""`manage.py import_items FILE --by USERNAME [--create-departments] [--publish] [--dry-run]`:
load service items from a JSON export or an xlsx workbook (docs/catalog-import.md).

All or nothing: every problem is listed with its place in the file (sheet, row and column;
or item, code and field) and the reason, the command exits with status 1, and nothing is
written. Progress goes to stderr, the summary to stdout.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wangban.accounts.models import User
from wangban.catalog.transfer.importer import ImportSummary, import_items
from wangban.catalog.transfer.jsonio import load_items
from wangban.catalog.transfer.records import FileRefused, Parsed, Problem
from wangban.catalog.transfer.xlsxio import read_workbook

XLSX_MAGIC = b"PK\x03\x04"


def read_file(path: Path, fmt: str | None, progress: Any = None) -> Parsed:
    """The items of a JSON or xlsx file (by `fmt`, else the extension, else the content)."""
    try:
        with path.open("rb") as stream:
            head = stream.read(4)
    except FileNotFoundError as error:
        raise FileRefused([Problem("", f"文件不存在：{path}")]) from error
    except OSError as error:
        raise FileRefused([Problem("", f"无法读取文件：{path}")]) from error
    suffix = path.suffix.lower()
    fmt = fmt or {".json": "json", ".xlsx": "xlsx"}.get(suffix)
    fmt = fmt or ("xlsx" if head == XLSX_MAGIC else "json")
    if fmt == "xlsx":
        with path.open("rb") as stream:  # a stream: openpyxl would insist on the extension
            return read_workbook(stream, progress)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise FileRefused([Problem("", "JSON 文件不是 UTF-8 编码。")]) from error
    return load_items(text)


def summary_lines(summary: ImportSummary) -> list[str]:
    counts = (
        f"新增 {len(summary.created)}、调整 {len(summary.adjusted)}、未变 {len(summary.unchanged)}"
    )
    changed = summary.created or summary.adjusted
    if summary.dry_run:
        lines = [f"检查通过，未写入任何内容：将{counts}。"]
    elif summary.publish and changed:
        lines = [f"导入完成：{counts}；新增和调整的事项已发布，今日生效。"]
    elif changed:
        lines = [f"导入完成：{counts}；新增和调整的事项为草稿，提交审核后由中心发布。"]
    else:
        lines = [f"导入完成：{counts}；目录没有变化。"]
    if summary.departments:
        verb = "将新建" if summary.dry_run else "新建"
        lines.append(
            f"{verb}部门 {len(summary.departments)} 个：{'、'.join(summary.departments)}。"
        )
    if summary.file_references:
        lines.append(
            f"注意：{summary.file_references} 个事项带有附件引用（空白表格、填写示例或审批结果"
            "样本）。附件不随文件导入：新增的事项请在工作台上传；调整的事项保留目录中同一材料"
            "编码的附件。"
        )
    return lines


class Command(BaseCommand):
    help = (
        "导入政务服务事项（JSON：导出格式，即接口的事项列表；或 xlsx 模板）。全部校验通过才写入，"
        "任何一处有误则列出全部问题、不写入任何内容。详见 docs/catalog-import.md。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="JSON 或 xlsx 文件")
        parser.add_argument(
            "--by",
            required=True,
            metavar="USERNAME",
            help="导入人的用户名：中心管理员，或（不加 --publish 时）事项所属部门的部门管理员",
        )
        parser.add_argument(
            "--create-departments",
            action="store_true",
            help="文件中不存在的部门按文件中的名称新建（仅中心管理员）",
        )
        parser.add_argument(
            "--publish", action="store_true", help="导入后直接发布，今日生效（仅中心管理员）"
        )
        parser.add_argument("--dry-run", action="store_true", help="只校验，不写入")
        parser.add_argument("--format", choices=["json", "xlsx"], help="文件格式（默认按扩展名）")
        parser.add_argument("--reason", default="", help="变更原因（默认：批量导入（文件名））")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        actor = User.objects.select_related("department").filter(username=options["by"]).first()
        if actor is None:
            raise CommandError(f"用户“{options['by']}”不存在。")

        def progress(message: str) -> None:
            self.stderr.write(message)
            self.stderr.flush()

        try:
            parsed = read_file(path, options["format"], progress)
            summary = import_items(
                parsed,
                actor=actor,
                publish=options["publish"],
                create_departments=options["create_departments"],
                dry_run=options["dry_run"],
                source_name=path.name,
                reason=options["reason"],
                progress=progress,
            )
        except FileRefused as error:
            lines = [f"未导入任何事项：{path.name} 有 {len(error.problems)} 处问题。"]
            lines.extend(str(problem) for problem in error.problems)
            raise CommandError("\n".join(lines)) from error
        for line in summary_lines(summary):
            self.stdout.write(line)
        sys.stdout.flush()
