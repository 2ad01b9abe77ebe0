"""Codes of the notify outbox: channels, message states and the event types that webhook
endpoints subscribe to."""

from __future__ import annotations

from django.db import models


class MessageChannel(models.TextChoices):
    """How a message leaves the platform; each code has a sender in `channels.CHANNELS`."""

    WEBHOOK = "webhook", "Webhook"
    SMS = "sms", "短信"
    SITE = "site", "站内信"


class MessageState(models.TextChoices):
    """The life of an outbox message (transitions in `TRANSITIONS`)."""

    PENDING = "pending", "待投递"
    SENDING = "sending", "投递中"
    SENT = "sent", "已投递"
    DEAD = "dead", "投递失败"


# The one transition table of a message: (from, to) → what makes it.
TRANSITIONS: dict[tuple[str, str], str] = {
    (MessageState.PENDING, MessageState.SENDING): "claim",  # a worker takes it, with a lease
    (MessageState.SENDING, MessageState.SENDING): "reclaim",  # the lease ran out (a crash)
    (MessageState.SENDING, MessageState.SENT): "delivered",
    (MessageState.SENDING, MessageState.PENDING): "retry_later",
    (MessageState.SENDING, MessageState.DEAD): "give_up",
    (MessageState.DEAD, MessageState.PENDING): "manual_retry",  # the centre admin, in the admin
}

# The states a worker looks at: pending once due, sending once its lease has run out.
OPEN_STATES = (MessageState.PENDING, MessageState.SENDING)


class EventType(models.TextChoices):
    """Events that webhook endpoints can subscribe to. The catalogue's change feed
    (一调五调, `GET /api/v1/item-changes`) announces each change of an item as one of
    these; a new event type is added here so that the admin can offer it."""

    ITEM_PUBLISHED = "item.published", "事项发布"
    ITEM_ADJUSTED = "item.adjusted", "事项调整"
    ITEM_CANCELLED = "item.cancelled", "事项取消"
