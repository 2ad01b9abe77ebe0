"""Delivering the outbox: claim a message, send it, record the outcome.

Guarantees (docs/notify.md):

* **At least once.** A message is claimed in its own short transaction, committed before
  the network call: state `sending`, one more attempt, and a lease (`next_attempt_at` = now
  + `WANGBAN_NOTIFY_LEASE_SECONDS`). If the worker dies mid-call, the lease runs out and the
  next run sends the message again, so a receiver can see a message twice and must dedupe
  on `webhook-id`.
* **Never twice at once.** Two workers never hold the same message: on PostgreSQL the
  claiming transaction locks the row and other workers skip it (`SKIP LOCKED`); on SQLite
  every write transaction is `IMMEDIATE`, so claims are serialised. The outcome is written
  only if the row is still this worker's claim (same state and attempt number).
* **Retries with backoff.** A failed attempt is retried after base × 4^(n−1) seconds
  (capped, ±jitter so that many failed messages do not return together); after
  `WANGBAN_NOTIFY_MAX_ATTEMPTS` attempts the message is `dead`, audited, and waits for the
  centre admin's manual retry in the admin.
"""

from __future__ import annotations

import logging
import random
import time
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from wangban.audit.actions import record
from wangban.audit.choices import Outcome
from wangban.notify.channels import DeliveryFailed, sender_for
from wangban.notify.choices import MessageState
from wangban.notify.models import Message, MessageQuerySet

logger = logging.getLogger("wangban.notify")

DEFAULT_MAX_ATTEMPTS = 8
DEFAULT_RETRY_BASE_SECONDS = 60
DEFAULT_RETRY_MAX_SECONDS = 12 * 3600
DEFAULT_RETRY_JITTER = 0.2
DEFAULT_LEASE_SECONDS = 120
BACKOFF_FACTOR = 4
MAX_ERROR_CHARS = 1000


def max_attempts() -> int:
    return max(1, int(getattr(settings, "WANGBAN_NOTIFY_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)))


def retry_delay(attempts: int, *, spread: float = 0.0) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt: base × 4^(attempts−1),
    at most the cap, then scaled by 1 + jitter × `spread` (`spread` drawn from [−1, 1])."""
    base = float(getattr(settings, "WANGBAN_NOTIFY_RETRY_BASE_SECONDS", DEFAULT_RETRY_BASE_SECONDS))
    cap = float(getattr(settings, "WANGBAN_NOTIFY_RETRY_MAX_SECONDS", DEFAULT_RETRY_MAX_SECONDS))
    jitter = float(getattr(settings, "WANGBAN_NOTIFY_RETRY_JITTER", DEFAULT_RETRY_JITTER))
    seconds = min(cap, base * BACKOFF_FACTOR ** max(0, attempts - 1))
    return timedelta(seconds=seconds * (1 + jitter * spread))


def claim(queryset: MessageQuerySet) -> Message | None:
    """Take the most overdue due message of `queryset` for this worker, or None."""
    lease = timedelta(
        seconds=int(getattr(settings, "WANGBAN_NOTIFY_LEASE_SECONDS", DEFAULT_LEASE_SECONDS))
    )
    with transaction.atomic():
        now = timezone.now()
        message = (
            queryset.due(now)
            .select_for_update(skip_locked=True)
            .order_by("next_attempt_at", "pk")
            .first()
        )
        if message is None:
            return None
        message.state = MessageState.SENDING
        message.attempts += 1
        message.next_attempt_at = now + lease
        message.save(update_fields=["state", "attempts", "next_attempt_at"])
    return message


def send(message: Message) -> str:
    """Send a claimed message and record the outcome; returns the new state ("" when the
    claim was lost to another worker after the lease ran out)."""
    try:
        sender_for(message.channel).send(message)
    except DeliveryFailed as exc:
        logger.warning("message %s attempt %s failed: %s", message.pk, message.attempts, exc)
        return _finish(message, error=str(exc), final=exc.final)
    except Exception as exc:  # a bug in a sender must not leave the message stuck
        logger.exception("message %s: the %s sender raised", message.pk, message.channel)
        return _finish(message, error=f"内部错误：{exc!r}", final=False)
    return _finish(message, error=None, final=False)


def _finish(message: Message, *, error: str | None, final: bool) -> str:
    now = timezone.now()
    with transaction.atomic():
        mine = Message.objects.filter(
            pk=message.pk, state=MessageState.SENDING, attempts=message.attempts
        )
        if error is None:
            state = MessageState.SENT
            changes = {"state": state, "sent_at": now, "last_error": ""}
        elif final or message.attempts >= max_attempts():
            state = MessageState.DEAD
            changes = {"state": state, "last_error": error[:MAX_ERROR_CHARS]}
        else:
            state = MessageState.PENDING
            spread = random.uniform(-1, 1)  # noqa: S311 (jitter, not a secret)
            changes = {
                "state": state,
                "next_attempt_at": now + retry_delay(message.attempts, spread=spread),
                "last_error": error[:MAX_ERROR_CHARS],
            }
        if not mine.update(**changes):
            logger.warning("message %s: claim lost after its lease ran out", message.pk)
            return ""
        for name, value in changes.items():
            setattr(message, name, value)
        if state == MessageState.DEAD:
            record(
                "message.dead",
                obj=message,
                outcome=Outcome.FAILURE,
                before={"state": MessageState.SENDING},
                after={
                    "state": state,
                    "channel": message.channel,
                    "event_type": message.event_type,
                    "endpoint": message.endpoint_id,
                    "attempts": message.attempts,
                    "last_error": message.last_error[:200],
                },
            )
    return state


def deliver(message_id: int) -> str:
    """Deliver one message if it is due and nobody else holds it (the task's work)."""
    message = claim(Message.objects.filter(pk=message_id))
    return "" if message is None else send(message)


def deliver_due(*, limit: int | None = None, seconds: float | None = None) -> Counter[str]:
    """Deliver due messages one by one, most overdue first, until none is left, `limit`
    were taken, or `seconds` have passed; returns how many ended in each state."""
    counts: Counter[str] = Counter()
    deadline = None if seconds is None else time.monotonic() + seconds
    while limit is None or counts.total() < limit:
        if deadline is not None and time.monotonic() >= deadline:
            break
        message = claim(Message.objects.all())
        if message is None:
            break
        counts[send(message) or "lost"] += 1
    return counts
