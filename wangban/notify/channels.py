"""Channels are plugins (DESIGN.md §4): one sender per `MessageChannel` code, in `CHANNELS`.

A sender delivers one message. It returns when the recipient has it and raises
`DeliveryFailed` when not (`final=True` when retrying cannot help, e.g. the endpoint was
deleted); any other exception counts as a failure worth retrying. Senders hold no state
and write nothing: the outbox (`delivery.py`) records the outcome.

The one exception is the in-site channel (`site`): delivering an in-site message (站内信)
*is* writing the recipient's inbox row, once per outbox message.
"""

from __future__ import annotations

from typing import ClassVar, Protocol

from django.conf import settings
from django.contrib.auth import get_user_model

from wangban.accounts.sms import send_sms
from wangban.notify import webhooks
from wangban.notify.choices import MessageChannel
from wangban.notify.models import Message, SiteMessage

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
        result = send_sms(
            message.recipient, str(message.payload["text"]), reference=message.webhook_id
        )
        if not result.ok:
            # `final`: the provider refused this message for good (an invalid number, a
            # rejected text); anything else (busy, down, too slow) is worth another try.
            raise DeliveryFailed(result.reason or "短信网关拒绝发送", final=result.final)


class SiteSender:
    """An in-site message (站内信): writes the recipient's inbox row (`SiteMessage`) from the
    payload `{"title", "body", "link"}`. The row is unique per outbox message, so a retried
    delivery (a worker that died after writing it) finds it and writes nothing more."""

    code: ClassVar[str] = MessageChannel.SITE

    def send(self, message: Message) -> None:
        recipient = None
        if message.recipient.isdigit():
            recipient = get_user_model().objects.filter(pk=int(message.recipient)).first()
        if recipient is None:
            raise DeliveryFailed("收件人账号不存在", final=True)
        payload = message.payload
        SiteMessage.objects.get_or_create(
            message=message,
            defaults={
                "recipient": recipient,
                "title": str(payload.get("title", ""))[:100],
                "body": str(payload.get("body", "")),
                "link": str(payload.get("link", ""))[:500],
                "created_at": message.created_at,
            },
        )


CHANNELS: dict[str, Sender] = {
    sender.code: sender for sender in (WebhookSender(), SmsSender(), SiteSender())
}


def sender_for(channel: str) -> Sender:
    try:
        return CHANNELS[channel]
    except KeyError:
        raise DeliveryFailed(f"未知的消息渠道 {channel!r}", final=True) from None
