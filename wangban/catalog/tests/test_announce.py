"""一调五调: a change of the catalogue reaches registered systems as a signed webhook whose
data is the change feed's entry, written in the transaction of the change."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from wangban.catalog import actions
from wangban.catalog.models import ItemChange
from wangban.catalog.tests.helpers import CODE, draft, published_item
from wangban.conftest import City
from wangban.core.errors import InvalidInput
from wangban.notify.delivery import deliver_due
from wangban.notify.models import Message
from wangban.notify.tests.helpers import Receiver, make_endpoint, serve


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    server = serve(receiver)
    yield receiver
    server.shutdown()


def test_each_change_is_delivered_signed_with_the_feed_entry(
    city: City, receiver: Receiver
) -> None:
    endpoint = make_endpoint(receiver.url, events=("item.published", "item.cancelled"))
    published_item(city)
    cancel = actions.do_draft_item(
        actor=city.transport_admin, code=CODE, kind="cancel", change_reason="法律废止"
    )
    actions.do_review(
        actions.do_submit_for_review(cancel, actor=city.transport_admin),
        actor=city.centre_admin,
        approve=True,
    )
    changes = list(ItemChange.objects.order_by("pk"))
    assert sorted(Message.objects.values_list("key", flat=True)) == sorted(
        f"item-change:{change.pk}:{endpoint.pk}" for change in changes
    )

    assert deliver_due() == {"sent": 2}
    bodies = sorted((r.body for r in receiver.received), key=lambda body: body["data"]["id"])
    assert all(r.signature_ok for r in receiver.received)
    assert [(b["type"], b["data"]["event"], b["data"]["code"]) for b in bodies] == [
        ("item.published", "published", CODE),
        ("item.cancelled", "cancelled", CODE),
    ]
    assert bodies[0]["data"]["id"] == str(changes[0].pk)
    assert bodies[0]["data"]["item"]["name"] == "道路运输经营许可证核发"
    assert bodies[1]["data"]["item"] is None


def test_unsubscribed_events_and_refused_changes_send_nothing(
    city: City, receiver: Receiver
) -> None:
    make_endpoint(receiver.url, events=("item.adjusted",))
    published_item(city)  # a new item: "published", not subscribed
    version = draft(city, code="OTHER-1")
    version = actions.do_submit_for_review(version, actor=city.transport_admin)
    with pytest.raises(InvalidInput):
        actions.do_review(
            version,
            actor=city.centre_admin,
            approve=True,
            effective_on=timezone.localdate() - timedelta(days=1),
        )
    assert not Message.objects.exists()
    assert deliver_due() == {}
    assert receiver.received == []
