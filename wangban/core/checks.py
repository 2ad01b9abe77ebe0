"""System checks: demo mode must never pass a deployment check."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def demo_mode_is_not_production(app_configs: Any, **kwargs: Any) -> list[Error]:
    if getattr(settings, "DEMO", False):
        return [
            Error(
                "WANGBAN_DEMO=1 is set: demo accounts and plain HTTP are enabled.",
                hint="Unset WANGBAN_DEMO for a deployment.",
                id="wangban.E001",
            )
        ]
    return []
