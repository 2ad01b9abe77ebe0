"""Deliver the due messages of the outbox (periodic; idempotent; safe to run concurrently)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from wangban.notify.choices import MessageState
from wangban.notify.delivery import deliver_due


class Command(BaseCommand):
    help = (
        "投递到期的消息：待投递且已到重试时间的，以及租约已过期的投递中消息"
        "（可重复运行，可并发运行）。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=None, help="at most this many messages")
        parser.add_argument(
            "--max-seconds",
            type=float,
            default=50,
            help="take no new message after this long, so that a run ends before the next",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        counts = deliver_due(limit=options["limit"], seconds=options["max_seconds"])
        if counts or options["verbosity"] > 1:
            self.stdout.write(
                f"已投递 {counts[MessageState.SENT]} 条，待重试 {counts[MessageState.PENDING]} 条，"
                f"投递失败 {counts[MessageState.DEAD]} 条。"
            )
