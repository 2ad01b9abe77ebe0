"""Every write of the notify app goes through these actions.

The outbox (DESIGN.md §2): a domain action that must tell other systems about a change
calls `publish_event` inside its own transaction, next to the change. The messages commit
or roll back with it, so nothing is announced that did not happen and nothing that did
happen is lost; delivery starts after the commit (`schedule_delivery`).

    from wangban.notify.actions import publish_event

    with transaction.atomic():
        change = ItemChange.objects.create(item=item, version=version, event=event)
        publish_event(f"item.{event}", item_to_api(version), key=f"item-change:{change.pk}")

Webhook endpoints are master data of the service centre (大安第三十四条: no silent
changes of platform data): created, changed and deleted only here, and audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from wangban.audit.actions import json_safe, record, snapshot
from wangban.core.errors import Conflict, InvalidInput
from wangban.notify.choices import TRANSITIONS, EventType, MessageChannel, MessageState
from wangban.notify.models import Message, SiteMessage, WebhookEndpoint
from wangban.notify.tasks import deliver_messages
from wangban.notify.webhooks import generate_secret, secret_problem

MAX_KEY_LENGTH = 200
ENDPOINT_FIELDS = ["name", "url", "event_types", "active"]


def _require_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(
            "the outbox is written in the transaction of the change it announces: "
            "call this inside transaction.atomic()"
        )


def _check_key(key: str) -> None:
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"an outbox key is 1 to {MAX_KEY_LENGTH} characters, not {key!r}")


def publish_event(event_type: str, payload: dict[str, Any], *, key: str) -> list[Message]:
    """Announce `event_type` with `payload` to every active webhook endpoint subscribed to
    it: one message each, with the idempotency key `{key}:{endpoint id}`.

    Call it inside the transaction of the change (RuntimeError otherwise). `key` names the
    change itself, e.g. `item-change:42`, so that a repeat (a retried request, a re-run
    import) creates nothing new and returns the messages already there. Delivery is
    enqueued after the commit. `payload` must be JSON (dates and decimals become strings).
    """
    if event_type not in EventType.values:
        raise ValueError(f"unknown event type {event_type!r}: add it to EventType first")
    _check_key(key)
    _require_transaction()
    data = json_safe(payload)
    now = timezone.now()
    messages = [
        Message(
            channel=MessageChannel.WEBHOOK,
            endpoint=endpoint,
            recipient=endpoint.url,
            key=f"{key}:{endpoint.pk}",
            event_type=event_type,
            payload=data,
            next_attempt_at=now,
        )
        for endpoint in WebhookEndpoint.objects.filter(active=True).order_by("pk")
        if endpoint.subscribes_to(event_type)
    ]
    return _add(messages)


def outbox_message(
    channel: str, *, recipient: str, event_type: str, payload: dict[str, Any], key: str
) -> Message:
    """One message for one recipient, checked and not saved yet: give it, alone or with
    others, to `enqueue_messages`. An SMS has channel `sms`, the phone number and
    `{"text": ...}`; an in-site message is `site_message`. ValueError for a message that
    could never be delivered."""
    if channel not in MessageChannel.values:
        raise ValueError(f"unknown channel {channel!r}")
    if channel == MessageChannel.SMS and not str(payload.get("text", "")).strip():
        raise ValueError("an SMS message needs a non-empty payload['text']")
    if channel == MessageChannel.SITE and not (
        str(payload.get("title", "")).strip() and str(payload.get("body", "")).strip()
    ):
        raise ValueError("an in-site message needs a non-empty payload['title'] and ['body']")
    if channel == MessageChannel.SITE and not is_site_path(str(payload.get("link") or "/")):
        raise ValueError(
            f"an in-site message links to a path on this site, not {payload['link']!r}"
        )
    _check_key(key)
    return Message(
        channel=channel,
        recipient=recipient,
        key=key,
        event_type=event_type,
        payload=json_safe(payload),
        next_attempt_at=timezone.now(),
    )


def site_message(
    user: Any, *, event_type: str, title: str, body: str, link: str = "", key: str
) -> Message:
    """An in-site message (站内信) for `user`, not saved yet (see `outbox_message`): channel
    `site`, the user's id as recipient. The `site` sender writes it into the user's inbox
    (`SiteMessage`) once, however often the delivery is retried. `link` is a path on this
    site (e.g. the case's page)."""
    return outbox_message(
        MessageChannel.SITE,
        recipient=str(user.pk),
        event_type=event_type,
        payload={"title": title, "body": body, "link": link},
        key=key,
    )


def enqueue_messages(messages: Sequence[Message]) -> list[Message]:
    """Put messages made by `outbox_message` or `site_message` into the outbox, all in one
    go, inside the caller's transaction (RuntimeError otherwise). Each `key` is unique across
    the outbox (prefix it with your domain): a repeat returns the message already there.
    Returns the messages as stored, in order; delivery is enqueued after the commit."""
    _require_transaction()
    return _add(list(messages))


def enqueue_message(
    channel: str, *, recipient: str, event_type: str, payload: dict[str, Any], key: str
) -> Message:
    """Put one message for one recipient into the outbox: `outbox_message` then
    `enqueue_messages`. Same rules as `publish_event`: inside the caller's transaction,
    `key` unique across the outbox, a repeat returns the message already there."""
    message = outbox_message(
        channel, recipient=recipient, event_type=event_type, payload=payload, key=key
    )
    return enqueue_messages([message])[0]


def is_site_path(link: str) -> bool:
    """A path on this site: "/…", but not "//host/…" or "/\\host" (which browsers read as
    another origin)."""
    return link.startswith("/") and not link.startswith("//") and "\\" not in link


def enqueue_site_message(
    user: Any, *, event_type: str, title: str, body: str, link: str = "", key: str
) -> Message:
    """Put an in-site message (站内信) for `user` into the outbox (`site_message`). Same
    rules as `enqueue_message`."""
    message = site_message(user, event_type=event_type, title=title, body=body, link=link, key=key)
    return enqueue_messages([message])[0]


def mark_site_messages_read(user: Any) -> int:
    """Mark every unread in-site message of `user` read (the inbox's "全部标为已读");
    returns how many were unread. Only the user's own messages: the caller passes the
    signed-in user."""
    with transaction.atomic():
        return SiteMessage.objects.filter(recipient=user).unread().update(read_at=timezone.now())


def _add(messages: list[Message]) -> list[Message]:
    """Insert the messages whose key is new; return all of them as stored, in order."""
    if not messages:
        return []
    keys = [message.key for message in messages]
    # A key already in the outbox skips the row; so does one a concurrent transaction is
    # inserting, after waiting for it: the key stays unique without an error in the
    # caller's transaction.
    Message.objects.bulk_create(messages, ignore_conflicts=True)
    stored = {message.key: message for message in Message.objects.filter(key__in=keys)}
    # The rows this call wrote are those with the uuid it made; only they are delivered.
    new = {
        stored[message.key].pk for message in messages if stored[message.key].uuid == message.uuid
    }
    schedule_delivery(sorted(new))
    return [stored[key] for key in keys]


def schedule_delivery(message_ids: Sequence[int]) -> None:
    """Enqueue one delivery task for the messages once the current transaction commits. If
    the enqueue fails the messages are still in the outbox: `deliver_outbox` sends them."""
    if message_ids:
        transaction.on_commit(partial(_enqueue, list(message_ids)), robust=True)


def _enqueue(message_ids: list[int]) -> None:
    deliver_messages.enqueue(message_ids)


def retry_message(message: Message, *, actor: Any, request: HttpRequest | None = None) -> Message:
    """Give a dead message a fresh set of attempts, starting now (the centre admin's
    "重新投递" in the admin, after fixing the endpoint). Only dead messages: Conflict
    otherwise. Audited as `message.retry`."""
    with transaction.atomic():
        locked = Message.objects.select_for_update().get(pk=message.pk)
        if TRANSITIONS.get((locked.state, MessageState.PENDING)) != "manual_retry":
            raise Conflict("只有投递失败的消息可以重新投递。", code="message_not_dead")
        before = snapshot(locked, ["state", "attempts", "last_error"])
        locked.state = MessageState.PENDING
        locked.attempts = 0
        locked.next_attempt_at = timezone.now()
        locked.save(update_fields=["state", "attempts", "next_attempt_at"])
        record(
            "message.retry",
            actor=actor,
            request=request,
            obj=locked,
            before=before,
            after={"state": locked.state, "attempts": 0},
        )
        schedule_delivery([locked.pk])
    return locked


# Webhook endpoints ------------------------------------------------------------------------


def save_webhook_endpoint(
    endpoint: WebhookEndpoint,
    *,
    actor: Any,
    request: HttpRequest | None = None,
    secret: str | None = None,
) -> WebhookEndpoint:
    """Create `endpoint` (no pk yet) or save the changes made to it, audited as
    `webhook.create` / `webhook.update` (the secret never enters the audit trail, only the
    fact that it changed).

    `secret` sets a new signing secret (a Standard Webhooks `whsec_…` value, e.g. one the
    receiver issued); a new endpoint without one gets a generated secret. Read it once from
    `endpoint.secret` to hand it to the receiver. Refuses (InvalidInput, nothing written) a
    URL that is not http(s), an unknown event type, a malformed secret.
    """
    creating = endpoint.pk is None
    if secret is None and creating:
        secret = generate_secret()
    if secret is not None:
        if problem := secret_problem(secret):
            raise InvalidInput(fields={"secret": [problem]})
        endpoint.secret = secret
    unknown = [value for value in endpoint.event_types if value not in EventType.values]
    if unknown:
        raise InvalidInput(fields={"event_types": [f"未知的事件类型：{'、'.join(unknown)}"]})
    endpoint.event_types = sorted(set(endpoint.event_types))
    try:
        endpoint.full_clean()
    except ValidationError as exc:
        raise InvalidInput(fields=exc.message_dict) from exc

    with transaction.atomic():
        if creating:
            endpoint.save()
            record(
                "webhook.create",
                actor=actor,
                request=request,
                obj=endpoint,
                after=snapshot(endpoint, ENDPOINT_FIELDS),
            )
            return endpoint
        current = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        old, new = snapshot(current, ENDPOINT_FIELDS), snapshot(endpoint, ENDPOINT_FIELDS)
        changed = [name for name in ENDPOINT_FIELDS if old[name] != new[name]]
        if not changed and secret is None:
            return endpoint
        before = {name: old[name] for name in changed}
        after = {name: new[name] for name in changed}
        if secret is not None:
            changed.append("secret_encrypted")
            before["secret"], after["secret"] = "（原密钥）", "（已更换）"
        endpoint.save(update_fields=[*changed, "updated_at"])
        record(
            "webhook.update",
            actor=actor,
            request=request,
            obj=endpoint,
            before=before,
            after=after,
        )
    return endpoint


def delete_webhook_endpoint(
    endpoint: WebhookEndpoint, *, actor: Any, request: HttpRequest | None = None
) -> None:
    """Delete an endpoint, audited as `webhook.delete`. Its messages stay in the outbox as
    history; those not yet delivered become dead at their next attempt ("接收端已删除")."""
    with transaction.atomic():
        record(
            "webhook.delete",
            actor=actor,
            request=request,
            obj=endpoint,
            before=snapshot(endpoint, ENDPOINT_FIELDS),
        )
        endpoint.delete()
