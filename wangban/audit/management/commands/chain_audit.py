"""Link unchained audit events into their hash chains (periodic; idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from wangban.audit.chain import DEFAULT_BATCH_SIZE, chain_events


class Command(BaseCommand):
    help = "把尚未上链的审计事件链接进哈希链（可重复运行，可并发运行）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)

    def handle(self, *args: Any, **options: Any) -> None:
        linked = chain_events(batch_size=options["batch_size"])
        if linked or options["verbosity"] > 1:
            self.stdout.write(f"已上链 {linked} 条审计事件。")
