"""Concurrent writers and chainers: every event lands, is linked exactly once, and verifies;
on PostgreSQL a writer never waits for another writer's audit event."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial

import pytest
from django.db import connection, transaction

from wangban.audit.actions import record
from wangban.audit.chain import chain_events
from wangban.audit.models import AuditEvent
from wangban.audit.verify import verify_trail

pytestmark = pytest.mark.django_db(transaction=True)


def in_thread(function: Callable[[], object], errors: list[BaseException]) -> threading.Thread:
    def run() -> None:
        try:
            function()
        except BaseException as exc:  # reported by the test
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_concurrent_writers_and_chainers(settings) -> None:
    settings.WANGBAN_AUDIT_CHAINS = 4
    settings.WANGBAN_AUDIT_CHAIN_ON_COMMIT = False  # this test runs the chainers itself
    writers, per_writer = 4, 25
    start = threading.Barrier(writers + 2)
    writing = threading.Event()
    errors: list[BaseException] = []

    def write(writer: int) -> None:
        start.wait()
        for i in range(per_writer):
            with transaction.atomic():
                record(
                    "case.update",
                    object_type="cases.case",
                    object_id=f"{writer}-{i % 5}",
                    after={"writer": writer, "i": i},
                )

    def chain() -> None:
        start.wait()
        while writing.is_set():
            chain_events(batch_size=7)

    writing.set()
    threads = [in_thread(partial(write, w), errors) for w in range(writers)]
    chainers = [in_thread(chain, errors) for _ in range(2)]
    for thread in threads:
        thread.join(60)
    writing.clear()
    for thread in chainers:
        thread.join(60)
    chain_events()

    assert errors == []
    assert AuditEvent.objects.count() == writers * per_writer
    assert AuditEvent.objects.unchained().count() == 0
    afters = [after or {} for after in AuditEvent.objects.values_list("after", flat=True)]
    written = {(after["writer"], after["i"]) for after in afters}
    assert written == {(w, i) for w in range(writers) for i in range(per_writer)}
    result = verify_trail()
    assert result.ok, result.problems
    assert result.events == writers * per_writer


def test_a_writer_does_not_wait_for_another_writers_open_transaction(settings) -> None:
    """Recording takes no shared lock: while one business transaction is still open with its
    audit event, another writer records and commits, and the chainer links what is committed.
    (SQLite has one writer at a time for the whole database, audit or not: there the second
    writer queues until the first commits.)"""
    settings.WANGBAN_AUDIT_CHAINS = 1  # the same chain: still no waiting on PostgreSQL
    settings.WANGBAN_AUDIT_CHAIN_ON_COMMIT = False
    errors: list[BaseException] = []
    first_recorded, release_first, second_done = (threading.Event() for _ in range(3))
    linked_meanwhile: list[int] = []

    def first() -> None:
        with transaction.atomic():
            record("case.update", object_type="cases.case", object_id="A")
            first_recorded.set()
            release_first.wait(30)

    def second() -> None:
        with transaction.atomic():
            record("case.update", object_type="cases.case", object_id="B")
        second_done.set()
        if connection.vendor == "postgresql":
            linked_meanwhile.append(chain_events())

    one = in_thread(first, errors)
    assert first_recorded.wait(10)
    two = in_thread(second, errors)
    finished_meanwhile = second_done.wait(3)
    if finished_meanwhile:
        two.join(10)  # its chainer run as well, while the first transaction is still open
    release_first.set()
    one.join(30)
    two.join(30)

    assert errors == []
    if connection.vendor == "postgresql":
        assert finished_meanwhile
        assert linked_meanwhile == [1]  # B linked while A was still open
        assert list(AuditEvent.objects.filter(seq=1).values_list("object_id", flat=True)) == ["B"]
    else:
        assert connection.vendor == "sqlite"
        assert not finished_meanwhile
    assert chain_events() == (1 if connection.vendor == "postgresql" else 2)
    assert verify_trail().ok
