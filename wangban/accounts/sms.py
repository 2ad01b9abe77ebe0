"""Text messages (短信) are a gateway plugin (DESIGN.md §4): a small interface, a registry,
and an implementation chosen by the `WANGBAN_SMS_GATEWAY` setting.

Only the local development gateway ships now. It works offline: it sends nothing, writes
each message to the log and keeps it in an in-memory outbox (`OUTBOX`, like Django's
`mail.outbox`), and says loudly that it is for development.

A real gateway (a provider's HTTP API) is a class with the same four attributes and two
methods, registered in `GATEWAYS` under its code.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmsResult:
    ok: bool
    reference: str = ""
    reason: str = ""


@dataclass(frozen=True)
class SentSms:
    phone: str
    text: str
    at: datetime = field(default_factory=timezone.now)


class SmsGateway(Protocol):
    code: ClassVar[str]
    label: ClassVar[str]
    is_development: ClassVar[bool]

    def send(self, phone: str, text: str) -> SmsResult: ...

    def health(self) -> tuple[bool, str]: ...


# Messages "sent" by the development gateway in this process, oldest first.
OUTBOX: list[SentSms] = []
_outbox_lock = threading.Lock()


class LocalSmsGateway:
    """Development gateway: nothing leaves the machine. The message goes to the log (so a
    developer can read a verification code) and to `OUTBOX` (so tests can)."""

    code: ClassVar[str] = "local"
    label: ClassVar[str] = "本地开发短信网关（短信未真正发出，内容写入服务器日志）"
    is_development: ClassVar[bool] = True

    def send(self, phone: str, text: str) -> SmsResult:
        with _outbox_lock:
            OUTBOX.append(SentSms(phone=phone, text=text))
            reference = f"local-{len(OUTBOX)}"
        logger.warning("SMS by the LOCAL DEVELOPMENT gateway, not sent: to %s: %s", phone, text)
        return SmsResult(True, reference=reference)

    def health(self) -> tuple[bool, str]:
        return True, "本地开发短信网关：始终可用，不真正发送短信"


GATEWAYS: dict[str, type[SmsGateway]] = {LocalSmsGateway.code: LocalSmsGateway}


def get_sms_gateway() -> SmsGateway:
    code = getattr(settings, "WANGBAN_SMS_GATEWAY", "local")
    try:
        return GATEWAYS[code]()
    except KeyError:
        raise ImproperlyConfigured(
            f"WANGBAN_SMS_GATEWAY {code!r} is not one of {', '.join(GATEWAYS)}."
        ) from None


def send_sms(phone: str, text: str) -> SmsResult:
    """Send through the configured gateway; a failure is logged, never raised to a page."""
    gateway = get_sms_gateway()
    try:
        result = gateway.send(phone, text)
    except Exception:  # a provider's outage must not turn into a 500 on a public page
        logger.exception("SMS gateway %s failed", gateway.code)
        return SmsResult(False, reason="短信网关暂时不可用")
    if not result.ok:
        logger.error("SMS gateway %s refused a message: %s", gateway.code, result.reason)
    return result
