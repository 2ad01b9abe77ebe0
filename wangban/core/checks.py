"""System checks: demo mode must never pass a deployment check, nor the default public address."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

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


@register(Tags.security, deploy=True)
def public_url_is_the_sites(app_configs: Any, **kwargs: Any) -> list[Error]:
    """WANGBAN_PUBLIC_URL goes on paper and by SMS (the QR code of every sealed decision,
    the links of text messages), so a deployment must name its public HTTPS origin: the
    default, localhost, would be printed on decisions that last for years."""
    url = urlsplit(str(getattr(settings, "WANGBAN_PUBLIC_URL", "") or ""))
    local = (url.hostname or "") in ("", "localhost", "127.0.0.1", "::1")
    if url.scheme == "https" and not local:
        return []
    return [
        Error(
            f"WANGBAN_PUBLIC_URL is {settings.WANGBAN_PUBLIC_URL!r}: sealed decisions and text "
            "messages would send their readers there.",
            hint="Set WANGBAN_PUBLIC_URL to the portal's public origin, "
            "e.g. https://banshi.example.gov.cn.",
            id="wangban.E003",
        )
    ]
