"""Hash chains of the audit trail and the chainer that links events into them.

Design: writers never wait for each other.

* A business transaction only INSERTs its audit event (`wangban.audit.actions.record`),
  with `chain` set and the chain fields (`seq`, `prev_hash`, `hash`) NULL. It reads no chain
  head and takes no lock beyond the new row, so unrelated writes on any number of app nodes
  never serialise on the audit trail.
* The chainer (`chain_events`) links the committed, unchained events right after the commit
  (a task enqueued with `transaction.on_commit`, and the periodic `chain_audit` command as a
  backstop). Per chain it locks the chain's `AuditChainHead` row with `select_for_update`,
  takes the unchained events of that chain in id order, in batches, computes
  `hash = SHA-256(canonical(content, chain, seq, prev_hash))` and writes the chain fields with
  one UPDATE guarded by `hash IS NULL`. Two chainers on the same chain queue on the head row;
  the second one then finds nothing left to link, so it is idempotent and never links an
  event twice (the unique (chain, seq) constraint backs this up).
* There are `WANGBAN_AUDIT_CHAINS` chains (default 4); an event's chain is a stable hash of
  its object (type, id), so an object's whole history is ordered in one chain, chainers can
  link different chains in parallel, and a damaged chain leaves the others verifiable.

The rules behind it: 大安第三十四条 (no silent additions, deletions or changes of data),
淮安第十五条 (no data loss through improper operation), 乌海第二十六条 (information audit
trail).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from wangban.audit.models import AuditChainHead, AuditEvent

logger = logging.getLogger("wangban.audit")

HASH_VERSION = 1
DEFAULT_CHAINS = 4
DEFAULT_BATCH_SIZE = 2000

# The event's content, in the order the chainer and the verifier read it.
CONTENT_FIELDS: tuple[str, ...] = (
    "at",
    "actor_id",
    "actor_username",
    "role",
    "department",
    "ip",
    "channel",
    "action",
    "object_type",
    "object_id",
    "before",
    "after",
    "outcome",
)


def chain_count() -> int:
    return max(1, int(getattr(settings, "WANGBAN_AUDIT_CHAINS", DEFAULT_CHAINS)))


def chain_for(object_type: str, object_id: str, chains: int | None = None) -> int:
    """The chain of an object's events: a stable hash of (type, id) modulo the chain count."""
    digest = hashlib.sha256(f"{object_type}\x1f{object_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % (chains or chain_count())


def iso_utc(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(content: dict[str, Any], *, chain: int, seq: int, prev_hash: str) -> bytes:
    """The bytes hashed for one event: JSON with sorted keys, no spaces, UTF-8 (not
    \\u-escaped), the time in ISO 8601 UTC with microseconds, and the chain position."""
    payload = {
        "v": HASH_VERSION,
        "chain": chain,
        "seq": seq,
        "prev_hash": prev_hash,
        **content,
        "at": iso_utc(content["at"]),
    }
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def event_hash(content: dict[str, Any], *, chain: int, seq: int, prev_hash: str) -> str:
    return hashlib.sha256(canonical(content, chain=chain, seq=seq, prev_hash=prev_hash)).hexdigest()


def content_of(row: Sequence[Any]) -> dict[str, Any]:
    """The content dict of a row read as `values_list(*CONTENT_FIELDS, ...)`."""
    return dict(zip(CONTENT_FIELDS, row[: len(CONTENT_FIELDS)], strict=True))


def _ensure_heads(chains: Iterable[int]) -> None:
    AuditChainHead.objects.bulk_create(
        [AuditChainHead(chain=chain) for chain in chains], ignore_conflicts=True
    )


def _write_links(links: list[tuple[int, int, str, str]]) -> int:
    """Write (id, seq, prev_hash, hash) onto unchained rows; returns the rows written."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            ids, seqs, prevs, hashes = (list(column) for column in zip(*links, strict=True))
            cursor.execute(
                f"UPDATE {table} AS e SET seq = v.seq, prev_hash = v.prev, hash = v.h "  # noqa: S608
                "FROM unnest(%s::bigint[], %s::bigint[], %s::varchar[], %s::varchar[]) "
                "AS v(id, seq, prev, h) WHERE e.id = v.id AND e.hash IS NULL",
                [ids, seqs, prevs, hashes],
            )
            return cursor.rowcount
        written = 0
        for event_id, seq, prev, digest in links:
            cursor.execute(
                f"UPDATE {table} SET seq = %s, prev_hash = %s, hash = %s "  # noqa: S608
                "WHERE id = %s AND hash IS NULL",
                [seq, prev, digest, event_id],
            )
            written += cursor.rowcount
        return written


def _link_batch(chain: int, batch_size: int) -> int:
    """Link up to `batch_size` unchained events of one chain; returns how many."""
    with transaction.atomic():
        head = AuditChainHead.objects.select_for_update().get(chain=chain)
        rows = list(
            AuditEvent.objects.filter(chain=chain, hash__isnull=True)
            .order_by("id")
            .values_list(*CONTENT_FIELDS, "id")[:batch_size]
        )
        if not rows:
            return 0
        seq, prev = head.seq, head.hash
        links: list[tuple[int, int, str, str]] = []
        for row in rows:
            seq += 1
            digest = event_hash(content_of(row), chain=chain, seq=seq, prev_hash=prev)
            links.append((row[-1], seq, prev, digest))
            prev = digest
        written = _write_links(links)
        if written != len(links):  # cannot happen under the head lock; never link twice
            raise RuntimeError(f"audit chain {chain}: linked {written} of {len(links)} events")
        head.seq, head.hash, head.updated_at = seq, prev, timezone.now()
        head.save(update_fields=["seq", "hash", "updated_at"])
        return len(links)


def chain_events(*, batch_size: int = DEFAULT_BATCH_SIZE) -> int:
    """Link every committed unchained event into its chain; returns how many were linked.

    Idempotent and safe to run concurrently (see the module docstring). Each batch is its own
    short transaction, so a long backlog never holds a lock for long."""
    pending = set(
        AuditEvent.objects.filter(hash__isnull=True)
        .order_by()
        .values_list("chain", flat=True)
        .distinct()
    )
    if not pending:
        return 0
    _ensure_heads(sorted(pending))
    total = 0
    for chain in sorted(pending):
        while True:
            linked = _link_batch(chain, batch_size)
            total += linked
            if linked < batch_size:
                break
    return total


# Scheduling the chainer after the commit -------------------------------------------------

_schedule_lock = threading.Lock()
_pending_until = 0.0


def _enqueue_chainer() -> None:
    """Enqueue the chainer task, at most once per `WANGBAN_AUDIT_CHAIN_DELAY` seconds per
    process: the task runs no earlier than that delay after it was enqueued, so it still
    sees every event committed by this process while it waits."""
    global _pending_until
    from wangban.audit.tasks import chain_audit_events

    delay = float(getattr(settings, "WANGBAN_AUDIT_CHAIN_DELAY", 1.0))
    with _schedule_lock:
        now = time.time()
        if now < _pending_until - 0.05:
            return
        backend = chain_audit_events.get_backend()
        if backend.supports_defer and delay > 0:
            run_after = timezone.now() + timedelta(seconds=delay)
            chain_audit_events.using(run_after=run_after).enqueue()
            _pending_until = now + delay
        else:
            chain_audit_events.enqueue()


def schedule_chaining() -> None:
    """Ask for the chainer to run after the current transaction commits (once per
    transaction). Turned off with `WANGBAN_AUDIT_CHAIN_ON_COMMIT = False`, in which case the
    periodic `chain_audit` command links the events."""
    if not getattr(settings, "WANGBAN_AUDIT_CHAIN_ON_COMMIT", True):
        return
    if connection.in_atomic_block and any(
        entry[1] is _enqueue_chainer for entry in connection.run_on_commit
    ):
        return
    transaction.on_commit(_enqueue_chainer, robust=True)
