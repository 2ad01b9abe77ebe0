"""Periodic job: put item versions into effect on their effective date (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from wangban.catalog.actions import do_activate_due


class Command(BaseCommand):
    help = "使到达生效日期的事项版本生效（可重复运行）。"

    def handle(self, *args: Any, **options: Any) -> None:
        done = do_activate_due()
        if done:
            codes = "、".join(f"{v.item.code} v{v.number}" for v in done)
            self.stdout.write(f"已生效 {len(done)} 个事项版本：{codes}")
