"""Concurrent delivery runs never send one message twice; the task worker delivers what a
committed transaction published."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection, transaction
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from wangban.notify.actions import publish_event
from wangban.notify.delivery import deliver, deliver_due
from wangban.notify.models import Message
from wangban.notify.tests.helpers import ITEM, make_endpoint, publish

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(functions: list[Callable[[], object]]) -> list[object]:
    """Run the functions in threads started at the same moment; re-raise the first error."""
    start = threading.Barrier(len(functions))
    results: list[object] = [None] * len(functions)
    errors: list[BaseException] = []

    def run(index: int, function: Callable[[], object]) -> None:
        try:
            start.wait()
            results[index] = function()
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(index, function))
        for index, function in enumerate(functions)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    return results


def test_concurrent_runs_send_every_message_exactly_once(receiver) -> None:
    make_endpoint(receiver.url, name="省政务服务平台")
    make_endpoint(receiver.url, name="市交通运输局门户网站")
    with transaction.atomic():
        for change in range(15):
            publish_event("item.published", ITEM, key=f"item-change:{change}")

    results = run_together([deliver_due] * 4)

    assert sum((result for result in results if isinstance(result, Counter)), Counter()) == {
        "sent": 30
    }
    expected = sorted(message.webhook_id for message in Message.objects.all())
    assert sorted(receiver.ids) == expected  # each once: no duplicates, none missing
    assert len(set(receiver.ids)) == 30
    assert Message.objects.filter(state="sent", attempts=1).count() == 30


def test_workers_racing_for_one_message_send_it_once(receiver) -> None:
    make_endpoint(receiver.url)
    [message] = publish()
    receiver.delay = 0.3  # the winner is still sending while the others try

    results = run_together([lambda: deliver(message.pk)] * 4)

    assert sorted(str(result) for result in results) == ["", "", "", "sent"]
    assert receiver.ids == [message.webhook_id]


def test_the_task_worker_delivers_after_the_commit(receiver) -> None:
    make_endpoint(receiver.url)
    [message] = publish()  # commits: the delivery task is enqueued
    tasks = DBTaskResult.objects.filter(task_path="wangban.notify.tasks.deliver_messages")
    assert [task.args_kwargs for task in tasks] == [{"args": [[message.pk]], "kwargs": {}}]

    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="notify-test",
        excluded_queue_names=[],
    ).run()

    message.refresh_from_db()
    assert (message.state, message.attempts) == ("sent", 1)
    assert receiver.ids == [message.webhook_id]
    assert [task.status for task in tasks.all()] == ["SUCCESSFUL"]
