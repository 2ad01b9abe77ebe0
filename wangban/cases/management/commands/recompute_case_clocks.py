"""Recompute the stored approval clock of every open case (DESIGN.md §5); idempotent.

Holiday changes made through `do_change_holidays` (the admin, `import_holidays`) recompute
the cases themselves. Run this after holiday rows were written another way, and once after
the upgrade that added the stored clock."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from wangban.cases.schedule import recompute_open_clocks


class Command(BaseCommand):
    help = "重新计算所有在办办件的办结期限和灯色（可重复运行）。"

    def handle(self, *args: Any, **options: Any) -> None:
        moved = recompute_open_clocks()
        self.stdout.write(f"办结期限有变化的办件 {len(moved)} 件。")
