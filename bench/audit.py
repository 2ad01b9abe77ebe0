"""Benchmark: audit events appended by concurrent writers on PostgreSQL, chained, verified.

    .venv/bin/python bench/audit.py [--events N] [--writers W] [--probe P] [--chains C]

Uses `DATABASE_URL` (default postgres://postgres@127.0.0.1:5432/wangban_bench), creating the
database if it is missing and migrating it; the audit tables are emptied first (TRUNCATE), so
use a database of its own.

1. Probe: one writer process appends P events (default 5,000), one event per transaction
   (`transaction.atomic()` + `record()` + COMMIT, as a real action does): the per-transaction
   latency with nobody else writing.
2. Run: W writer processes (default 4, each with its own connection) append N events in all
   (default 1,000,000), again one event per transaction, while a chainer process links them
   (`chain_events`) and the main process samples `pg_stat_activity` every 50 ms for writer
   backends waiting on a heavyweight lock (`wait_event_type = 'Lock'`): if recording
   serialised the writers (a shared chain head, a counter row), they would wait there on
   `transactionid`, `tuple` or `relation` locks, and the latency percentiles would climb far
   above the probe's. Those are `lock_wait_samples` (target 0). Waits for the relation
   extension lock (`Lock:extend`, taken briefly by any insert that grows a table file),
   LWLock and IO waits (WAL flushes: the physics of committing) are reported beside them.
3. The chainer drains what is left; then `verify_trail()` walks every chain and recomputes
   every hash.

The last line of output is one JSON object with every figure.
"""

from __future__ import annotations

import os
import sys

# Run as a script, this file's directory comes first on sys.path, and bench/calendar.py
# would shadow the standard library's `calendar` module: drop it, put the repository root.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
sys.path.insert(0, os.path.dirname(_HERE))

import argparse  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import random  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from typing import Any  # noqa: E402

import dj_database_url  # noqa: E402
import psycopg  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/wangban_bench"
os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("WANGBAN_DEMO", "1")

ACTIONS = ["case.accept", "case.update", "case.update", "pii.view", "role.grant"]
STAFF = 20
TARGET_LOCK_WAIT_SAMPLES = 0


def ensure_database(url: str) -> None:
    config = dj_database_url.parse(url)
    if "postgresql" not in config["ENGINE"]:
        raise SystemExit(f"bench/audit.py measures PostgreSQL; DATABASE_URL is {url!r}")
    conninfo = psycopg.conninfo.make_conninfo(
        host=str(config.get("HOST") or "127.0.0.1"),
        port=str(config.get("PORT") or 5432),
        user=str(config.get("USER") or "postgres"),
        password=config.get("PASSWORD") or None,
        dbname="postgres",
    )
    with psycopg.connect(conninfo, autocommit=True) as admin:
        name = config["NAME"]
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return
        admin.execute(f'CREATE DATABASE "{name}"')
        print(f"created database {name}", flush=True)


def setup_django() -> None:
    import django

    django.setup()
    from django.conf import settings

    settings.WANGBAN_AUDIT_CHAIN_ON_COMMIT = False  # the chainer process stands in for the worker
    settings.WANGBAN_AUDIT_HEADS_DIR = tempfile.mkdtemp(prefix="wangban-bench-heads-")


def prepare(chains: int) -> None:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from wangban.accounts.models import Department, User

    settings.WANGBAN_AUDIT_CHAINS = chains
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE audit_auditevent, audit_auditchainhead RESTART IDENTITY")
    for n in range(STAFF):
        department, _ = Department.objects.get_or_create(
            code=f"B{n % 5:02d}", defaults={"name": f"基准部门{n % 5}"}
        )
        user, created = User.objects.get_or_create(
            username=f"bench{n:02d}", defaults={"department": department}
        )
        if created:
            user.set_unusable_password()
            user.save()


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    if not ordered:
        return {}

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)

    return {
        "p50": at(0.50),
        "p95": at(0.95),
        "p99": at(0.99),
        "max": round(ordered[-1] * 1000, 2),
    }


def writer(index: int, count: int, chains: int, per_transaction: int) -> list[float]:
    """Append `count` events, `per_transaction` in each transaction; returns each
    transaction's seconds (BEGIN to COMMIT)."""
    from django.conf import settings
    from django.db import connection, transaction
    from django.test import RequestFactory

    from wangban.accounts.models import User
    from wangban.audit.actions import record

    settings.WANGBAN_AUDIT_CHAINS = chains
    connection.close()
    connection.settings_dict.setdefault("OPTIONS", {})["application_name"] = (
        f"bench-audit-writer-{index}"
    )
    rng = random.Random(index)
    staff = list(User.objects.filter(username__startswith="bench").select_related("department"))
    requests = [
        RequestFactory().post(f"/workbench/cases/{n}/accept/", REMOTE_ADDR=f"10.0.{index}.{n}")
        for n in range(1, 21)
    ]
    latencies: list[float] = []
    append = latencies.append
    clock = time.perf_counter
    left = count
    while left:
        size = min(per_transaction, left)
        left -= size
        began = clock()
        with transaction.atomic():
            for _ in range(size):
                record(
                    rng.choice(ACTIONS),
                    actor=rng.choice(staff),
                    request=rng.choice(requests),
                    role="handler",
                    object_type="cases.case",
                    object_id=str(rng.randrange(200_000)),
                    before={"state": "received"},
                    after={"state": "accepted", "note": "材料齐全，予以受理"},
                )
        append(clock() - began)
    connection.close()
    return latencies


def chainer(done: Any, results: Any, chains: int) -> None:
    """Link events while the writers write, then drain the backlog."""
    from django.conf import settings
    from django.db import connection

    from wangban.audit.chain import chain_events
    from wangban.audit.models import AuditEvent

    settings.WANGBAN_AUDIT_CHAINS = chains
    connection.close()
    linked_while_writing = 0
    drain_began = None
    linked_after = 0
    while True:
        finishing = done.is_set()
        if finishing and drain_began is None:
            drain_began = time.perf_counter()
        linked = chain_events(batch_size=5000)
        if finishing:
            linked_after += linked
            if linked == 0 and not AuditEvent.objects.filter(hash__isnull=True).exists():
                break
        else:
            linked_while_writing += linked
            if linked == 0:
                time.sleep(0.2)
    results.put(
        {
            "linked_while_writing": linked_while_writing,
            "linked_after_writers": linked_after,
            "drain_seconds": time.perf_counter() - (drain_began or time.perf_counter()),
        }
    )
    connection.close()


SAMPLE_SQL = """
SELECT wait_event_type, wait_event FROM pg_stat_activity
WHERE application_name LIKE 'bench-audit-writer-%' AND wait_event IS NOT NULL
  AND state <> 'idle'
"""


def run_writers(
    context: Any,
    writers: int,
    total: int,
    chains: int,
    *,
    per_transaction: int,
    chainer_alongside: bool,
) -> dict[str, Any]:
    from django.db import connection

    per_writer = [total // writers + (1 if n < total % writers else 0) for n in range(writers)]
    done = context.Event()
    chain_results = context.Queue()
    connection.close()  # never share a connection with the forked children
    chain_process = context.Process(target=chainer, args=(done, chain_results, chains))
    if chainer_alongside:
        chain_process.start()
    samples = lock_waits = extend_waits = lwlock_waits = io_waits = max_lock_waiting = 0
    wait_events: Counter[str] = Counter()
    began = time.perf_counter()
    with context.Pool(writers) as pool:
        pending = pool.starmap_async(
            writer, [(n, count, chains, per_transaction) for n, count in enumerate(per_writer)]
        )
        next_report = began + 10
        while not pending.ready():
            with connection.cursor() as cursor:
                cursor.execute(SAMPLE_SQL)
                waiting = cursor.fetchall()
            samples += 1
            kinds = [kind for kind, _ in waiting]
            row_locks = [name for kind, name in waiting if kind == "Lock" and name != "extend"]
            lock_waits += bool(row_locks)
            extend_waits += ("Lock", "extend") in waiting
            lwlock_waits += "LWLock" in kinds
            io_waits += "IO" in kinds
            max_lock_waiting = max(max_lock_waiting, len(row_locks))
            wait_events.update(f"{kind}:{name}" for kind, name in waiting)
            if time.perf_counter() >= next_report:
                from wangban.audit.models import AuditEvent

                written = AuditEvent.objects.count()
                print(
                    f"  {written:,} events after {time.perf_counter() - began:.0f} s",
                    flush=True,
                )
                next_report += 10
            pending.wait(0.05)
        latencies = [seconds for part in pending.get() for seconds in part]
    write_seconds = time.perf_counter() - began
    done.set()
    if not chainer_alongside:
        connection.close()
        chain_process.start()
    chain_stats: dict[str, Any] = chain_results.get()
    chain_process.join()
    return {
        "write_seconds": write_seconds,
        "latencies": latencies,
        "samples": samples,
        "lock_wait_samples": lock_waits,
        "max_writers_waiting_on_lock": max_lock_waiting,
        "extend_lock_wait_samples": extend_waits,
        "lwlock_wait_samples": lwlock_waits,
        "io_wait_samples": io_waits,
        "wait_events": dict(wait_events.most_common()),
        **chain_stats,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--probe", type=int, default=5_000, help="events of the 1-writer probe")
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument(
        "--per-transaction",
        type=int,
        default=1,
        help="events per writer transaction (1 = one audited action per commit)",
    )
    parser.add_argument(
        "--chainer",
        choices=["alongside", "after"],
        default="alongside",
        help="link while the writers write, or only after they are done",
    )
    options = parser.parse_args()

    url = os.environ["DATABASE_URL"]
    ensure_database(url)
    setup_django()
    from django.db import connection

    from wangban.audit.chain import chain_events
    from wangban.audit.models import AuditEvent
    from wangban.audit.verify import verify_trail

    prepare(options.chains)
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        synchronous_commit = cursor.fetchone()[0]
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]
    print(
        f"PostgreSQL {server_version}, synchronous_commit={synchronous_commit}, "
        f"{os.cpu_count()} CPUs, {options.chains} chains, "
        f"{options.per_transaction} event(s) per transaction",
        flush=True,
    )
    context = multiprocessing.get_context("fork")

    print(f"probe: 1 writer, {options.probe:,} events", flush=True)
    probe = run_writers(
        context,
        1,
        options.probe,
        options.chains,
        per_transaction=options.per_transaction,
        chainer_alongside=options.chainer == "alongside",
    )
    probe_latency = percentiles(probe["latencies"])
    probe_rate = options.probe / probe["write_seconds"]
    print(f"probe: {probe_rate:,.0f} events/s, latency ms {probe_latency}", flush=True)
    chain_events(batch_size=5000)

    print(
        f"run: {options.writers} writers, {options.events:,} events, "
        f"{options.per_transaction} per transaction, chainer {options.chainer}",
        flush=True,
    )
    run = run_writers(
        context,
        options.writers,
        options.events,
        options.chains,
        per_transaction=options.per_transaction,
        chainer_alongside=options.chainer == "alongside",
    )
    run_latency = percentiles(run["latencies"])
    rate = options.events / run["write_seconds"]
    print(
        f"run: {options.events:,} events in {run['write_seconds']:.1f} s = {rate:,.0f} events/s; "
        f"latency ms {run_latency}",
        flush=True,
    )
    print(
        f"lock waits: {run['lock_wait_samples']} of {run['samples']} samples had a writer "
        "waiting on another's row or transaction lock "
        f"(relation extension {run['extend_lock_wait_samples']}, "
        f"LWLock {run['lwlock_wait_samples']}, IO {run['io_wait_samples']}); "
        f"writer wait events sampled: {run['wait_events']}",
        flush=True,
    )
    print(
        f"chainer: {run['linked_while_writing']:,} linked while writing, "
        f"{run['linked_after_writers']:,} after, drained in {run['drain_seconds']:.1f} s",
        flush=True,
    )

    total = AuditEvent.objects.count()
    result = verify_trail()
    print(
        f"verify: {result.events:,} events in {len(result.chains)} chains, ok={result.ok}, "
        f"{result.seconds:.1f} s",
        flush=True,
    )
    figures = {
        "benchmark": "audit",
        "database": "postgresql " + server_version,
        "synchronous_commit": synchronous_commit,
        "cpus": os.cpu_count(),
        "chains": options.chains,
        "events": options.events,
        "events_in_table": total,
        "writers": options.writers,
        "events_per_transaction": options.per_transaction,
        "chainer": options.chainer,
        "write_seconds": round(run["write_seconds"], 2),
        "events_per_second": round(rate),
        "probe_events": options.probe,
        "probe_events_per_second": round(probe_rate),
        "transaction_latency_ms_1_writer": probe_latency,
        f"transaction_latency_ms_{options.writers}_writers": run_latency,
        "samples": run["samples"],
        "lock_wait_samples": run["lock_wait_samples"],
        "max_writers_waiting_on_lock": run["max_writers_waiting_on_lock"],
        "extend_lock_wait_samples": run["extend_lock_wait_samples"],
        "lwlock_wait_samples": run["lwlock_wait_samples"],
        "io_wait_samples": run["io_wait_samples"],
        "writer_wait_events_sampled": run["wait_events"],
        "chained_while_writing": run["linked_while_writing"],
        "chained_after_writers": run["linked_after_writers"],
        "chain_drain_seconds": round(run["drain_seconds"], 2),
        "verify_events": result.events,
        "verify_seconds": round(result.seconds, 2),
        "verify_ok": result.ok,
        "targets": {
            "lock_wait_samples": TARGET_LOCK_WAIT_SAMPLES,
            "verify_ok": True,
            "events_in_table": options.events + options.probe,
        },
        "target_met": run["lock_wait_samples"] == TARGET_LOCK_WAIT_SAMPLES
        and result.ok
        and total == options.events + options.probe,
    }
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
