"""Receipt numbers stay unique when two clerks accept at the same moment."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial

import pytest
from django.db import connection, transaction
from django.utils import timezone

from wangban.cases import actions
from wangban.cases.tests.helpers import item, submitted_case
from wangban.conftest import City

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(functions: list[Callable[[], object]]) -> list[object]:
    start = threading.Barrier(len(functions))
    results: list[object] = [None] * len(functions)
    errors: list[BaseException] = []

    def run(index: int, function: Callable[[], object]) -> None:
        try:
            start.wait()
            results[index] = function()
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    return results


def test_two_acceptances_at_once_get_different_numbers(city: City) -> None:
    item(city)
    cases = [submitted_case(city) for _ in range(4)]
    clerk = city.transport_clerk
    results = run_together([partial(actions.do_accept, case, actor=clerk) for case in cases])
    day = f"{timezone.localdate():%Y%m%d}"
    assert sorted(case.receipt_no for case in results) == [  # type: ignore[attr-defined]
        f"D01-{day}-00001",
        f"D01-{day}-00002",
        f"D01-{day}-00003",
        f"D01-{day}-00004",
    ]


def test_numbers_count_per_department_and_day(city: City) -> None:
    today = timezone.localdate()
    with transaction.atomic():
        numbers = [
            actions.take_receipt_no(city.transport, today),
            actions.take_receipt_no(city.market, today),
            actions.take_receipt_no(city.transport, today),
        ]
    assert numbers == [
        f"D01-{today:%Y%m%d}-00001",
        f"D02-{today:%Y%m%d}-00001",
        f"D01-{today:%Y%m%d}-00002",
    ]
