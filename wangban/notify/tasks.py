"""Background tasks of the outbox."""

from __future__ import annotations

from django_tasks import task

from wangban.notify.delivery import deliver


@task()
def deliver_message(message_id: int) -> str:
    """Deliver one outbox message (a message already taken is skipped). Enqueued by earlier
    versions, one per message: kept so that the tasks they left in the queue still run."""
    return deliver(message_id)


@task()
def deliver_messages(message_ids: list[int]) -> list[str]:
    """Deliver the outbox messages one write put in (`enqueue_messages`), one after
    another, right after its commit (enqueued by `actions.schedule_delivery`): one task for
    all of them, not one each. Each message is claimed and sent as by `deliver_message`;
    one that fails waits for its retry without holding back the others. Retries and
    messages whose task was lost are picked up by the periodic `deliver_outbox` command."""
    return [deliver(message_id) for message_id in message_ids]
