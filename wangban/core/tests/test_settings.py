"""Settings are production-safe by default, and demo mode never meets production."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

PRODUCTION_ENV = {
    "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
    "ALLOWED_HOSTS": "banshi.example.gov.cn",
    "DATABASE_URL": "sqlite:///:memory:",
    "WANGBAN_PII_KEYS": "k1:MDEyMzQ1Njc4OWFiY2RlZg==",
    "WANGBAN_PII_DIGEST_KEY": "ZGlnZXN0LWtleS10ZXN0cw==",
    "WANGBAN_AUDIT_SIGNING_KEY": "a-production-audit-signing-key",
    "WANGBAN_PUBLIC_URL": "https://banshi.example.gov.cn",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    inherited = {
        "WANGBAN_DEMO",
        "DEBUG",
        "SECRET_KEY",
        "SECURE_SSL_REDIRECT",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
        "WANGBAN_PII_KEYS",
        "WANGBAN_PII_DIGEST_KEY",
        "WANGBAN_AUDIT_SIGNING_KEY",
        "WANGBAN_PUBLIC_URL",
    }
    clean = {k: v for k, v in os.environ.items() if k not in inherited}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_check_deploy_passes_with_production_settings() -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_in_demo_mode() -> None:
    env = {**PRODUCTION_ENV, "ALLOWED_HOSTS": "localhost", "WANGBAN_DEMO": "1"}
    result = manage("check", "--deploy", **env)
    assert result.returncode != 0
    assert "wangban.E001" in result.stderr


@pytest.mark.parametrize("url", [None, "http://localhost:8000", "http://banshi.example.gov.cn"])
def test_check_deploy_fails_without_the_public_https_address(url: str | None) -> None:
    """Sealed decisions print it in their QR code and text messages carry it: left at the
    default, every decision would send its readers to http://localhost:8000 for good."""
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "WANGBAN_PUBLIC_URL"}
    if url is not None:
        env["WANGBAN_PUBLIC_URL"] = url
    result = manage("check", "--deploy", **env)
    assert result.returncode != 0
    assert "wangban.E003" in result.stderr


def test_demo_mode_is_refused_with_a_public_host() -> None:
    result = manage("check", **{**PRODUCTION_ENV, "WANGBAN_DEMO": "1"})
    assert result.returncode != 0
    assert "WANGBAN_DEMO=1 only serves localhost" in result.stderr


def test_production_refuses_to_start_without_a_secret_key() -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = manage("check", **env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_pii_keys() -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "WANGBAN_PII_DIGEST_KEY"}
    result = manage("check", **env)
    assert result.returncode != 0
    assert "WANGBAN_PII_KEYS and WANGBAN_PII_DIGEST_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_an_audit_signing_key() -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "WANGBAN_AUDIT_SIGNING_KEY"}
    result = manage("check", **env)
    assert result.returncode != 0
    assert "WANGBAN_AUDIT_SIGNING_KEY must be set" in result.stderr


def test_a_malformed_boolean_is_refused() -> None:
    result = manage("check", **{**PRODUCTION_ENV, "DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG must be 1 or 0" in result.stderr


def test_load_demo_is_refused_outside_demo_mode() -> None:
    result = manage("load_demo", **PRODUCTION_ENV)
    assert result.returncode != 0
    assert "WANGBAN_DEMO=1" in result.stderr


@pytest.mark.django_db
def test_sqlite_is_configured_for_concurrent_writers() -> None:
    from django.conf import settings
    from django.db import connection

    options = settings.DATABASES["default"].get("OPTIONS", {})
    if connection.vendor != "sqlite":
        assert connection.vendor == "postgresql"
        return
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] == 20
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"


def test_language_and_time_zone() -> None:
    from django.conf import settings

    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True


@pytest.mark.parametrize(
    ("prepared", "expected"),
    [
        ("1", "{'sslmode': 'require', 'server_side_binding': True, 'prepare_threshold': 5}"),
        ("0", "{'sslmode': 'require'}"),
    ],
)
def test_prepared_statements_keep_the_options_of_the_database_url(
    prepared: str, expected: str
) -> None:
    # No connection is made: the settings are only printed.
    url = "postgres://wangban:secret@db.internal:5432/wangban?sslmode=require"
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'])",
        **{**PRODUCTION_ENV, "DATABASE_URL": url, "DB_PREPARED_STATEMENTS": prepared},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == expected
