"""Background task of the outbox."""

from __future__ import annotations

from django_tasks import task

from wangban.notify.delivery import deliver


@task()
def deliver_message(message_id: int) -> str:
    """Deliver one outbox message right after the commit that wrote it (enqueued by
    `actions.schedule_delivery`). Retries and messages whose task was lost are picked up by
    the periodic `deliver_outbox` command; a message already taken is skipped."""
    return deliver(message_id)
