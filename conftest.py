"""Test-wide settings: a fast password hasher, and plain HTTP in the test client
(production settings redirect to HTTPS; TLS itself is tested through check --deploy)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings


def pytest_configure(config: pytest.Config) -> None:
    Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)


@pytest.fixture(autouse=True)
def _test_settings(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SECURE_SSL_REDIRECT = False
    # The hashed-manifest storage needs `collectstatic` first; tests use the finders.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
