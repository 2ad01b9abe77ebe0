"""Periodic job: delete stored files that no row refers to (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from wangban.core.files import purge_orphans


class Command(BaseCommand):
    help = "删除没有任何记录引用的已存储文件（一天以前的；可重复运行）。"

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = purge_orphans()
        if deleted:
            self.stdout.write(f"已删除 {len(deleted)} 个无引用的文件。")
