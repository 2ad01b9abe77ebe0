"""`manage.py export_items FILE [--department CODE] [--format json|xlsx] [--template]`: write
the published catalogue as JSON (the API's item representation, a list in code order) or as
the xlsx workbook that `import_items` reads; `--template` writes the empty workbook with its
README sheet (docs/items-template.xlsx is made this way). See docs/catalog-import.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wangban.accounts.models import Department
from wangban.catalog.transfer.export import exported_items
from wangban.catalog.transfer.jsonio import dump_items, file_references
from wangban.catalog.transfer.xlsxio import write_workbook


class Command(BaseCommand):
    help = (
        "导出已发布的政务服务事项：JSON（接口的事项列表）或 xlsx（导入模板格式）；"
        "--template 写出空白模板。附件不随文件导出。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="输出文件；JSON 可用 - 表示标准输出")
        parser.add_argument("--format", choices=["json", "xlsx"], help="格式（默认按扩展名）")
        parser.add_argument("--department", metavar="CODE", help="只导出该部门（部门编码）的事项")
        parser.add_argument("--template", action="store_true", help="写出空白的 xlsx 导入模板")

    def handle(self, *args: Any, **options: Any) -> None:
        target: str = options["file"]
        fmt = options["format"] or ("xlsx" if target.lower().endswith(".xlsx") else "json")
        if options["template"] and fmt != "xlsx":
            raise CommandError("模板只有 xlsx 格式，请使用 .xlsx 文件名。")
        if target == "-" and fmt == "xlsx":
            raise CommandError("xlsx 不能写到标准输出，请给出文件名。")
        department = options["department"]
        if department and not Department.objects.filter(code=department).exists():
            raise CommandError(f"部门“{department}”不存在。")
        items = [] if options["template"] else exported_items(department)
        report = self.stderr if target == "-" else self.stdout
        if fmt == "xlsx":
            with Path(target).open("wb") as stream:
                write_workbook(items, stream)
        elif target == "-":
            self.stdout.write(dump_items(items), ending="")
        else:
            Path(target).write_text(dump_items(items), encoding="utf-8")
        if options["template"]:
            report.write(f"已写出空白导入模板：{target}")
            return
        where = "标准输出" if target == "-" else f" {target}"
        report.write(f"已导出 {len(items)} 个事项到{where}。")
        with_files = sum(file_references(item) > 0 for item in items)
        if with_files:
            report.write(
                f"注意：其中 {with_files} 个事项带有附件（空白表格、填写示例或审批结果样本），"
                "附件不随文件导出，JSON 中只有下载链接，导入时不会带入。"
            )
