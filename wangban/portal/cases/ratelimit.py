"""A per-address attempt counter for public forms, the pattern of the password reset
(`wangban.accounts.actions.start_password_reset`): a cache counter keyed by a digest of the
client address (`audit.actions.client_ip`), so that one client cannot try receipt numbers
and identity numbers at will. The cache is shared by every app process (Redis in
production, see `CACHES`)."""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.http import HttpRequest

from wangban.audit.actions import client_ip


def allow(request: HttpRequest, scope: str, *, limit: int, seconds: int) -> bool:
    """Count one attempt of `scope` from the request's address; False once more than
    `limit` attempts were made in the window of `seconds` that the first one opened."""
    digest = hashlib.sha256(client_ip(request).encode()).hexdigest()
    key = f"wangban:{scope}:ip:{digest}"
    cache.add(key, 0, seconds)  # opens the window; does nothing while it is open
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, seconds)
        count = 1
    return count <= limit
