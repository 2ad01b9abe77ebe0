"""Fixes from the review: formula injection in the export; the verifier failing on events
left unchained and on a missing heads file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client
from openpyxl import load_workbook

from wangban.audit.actions import record
from wangban.audit.chain import chain_events
from wangban.audit.heads import heads_path, sign_heads
from wangban.audit.models import AuditEvent
from wangban.audit.tests.helpers import People, sign_in
from wangban.audit.verify import verify_trail

pytestmark = pytest.mark.django_db

EXPORT = "/workbench/audit/export/"
FORMULA = '=HYPERLINK("http://evil/","x")'
T0 = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


def test_the_export_writes_attacker_strings_as_text_never_formulas(people: People) -> None:
    record("auth.login_failed", username=FORMULA, object_type="accounts.user", outcome="failure")
    record("auth.login_failed", username="@SUM(1+1)\x01", object_type="accounts.user")
    client = Client()
    sign_in(client, people.supervisor)

    response = client.get(EXPORT, {"action": "auth.login_failed"})

    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.content))["审计事件"]
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        "@SUM(1+1)\\x01",
        FORMULA,
    ]


def test_an_event_unchained_past_the_grace_period_fails(settings) -> None:
    settings.WANGBAN_AUDIT_UNCHAINED_GRACE_SECONDS = 600
    with time_machine.travel(T0, tick=False):
        event = record("case.update", object_type="cases.case", object_id="1")
    with time_machine.travel(T0 + timedelta(seconds=599), tick=False):
        assert verify_trail().ok
    with time_machine.travel(T0 + timedelta(seconds=601), tick=False):
        result = verify_trail()
        assert not result.ok
        assert result.problems == []
        assert result.unchained_error == (
            f"事件 id {event.pk}（2026-11-25 10:00:00）未上链已超过 600 秒："
            "未上链的事件可被修改或删除而不被发现。"
            "请运行 chain_audit，并检查 db_worker 与定时任务。"
        )
        with pytest.raises(CommandError) as error:
            call_command("verify_audit")
        assert result.unchained_error in str(error.value)
        chain_events()
        sign_heads()
        assert verify_trail().ok


def test_a_missing_heads_file_fails_once_chained_events_are_past_the_grace_period(
    settings,
) -> None:
    settings.WANGBAN_AUDIT_UNCHAINED_GRACE_SECONDS = 600
    with time_machine.travel(T0, tick=False):
        record("case.update", object_type="cases.case", object_id="1")
        chain_events()
    path: Path = heads_path()
    with time_machine.travel(T0 + timedelta(seconds=599), tick=False):
        assert verify_trail().ok  # a fresh installation, before its first sign_audit_heads
    with time_machine.travel(T0 + timedelta(seconds=601), tick=False):
        result = verify_trail()
        assert not result.ok
        assert result.heads_error == (
            f"签名链头文件 {path} 不存在或为空，而已有上链超过 600 秒的事件：无法检测链尾截断。"
            "若文件被删除，请从异地副本恢复；新安装请运行 sign_audit_heads。"
        )
        sign_heads()
        assert verify_trail().ok
        path.unlink()
        assert not verify_trail().ok
        path.write_text("")
        assert not verify_trail().ok


def test_no_events_and_no_heads_file_is_fine() -> None:
    assert not heads_path().exists()
    assert verify_trail().ok
    assert AuditEvent.objects.count() == 0
