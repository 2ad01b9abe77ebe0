"""The demo city's electronic seals: one approval seal per department (idempotent)."""

from __future__ import annotations

from wangban.certificates.actions import create_missing_seals
from wangban.certificates.models import Seal


def load_seals() -> str:
    create_missing_seals()
    return f"{Seal.objects.filter(is_active=True).count()} 枚电子印章"
