"""Security headers on every response (pages, API, health, errors)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

PATHS = ["/", "/workbench/login/", "/healthz", "/api/v1/auth/token", "/api/schema/", "/nope"]


@pytest.mark.parametrize("path", PATHS)
def test_every_response_carries_the_security_headers(client: Client, path: str) -> None:
    response = client.get(path, secure=True)
    csp = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "no-store" in response["Cache-Control"]


def test_hsts_is_not_sent_in_demo_mode(client: Client, settings) -> None:
    settings.SECURE_HSTS_SECONDS = 0  # what WANGBAN_DEMO=1 sets (config/settings.py)
    response = client.get("/healthz", secure=True)
    assert "Strict-Transport-Security" not in response


def test_production_redirects_plain_http_to_https(client: Client, settings) -> None:
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/healthz"


def test_pages_have_no_inline_script(client: Client) -> None:
    for path in ["/", "/workbench/login/", "/nope"]:
        html = client.get(path).content.decode()
        for tag in re.findall(r"<script[^>]*>", html):
            assert "src=" in tag, f"inline script on {path}: {tag}"
        assert " on" + "click=" not in html


def test_static_assets_are_local(client: Client) -> None:
    html = client.get("/").content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert "/static/wangban/vendor/htmx-2.0.11.min.js" in sources
    assert all(not s.startswith(("http://", "https://", "//")) for s in sources)
    assert client.get("/static/wangban/vendor/echarts-6.1.0.min.js").status_code == 200


def test_every_form_carries_a_csrf_token(client: Client) -> None:
    for path in ["/", "/workbench/login/"]:
        html = client.get(path).content.decode()
        forms = re.findall(r"<form[^>]*method=\"post\"[^>]*>.*?</form>", html, re.S)
        assert forms, path
        for form in forms:
            assert 'name="csrfmiddlewaretoken"' in form


def test_a_form_post_without_csrf_is_refused(db: None) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/prefs/elder", {"next": "/"})
    assert response.status_code == 403
    assert "页面已过期" in response.content.decode()
    assert "wangban_elder" not in response.cookies
