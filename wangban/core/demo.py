"""The demo city. Each domain adds its part here as it lands; every step is idempotent
(get_or_create on natural keys), so loading twice changes nothing."""

from __future__ import annotations

from collections.abc import Callable

# Each loader creates its part of the city and returns a short summary.
DEMO_LOADERS: list[Callable[[], str]] = []


def load_demo_city() -> str:
    parts = [loader() for loader in DEMO_LOADERS]
    return "；".join(parts) if parts else "空城市（尚无演示数据）"
