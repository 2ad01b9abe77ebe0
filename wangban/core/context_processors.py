from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

ELDER_COOKIE = "wangban_elder"


def site(request: HttpRequest) -> dict[str, Any]:
    """What every page template needs: demo banner and the elder-friendly mode."""
    return {
        "demo_mode": settings.DEMO,
        "elder_mode": request.COOKIES.get(ELDER_COOKIE) == "1",
    }
