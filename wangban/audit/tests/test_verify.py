"""Verification: an intact trail passes; every kind of tampering is named at its first event."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from wangban.audit.actions import record
from wangban.audit.chain import CONTENT_FIELDS, chain_events, content_of, event_hash
from wangban.audit.heads import heads_path, sign_heads
from wangban.audit.models import AuditChainHead, AuditEvent
from wangban.audit.tests.helpers import tamper
from wangban.audit.verify import BreakKind, verify_trail

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(settings) -> list[int]:
    """Five chained events in one chain; their ids by seq (index 0 is seq 1)."""
    settings.WANGBAN_AUDIT_CHAINS = 1
    for n in range(1, 6):
        record(
            "case.update",
            object_type="cases.case",
            object_id="1",
            before={"step": n - 1},
            after={"step": n},
        )
    chain_events()
    return list(AuditEvent.objects.order_by("seq").values_list("id", flat=True))


def only_problem():
    result = verify_trail()
    assert not result.ok
    [problem] = result.problems
    return problem


def test_an_intact_trail_verifies(trail: list[int]) -> None:
    result = verify_trail()

    assert result.ok
    assert result.events == 5
    [chain] = result.chains
    assert (chain.chain, chain.events, chain.last_seq, chain.problem) == (0, 5, 5, None)
    assert chain.last_hash == AuditEvent.objects.get(seq=5).hash


def test_the_command_prints_a_summary_when_intact(trail: list[int], capsys) -> None:
    sign_heads()
    call_command("verify_audit")

    out = capsys.readouterr().out
    assert "链 0：5 条，序号 1–5" in out
    assert "已签名至序号 5，完好" in out
    assert "审计链完好：1 条链，5 条事件" in out


def test_an_edited_field_is_named(trail: list[int]) -> None:
    tamper("UPDATE audit_auditevent SET outcome = %s WHERE id = %s", ["denied", trail[2]])

    problem = only_problem()
    assert (problem.chain, problem.seq, problem.event_id) == (0, 3, trail[2])
    assert problem.kind == BreakKind.CONTENT_CHANGED
    assert str(problem) == (
        f"链 0 序号 3（事件 id {trail[2]}）：内容被修改。按内容重新计算的哈希与记录的哈希不符。"
    )


def test_the_command_fails_naming_the_event(trail: list[int]) -> None:
    tamper(
        "UPDATE audit_auditevent SET actor_username = %s WHERE id = %s", ["someone-else", trail[1]]
    )

    with pytest.raises(CommandError) as excinfo:
        call_command("verify_audit")

    assert str(excinfo.value) == (
        "审计链校验失败：\n"
        f"链 0 序号 2（事件 id {trail[1]}）：内容被修改。按内容重新计算的哈希与记录的哈希不符。"
    )


def test_a_deleted_middle_event_is_named(trail: list[int]) -> None:
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [trail[2]])

    problem = only_problem()
    assert (problem.seq, problem.event_id, problem.kind) == (4, trail[3], BreakKind.MISSING)
    assert problem.detail == "此前序号 3 的事件已不在表中。"


def test_several_deleted_events_are_named_as_a_range(trail: list[int]) -> None:
    tamper("DELETE FROM audit_auditevent WHERE id IN (%s, %s)", [trail[1], trail[2]])

    problem = only_problem()
    assert (problem.seq, problem.kind) == (4, BreakKind.MISSING)
    assert problem.detail == "此前序号 2–3 的事件已不在表中。"


def _swap_content(first: int, second: int) -> None:
    rows = {
        row[-1]: content_of(row)
        for row in AuditEvent.objects.filter(pk__in=[first, second]).values_list(
            *CONTENT_FIELDS, "id"
        )
    }
    json_value = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    columns = ", ".join(
        f"{name} = {json_value}" if name in {"before", "after"} else f"{name} = %s"
        for name in CONTENT_FIELDS
    )
    for target, source in ((first, second), (second, first)):
        values = []
        for name in CONTENT_FIELDS:
            value = rows[source][name]
            if name == "at":
                value = connection.ops.adapt_datetimefield_value(value)
            elif name in {"before", "after"}:
                value = json.dumps(value)
            values.append(value)
        sql = f"UPDATE audit_auditevent SET {columns} WHERE id = %s"  # noqa: S608
        tamper(sql, [*values, target])


def test_swapped_contents_are_named_as_a_change_of_order(trail: list[int]) -> None:
    _swap_content(trail[1], trail[3])

    problem = only_problem()
    assert (problem.seq, problem.event_id, problem.kind) == (2, trail[1], BreakKind.ORDER_CHANGED)
    assert problem.detail == "它的内容属于序号 4 的位置（事件内容被互换）。"


def test_swapped_positions_are_named_as_a_change_of_order(trail: list[int]) -> None:
    tamper("UPDATE audit_auditevent SET seq = -1 WHERE id = %s", [trail[1]])
    tamper("UPDATE audit_auditevent SET seq = 2 WHERE id = %s", [trail[2]])
    tamper("UPDATE audit_auditevent SET seq = 3 WHERE id = %s", [trail[1]])

    problem = only_problem()
    assert (problem.seq, problem.event_id, problem.kind) == (2, trail[2], BreakKind.ORDER_CHANGED)


def test_events_cut_off_after_a_signed_head_are_detected(trail: list[int]) -> None:
    """The attacker deletes the newest events and fixes the head row: only the signed head
    outside the database tells."""
    sign_heads()
    tamper("DELETE FROM audit_auditevent WHERE id IN (%s, %s)", [trail[3], trail[4]])
    AuditChainHead.objects.filter(chain=0).update(seq=3, hash=AuditEvent.objects.get(seq=3).hash)

    problem = only_problem()
    assert (problem.chain, problem.seq, problem.event_id) == (0, 4, None)
    assert problem.kind == BreakKind.TRUNCATED
    assert "签名的链头为序号 5，表中该链只到序号 3：其后的事件被截断。" in problem.detail

    with pytest.raises(CommandError, match=r"链 0 序号 4（无对应事件）：链头之后的事件被截断"):
        call_command("verify_audit")


def test_events_cut_off_without_a_signed_head_are_caught_by_the_head_row(
    trail: list[int],
) -> None:
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [trail[4]])

    problem = only_problem()
    assert (problem.seq, problem.kind) == (5, BreakKind.TRUNCATED)
    assert problem.detail == "链头记录为序号 5，表中该链只到序号 4：其后的事件被截断。"


def test_a_rewritten_history_is_caught_by_the_signed_head(trail: list[int]) -> None:
    """An attacker who recomputes every hash after an edit passes the chain checks, but not
    the head signed before the edit."""
    sign_heads()
    tamper("UPDATE audit_auditevent SET outcome = %s WHERE id = %s", ["denied", trail[1]])
    prev = AuditEvent.objects.get(seq=1).hash or ""
    for seq in range(2, 6):
        row = AuditEvent.objects.filter(seq=seq).values_list(*CONTENT_FIELDS, "id").get()
        digest = event_hash(content_of(row), chain=0, seq=seq, prev_hash=prev)
        tamper(
            "UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE id = %s",
            [prev, digest, row[-1]],
        )
        prev = digest
    AuditChainHead.objects.filter(chain=0).update(hash=prev)

    problem = only_problem()
    assert (problem.seq, problem.event_id, problem.kind) == (5, trail[4], BreakKind.HEAD_MISMATCH)


def test_a_head_row_that_does_not_match_is_named(trail: list[int]) -> None:
    AuditChainHead.objects.filter(chain=0).update(hash="f" * 64)

    problem = only_problem()
    assert (problem.seq, problem.kind) == (5, BreakKind.HEAD_MISMATCH)


def test_a_forged_signed_head_is_refused(trail: list[int]) -> None:
    sign_heads()
    path = heads_path()
    line = json.loads(path.read_text())
    line["seq"] = 4
    line["hash"] = AuditEvent.objects.get(seq=4).hash
    path.write_text(json.dumps(line) + "\n")

    problem = only_problem()
    assert (problem.seq, problem.kind) == (4, BreakKind.BAD_SIGNATURE)


def test_heads_signed_with_a_retired_key_still_verify(trail: list[int], settings) -> None:
    settings.WANGBAN_AUDIT_SIGNING_KEY = "old-key-0123456789"
    sign_heads()
    settings.WANGBAN_AUDIT_SIGNING_KEY = "new-key-0123456789"

    assert only_problem().kind == BreakKind.BAD_SIGNATURE

    settings.WANGBAN_AUDIT_SIGNING_OLD_KEYS = ["old-key-0123456789"]
    assert verify_trail().ok


def test_a_damaged_heads_file_fails_verification(trail: list[int]) -> None:
    path: Path = heads_path()
    path.parent.mkdir(parents=True)
    path.write_text("{not json\n")

    result = verify_trail()
    assert not result.ok
    assert result.heads_error.startswith("签名链头文件第 1 行（自末尾起）无法解析")


def test_unchained_events_are_counted_not_failed(trail: list[int]) -> None:
    record("case.update", object_type="cases.case", object_id="1")

    result = verify_trail()
    assert result.ok
    assert (result.events, result.unchained) == (5, 1)
    assert result.oldest_unchained_at is not None


def test_each_broken_chain_is_named_and_the_others_pass(settings) -> None:
    settings.WANGBAN_AUDIT_CHAINS = 4
    for object_id in range(20):
        record("case.update", object_type="cases.case", object_id=str(object_id))
    chain_events()
    victim = AuditEvent.objects.get(chain=2, seq=2)
    tamper("UPDATE audit_auditevent SET object_id = %s WHERE id = %s", ["99", victim.pk])

    result = verify_trail()
    assert [(c.chain, c.problem is None) for c in result.chains] == [
        (0, True),
        (1, True),
        (2, False),
        (3, True),
    ]
    [problem] = result.problems
    assert (problem.chain, problem.seq, problem.event_id) == (2, 2, victim.pk)
