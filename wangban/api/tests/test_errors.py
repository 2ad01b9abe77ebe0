"""The error envelope and the status order of API.md: 401, 404, 403, 409, 400."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_unknown_api_path_is_404_envelope(api: APIClient) -> None:
    response = api.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "对象不存在，或您无权查看。", "fields": {}}
    }


def test_unauthenticated_comes_before_bad_input(api: APIClient) -> None:
    response = api.delete("/api/v1/auth/token", data="{not json", content_type="application/json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_malformed_json_is_400(api: APIClient) -> None:
    response = api.post("/api/v1/auth/token", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_request"


def test_unsupported_media_type_is_415(api: APIClient) -> None:
    response = api.post("/api/v1/auth/token", data="username=a", content_type="text/plain")
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_wrong_method_is_405(api: APIClient) -> None:
    response = api.put("/api/v1/auth/token", {}, format="json")
    assert response.status_code == 401  # authentication is checked first
    response = api.patch("/api/v1/auth/token", {}, format="json", HTTP_AUTHORIZATION="Bearer nope")
    assert response.status_code == 401


def test_wrong_method_with_a_valid_token_is_405(api: APIClient, token: str) -> None:
    response = api.put(
        "/api/v1/auth/token", {}, format="json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_session_post_without_csrf_is_refused(user) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.delete("/api/v1/auth/token")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.django_db
def test_the_schema_offers_the_idempotency_key_on_every_post(api: APIClient) -> None:
    schema = api.get("/api/schema/", {"format": "json"}).json()
    posts = {path: ops["post"] for path, ops in schema["paths"].items() if "post" in ops}
    assert {"/api/v1/cases", "/api/v1/cases/{id}/transitions", "/api/v1/auth/token"} <= set(posts)
    for path, operation in posts.items():
        headers = [p for p in operation.get("parameters", []) if p["in"] == "header"]
        assert [p["name"] for p in headers] == ["Idempotency-Key"], path
        assert headers[0]["schema"]["maxLength"] == 255
        # Replayed, except where nothing is kept (a new token each time, a progress query).
        replayed = "返回首次的响应" in headers[0]["description"]
        assert replayed == (path not in ("/api/v1/auth/token", "/api/v1/progress")), path
    # Not on reads.
    listing = schema["paths"]["/api/v1/cases"]["get"]
    assert all(p["in"] != "header" for p in listing.get("parameters", []))
