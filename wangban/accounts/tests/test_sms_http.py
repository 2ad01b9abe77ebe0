"""The HTTP SMS gateway against a real local provider (http.server in a thread) that checks
the signature the way docs/notify.md tells providers to: success, a provider's refusal, a
500, a timeout, a redirect, a wrong secret; and the outbox retrying what may succeed later
and giving up at once on a final refusal."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from wangban.accounts.sms import HttpSmsGateway, get_sms_gateway, send_sms
from wangban.audit.models import AuditEvent
from wangban.notify.actions import enqueue_message
from wangban.notify.delivery import deliver_due
from wangban.notify.models import Message

KEY_ID = "wangban-test-key"
SECRET = "provider-issued-secret-0123456789"
TOLERANCE_SECONDS = 300


def provider_check(headers: dict[str, str], body: bytes, secret: str = SECRET) -> bool:
    """The provider's check, written from the documentation, not from our code."""
    timestamp = headers.get("x-sms-timestamp", "")
    nonce = headers.get("x-sms-nonce", "")
    if headers.get("x-sms-key-id") != KEY_ID or not timestamp.isdigit() or len(nonce) < 16:
        return False
    if abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    signed = timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body
    expected = base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest())
    return hmac.compare_digest(expected.decode(), headers.get("x-sms-signature", ""))


@dataclass
class Provider:
    """A provider that answers with `answers` in order (then success), after `delay` s."""

    url: str = ""
    requests: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)
    answers: list[tuple[int, Any]] = field(default_factory=list)
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(body) for method, _, _, body in self.requests if method == "POST"]


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out and left


def serve(provider: Provider) -> QuietServer:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {name.lower(): value for name, value in self.headers.items()}
            with provider.lock:
                provider.requests.append((method, self.path, headers, body))
                scripted = provider.answers.pop(0) if provider.answers else None
                delay = provider.delay
            time.sleep(delay)
            if not provider_check(headers, body):
                status, answer = 401, {"code": "SIGNATURE_INVALID", "message": "签名错误"}
            elif scripted is not None:
                status, answer = scripted
            elif method == "GET" and self.path == "/v1/status":
                status, answer = 200, {"code": "OK", "message": "正常"}
            elif method == "POST" and self.path == "/v1/messages":
                status, answer = 200, {"code": "OK", "biz_id": f"biz-{len(provider.requests)}"}
            else:
                status, answer = 404, {"code": "NOT_FOUND"}
            raw = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
            self.send_response(status)
            if status in (301, 302):
                self.send_header("Location", "/elsewhere")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_POST(self) -> None:
            self._answer("POST")

        def do_GET(self) -> None:
            self._answer("GET")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = QuietServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    provider.url = f"http://127.0.0.1:{server.server_port}/v1"
    return server


@pytest.fixture
def provider(settings: Any) -> Iterator[Provider]:
    provider = Provider()
    server = serve(provider)
    settings.WANGBAN_SMS_GATEWAY = "http"
    settings.WANGBAN_SMS_HTTP_URL = provider.url
    settings.WANGBAN_SMS_HTTP_KEY_ID = KEY_ID
    settings.WANGBAN_SMS_HTTP_SECRET = SECRET
    settings.WANGBAN_SMS_HTTP_SIGN_NAME = "网办"
    settings.WANGBAN_SMS_HTTP_TEMPLATE = "SMS_0001"
    settings.WANGBAN_SMS_HTTP_TIMEOUT_SECONDS = 2
    settings.WANGBAN_NOTIFY_RETRY_JITTER = 0
    yield provider
    server.shutdown()
    server.server_close()


def test_a_message_is_sent_signed_with_the_template_and_our_reference(provider) -> None:
    assert isinstance(get_sms_gateway(), HttpSmsGateway)

    result = send_sms("13800138000", "【网办】您的申请已受理。", reference="msg_abc")

    assert (result.ok, result.reference, result.reason, result.final) == (True, "biz-1", "", False)
    [(method, path, headers, _)] = provider.requests
    assert (method, path) == ("POST", "/v1/messages")
    assert headers["content-type"] == "application/json; charset=utf-8"
    assert provider.bodies == [
        {
            "phone": "13800138000",
            "sign_name": "网办",
            "template_code": "SMS_0001",
            "template_params": {"content": "您的申请已受理。"},  # the provider adds 【网办】
            "out_id": "msg_abc",
        }
    ]


def test_a_providers_refusal_is_final(provider) -> None:
    provider.answers = [(200, {"code": "INVALID_PHONE", "message": "号码格式错误"})]

    result = send_sms("1380013800", "您的申请已受理。")

    assert (result.ok, result.final) == (False, True)
    assert result.reason == "短信网关拒绝：INVALID_PHONE 号码格式错误"


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ((500, b"<html>Internal Server Error</html>"), "短信网关答复 HTTP 500"),
        ((503, {"code": "BUSY", "message": "系统繁忙"}), "短信网关拒绝：BUSY 系统繁忙"),
        (
            (200, {"code": "THROTTLED", "message": "超过频率限制"}),
            "短信网关拒绝：THROTTLED 超过频率限制",
        ),
        ((302, {}), "短信网关答复 HTTP 302"),  # a redirect is not followed
    ],
)
def test_failures_that_may_pass_later_are_not_final(provider, answer, reason) -> None:
    provider.answers = [answer]

    result = send_sms("13800138000", "您的申请已受理。")

    assert (result.ok, result.final, result.reason) == (False, False, reason)
    assert len(provider.requests) == 1


def test_a_timeout_is_not_final(provider, settings) -> None:
    settings.WANGBAN_SMS_HTTP_TIMEOUT_SECONDS = 0.3
    provider.delay = 1.0

    result = send_sms("13800138000", "您的申请已受理。")

    assert (result.ok, result.final) == (False, False)
    assert result.reason == "短信网关请求超时（0.3 秒）"


def test_a_wrong_secret_is_refused_by_the_provider_and_retried_later(provider, settings) -> None:
    settings.WANGBAN_SMS_HTTP_SECRET = "not-the-providers-secret"

    result = send_sms("13800138000", "您的申请已受理。")

    assert (result.ok, result.final) == (False, False)
    assert result.reason == "短信网关拒绝：SIGNATURE_INVALID 签名错误"
    assert get_sms_gateway().health() == (False, "短信网关答复 HTTP 401 SIGNATURE_INVALID")


def test_the_health_check_asks_the_provider_without_sending(provider) -> None:
    assert get_sms_gateway().health() == (
        True,
        f"HTTP 短信网关可用（{provider.url.split('/')[2]}）",
    )
    assert [(method, path) for method, path, _, _ in provider.requests] == [("GET", "/v1/status")]
    assert provider.bodies == []


def test_an_unreachable_provider_fails_the_health_check_and_the_message(settings) -> None:
    server = serve(Provider())
    url = f"http://127.0.0.1:{server.server_port}/v1"
    server.shutdown()
    server.server_close()  # nobody listens there any more
    settings.WANGBAN_SMS_GATEWAY = "http"
    settings.WANGBAN_SMS_HTTP_URL = url
    settings.WANGBAN_SMS_HTTP_KEY_ID = KEY_ID
    settings.WANGBAN_SMS_HTTP_SECRET = SECRET

    healthy, reason = get_sms_gateway().health()
    result = send_sms("13800138000", "您的申请已受理。")

    assert not healthy
    assert reason.startswith("短信网关无法连接")
    assert (result.ok, result.final) == (False, False)
    assert result.reason.startswith("短信网关无法连接")


@pytest.mark.parametrize(
    ("url", "key_id", "problem"),
    [
        ("", KEY_ID, "短信网关未配置：缺少 WANGBAN_SMS_HTTP_URL"),
        ("https://sms.example.com/v1", "", "短信网关未配置：缺少 WANGBAN_SMS_HTTP_KEY_ID"),
        (
            "http://sms.example.com/v1",
            KEY_ID,
            "短信网关地址须为 https 网址（本机转发服务可用 http）",
        ),
    ],
)
def test_a_misconfigured_gateway_sends_nothing_and_says_why(settings, url, key_id, problem) -> None:
    settings.WANGBAN_SMS_GATEWAY = "http"
    settings.WANGBAN_SMS_HTTP_URL = url
    settings.WANGBAN_SMS_HTTP_KEY_ID = key_id
    settings.WANGBAN_SMS_HTTP_SECRET = SECRET

    result = send_sms("13800138000", "您的申请已受理。")

    assert (result.ok, result.reason, result.final) == (False, problem, False)
    assert get_sms_gateway().health() == (False, problem)


# --- through the outbox ---------------------------------------------------------------------


def enqueue_sms(key: str) -> Message:
    with transaction.atomic():
        return enqueue_message(
            "sms",
            recipient="13800138000",
            event_type="case.accept",
            payload={"text": "您申请的“道路运输经营许可证核发”已受理。"},
            key=key,
        )


@pytest.mark.django_db
def test_the_outbox_retries_a_500_and_a_timeout_then_delivers(provider, settings) -> None:
    settings.WANGBAN_SMS_HTTP_TIMEOUT_SECONDS = 0.5
    provider.answers = [(500, b"oops")]
    message = enqueue_sms("case-event:1:sms")

    assert deliver_due() == Counter({"pending": 1})
    message.refresh_from_db()
    assert (message.state, message.attempts, message.last_error) == (
        "pending",
        1,
        "短信网关答复 HTTP 500",
    )

    provider.delay = 1.0
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert deliver_due() == Counter({"pending": 1})
    message.refresh_from_db()
    assert (message.attempts, message.last_error) == (2, "短信网关请求超时（0.5 秒）")

    provider.delay = 0
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        assert deliver_due() == Counter({"sent": 1})
    message.refresh_from_db()
    assert (message.state, message.attempts, message.last_error) == ("sent", 3, "")
    # the same reference on every attempt, so the provider can drop a duplicate
    assert [body["out_id"] for body in provider.bodies] == [message.webhook_id] * 3


@pytest.mark.django_db
def test_the_outbox_gives_up_at_once_on_a_final_refusal(provider) -> None:
    provider.answers = [(200, {"code": "PHONE_BLACKLISTED", "message": "号码已退订"})]
    message = enqueue_sms("case-event:2:sms")

    assert deliver_due() == Counter({"dead": 1})
    message.refresh_from_db()
    assert (message.state, message.attempts, message.last_error) == (
        "dead",
        1,
        "短信网关拒绝：PHONE_BLACKLISTED 号码已退订",
    )
    assert AuditEvent.objects.filter(action="message.dead", object_id=str(message.pk)).exists()
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert deliver_due() == Counter()
    assert len(provider.requests) == 1


@pytest.mark.django_db
def test_the_outbox_admin_shows_the_gateways_health(provider, settings) -> None:
    from django.test import Client

    from wangban.accounts.models import User
    from wangban.notify.tests.helpers import sign_in

    client = sign_in(Client(), User.objects.create_superuser("root", password="a-long-password-9"))

    page = client.get("/admin/notify/message/").content.decode()
    assert (
        f"短信网关（HTTP 短信网关）：正常，HTTP 短信网关可用（{provider.url.split('/')[2]}）"
        in page
    )

    settings.WANGBAN_SMS_HTTP_SECRET = "not-the-providers-secret"
    page = client.get("/admin/notify/message/").content.decode()
    assert "短信网关（HTTP 短信网关）：异常，短信网关答复 HTTP 401 SIGNATURE_INVALID" in page


def test_the_system_check_warns_about_a_misconfigured_gateway(settings) -> None:
    from wangban.notify.checks import sms_gateway_configured

    settings.WANGBAN_SMS_GATEWAY = "http"
    settings.WANGBAN_SMS_HTTP_URL = ""
    [warning] = sms_gateway_configured(None)
    assert warning.id == "notify.W003"
    assert "缺少 WANGBAN_SMS_HTTP_URL" in warning.msg
    settings.WANGBAN_SMS_GATEWAY = "carrier-pigeon"
    [warning] = sms_gateway_configured(None)
    assert warning.id == "notify.W002"
    settings.WANGBAN_SMS_GATEWAY = "local"
    assert sms_gateway_configured(None) == []
