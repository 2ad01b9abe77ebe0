from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from wangban.api.models import IdempotencyRecord


class Command(BaseCommand):
    help = "删除超过 24 小时的 Idempotency-Key 记录（定时任务，可重复运行）。"

    def handle(self, *args: Any, **options: Any) -> None:
        cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)
        deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
        self.stdout.write(f"purged {deleted} idempotency records")
