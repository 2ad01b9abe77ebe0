"""Periodic job: remind applicants whose correction answer is due (补正提醒); idempotent."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from wangban.cases.reminders import remind_corrections


class Command(BaseCommand):
    help = (
        "提醒补正期限将于今日或下一个工作日届满的申请人（每份补正告知书只提醒一次，可重复运行）。"
    )

    def handle(self, *args: Any, **options: Any) -> None:
        reminded = remind_corrections()
        if reminded or options["verbosity"] > 1:
            self.stdout.write(f"已提醒 {len(reminded)} 份补正告知书的申请人。")
