"""Periodic job: deemed acceptance (视为受理, 行政许可法第三十二条); idempotent."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from wangban.cases.actions import do_deem_accept_due


class Command(BaseCommand):
    help = "对收件后五个工作日内未答复的申请依法视为受理（可重复运行）。"

    def handle(self, *args: Any, **options: Any) -> None:
        done = do_deem_accept_due()
        if done:
            self.stdout.write(f"视为受理 {len(done)} 件：{'、'.join(done)}")
