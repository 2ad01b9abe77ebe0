"""Benchmark: `add_working_days` against stepping day by day with `chinese_calendar`.

    .venv/bin/python bench/calendar.py [--calls N] [--seed S]

One million calls (by default) with limits of 1..60 working days from random dates
between 2024-01-01 and 2026-09-30 (seeded), answered by the package calendar
(`wangban.core.calendar.package_calendar()`, no database needed) and by the naive loop
`d += 1 day until chinese_calendar.is_workday(d) has been true n times`; the answers must
be identical. Target: at least 20 times faster. As a fairer reference it also times the
same day-by-day loop over a precomputed set of working days.

The last line of output is one JSON object with every figure (seconds are wall-clock).
"""

from __future__ import annotations

import os
import sys

# Run as a script, this file's directory comes first on sys.path, and this file would
# shadow the standard library's `calendar` module: drop it, put the repository root.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
sys.path.insert(0, os.path.dirname(_HERE))

import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from datetime import date, timedelta  # noqa: E402

import django  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("WANGBAN_DEMO", "1")
django.setup()

import chinese_calendar  # noqa: E402

from wangban.core.calendar import add_working_days, package_calendar  # noqa: E402

FIRST = date(2024, 1, 1)
LAST = date(2026, 9, 30)
MAX_DAYS = 60
TARGET_RATIO = 20
ONE_DAY = timedelta(days=1)


def naive_add_working_days(start: date, n: int) -> date:
    day = start
    while n:
        day += ONE_DAY
        if chinese_calendar.is_workday(day):
            n -= 1
    return day


def timed(
    label: str, function: Callable[[date, int], date], cases: list[tuple[date, int]]
) -> tuple[float, list[date]]:
    answers: list[date] = []
    append = answers.append
    step = max(1, len(cases) // 10)
    began = time.perf_counter()
    for index, (start, n) in enumerate(cases, start=1):
        append(function(start, n))
        if index % step == 0 and index != len(cases):
            print(f"  {label}: {index:,} calls, {time.perf_counter() - began:.1f} s", flush=True)
    seconds = time.perf_counter() - began
    print(f"{label}: {len(cases):,} calls in {seconds:.3f} s", flush=True)
    return seconds, answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20261125)
    options = parser.parse_args()

    rng = random.Random(options.seed)
    first, last = FIRST.toordinal(), LAST.toordinal()
    cases = [
        (date.fromordinal(rng.randint(first, last)), rng.randint(1, MAX_DAYS))
        for _ in range(options.calls)
    ]

    built = time.perf_counter()
    calendar = package_calendar()
    build_seconds = time.perf_counter() - built
    print(f"calendar built in {build_seconds * 1000:.1f} ms: {calendar!r}", flush=True)

    seconds, answers = timed(
        "add_working_days", lambda start, n: add_working_days(start, n, calendar), cases
    )

    working = {
        FIRST + timedelta(days=i)
        for i in range((date(2026, 12, 31) - FIRST).days + 1)
        if chinese_calendar.is_workday(FIRST + timedelta(days=i))
    }

    def set_stepping(start: date, n: int) -> date:
        day = start
        while n:
            day += ONE_DAY
            if day in working:
                n -= 1
        return day

    set_seconds, set_answers = timed("day-by-day over a precomputed set", set_stepping, cases)
    baseline_seconds, baseline = timed(
        "day-by-day with chinese_calendar.is_workday (baseline)", naive_add_working_days, cases
    )

    identical = answers == baseline == set_answers
    mismatches = sum(a != b for a, b in zip(answers, baseline, strict=True))
    ratio = baseline_seconds / seconds
    print(
        f"ratio {ratio:.1f}x against the baseline (target {TARGET_RATIO}x), "
        f"{set_seconds / seconds:.1f}x against the precomputed set; "
        f"answers identical: {identical} ({mismatches} mismatches)",
        flush=True,
    )
    print(
        json.dumps(
            {
                "benchmark": "calendar",
                "calls": len(cases),
                "seconds": round(seconds, 3),
                "baseline_seconds": round(baseline_seconds, 3),
                "ratio": round(ratio, 1),
                "target_ratio": TARGET_RATIO,
                "target_met": ratio >= TARGET_RATIO,
                "identical": identical,
                "ns_per_call": round(seconds / len(cases) * 1e9),
                "set_stepping_seconds": round(set_seconds, 3),
                "set_stepping_ratio": round(set_seconds / seconds, 1),
                "calendar_build_ms": round(build_seconds * 1000, 1),
                "max_days": MAX_DAYS,
                "dates": [FIRST.isoformat(), LAST.isoformat()],
                "seed": options.seed,
                "unit": "s",
            },
            ensure_ascii=False,
        )
    )
    assert identical, f"{mismatches} answers differ from the day-by-day baseline"


if __name__ == "__main__":
    main()
