"""Signed webhook calls in the Standard Webhooks scheme (https://www.standardwebhooks.com/).

Chosen because receivers can verify it with a published library in any language, or in
ten lines of their own (docs/notify.md): the headers `webhook-id` (the message, the same on
every attempt), `webhook-timestamp` (Unix seconds of this attempt) and `webhook-signature`
(`v1,` + base64 HMAC-SHA256 over `{id}.{timestamp}.{body}`, keyed with the base64-decoded
part of the `whsec_` secret). The body is `{"type", "timestamp", "data"}` in UTF-8 JSON.

Only the standard library: `urllib.request` is enough for one POST, and no HTTP client is
pinned in the project.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import http.client
import json
import secrets
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from django.utils import timezone

from wangban.notify.models import Message

WHSEC_PREFIX = "whsec_"
SECRET_BYTES = 32
KEY_FORMAT_MESSAGE = "签名密钥须为 whsec_ 加 Base64 编码的 24 至 64 字节随机数。"
USER_AGENT = "wangban-webhooks/1.0"
ERROR_EXCERPT = 200


class WebhookError(Exception):
    """The receiver did not confirm the message (not 2xx, unreachable, or too slow)."""


def generate_secret() -> str:
    return WHSEC_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_problem(secret: str) -> str | None:
    """Why `secret` cannot sign (in Chinese), or None if it can."""
    if not secret.startswith(WHSEC_PREFIX):
        return KEY_FORMAT_MESSAGE
    try:
        key = base64.b64decode(secret.removeprefix(WHSEC_PREFIX), validate=True)
    except binascii.Error:
        return KEY_FORMAT_MESSAGE
    return None if 24 <= len(key) <= 64 else KEY_FORMAT_MESSAGE


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header value for one attempt."""
    key = base64.b64decode(secret.removeprefix(WHSEC_PREFIX))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()


def body_of(message: Message) -> bytes:
    """The JSON body: the event type, when the event happened (Beijing time), its data."""
    envelope: dict[str, Any] = {
        "type": message.event_type,
        "timestamp": timezone.localtime(message.created_at).isoformat(),
        "data": message.payload,
    }
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is not a confirmation: it fails the attempt (and is retried) rather than
    turning the POST into a GET somewhere else."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def post(url: str, secret: str, *, msg_id: str, body: bytes, timeout: float) -> int:
    """POST `body` to `url`, signed; returns the 2xx status or raises `WebhookError`."""
    if urlsplit(url).scheme not in {"http", "https"}:  # the model validates; never file: etc.
        raise WebhookError("接收地址不是 http 或 https 网址")
    timestamp = int(timezone.now().timestamp())
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(secret, msg_id, timestamp, body),
        },
    )
    try:
        with _opener.open(request, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        raise WebhookError(f"HTTP {exc.code} {_excerpt(exc)}".strip()) from exc
    except TimeoutError as exc:
        raise WebhookError(f"请求超时（{timeout:g} 秒）") from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise WebhookError(f"请求超时（{timeout:g} 秒）") from exc
        raise WebhookError(f"无法连接：{exc.reason}") from exc
    except (OSError, http.client.HTTPException) as exc:
        raise WebhookError(f"连接中断：{exc!r}") from exc


def _excerpt(response: urllib.error.HTTPError) -> str:
    """The start of a refusal's body, for the admin to read; empty if it cannot be read."""
    try:
        return response.read(ERROR_EXCERPT).decode("utf-8", "replace").strip()
    except (OSError, http.client.HTTPException):
        return ""
