"""Fixtures of the audit tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from wangban.accounts.choices import Role
from wangban.accounts.models import Department, User
from wangban.audit.tests.helpers import People, staff


@pytest.fixture(autouse=True)
def heads_dir(settings: Any, tmp_path: Path) -> Path:
    """Never sign into (or verify against) the real var/audit/heads.jsonl."""
    directory = tmp_path / "audit-heads"
    settings.WANGBAN_AUDIT_HEADS_DIR = directory
    return directory


@pytest.fixture
def people(db: None) -> People:
    centre = Department.objects.create(code="C00", name="市政务服务中心", is_service_centre=True)
    transport = Department.objects.create(code="D01", name="市交通运输局")
    return People(
        centre=centre,
        transport=transport,
        supervisor=staff("jiancha", centre, Role.SUPERVISOR),
        centre_admin=staff("zhongxin", centre, Role.CENTRE_ADMIN),
        clerk=staff("chuangkou", transport, Role.CLERK),
        applicant=User.objects.create_user("shenqingren", password="a-good-long-password-2"),
    )
