"""Helpers of the notify tests: a real HTTP receiver that verifies signatures the way a
department's system would (independently of our signing code), and endpoints and events
made through the actions."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from django.db import transaction
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from wangban.accounts.models import User
from wangban.notify.actions import publish_event, save_webhook_endpoint
from wangban.notify.models import Message, WebhookEndpoint

# A receiver-issued secret: "whsec_" + base64 of 32 bytes.
SECRET = "whsec_" + base64.b64encode(b"department-site-webhook-key-0001").decode()
ITEM = {"code": "11010500000000000000000000000001", "name": "道路运输经营许可", "version": 2}
REFUSAL = "receiver says no"


def signature_ok(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The receiver's check, as docs/notify.md tells departments to write it."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(expected, candidate)
        for candidate in headers.get("webhook-signature", "").split()
    )


@dataclass
class Received:
    headers: dict[str, str]
    body: dict[str, Any]
    signature_ok: bool


@dataclass
class Receiver:
    """What the receiver got, and how it answers: `statuses` in order (204 once used up),
    after `delay` seconds."""

    secret: str = SECRET
    url: str = ""
    received: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def ids(self) -> list[str]:
        with self.lock:
            return [request.headers["webhook-id"] for request in self.received]


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out and left is expected here


def serve(receiver: Receiver) -> QuietServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            headers = {name.lower(): value for name, value in self.headers.items()}
            with receiver.lock:
                receiver.received.append(
                    Received(headers, json.loads(raw), signature_ok(receiver.secret, headers, raw))
                )
                status = receiver.statuses.pop(0) if receiver.statuses else 204
                delay = receiver.delay
            time.sleep(delay)
            body = b"" if status < 300 else REFUSAL.encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = QuietServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    receiver.url = f"http://127.0.0.1:{server.server_port}/webhooks/wangban"
    return server


def make_endpoint(
    url: str,
    *,
    name: str = "市交通运输局门户网站",
    events: tuple[str, ...] = ("item.published",),
    active: bool = True,
    actor: User | None = None,
) -> WebhookEndpoint:
    endpoint = WebhookEndpoint(name=name, url=url, event_types=list(events), active=active)
    return save_webhook_endpoint(endpoint, actor=actor, secret=SECRET)


def publish(key: str = "item-change:1", event_type: str = "item.published") -> list[Message]:
    with transaction.atomic():
        return publish_event(event_type, ITEM, key=key)


def sign_in(client: Client, user: User) -> Client:
    """A session that has given its second factor (the admin asks staff for one)."""
    client.force_login(user)
    device = TOTPDevice.objects.create(user=user, name="测试", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client
