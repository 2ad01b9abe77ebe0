"""Recording: what `record()` stores, in the caller's transaction, and what it refuses."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import RequestFactory

from wangban.accounts.models import RoleGrant
from wangban.audit.actions import record, snapshot
from wangban.audit.chain import _enqueue_chainer, chain_for
from wangban.audit.models import AuditEvent
from wangban.audit.tests.helpers import People

pytestmark = pytest.mark.django_db


def test_record_copies_actor_request_and_object(people: People) -> None:
    request = RequestFactory().post("/workbench/staff/", REMOTE_ADDR="10.1.2.3")
    grant = RoleGrant.objects.get(user=people.clerk)

    event = record(
        "role.grant",
        actor=people.centre_admin,
        request=request,
        obj=grant,
        role="centre_admin",
        after={"role": "clerk", "department": "D01"},
    )

    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.actor_id == people.centre_admin.pk
    assert stored.actor_username == "zhongxin"
    assert stored.role == "centre_admin"
    assert stored.department == "C00"
    assert stored.ip == "10.1.2.3"
    assert stored.channel == "web"
    assert stored.action == "role.grant"
    assert stored.object_type == "accounts.rolegrant"
    assert stored.object_id == str(grant.pk)
    assert stored.before is None
    assert stored.after == {"role": "clerk", "department": "D01"}
    assert stored.outcome == "success"
    assert stored.chain == chain_for("accounts.rolegrant", str(grant.pk))
    assert (stored.seq, stored.prev_hash, stored.hash) == (None, None, None)


def test_record_without_actor_or_request_is_the_system(db: None) -> None:
    event = record("case.auto_accept", object_type="cases.case", object_id=42)

    assert (event.actor_id, event.actor_username, event.department) == (None, "", "")
    assert (event.ip, event.channel) == ("", "system")
    assert (event.object_type, event.object_id) == ("cases.case", "42")


def test_channel_comes_from_the_path_or_the_caller(people: People) -> None:
    factory = RequestFactory()
    api = record("pii.view", actor=people.clerk, request=factory.get("/api/v1/people/1"))
    web = record("pii.view", actor=people.clerk, request=factory.get("/workbench/"))
    window = record(
        "pii.view", actor=people.clerk, request=factory.get("/workbench/"), channel="window"
    )

    assert [api.channel, web.channel, window.channel] == ["api", "web", "window"]


def test_actor_without_department_and_explicit_department(people: People) -> None:
    plain = record("auth.login", actor=people.applicant)
    told = record("role.grant", actor=people.clerk, department="C00")

    assert plain.department == ""
    assert told.department == "C00"


def test_values_are_stored_as_plain_json(people: People) -> None:
    event = record(
        "department.update",
        actor=people.centre_admin,
        obj=people.transport,
        before={"name": "市交通局", "since": date(2026, 1, 5), "fee": Decimal("12.50")},
        after=snapshot(people.transport, ["name", "parent", "is_active"]),
    )

    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.before == {"name": "市交通局", "since": "2026-01-05", "fee": "12.50"}
    assert stored.after == {"name": "市交通运输局", "parent": None, "is_active": True}


def test_an_unparseable_address_is_left_empty(db: None) -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="not-an-ip")
    assert record("auth.login_failed", request=request, username="x").ip == ""


def test_ipv6_address_is_kept(db: None) -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="2001:db8::1")
    assert record("auth.login_failed", request=request, username="x").ip == "2001:db8::1"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"action": "Login"}, "domain.verb"),
        ({"action": "auth"}, "domain.verb"),
        ({"action": "auth.login", "outcome": "ok"}, "outcome"),
        ({"action": "auth.login", "channel": "fax"}, "channel"),
        ({"action": "auth.login", "object_id": "x" * 65}, "longer than 64"),
        ({"action": "auth.login", "object_type": "cases/case"}, "app.model"),
    ],
)
def test_programming_errors_are_refused(db: None, kwargs: dict, message: str) -> None:
    action = kwargs.pop("action")
    with pytest.raises(ValueError, match=message):
        record(action, **kwargs)
    assert AuditEvent.objects.count() == 0


class BusinessWriteFailed(Exception):
    pass


def grant_then_fail(people: People) -> None:
    with transaction.atomic():
        record("role.grant", actor=people.centre_admin, obj=people.clerk)
        raise BusinessWriteFailed


def test_an_event_rolls_back_with_its_transaction(people: People) -> None:
    with pytest.raises(BusinessWriteFailed):
        grant_then_fail(people)

    assert AuditEvent.objects.count() == 0


def test_an_event_commits_with_its_transaction_not_with_a_failed_savepoint(
    people: People,
) -> None:
    with transaction.atomic():
        record("role.revoke", actor=people.centre_admin, obj=people.clerk)
        with pytest.raises(BusinessWriteFailed):
            grant_then_fail(people)

    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["role.revoke"]


def test_the_chainer_is_scheduled_once_per_transaction(
    people: People, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        for _ in range(3):
            record("pii.view", actor=people.clerk, obj=people.applicant)

    assert callbacks == [_enqueue_chainer]


def test_scheduling_can_be_switched_off(
    people: People, settings, django_capture_on_commit_callbacks
) -> None:
    settings.WANGBAN_AUDIT_CHAIN_ON_COMMIT = False
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        record("pii.view", actor=people.clerk, obj=people.applicant)

    assert callbacks == []


def test_chain_of_an_object_is_stable() -> None:
    assert chain_for("accounts.user", "7", 4) == chain_for("accounts.user", "7", 4)
    assert {chain_for("accounts.user", str(n), 4) for n in range(100)} == {0, 1, 2, 3}
