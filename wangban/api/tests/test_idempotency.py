"""`Idempotency-Key` on every POST: a retry does nothing twice (API.md, Conventions)."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from wangban.accounts.models import User
from wangban.api.models import IdempotencyRecord

pytestmark = [pytest.mark.django_db, pytest.mark.urls("wangban.api.tests.idempotency_urls")]


@pytest.fixture
def caller(api: APIClient, user: User) -> APIClient:
    api.force_login(user)
    return api


def post(api: APIClient, username: str, key: str | None = "k-1", path: str = "/api/v1/test-users"):
    headers: dict[str, Any] = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return api.post(path, {"username": username}, format="json", **headers)


def test_a_repeat_returns_the_first_response_and_writes_nothing(caller: APIClient) -> None:
    first = post(caller, "lisi")
    again = post(caller, "lisi")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert User.objects.filter(username="lisi").count() == 1


def test_the_same_key_with_another_body_is_409(caller: APIClient) -> None:
    post(caller, "lisi")
    response = post(caller, "wangwu")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert not User.objects.filter(username="wangwu").exists()


def test_without_a_key_each_post_runs(caller: APIClient) -> None:
    post(caller, "a", key=None)
    post(caller, "b", key=None)
    assert User.objects.filter(username__in=["a", "b"]).count() == 2
    assert IdempotencyRecord.objects.count() == 0


def test_keys_are_kept_per_user(caller: APIClient) -> None:
    post(caller, "lisi")
    other = APIClient()
    other.force_login(User.objects.create(username="other"))
    response = post(other, "zhaoliu")
    assert response.status_code == 201
    assert User.objects.filter(username="zhaoliu").exists()


def test_a_bearer_token_caller_is_scoped_like_its_user(api: APIClient, token: str) -> None:
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert post(api, "lisi").status_code == 201
    assert post(api, "lisi")["Idempotent-Replayed"] == "true"
    record = IdempotencyRecord.objects.get()
    assert record.scope == f"user:{User.objects.get(username='zhangsan').pk}"


def test_a_crash_keeps_neither_the_write_nor_the_key(caller: APIClient) -> None:
    caller.raise_request_exception = False
    response = post(caller, "crash", path="/api/v1/test-crash")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"
    assert not User.objects.filter(username="crash").exists()
    assert IdempotencyRecord.objects.count() == 0


def test_a_key_older_than_24_hours_is_forgotten(caller: APIClient, settings) -> None:
    settings.WANGBAN_APPLICANT_IDLE_MINUTES = 2 * 24 * 60  # stay signed in across the day
    post(caller, "first")
    with time_machine.travel(timezone.now() + timedelta(hours=24, minutes=1)):
        response = post(caller, "second")
    assert response.status_code == 201
    assert response.json()["username"] == "second"


def test_an_overlong_key_is_400(caller: APIClient) -> None:
    response = post(caller, "lisi", key="x" * 256)
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"Idempotency-Key": ["长度须为 1 至 255 个字符。"]}
    assert not User.objects.filter(username="lisi").exists()


def test_purge_deletes_only_expired_records(caller: APIClient) -> None:
    from django.core.management import call_command

    post(caller, "old")
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    post(caller, "new", key="k-2")
    call_command("purge_idempotency", verbosity=0)
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["k-2"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_twins_write_once(user: User) -> None:
    """Two identical requests at the same moment: one runs, the other replays it."""
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def send() -> None:
        client = APIClient()
        client.force_login(user)
        barrier.wait()
        statuses.append(post(client, "twin").status_code)
        connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert statuses == [201, 201]
    assert User.objects.filter(username="twin").count() == 1
