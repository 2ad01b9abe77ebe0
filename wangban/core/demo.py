"""The demo city. Each domain adds its part here as it lands; every step is idempotent
(get_or_create on natural keys), so loading twice changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

# Each loader creates its part of the city and returns a short summary; in this order,
# because later parts (items, cases) need the earlier ones (departments, people).
DEMO_LOADERS = [
    "wangban.accounts.demo.load_accounts",
    "wangban.catalog.demo.load_catalog",
    "wangban.certificates.demo.load_seals",
    "wangban.cases.demo.load_demo_cases",
]


def _loader(path: str) -> Callable[[], str]:
    module, _, name = path.rpartition(".")
    return getattr(import_module(module), name)


def load_demo_city() -> str:
    return "；".join(_loader(path)() for path in DEMO_LOADERS)
