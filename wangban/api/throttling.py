"""Rate limits of the API, per client address as the audit trail reads it."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.throttling import ScopedRateThrottle

from wangban.audit.actions import client_ip


class ClientAddressThrottle(ScopedRateThrottle):
    """DRF's scoped rate (`throttle_scope`, DEFAULT_THROTTLE_RATES) per client, with the
    client's address read as the audit trail reads it (`audit.actions.client_ip`:
    REMOTE_ADDR, which a proxy in front sets), not from an X-Forwarded-For header that any
    client may make up to escape the limit (DRF's default without NUM_PROXIES)."""

    def get_ident(self, request: Request) -> str:
        return client_ip(request._request) or "unknown"
