"""Delivering webhooks to a real HTTP receiver: signed, retried with backoff, dead after the
last attempt, taken again after a crashed worker's lease."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from wangban.audit.models import AuditEvent
from wangban.core.errors import Conflict
from wangban.notify.actions import delete_webhook_endpoint, retry_message, save_webhook_endpoint
from wangban.notify.checks import lease_outlasts_the_timeout
from wangban.notify.delivery import claim, deliver, deliver_due, retry_delay, send
from wangban.notify.models import Message
from wangban.notify.tests.helpers import ITEM, REFUSAL, make_endpoint, publish
from wangban.notify.webhooks import sign

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 26, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


def at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


def state_of(message: Message) -> tuple[str, int, datetime, str]:
    message.refresh_from_db()
    return message.state, message.attempts, message.next_attempt_at, message.last_error


def test_delivered_once_signed_and_marked_sent(receiver, time_machine) -> None:
    time_machine.move_to(START, tick=False)
    make_endpoint(receiver.url)
    [message] = publish()

    assert deliver(message.pk) == "sent"

    [request] = receiver.received
    assert request.signature_ok is True
    assert request.headers["webhook-id"] == message.webhook_id
    assert request.headers["webhook-id"] == f"msg_{message.uuid.hex}"
    assert request.headers["webhook-timestamp"] == str(int(START.timestamp()))
    assert request.headers["webhook-signature"].startswith("v1,")
    assert request.headers["content-type"] == "application/json"
    assert request.body == {
        "type": "item.published",
        "timestamp": "2026-11-26T09:30:00+08:00",
        "data": ITEM,
    }
    message.refresh_from_db()
    assert (message.state, message.attempts, message.sent_at, message.last_error) == (
        "sent",
        1,
        START,
        "",
    )
    assert deliver(message.pk) == ""  # already sent: nothing happens
    assert deliver_due() == Counter()
    assert len(receiver.received) == 1


def test_a_wrong_secret_fails_the_receivers_check(receiver) -> None:
    make_endpoint(receiver.url)
    receiver.secret = "whsec_" + "A" * 44
    [message] = publish()

    assert deliver(message.pk) == "sent"
    assert [request.signature_ok for request in receiver.received] == [False]


def test_a_500_is_retried_later_with_growing_delays(receiver, time_machine) -> None:
    time_machine.move_to(START, tick=False)
    make_endpoint(receiver.url)
    [message] = publish()
    receiver.statuses = [500, 503]

    assert deliver_due() == Counter({"pending": 1})
    assert state_of(message) == ("pending", 1, at(60), f"HTTP 500 {REFUSAL}")
    assert deliver_due() == Counter()  # not due yet

    time_machine.move_to(at(59), tick=False)
    assert deliver_due() == Counter()
    time_machine.move_to(at(60), tick=False)
    assert deliver_due() == Counter({"pending": 1})
    assert state_of(message) == ("pending", 2, at(60 + 240), f"HTTP 503 {REFUSAL}")

    time_machine.move_to(at(300), tick=False)
    assert deliver_due() == Counter({"sent": 1})
    assert state_of(message)[:2] == ("sent", 3)
    assert receiver.ids == [message.webhook_id] * 3  # the same id: receivers dedupe on it
    stamps = [request.headers["webhook-timestamp"] for request in receiver.received]
    assert stamps == [str(int(at(s).timestamp())) for s in (0, 60, 300)]
    assert all(request.signature_ok for request in receiver.received)


def test_a_timeout_is_retried(receiver, settings, time_machine) -> None:
    settings.WANGBAN_NOTIFY_TIMEOUT_SECONDS = 0.3
    time_machine.move_to(START, tick=False)
    make_endpoint(receiver.url)
    [message] = publish()
    receiver.delay = 1.5

    assert deliver(message.pk) == "pending"
    assert state_of(message) == ("pending", 1, at(60), "请求超时（0.3 秒）")

    receiver.delay = 0
    time_machine.move_to(at(60), tick=False)
    assert deliver_due() == Counter({"sent": 1})
    # The receiver got the first request too (it answered too late): at least once.
    assert receiver.ids == [message.webhook_id] * 2


def test_an_unreachable_receiver_is_retried(receiver, time_machine) -> None:
    time_machine.move_to(START, tick=False)
    make_endpoint("http://127.0.0.1:9/nothing-listens-here")
    [message] = publish()

    assert deliver(message.pk) == "pending"
    state, attempts, next_attempt_at, error = state_of(message)
    assert (state, attempts, next_attempt_at) == ("pending", 1, at(60))
    assert error.startswith("无法连接：")


def test_dead_after_the_last_attempt_audited_and_retried_by_hand(
    receiver, settings, time_machine, city
) -> None:
    settings.WANGBAN_NOTIFY_MAX_ATTEMPTS = 3
    time_machine.move_to(START, tick=False)
    endpoint = make_endpoint(receiver.url)
    [message] = publish()
    receiver.statuses = [500, 500, 500]

    assert deliver_due() == Counter({"pending": 1})
    time_machine.move_to(at(60), tick=False)
    assert deliver_due() == Counter({"pending": 1})
    time_machine.move_to(at(300), tick=False)
    assert deliver_due() == Counter({"dead": 1})
    assert state_of(message)[:2] == ("dead", 3)
    time_machine.move_to(at(86400), tick=False)
    assert deliver_due() == Counter()
    assert len(receiver.received) == 3

    event = AuditEvent.objects.get(action="message.dead")
    assert (event.object_type, event.object_id, event.outcome, event.actor_id) == (
        "notify.message",
        str(message.pk),
        "failure",
        None,
    )
    assert event.before == {"state": "sending"}
    assert event.after == {
        "state": "dead",
        "channel": "webhook",
        "event_type": "item.published",
        "endpoint": endpoint.pk,
        "attempts": 3,
        "last_error": f"HTTP 500 {REFUSAL}",
    }

    retry_message(message, actor=city.centre_admin)
    assert state_of(message) == ("pending", 0, at(86400), f"HTTP 500 {REFUSAL}")
    retried = AuditEvent.objects.get(action="message.retry")
    assert (retried.actor_id, retried.object_id) == (city.centre_admin.pk, str(message.pk))
    assert retried.before == {"state": "dead", "attempts": 3, "last_error": f"HTTP 500 {REFUSAL}"}
    assert retried.after == {"state": "pending", "attempts": 0}
    assert deliver_due() == Counter({"sent": 1})
    assert state_of(message)[:2] == ("sent", 1)

    with pytest.raises(Conflict) as refused:
        retry_message(message, actor=city.centre_admin)
    assert refused.value.code == "message_not_dead"


def test_an_expired_lease_is_taken_again(receiver, time_machine) -> None:
    time_machine.move_to(START, tick=False)
    make_endpoint(receiver.url)
    [message] = publish()

    crashed = claim(Message.objects.filter(pk=message.pk))  # a worker took it, then died
    assert crashed is not None
    assert state_of(message) == ("sending", 1, at(120), "")
    assert deliver_due() == Counter()  # the lease still runs
    time_machine.move_to(at(119), tick=False)
    assert deliver_due() == Counter()
    assert receiver.received == []

    time_machine.move_to(at(120), tick=False)
    assert deliver_due() == Counter({"sent": 1})
    assert state_of(message)[:2] == ("sent", 2)

    # The first worker wakes up and sends anyway: the receiver sees the id twice, and the
    # late outcome does not overwrite the message (its claim is gone).
    assert send(crashed) == ""
    assert state_of(message)[:2] == ("sent", 2)
    assert receiver.ids == [message.webhook_id] * 2


def test_an_endpoint_stopped_or_deleted_after_publishing_gets_nothing(receiver, city) -> None:
    stopped = make_endpoint(receiver.url, name="停用")
    deleted = make_endpoint(receiver.url, name="删除")
    first, second = publish()
    stopped.active = False
    save_webhook_endpoint(stopped, actor=city.centre_admin)
    delete_webhook_endpoint(deleted, actor=city.centre_admin)

    assert deliver_due() == Counter({"dead": 2})
    assert receiver.received == []
    assert state_of(first)[::3] == ("dead", "接收端已停用")
    assert state_of(second)[::3] == ("dead", "接收端已删除")
    assert AuditEvent.objects.filter(action="message.dead").count() == 2


def test_the_periodic_command_delivers_what_is_due(receiver, time_machine) -> None:
    time_machine.move_to(START, tick=False)
    make_endpoint(receiver.url)
    [one] = publish(key="item-change:1")
    [two] = publish(key="item-change:2")
    receiver.statuses = [500]

    call_command("deliver_outbox")
    call_command("deliver_outbox")  # nothing due: nothing happens

    assert state_of(one)[:2] == ("pending", 1)
    assert state_of(two)[:2] == ("sent", 1)
    assert receiver.ids == [one.webhook_id, two.webhook_id]


def test_retry_delays_grow_fourfold_up_to_the_cap_with_jitter(settings) -> None:
    assert [retry_delay(n).total_seconds() for n in range(1, 9)] == [
        60,
        240,
        960,
        3840,
        15360,
        43200,
        43200,
        43200,
    ]
    settings.WANGBAN_NOTIFY_RETRY_JITTER = 0.2  # the default
    assert retry_delay(2, spread=1) == timedelta(seconds=288)
    assert retry_delay(2, spread=-1) == timedelta(seconds=192)
    assert retry_delay(7, spread=1) == timedelta(seconds=51840)


def test_a_lease_shorter_than_three_timeouts_is_warned_about(settings) -> None:
    assert lease_outlasts_the_timeout(None) == []  # 120 s against 10 s

    settings.WANGBAN_NOTIFY_TIMEOUT_SECONDS = 60
    [warning] = lease_outlasts_the_timeout(None)

    assert warning.id == "notify.W001"
    assert warning.msg == (
        "WANGBAN_NOTIFY_LEASE_SECONDS (120) is shorter than three times "
        "WANGBAN_NOTIFY_TIMEOUT_SECONDS (60): slow receivers will get messages twice."
    )


def test_the_signature_is_the_one_in_the_docs_example() -> None:
    body = (
        '{"type":"item.published","timestamp":"2026-11-26T09:30:00+08:00","data":'
        '{"code":"11010500000000000000000000000001","name":"道路运输经营许可","version":2}}'
    ).encode()

    signature = sign(
        "whsec_ZXhhbXBsZS1zZWNyZXQtZm9yLXRoZS1kb2NzLTAwMDE=",
        "msg_5f0c3e1a9b8d4c2f8e7a6b5c4d3e2f1a",
        1795656600,
        body,
    )

    assert signature == "v1,sHJNs5xwL2kIJe3iiixhUeOAE8ch2cTpbkIQSpP4IhY="
