"""Sign-ins, failed sign-ins and lockouts are audited (乌海第二十六条)."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

from wangban.audit.actions import record_lockout
from wangban.audit.models import AuditEvent
from wangban.audit.tests.helpers import People

pytestmark = pytest.mark.django_db

LOGIN = "/workbench/login/"


def test_a_sign_in_is_recorded(people: People) -> None:
    response = Client().post(LOGIN, {"username": "jiancha", "password": "a-good-long-password-1"})
    assert response.status_code == 302

    event = AuditEvent.objects.get()
    assert event.action == "auth.login"
    assert (event.actor_id, event.actor_username, event.department) == (
        people.supervisor.pk,
        "jiancha",
        "C00",
    )
    assert (event.ip, event.channel, event.outcome) == ("127.0.0.1", "web", "success")
    assert (event.object_type, event.object_id) == ("accounts.user", str(people.supervisor.pk))


def test_a_failed_sign_in_records_the_name_tried_never_the_password(people: People) -> None:
    response = Client().post(LOGIN, {"username": "jiancha", "password": "wrong-password-123"})
    assert response.status_code == 200

    event = AuditEvent.objects.get()
    assert event.action == "auth.login_failed"
    assert (event.actor_id, event.actor_username) == (None, "jiancha")
    assert (event.ip, event.channel, event.outcome) == ("127.0.0.1", "web", "failure")
    assert (event.object_type, event.object_id) == ("accounts.user", str(people.supervisor.pk))
    assert (event.before, event.after) == (None, None)
    assert "wrong-password" not in str(AuditEvent.objects.values().get())


def test_a_failed_sign_in_with_an_unknown_name(db: None) -> None:
    Client().post(LOGIN, {"username": "nobody", "password": "whatever-password-1"})

    event = AuditEvent.objects.get()
    assert (event.action, event.actor_username, event.object_id) == (
        "auth.login_failed",
        "nobody",
        "",
    )


def test_record_lockout(people: People) -> None:
    request = RequestFactory().post(LOGIN, REMOTE_ADDR="192.0.2.7")

    event = record_lockout(request, "chuangkou")

    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.action == "auth.lockout"
    assert (stored.actor_id, stored.actor_username) == (None, "chuangkou")
    assert (stored.ip, stored.channel, stored.outcome) == ("192.0.2.7", "web", "denied")
    assert (stored.object_type, stored.object_id) == ("accounts.user", str(people.clerk.pk))


def test_record_lockout_through_the_api(db: None) -> None:
    request = RequestFactory().post("/api/v1/auth/token", REMOTE_ADDR="192.0.2.8")

    event = record_lockout(request, "robot")

    assert (event.channel, event.object_id, event.outcome) == ("api", "", "denied")
