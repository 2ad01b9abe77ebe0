"""Periodic backstop: render the case documents still pending or failed (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from wangban.cases.choices import DocumentState
from wangban.cases.documents import render_due


class Command(BaseCommand):
    help = "生成一分钟前仍未生成或生成失败的办件文书（可重复运行，可并发运行）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=None, help="at most this many documents")

    def handle(self, *args: Any, **options: Any) -> None:
        counts = render_due(limit=options["limit"])
        if counts or options["verbosity"] > 1:
            self.stdout.write(
                f"已生成 {counts[DocumentState.READY]} 份，"
                f"生成失败 {counts[DocumentState.FAILED]} 份。"
            )
