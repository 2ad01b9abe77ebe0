"""Load the demo city. Refused unless WANGBAN_DEMO=1; running it twice changes nothing."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from wangban.core.demo import load_demo_city


class Command(BaseCommand):
    help = "载入演示城市数据（仅限 WANGBAN_DEMO=1）。"

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO:
            raise CommandError("load_demo 仅可在演示模式（WANGBAN_DEMO=1）下运行。")
        with transaction.atomic():
            summary = load_demo_city()
        self.stdout.write(self.style.SUCCESS("演示数据已就绪：" + summary))
