"""Idle session timeout: 30 minutes for staff, the applicants' own setting for everyone
else; API calls with a bearer token have no session and are not affected."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from wangban.accounts.middleware import IDLE_MESSAGE
from wangban.accounts.tests.helpers import PASSWORD, STAFF_PASSWORD, register
from wangban.conftest import City

pytestmark = pytest.mark.django_db


def at(moment: datetime) -> time_machine.travel:
    return time_machine.travel(moment, tick=False)


def staff_login(client: Client) -> None:
    response = client.post(
        "/workbench/login/", {"username": "transport_clerk", "password": STAFF_PASSWORD}
    )
    assert response.status_code == 302


def test_staff_session_ends_after_30_idle_minutes(client: Client, city: City) -> None:
    start = timezone.now()
    with at(start):
        staff_login(client)
    with at(start + timedelta(minutes=30)):
        response = client.get("/workbench/")
        assert response.status_code == 302
        assert response["Location"] == "/workbench/login/?next=%2Fworkbench%2F"
        assert [str(m) for m in get_messages(response.wsgi_request)] == [IDLE_MESSAGE]
        assert "_auth_user_id" not in client.session
        page = client.get(response["Location"])
    assert IDLE_MESSAGE in page.content.decode()


def test_staff_session_lives_while_used(client: Client, city: City) -> None:
    start = timezone.now()
    with at(start):
        staff_login(client)
    with at(start + timedelta(minutes=29, seconds=59)):
        assert client.get("/workbench/").status_code == 200
    # That request counts as activity: the 30 minutes start again from it.
    with at(start + timedelta(minutes=59, seconds=58)):
        assert client.get("/workbench/").status_code == 200
    with at(start + timedelta(minutes=89, seconds=58)):
        assert client.get("/workbench/").status_code == 302


def test_applicants_have_their_own_idle_limit(client: Client, settings, db: None) -> None:
    settings.WANGBAN_APPLICANT_IDLE_MINUTES = 60
    register("zhang", 1)
    start = timezone.now()
    with at(start):
        assert (
            client.post("/login/", {"username": "zhang", "password": PASSWORD}).status_code == 302
        )
    with at(start + timedelta(minutes=59, seconds=59)):
        assert client.get("/account/").status_code == 200
    with at(start + timedelta(minutes=119, seconds=59)):
        response = client.get("/account/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=%2Faccount%2F"


def test_staff_limit_is_a_setting(client: Client, city: City, settings) -> None:
    settings.WANGBAN_STAFF_IDLE_MINUTES = 10
    start = timezone.now()
    with at(start):
        staff_login(client)
    with at(start + timedelta(minutes=10)):
        assert client.get("/workbench/").status_code == 302


def test_a_timed_out_post_is_not_carried_out(client: Client, city: City) -> None:
    register("zhang", 1)
    start = timezone.now()
    with at(start):
        client.post("/login/", {"username": "zhang", "password": PASSWORD})
    with at(start + timedelta(minutes=31)):
        response = client.post("/account/verify/")
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert client.session.get("_auth_user_id") is None


def test_bearer_token_calls_are_not_affected(city: City) -> None:
    api = APIClient()
    response = api.post(
        "/api/v1/auth/token",
        {"username": "transport_clerk", "password": STAFF_PASSWORD},
        format="json",
    )
    raw = response.json()["token"]
    with at(timezone.now() + timedelta(hours=2)):
        response = api.delete("/api/v1/auth/token", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 204


def test_a_session_api_call_after_the_idle_limit_gets_the_error_envelope(city: City) -> None:
    api = APIClient()
    start = timezone.now()
    with at(start):
        api.force_login(city.transport_clerk)
        assert api.get("/workbench/").status_code == 200
    with at(start + timedelta(minutes=30)):
        response = api.delete("/api/v1/auth/token")
    assert response.status_code == 401
    assert response.json() == {
        "error": {"code": "session_expired", "message": IDLE_MESSAGE, "fields": {}}
    }
