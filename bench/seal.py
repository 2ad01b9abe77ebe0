"""Benchmark: electronic seals — SM2 key generation, signing and verification (gmssl, pure
Python), the SM3 digest of a document, and the whole `seal_document` / `verify_stamp` path.

    .venv/bin/python bench/seal.py [--rounds N] [--document-kib K]

1. The pure functions of `wangban.core.signing`, N rounds each (default 200): generate a key
   pair, sign a 32-byte digest, verify it; SM3 of a K KiB document (default 1024, about a
   ten-page decision PDF).
2. The sealing path on a throwaway SQLite database (migrated in a temporary directory, with
   demo-mode keys): `seal_document` (find the active seal, decrypt its private key with
   SM4-GCM, digest, sign, check the signature before handing it out) and `verify_stamp`
   (find the seal by key id, recompute the digest, verify).

Targets: sealing a document in the worker at most 50 ms at p95 (rendering the PDF takes about
100 ms a page, so the seal must not dominate it), verifying for the public page at most
50 ms at p95. The last line of output is one JSON object with every figure (milliseconds,
wall-clock).
"""

from __future__ import annotations

import os
import sys
import tempfile

# Run as a script, this file's directory comes first on sys.path, and bench/calendar.py
# would shadow the standard library's `calendar` module: drop it, put the repository root.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
sys.path.insert(0, os.path.dirname(_HERE))

import argparse  # noqa: E402
import json  # noqa: E402
import secrets  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

_VAR = tempfile.TemporaryDirectory(prefix="wangban-bench-seal-")
os.environ["WANGBAN_VAR_DIR"] = _VAR.name
os.environ.pop("DATABASE_URL", None)  # the throwaway SQLite database, never a real one
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("WANGBAN_DEMO", "1")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from wangban.accounts.models import Department  # noqa: E402
from wangban.certificates.actions import do_create_seal  # noqa: E402
from wangban.certificates.sealing import seal_document, verify_stamp  # noqa: E402
from wangban.core import signing  # noqa: E402

TARGET_SEAL_P95_MS = 50
TARGET_VERIFY_P95_MS = 50


def timed(label: str, rounds: int, function: Callable[[], object]) -> dict[str, float]:
    """Milliseconds per call: median, p95 and mean over `rounds` calls."""
    samples: list[float] = []
    for _ in range(rounds):
        began = time.perf_counter()
        function()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    figures = {
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[max(0, int(len(samples) * 0.95) - 1)], 2),
        "mean_ms": round(statistics.fmean(samples), 2),
    }
    print(
        f"{label:<28} p50 {figures['p50_ms']:7.2f} ms   p95 {figures['p95_ms']:7.2f} ms"
        f"   mean {figures['mean_ms']:7.2f} ms   ({rounds} calls)",
        flush=True,
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--document-kib", type=int, default=1024)
    options = parser.parse_args()
    rounds = options.rounds
    document = secrets.token_bytes(options.document_kib * 1024)

    keys = signing.generate_keypair()
    digest = bytes.fromhex(signing.sm3_hex(document))
    signature = signing.sign(keys.private_key, digest, public_key_hex=keys.public_key)
    assert signing.verify(keys.public_key, digest, signature)

    results = {
        "keygen": timed("generate_keypair", rounds, signing.generate_keypair),
        "sign": timed(
            "sign (32-byte digest)",
            rounds,
            lambda: signing.sign(keys.private_key, digest, public_key_hex=keys.public_key),
        ),
        "verify": timed(
            "verify (32-byte digest)",
            rounds,
            lambda: signing.verify(keys.public_key, digest, signature),
        ),
        "sm3": timed(
            f"sm3 ({options.document_kib} KiB)", rounds, lambda: signing.sm3_hex(document)
        ),
    }

    print("migrating a throwaway SQLite database ...", flush=True)
    call_command("migrate", verbosity=0)
    department = Department.objects.create(code="B01", name="示范市交通运输局")
    do_create_seal(department, actor=None)
    stamp = seal_document(department, document)
    assert verify_stamp(stamp.key_id, document, stamp.signature).valid
    results["seal_document"] = timed(
        "seal_document", rounds, lambda: seal_document(department, document)
    )
    results["verify_stamp"] = timed(
        "verify_stamp (document)",
        rounds,
        lambda: verify_stamp(stamp.key_id, document, stamp.signature),
    )

    summary: dict[str, object] = {
        "benchmark": "seal",
        "rounds": rounds,
        "document_kib": options.document_kib,
        "unit": "ms",
    }
    for name, figures in results.items():
        for key, value in figures.items():
            summary[f"{name}_{key}"] = value
    summary["target_seal_document_p95_ms"] = TARGET_SEAL_P95_MS
    summary["target_verify_stamp_p95_ms"] = TARGET_VERIFY_P95_MS
    summary["meets_targets"] = (
        results["seal_document"]["p95_ms"] <= TARGET_SEAL_P95_MS
        and results["verify_stamp"]["p95_ms"] <= TARGET_VERIFY_P95_MS
    )
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
