"""Create the approval seal (行政审批专用章) of every active department that has none in use.
Idempotent: running it again creates nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from wangban.certificates.actions import create_missing_seals


class Command(BaseCommand):
    help = "为尚无在用电子印章的部门生成行政审批专用章（SM2 密钥，可重复运行）。"

    def handle(self, *args: Any, **options: Any) -> None:
        created = create_missing_seals()
        if created:
            names = "、".join(f"{seal.name}（{seal.key_id}）" for seal in created)
            self.stdout.write(f"新建电子印章 {len(created)} 枚：{names}")
        else:
            self.stdout.write("每个部门都已有在用的电子印章。")
