"""Sign each audit chain's head into the append-only heads file (periodic; idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from wangban.audit.heads import heads_path, sign_heads


class Command(BaseCommand):
    help = "为每条审计链的链头签名（HMAC-SHA256），追加写入数据库之外的链头文件。"

    def handle(self, *args: Any, **options: Any) -> None:
        path = heads_path()
        result = sign_heads(path)
        for head in result.signed:
            self.stdout.write(f"已签名：链 {head.chain} 序号 {head.seq} {head.hash[:12]}…")
        if options["verbosity"] > 1:
            self.stdout.write(f"链头文件：{path}；未变化的链：{result.unchanged}")
        if result.refused:
            raise CommandError("\n".join(result.refused))
