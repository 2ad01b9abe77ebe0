"""Addresses that leave the site: in text messages, on paper (QR codes), in e-mails. A path
alone means nothing there; these carry the portal's public origin, WANGBAN_PUBLIC_URL."""

from __future__ import annotations

from django.conf import settings

DEFAULT_PUBLIC_URL = "http://localhost:8000"


def public_url(path: str) -> str:
    """`path` (from `reverse`) under the portal's public origin."""
    base = str(getattr(settings, "WANGBAN_PUBLIC_URL", "") or DEFAULT_PUBLIC_URL).rstrip("/")
    return base + path
