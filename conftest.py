"""Test-wide settings: production settings (see pyproject's pytest env) with a fast
password hasher, static files from the finders, and Chromium for browser journeys."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache

from wangban.catalog import frozen
from wangban.core.calendar import invalidate_calendar_cache


def pytest_configure(config: pytest.Config) -> None:
    # Set before anything (the live server included) reads them.
    Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # WhiteNoise expects it
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The hashed-manifest storage needs `collectstatic` first; tests use the finders, and
    # WhiteNoise serves from them too (a fresh checkout has no collected files).
    settings.WHITENOISE_USE_FINDERS = True
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    # Nothing cached may leak from one test into the next: rate-limit counters, and the
    # working-day calendar and the frozen versions' steps and materials (built from rows
    # that the test database rolls back).
    cache.clear()
    invalidate_calendar_cache()
    frozen.forget()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (its own browser download is not used)."""
    # Playwright's sync API runs an event loop in this thread; the ORM calls that tests
    # make between page actions are still plain synchronous code.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser page (phone-sized, Chinese) that fails the test on any console
    error, which includes every Content-Security-Policy violation.

    A page that answers a form with 400 (bad input, shown beside the fields) makes Chromium
    log "Failed to load resource" for the document itself; that status is the page's
    meaning, so only those lines are let through — a failing script, style or image still
    fails the test."""
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    errors: list[tuple[str, str]] = []
    documents_in_error: set[str] = set()

    def on_response(response) -> None:
        if response.request.resource_type == "document" and response.status >= 400:
            documents_in_error.add(response.url)

    def on_console(msg) -> None:
        if msg.type == "error":
            errors.append((msg.text, msg.location.get("url", "")))

    page.on("response", on_response)
    page.on("console", on_console)
    page.on("pageerror", lambda exc: errors.append((str(exc), "")))
    yield page
    context.close()
    unexpected = [
        text
        for text, url in errors
        if not (text.startswith("Failed to load resource") and url in documents_in_error)
    ]
    assert unexpected == [], unexpected  # noqa: S101
