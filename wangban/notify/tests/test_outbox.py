"""Writing the outbox: in the caller's transaction, one message per subscribed endpoint,
idempotent by key, delivery enqueued only after the commit."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from wangban.accounts.sms import OUTBOX
from wangban.notify.actions import (
    enqueue_message,
    enqueue_messages,
    outbox_message,
    publish_event,
    site_message,
)
from wangban.notify.delivery import deliver_due
from wangban.notify.models import Message
from wangban.notify.tests.helpers import ITEM, make_endpoint, publish

pytestmark = pytest.mark.django_db

TASK_PATH = "wangban.notify.tasks.deliver_messages"


def test_one_message_per_active_subscribed_endpoint(receiver) -> None:
    province = make_endpoint(receiver.url, name="省政务服务平台", events=("item.published",))
    site = make_endpoint(
        receiver.url, name="市交通运输局门户网站", events=("item.published", "item.cancelled")
    )
    make_endpoint(receiver.url, name="只订阅取消", events=("item.cancelled",))
    make_endpoint(receiver.url, name="已停用", events=("item.published",), active=False)

    messages = publish(key="item-change:7")

    assert [(m.endpoint_id, m.key) for m in messages] == [
        (province.pk, f"item-change:7:{province.pk}"),
        (site.pk, f"item-change:7:{site.pk}"),
    ]
    message = messages[0]
    assert message.channel == "webhook"
    assert message.recipient == receiver.url
    assert message.event_type == "item.published"
    assert message.payload == ITEM
    assert (message.state, message.attempts, message.last_error) == ("pending", 0, "")
    assert message.next_attempt_at <= message.created_at
    assert message.sent_at is None


def test_no_subscriber_no_message(receiver) -> None:
    make_endpoint(receiver.url, events=("item.cancelled",))

    assert publish() == []
    assert Message.objects.count() == 0
    assert deliver_due() == Counter()
    assert receiver.received == []


def test_the_same_key_twice_makes_one_message_and_one_delivery(
    receiver, django_capture_on_commit_callbacks
) -> None:
    make_endpoint(receiver.url)
    with django_capture_on_commit_callbacks() as first:
        [message] = publish(key="item-change:9")
    with django_capture_on_commit_callbacks() as second:
        [again] = publish(key="item-change:9")

    assert again.pk == message.pk
    assert Message.objects.count() == 1
    assert (len(first), len(second)) == (1, 0)
    assert deliver_due() == Counter({"sent": 1})
    assert receiver.ids == [message.webhook_id]


def fail_after_publishing() -> None:
    with transaction.atomic():
        publish_event("item.published", ITEM, key="item-change:3")
        raise RuntimeError("the catalogue's write failed")


def test_a_rolled_back_transaction_leaves_no_message_and_sends_nothing(
    receiver, django_capture_on_commit_callbacks
) -> None:
    make_endpoint(receiver.url)

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError, match="catalogue"),
    ):
        fail_after_publishing()

    assert callbacks == []
    assert Message.objects.count() == 0
    assert DBTaskResult.objects.filter(task_path=TASK_PATH).count() == 0
    assert deliver_due() == Counter()
    assert receiver.received == []


def test_delivery_is_enqueued_only_after_the_commit(
    receiver, django_capture_on_commit_callbacks
) -> None:
    make_endpoint(receiver.url)

    with django_capture_on_commit_callbacks(execute=True):
        [message] = publish()
        assert DBTaskResult.objects.filter(task_path=TASK_PATH).count() == 0

    tasks = DBTaskResult.objects.filter(task_path=TASK_PATH)
    assert [task.args_kwargs for task in tasks] == [{"args": [[message.pk]], "kwargs": {}}]


def test_unknown_event_types_and_bad_keys_are_refused(receiver) -> None:
    make_endpoint(receiver.url)
    with pytest.raises(ValueError, match="unknown event type"):
        publish(event_type="item.renamed")
    with pytest.raises(ValueError, match="outbox key"):
        publish(key="")
    with pytest.raises(ValueError, match="outbox key"):
        publish(key="x" * 201)
    assert Message.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_publishing_outside_a_transaction_is_refused(receiver) -> None:
    make_endpoint(receiver.url)

    with pytest.raises(RuntimeError, match=r"inside transaction\.atomic"):
        publish_event("item.published", ITEM, key="item-change:1")
    assert Message.objects.count() == 0


def test_an_sms_goes_through_the_configured_gateway() -> None:
    OUTBOX.clear()
    with transaction.atomic():
        message = enqueue_message(
            "sms",
            recipient="13800138000",
            event_type="case.accepted",
            payload={"text": "您的申请已受理，受理编号 2026112600001。"},
            key="case:1:accepted:sms",
        )

    assert deliver_due() == Counter({"sent": 1})
    assert [(sms.phone, sms.text) for sms in OUTBOX] == [
        ("13800138000", "您的申请已受理，受理编号 2026112600001。")
    ]
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("sent", 1)


def test_an_sms_without_text_is_refused() -> None:
    with pytest.raises(ValueError, match="non-empty"), transaction.atomic():
        enqueue_message("sms", recipient="13800138000", event_type="x.y", payload={}, key="k")
    assert Message.objects.count() == 0


def test_several_messages_go_in_at_once_and_a_repeated_key_adds_nothing(
    django_capture_on_commit_callbacks, django_user_model
) -> None:
    user = django_user_model.objects.create_user("inbox_owner", password="x" * 16)
    sms = outbox_message(
        "sms",
        recipient="13800138000",
        event_type="case.accepted",
        payload={"text": "已受理"},
        key="case:9:accepted:sms",
    )
    site = site_message(
        user,
        event_type="case.accepted",
        title="已受理",
        body="您的申请已受理。",
        link="/cases/9/",
        key="case:9:accepted:site",
    )
    assert Message.objects.count() == 0  # made, not saved
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        stored = enqueue_messages([sms, site])
    assert [(m.channel, m.key) for m in stored] == [
        ("sms", "case:9:accepted:sms"),
        ("site", "case:9:accepted:site"),
    ]
    # One delivery task for the messages of one transaction.
    tasks = DBTaskResult.objects.filter(task_path=TASK_PATH)
    assert [task.args_kwargs["args"] for task in tasks] == [[[m.pk for m in stored]]]
    again = outbox_message(
        "sms",
        recipient="13800138000",
        event_type="case.accepted",
        payload={"text": "已受理"},
        key="case:9:accepted:sms",
    )
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        [repeat] = enqueue_messages([again])
    assert repeat.pk == stored[0].pk
    assert Message.objects.count() == 2
    assert DBTaskResult.objects.filter(task_path=TASK_PATH).count() == 1  # nothing re-sent


@pytest.mark.django_db(transaction=True)
def test_enqueueing_outside_a_transaction_is_refused() -> None:
    sms = outbox_message(
        "sms", recipient="13800138000", event_type="case.accepted", payload={"text": "x"}, key="k1"
    )
    with pytest.raises(RuntimeError, match=r"inside transaction\.atomic"):
        enqueue_messages([sms])
    assert Message.objects.count() == 0
