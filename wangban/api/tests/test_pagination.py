"""Lists: ?page=&page_size= (at most 100) -> {"count", "next", "previous", "results"}."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from wangban.accounts.models import User

pytestmark = [pytest.mark.django_db, pytest.mark.urls("wangban.api.tests.idempotency_urls")]


@pytest.fixture
def listing(api: APIClient, user: User) -> APIClient:
    User.objects.bulk_create(User(username=f"u{n:03d}") for n in range(149))
    api.force_authenticate(user)
    return api


def test_default_page(listing: APIClient) -> None:
    body = listing.get("/api/v1/test-users-list").json()
    assert body["count"] == 150
    assert len(body["results"]) == 20
    assert body["previous"] is None
    assert body["next"] == "http://testserver/api/v1/test-users-list?page=2"


def test_page_size_is_capped_at_100(listing: APIClient) -> None:
    body = listing.get("/api/v1/test-users-list?page_size=500&page=2").json()
    assert len(body["results"]) == 50
    assert body["results"][0] == {"username": "u100"}
    assert body["next"] is None
    assert body["previous"] == "http://testserver/api/v1/test-users-list?page_size=500"


def test_a_page_past_the_end_is_404_with_the_envelope(listing: APIClient) -> None:
    response = listing.get("/api/v1/test-users-list?page=99")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
