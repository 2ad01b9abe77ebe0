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


@register()
def sms_gateway_configured(app_configs: Any, **kwargs: Any) -> list[Warning]:
    """The configured SMS gateway exists and, for `http`, has its address, key and secret:
    otherwise every text message fails (and is retried until it is dead)."""
    from django.core.exceptions import ImproperlyConfigured

    from wangban.accounts.sms import get_sms_gateway

    try:
        gateway = get_sms_gateway()
    except ImproperlyConfigured as error:
        return [Warning(str(error), id="notify.W002")]
    problem = getattr(gateway, "configuration_problem", lambda: "")()
    if not problem:
        return []
    return [
        Warning(
            f"WANGBAN_SMS_GATEWAY is {gateway.code!r}: {problem}",
            hint="Set the WANGBAN_SMS_HTTP_* settings (docs/notify.md).",
            id="notify.W003",
        )
    ]
