"""Verify the whole audit trail; exits non-zero naming the first broken event of each
broken chain."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from wangban.audit.verify import verify_trail


class Command(BaseCommand):
    help = "校验审计链：逐条重算哈希，检查序号连续、前后链接、链头和已签名的链头。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--heads-file", type=Path, help="签名链头文件（默认按设置）")

    def handle(self, *args: Any, **options: Any) -> None:
        result = verify_trail(heads_file=options["heads_file"])
        for chain in result.chains:
            signed = (
                f"已签名至序号 {chain.signed.seq}" if chain.signed is not None else "尚无签名链头"
            )
            state = "完好" if chain.problem is None else "损坏"
            self.stdout.write(
                f"链 {chain.chain}：{chain.events} 条，序号 1–{chain.last_seq}，"
                f"链头 {chain.last_hash[:12]}…，{signed}，{state}"
            )
        if result.unchained:
            oldest = (
                timezone.localtime(result.oldest_unchained_at)
                if result.oldest_unchained_at
                else None
            )
            self.stdout.write(
                f"待上链事件 {result.unchained} 条（最早 {oldest:%Y-%m-%d %H:%M:%S}）。"
                if oldest
                else f"待上链事件 {result.unchained} 条。"
            )
        if not result.ok:
            raise CommandError("审计链校验失败：\n" + "\n".join(result.errors))
        self.stdout.write(
            self.style.SUCCESS(
                f"审计链完好：{len(result.chains)} 条链，{result.events} 条事件，"
                f"用时 {result.seconds:.2f} 秒（签名链头文件 {result.heads_file}）。"
            )
        )
