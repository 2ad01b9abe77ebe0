"""Text messages (短信) are a gateway plugin (DESIGN.md §4): a small interface, a registry,
and an implementation chosen by the `WANGBAN_SMS_GATEWAY` setting.

Two gateways ship:

- `local`: the development gateway. It works offline: it sends nothing, writes each
  message to the log and keeps it in an in-memory outbox (`OUTBOX`, like Django's
  `mail.outbox`), and says loudly that it is for development.
- `http`: a provider's HTTP API in a small, documented, provider-neutral protocol shaped
  like the common Chinese SMS services (a registered signature name, a template code and
  its parameters): a signed JSON POST, answered `{"code": "OK", "biz_id": ...}` or with an
  error code (docs/notify.md, "The HTTP SMS gateway"). A provider with another protocol is
  connected by a small adapter in front of it, or by another class here.

A gateway is a class with the four attributes and two methods of `SmsGateway`, registered
in `GATEWAYS` under its code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import secrets
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmsResult:
    """The gateway's answer. `final`: the provider refused this message for good (an
    invalid number, a rejected text), so sending it again cannot help; any other failure
    (busy, down, too slow, misconfigured) may succeed later."""

    ok: bool
    reference: str = ""
    reason: str = ""
    final: bool = False


@dataclass(frozen=True)
class SentSms:
    phone: str
    text: str
    at: datetime = field(default_factory=timezone.now)


class SmsGateway(Protocol):
    code: ClassVar[str]
    label: ClassVar[str]
    is_development: ClassVar[bool]

    def send(self, phone: str, text: str, *, reference: str = "") -> SmsResult:
        """Send `text` to `phone`. `reference` names the message on our side (the same on
        every attempt), for a provider that drops duplicates."""
        ...

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

    def send(self, phone: str, text: str, *, reference: str = "") -> SmsResult:
        with _outbox_lock:
            OUTBOX.append(SentSms(phone=phone, text=text))
            reference = f"local-{len(OUTBOX)}"
        logger.warning("SMS by the LOCAL DEVELOPMENT gateway, not sent: to %s: %s", phone, text)
        return SmsResult(True, reference=reference)

    def health(self) -> tuple[bool, str]:
        return True, "本地开发短信网关：始终可用，不真正发送短信"


# The HTTP gateway's protocol (docs/notify.md). Error codes after which another attempt may
# succeed: the provider is busy or limiting us, or our key, signature or clock is wrong
# (fixed by an administrator). Every other error code is a final refusal of the message.
RETRYABLE_CODES = frozenset(
    {"THROTTLED", "BUSY", "SYSTEM_ERROR", "KEY_INVALID", "SIGNATURE_INVALID", "TIMESTAMP_EXPIRED"}
)
DEFAULT_HTTP_TIMEOUT_SECONDS = 5.0
DEFAULT_SIGN_NAME = "网办"
DEFAULT_TEMPLATE_CODE = "WANGBAN_NOTICE"
SEND_PATH = "/messages"
STATUS_PATH = "/status"
USER_AGENT = "wangban-sms/1.0"
MAX_ANSWER_BYTES = 64 * 1024


def sms_signature(secret: str, timestamp: str, nonce: str, body: bytes) -> str:
    """`X-Sms-Signature`: base64 of HMAC-SHA256, keyed with the secret (UTF-8), over
    `{timestamp}\n{nonce}\n{body}`."""
    signed = f"{timestamp}\n{nonce}\n".encode() + body
    return base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()


def is_loopback_url(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is not an answer: the attempt fails (and is retried) instead of the
    POST being sent somewhere else."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


class HttpSmsGateway:
    """A provider's HTTP API in the documented protocol (docs/notify.md): `POST
    {WANGBAN_SMS_HTTP_URL}/messages` with a JSON body (phone, signature name, template code
    and parameters, our reference) signed with HMAC-SHA256 over a timestamp, a nonce and the
    body; the answer `{"code": "OK", "biz_id": ...}` or an error code. The health check is
    a signed `GET {WANGBAN_SMS_HTTP_URL}/status`.

    Settings: WANGBAN_SMS_HTTP_URL (https, or http on the loopback interface for a local
    relay), WANGBAN_SMS_HTTP_KEY_ID, WANGBAN_SMS_HTTP_SECRET, WANGBAN_SMS_HTTP_SIGN_NAME,
    WANGBAN_SMS_HTTP_TEMPLATE, WANGBAN_SMS_HTTP_TIMEOUT_SECONDS."""

    code: ClassVar[str] = "http"
    label: ClassVar[str] = "HTTP 短信网关"
    is_development: ClassVar[bool] = False

    def __init__(self) -> None:
        self.url = str(getattr(settings, "WANGBAN_SMS_HTTP_URL", "") or "").rstrip("/")
        self.key_id = str(getattr(settings, "WANGBAN_SMS_HTTP_KEY_ID", "") or "")
        self.secret = str(getattr(settings, "WANGBAN_SMS_HTTP_SECRET", "") or "")
        self.sign_name = str(
            getattr(settings, "WANGBAN_SMS_HTTP_SIGN_NAME", "") or DEFAULT_SIGN_NAME
        )
        self.template = str(
            getattr(settings, "WANGBAN_SMS_HTTP_TEMPLATE", "") or DEFAULT_TEMPLATE_CODE
        )
        self.timeout = float(
            getattr(settings, "WANGBAN_SMS_HTTP_TIMEOUT_SECONDS", DEFAULT_HTTP_TIMEOUT_SECONDS)
        )

    def configuration_problem(self) -> str:
        """What is missing or unsafe in the settings (in Chinese), or ""."""
        missing = [
            name
            for name, value in (
                ("WANGBAN_SMS_HTTP_URL", self.url),
                ("WANGBAN_SMS_HTTP_KEY_ID", self.key_id),
                ("WANGBAN_SMS_HTTP_SECRET", self.secret),
            )
            if not value
        ]
        if missing:
            return f"短信网关未配置：缺少 {'、'.join(missing)}"
        scheme = urlsplit(self.url).scheme
        if scheme != "https" and not (scheme == "http" and is_loopback_url(self.url)):
            return "短信网关地址须为 https 网址（本机转发服务可用 http）"
        return ""

    def send(self, phone: str, text: str, *, reference: str = "") -> SmsResult:
        if problem := self.configuration_problem():
            return SmsResult(False, reason=problem)
        # The provider puts the registered signature in front of every text: drop ours.
        content = text.removeprefix(f"【{self.sign_name}】")
        body = {
            "phone": phone,
            "sign_name": self.sign_name,
            "template_code": self.template,
            "template_params": {"content": content},
            "out_id": reference,
        }
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        status, answer = self._call("POST", SEND_PATH, data)
        code = str(answer.get("code", "")) if answer is not None else ""
        if code == "OK" and 200 <= status < 300:
            return SmsResult(True, reference=str(answer.get("biz_id", "")) if answer else "")
        if status == 0:  # no answer at all: `message` says why
            return SmsResult(False, reason=str((answer or {}).get("message", "")))
        detail = str((answer or {}).get("message", ""))[:200]
        if code and code != "OK":
            reason = f"短信网关拒绝：{code} {detail}".strip()
            return SmsResult(False, reason=reason, final=code not in RETRYABLE_CODES)
        return SmsResult(False, reason=f"短信网关答复 HTTP {status}")

    def health(self) -> tuple[bool, str]:
        """A signed `GET …/status`: the provider answers `{"code": "OK"}` when our key works
        and it accepts messages. Sends no message and costs nothing."""
        if problem := self.configuration_problem():
            return False, problem
        status, answer = self._call("GET", STATUS_PATH, b"")
        if status == 0:
            return False, str((answer or {}).get("message", "短信网关无法连接"))
        code = str((answer or {}).get("code", ""))
        if 200 <= status < 300 and code == "OK":
            return True, f"HTTP 短信网关可用（{urlsplit(self.url).netloc}）"
        return False, f"短信网关答复 HTTP {status} {code}".strip()

    def _call(self, method: str, path: str, data: bytes) -> tuple[int, dict[str, Any] | None]:
        """The HTTP status and the JSON answer (None if it is not JSON); status 0 and
        `{"message": reason}` when there was no answer (refused, timed out, cut off)."""
        timestamp = str(int(timezone.now().timestamp()))
        nonce = secrets.token_hex(16)
        headers = {
            "User-Agent": USER_AGENT,
            "X-Sms-Key-Id": self.key_id,
            "X-Sms-Timestamp": timestamp,
            "X-Sms-Nonce": nonce,
            "X-Sms-Signature": sms_signature(self.secret, timestamp, nonce, data),
        }
        if method == "POST":
            headers["Content-Type"] = "application/json; charset=utf-8"
        request = urllib.request.Request(  # noqa: S310 (https or loopback http, checked)
            self.url + path, data=data if method == "POST" else None, method=method, headers=headers
        )
        try:
            with _opener.open(request, timeout=self.timeout) as response:
                return int(response.status), _json(response.read(MAX_ANSWER_BYTES))
        except urllib.error.HTTPError as exc:
            try:
                answer = _json(exc.read(MAX_ANSWER_BYTES))
            except (OSError, http.client.HTTPException):
                answer = None
            return int(exc.code), answer
        except TimeoutError:
            return 0, {"message": f"短信网关请求超时（{self.timeout:g} 秒）"}
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                return 0, {"message": f"短信网关请求超时（{self.timeout:g} 秒）"}
            return 0, {"message": f"短信网关无法连接：{exc.reason}"}
        except (OSError, http.client.HTTPException) as exc:
            return 0, {"message": f"短信网关连接中断：{exc!r}"}


def _json(raw: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


GATEWAYS: dict[str, type[SmsGateway]] = {
    LocalSmsGateway.code: LocalSmsGateway,
    HttpSmsGateway.code: HttpSmsGateway,
}


def get_sms_gateway() -> SmsGateway:
    code = getattr(settings, "WANGBAN_SMS_GATEWAY", "local")
    try:
        return GATEWAYS[code]()
    except KeyError:
        raise ImproperlyConfigured(
            f"WANGBAN_SMS_GATEWAY {code!r} is not one of {', '.join(GATEWAYS)}."
        ) from None


def send_sms(phone: str, text: str, *, reference: str = "") -> SmsResult:
    """Send through the configured gateway; a failure is logged, never raised to a page.
    `reference` names the message on our side, the same on every attempt (the outbox gives
    its message id) so that a provider can drop duplicates."""
    gateway = get_sms_gateway()
    try:
        result = gateway.send(phone, text, reference=reference)
    except Exception:  # a provider's outage must not turn into a 500 on a public page
        logger.exception("SMS gateway %s failed", gateway.code)
        return SmsResult(False, reason="短信网关暂时不可用")
    if not result.ok:
        logger.error("SMS gateway %s refused a message: %s", gateway.code, result.reason)
    return result
