"""Channels are plugins (DESIGN.md §4): one sender per `MessageChannel` code, in `CHANNELS`.

A sender delivers one message. It returns when the recipient has it and raises
`DeliveryFailed` when not (`final=True` when retrying cannot help, e.g. the endpoint was
deleted); any other exception counts as a failure worth retrying. Senders hold no state
and write nothing: the outbox (`delivery.py`) records the outcome.

In-site messages (站内信) slot in as a `site` sender that writes the recipient's inbox row.
"""

from __future__ import annotations

from typing import ClassVar, Protocol

from django.conf import settings

from wangban.accounts.sms import send_sms
from wangban.notify import webhooks
from wangban.notify.choices import MessageChannel
from wangban.notify.models import Message

DEFAULT_TIMEOUT_SECONDS = 10.0


class DeliveryFailed(Exception):
    def __init__(self, reason: str, *, final: bool = False) -> None:
        super().__init__(reason)
        self.final = final


class Sender(Protocol):
    code: ClassVar[str]

    def send(self, message: Message) -> None: ...


class WebhookSender:
    """POSTs the event, signed with the endpoint's secret, to the endpoint's current URL (so
    that a URL corrected in the admin is used by the next retry)."""

    code: ClassVar[str] = MessageChannel.WEBHOOK

    def send(self, message: Message) -> None:
        endpoint = message.endpoint
        if endpoint is None:
            raise DeliveryFailed("接收端已删除", final=True)
        if not endpoint.active:
            raise DeliveryFailed("接收端已停用", final=True)
        timeout = float(
            getattr(settings, "WANGBAN_NOTIFY_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS)
        )
        try:
            webhooks.post(
                endpoint.url,
                endpoint.secret,
                msg_id=message.webhook_id,
                body=webhooks.body_of(message),
                timeout=float(timeout),
            )
        except webhooks.WebhookError as exc:
            raise DeliveryFailed(str(exc)) from exc


class SmsSender:
    """A text message through the configured SMS gateway (`wangban.accounts.sms`); the
    payload is `{"text": ...}`. Never put a verification code through the outbox: it would
    rest in the database in clear; those are sent while the request waits."""

    code: ClassVar[str] = MessageChannel.SMS

    def send(self, message: Message) -> None:
        result = send_sms(message.recipient, str(message.payload["text"]))
        if not result.ok:
            raise DeliveryFailed(result.reason or "短信网关拒绝发送")


CHANNELS: dict[str, Sender] = {sender.code: sender for sender in (WebhookSender(), SmsSender())}


def sender_for(channel: str) -> Sender:
    try:
        return CHANNELS[channel]
    except KeyError:
        raise DeliveryFailed(f"未知的消息渠道 {channel!r}", final=True) from None
