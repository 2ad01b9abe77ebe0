"""Chaining: links, heads, batches, idempotence, and the guards that keep events unchanged."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from wangban.audit.actions import record
from wangban.audit.chain import CONTENT_FIELDS, canonical, chain_events, event_hash
from wangban.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent, AuditImmutableError

pytestmark = pytest.mark.django_db


def record_many(count: int, object_id: str = "1") -> list[AuditEvent]:
    return [
        record("case.update", object_type="cases.case", object_id=object_id, after={"n": n})
        for n in range(count)
    ]


def test_events_are_linked_in_id_order_with_seq_and_hashes(settings) -> None:
    settings.WANGBAN_AUDIT_CHAINS = 1
    events = record_many(3)

    assert chain_events() == 3

    rows = list(
        AuditEvent.objects.order_by("id").values_list("id", "chain", "seq", "prev_hash", "hash")
    )
    assert [row[0] for row in rows] == [e.pk for e in events]
    assert [row[1:3] for row in rows] == [(0, 1), (0, 2), (0, 3)]
    assert rows[0][3] == GENESIS_HASH
    assert rows[1][3] == rows[0][4]
    assert rows[2][3] == rows[1][4]
    head = AuditChainHead.objects.get(chain=0)
    assert (head.seq, head.hash) == (3, rows[2][4])


def test_the_hash_is_sha256_of_the_canonical_encoding(settings) -> None:
    settings.WANGBAN_AUDIT_CHAINS = 1
    record("pii.view", object_type="accounts.person", object_id="9", after={"字段": "身份证号"})
    chain_events()

    row = AuditEvent.objects.values_list(*CONTENT_FIELDS, "seq", "prev_hash", "hash").get()
    content = dict(zip(CONTENT_FIELDS, row[:-3], strict=True))
    encoded = canonical(content, chain=0, seq=1, prev_hash=GENESIS_HASH)
    data = json.loads(encoded)

    assert (
        encoded
        == json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    )
    assert "身份证号".encode() in encoded  # not \\u-escaped
    assert data["at"].endswith("+00:00")
    assert (data["v"], data["chain"], data["seq"], data["prev_hash"]) == (1, 0, 1, GENESIS_HASH)
    assert row[-1] == hashlib.sha256(encoded).hexdigest()
    assert row[-1] == event_hash(content, chain=0, seq=1, prev_hash=GENESIS_HASH)


def test_chaining_is_idempotent_and_continues_the_chain(settings) -> None:
    settings.WANGBAN_AUDIT_CHAINS = 1
    record_many(2)
    assert chain_events() == 2
    assert chain_events() == 0

    record_many(2)
    assert chain_events() == 2

    assert list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)) == [1, 2, 3, 4]
    assert AuditChainHead.objects.get(chain=0).seq == 4


def test_batches_link_everything(settings) -> None:
    settings.WANGBAN_AUDIT_CHAINS = 1
    record_many(7)

    assert chain_events(batch_size=3) == 7
    assert AuditEvent.objects.unchained().count() == 0
    assert AuditChainHead.objects.get(chain=0).seq == 7


def test_each_chain_counts_on_its_own(settings) -> None:
    settings.WANGBAN_AUDIT_CHAINS = 4
    for object_id in range(40):
        record_many(1, object_id=str(object_id))

    assert chain_events() == 40

    heads = dict(AuditChainHead.objects.values_list("chain", "seq"))
    assert set(heads) == {0, 1, 2, 3}
    assert sum(heads.values()) == 40
    for chain, last in heads.items():
        seqs = list(
            AuditEvent.objects.filter(chain=chain).order_by("seq").values_list("seq", flat=True)
        )
        assert seqs == list(range(1, last + 1))


def test_an_objects_history_stays_in_one_chain(settings) -> None:
    settings.WANGBAN_AUDIT_CHAINS = 8
    record_many(5, object_id="case-77")
    chain_events()

    assert AuditEvent.objects.values_list("chain", flat=True).distinct().count() == 1


def test_chain_audit_command(settings, capsys) -> None:
    settings.WANGBAN_AUDIT_CHAINS = 1
    record_many(2)

    call_command("chain_audit")
    call_command("chain_audit")

    assert capsys.readouterr().out == "已上链 2 条审计事件。\n"


def test_the_model_refuses_to_change_or_delete_an_event(settings) -> None:
    [event] = record_many(1)
    chain_events()
    event.refresh_from_db()
    event.action = "case.forged"

    with pytest.raises(AuditImmutableError):
        event.save()
    with pytest.raises(AuditImmutableError):
        event.delete()
    with pytest.raises(AuditImmutableError):
        AuditEvent.objects.filter(pk=event.pk).update(action="case.forged")
    with pytest.raises(AuditImmutableError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "case.update"


def test_an_unchained_event_cannot_be_edited_either() -> None:
    [event] = record_many(1)
    event.outcome = "denied"
    with pytest.raises(AuditImmutableError):
        event.save()


def _raw(sql: str, params: list) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_the_database_refuses_update_and_delete_of_chained_events() -> None:
    """On PostgreSQL the trigger refuses even raw SQL; on SQLite the model-level guard is
    the protection (raw SQL is what the verifier is there for)."""
    [event] = record_many(1)
    chain_events()

    if connection.vendor == "postgresql":
        with pytest.raises(IntegrityError, match="append-only: UPDATE of chained audit event"):
            _raw("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["case.forged", event.pk])
        with pytest.raises(IntegrityError, match="append-only: UPDATE of chained audit event"):
            _raw("UPDATE audit_auditevent SET hash = NULL WHERE id = %s", [event.pk])
        with pytest.raises(IntegrityError, match="append-only: DELETE of audit event"):
            _raw("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    else:
        assert connection.vendor == "sqlite"
        with pytest.raises(AuditImmutableError):
            AuditEvent.objects.filter(pk=event.pk).update(action="case.forged")
        with pytest.raises(AuditImmutableError):
            AuditEvent.objects.get(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "case.update"


def test_the_database_lets_only_the_chain_fields_of_unchained_events_be_set() -> None:
    [event] = record_many(1)

    if connection.vendor == "postgresql":
        with pytest.raises(IntegrityError, match="only the chain fields"):
            _raw("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["case.forged", event.pk])
        with pytest.raises(IntegrityError, match="append-only: DELETE"):
            _raw("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    else:
        assert connection.vendor == "sqlite"
        with pytest.raises(AuditImmutableError):
            AuditEvent.objects.filter(pk=event.pk).delete()

    assert chain_events() == 1  # the chainer's own UPDATE passes
    assert AuditEvent.objects.get(pk=event.pk).seq == 1


def test_the_chainer_task_is_enqueued_after_the_commit_at_most_once_a_second(
    monkeypatch, settings
) -> None:
    from django_tasks_db.models import DBTaskResult

    from wangban.audit import chain
    from wangban.audit.tasks import chain_audit_events

    settings.WANGBAN_AUDIT_CHAIN_DELAY = 1.0
    monkeypatch.setattr(chain, "_pending_until", 0.0)
    before = timezone.now()

    chain._enqueue_chainer()
    chain._enqueue_chainer()  # within the second: the pending task will still see it

    [task] = DBTaskResult.objects.all()
    assert task.task_path == "wangban.audit.tasks.chain_audit_events"
    assert (
        before + timedelta(seconds=0.9) <= task.run_after <= timezone.now() + timedelta(seconds=1)
    )
    monkeypatch.setattr(chain, "_pending_until", 0.0)  # a second later
    chain._enqueue_chainer()
    assert DBTaskResult.objects.count() == 2

    record_many(2)
    assert chain_audit_events.call() == 2
