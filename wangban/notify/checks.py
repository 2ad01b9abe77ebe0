"""System checks of the outbox settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Warning, register

from wangban.notify.channels import DEFAULT_TIMEOUT_SECONDS
from wangban.notify.delivery import DEFAULT_LEASE_SECONDS


@register()
def lease_outlasts_the_timeout(app_configs: Any, **kwargs: Any) -> list[Warning]:
    """A worker's lease on a message must outlast its webhook call (connecting and reading
    may each take the whole timeout), or a second worker sends the message while the first
    is still waiting for the answer."""
    lease = float(getattr(settings, "WANGBAN_NOTIFY_LEASE_SECONDS", DEFAULT_LEASE_SECONDS))
    timeout = float(getattr(settings, "WANGBAN_NOTIFY_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS))
    if lease >= 3 * timeout:
        return []
    return [
        Warning(
            f"WANGBAN_NOTIFY_LEASE_SECONDS ({lease:g}) is shorter than three times "
            f"WANGBAN_NOTIFY_TIMEOUT_SECONDS ({timeout:g}): slow receivers will get "
            "messages twice.",
            hint="Raise the lease or lower the timeout.",
            id="notify.W001",
        )
    ]
