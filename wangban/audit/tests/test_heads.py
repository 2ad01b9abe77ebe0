"""Signed heads: the append-only file outside the database, its key and its refusals."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from wangban.audit import heads
from wangban.audit.actions import record
from wangban.audit.chain import chain_events
from wangban.audit.heads import (
    SignedHead,
    heads_path,
    key_id,
    mac_of,
    read_newest_signed_heads,
    sign_heads,
    signing_key,
)
from wangban.audit.models import AuditChainHead, AuditEvent
from wangban.audit.tests.helpers import tamper

pytestmark = pytest.mark.django_db


def add_events(count: int, object_id: str = "1") -> None:
    for _ in range(count):
        record("case.update", object_type="cases.case", object_id=object_id)
    chain_events()


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_heads_are_written_to_the_configured_directory(heads_dir: Path, settings) -> None:
    settings.WANGBAN_AUDIT_CHAINS = 1
    add_events(3)

    result = sign_heads()

    assert heads_path() == heads_dir / "heads.jsonl"
    [line] = lines(heads_dir / "heads.jsonl")
    head = AuditChainHead.objects.get(chain=0)
    assert {k: line[k] for k in ("chain", "seq", "hash")} == {
        "chain": 0,
        "seq": 3,
        "hash": head.hash,
    }
    assert line["key_id"] == key_id(signing_key())
    assert line["mac"] == mac_of(line, signing_key())
    assert [h.seq for h in result.signed] == [3]
    assert SignedHead(**line).signature_valid()


def test_the_default_directory_is_under_var_dir(settings) -> None:
    del settings.WANGBAN_AUDIT_HEADS_DIR
    assert heads_path() == settings.VAR_DIR / "audit" / "heads.jsonl"


def test_signing_is_idempotent_and_only_moved_heads_are_signed_again(
    heads_dir: Path, settings
) -> None:
    settings.WANGBAN_AUDIT_CHAINS = 4
    for object_id in range(8):
        add_events(1, object_id=str(object_id))
    first = sign_heads()
    second = sign_heads()

    assert len(first.signed) == AuditChainHead.objects.filter(seq__gt=0).count()
    assert second.signed == []
    assert sorted(second.unchanged) == sorted(h.chain for h in first.signed)

    add_events(2, object_id="0")
    third = sign_heads()
    moved = AuditEvent.objects.filter(object_id="0").values_list("chain", flat=True).first()
    assert [h.chain for h in third.signed] == [moved]
    assert len(lines(heads_dir / "heads.jsonl")) == len(first.signed) + 1


def test_the_key_defaults_to_one_derived_from_the_secret_key(settings) -> None:
    settings.WANGBAN_AUDIT_SIGNING_KEY = None
    derived = hmac.new(
        settings.SECRET_KEY.encode(), b"wangban.audit.heads.v1", hashlib.sha256
    ).digest()
    assert signing_key() == derived

    settings.WANGBAN_AUDIT_SIGNING_KEY = "a-separate-key-kept-off-the-database-host"
    assert signing_key() == b"a-separate-key-kept-off-the-database-host"


def test_a_head_behind_the_signed_one_is_refused(settings) -> None:
    settings.WANGBAN_AUDIT_CHAINS = 1
    add_events(3)
    sign_heads()
    newest = AuditEvent.objects.get(seq=3)
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [newest.pk])
    AuditChainHead.objects.filter(chain=0).update(seq=2, hash=AuditEvent.objects.get(seq=2).hash)

    result = sign_heads()
    assert result.signed == []
    assert result.refused == ["链 0：链头序号 2 小于已签名的序号 3，事件可能被截断，拒绝签名。"]
    with pytest.raises(CommandError, match="拒绝签名"):
        call_command("sign_audit_heads")
    assert read_newest_signed_heads()[0].seq == 3


def test_a_head_that_disagrees_with_the_table_is_refused(settings) -> None:
    settings.WANGBAN_AUDIT_CHAINS = 1
    add_events(2)
    AuditChainHead.objects.filter(chain=0).update(hash="e" * 64)

    assert sign_heads().refused == ["链 0：链头（序号 2）与表中事件不符，拒绝签名。"]
    assert not heads_path().exists() or heads_path().read_text() == ""


def test_the_newest_line_of_each_chain_is_found_reading_backwards(
    heads_dir: Path, monkeypatch
) -> None:
    monkeypatch.setattr(heads, "_BLOCK", 97)  # lines straddle block boundaries
    heads_dir.mkdir()
    path = heads_dir / "heads.jsonl"
    key = signing_key()
    with path.open("w") as handle:
        for seq in range(1, 40):
            for chain in range(3):
                fields = {
                    "chain": chain,
                    "seq": seq * 10 + chain,
                    "hash": f"{seq:064x}",
                    "head_at": "2026-11-25T00:00:00.000000+00:00",
                    "signed_at": "2026-11-25T00:00:01.000000+00:00",
                    "key_id": key_id(key),
                }
                handle.write(json.dumps({**fields, "mac": mac_of(fields, key)}) + "\n")

    newest = read_newest_signed_heads(path)
    assert {chain: head.seq for chain, head in newest.items()} == {0: 390, 1: 391, 2: 392}
    assert all(head.signature_valid() for head in newest.values())


def test_the_command_prints_what_it_signed(settings, capsys) -> None:
    settings.WANGBAN_AUDIT_CHAINS = 1
    add_events(1)

    call_command("sign_audit_heads")

    assert capsys.readouterr().out.startswith("已签名：链 0 序号 1 ")
