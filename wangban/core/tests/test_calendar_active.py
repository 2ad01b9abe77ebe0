"""The active calendar (package + database rows), its cache, the holiday action and W002."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest
import time_machine
from django.db import transaction
from pytest_django import DjangoAssertNumQueries

from wangban.accounts.models import User
from wangban.core import calendar as calendar_module
from wangban.core.actions import HolidayChangeSummary, do_change_holidays
from wangban.core.calendar import (
    OFF,
    SHANGHAI,
    WORK,
    HolidayEntry,
    active_calendar,
    add_working_days,
    calendar_warnings,
    hold_calendar,
    invalidate_calendar_cache,
    is_working_day,
    package_calendar,
    working_days_between,
)
from wangban.core.calendar_checks import holiday_schedule_is_loaded
from wangban.core.errors import InvalidInput
from wangban.core.models import HolidayCalendarVersion, HolidayKind, HolidayRow

NEW_YEAR_2027 = HolidayEntry(date(2027, 1, 1), OFF, "元旦")


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    invalidate_calendar_cache()
    yield
    invalidate_calendar_cache()


def version() -> int:
    return HolidayCalendarVersion.objects.get(pk=1).version


@pytest.mark.django_db
def test_without_rows_the_active_calendar_is_the_package() -> None:
    calendar = active_calendar()
    assert calendar.covered_years == package_calendar().covered_years
    assert is_working_day(date(2027, 1, 1)) is True  # a Friday, by the fallback
    assert add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 1)


@pytest.mark.django_db
def test_a_2027_row_changes_the_active_calendar_at_once() -> None:
    assert add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 1)
    summary = do_change_holidays([NEW_YEAR_2027])
    assert summary == HolidayChangeSummary(created=(date(2027, 1, 1),))
    assert is_working_day(date(2027, 1, 1)) is False
    assert add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)
    assert working_days_between(date(2026, 12, 30), date(2027, 1, 4)) == 2
    assert active_calendar().has_data_for(2027)


@pytest.mark.django_db
def test_rows_override_the_package_too() -> None:
    do_change_holidays([HolidayEntry(date(2026, 10, 8), OFF, "国庆节（测试延长）")])
    assert add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 9)


@pytest.mark.django_db
def test_the_action_reports_created_updated_unchanged_and_deleted() -> None:
    do_change_holidays([NEW_YEAR_2027, HolidayEntry(date(2027, 1, 2), OFF, "元旦")])
    assert version() == 1
    summary = do_change_holidays(
        [
            HolidayEntry(date(2027, 1, 1), OFF, "元旦"),  # unchanged
            HolidayEntry(date(2027, 1, 9), WORK, "元旦调休"),  # created
        ],
        delete=[date(2027, 1, 2), date(2027, 5, 5)],  # one present, one absent
    )
    assert summary == HolidayChangeSummary(
        created=(date(2027, 1, 9),),
        deleted=(date(2027, 1, 2),),
        unchanged=(date(2027, 1, 1),),
    )
    assert summary.changed_dates == frozenset({date(2027, 1, 9), date(2027, 1, 2)})
    assert summary.changed_years == frozenset({2027})
    assert version() == 2
    summary = do_change_holidays([HolidayEntry(date(2027, 1, 9), OFF, " 元旦 ")])
    assert summary.updated == (date(2027, 1, 9),)
    row = HolidayRow.objects.get(date=date(2027, 1, 9))
    assert (row.kind, row.name) == (HolidayKind.OFF, "元旦")
    assert version() == 3


@pytest.mark.django_db
def test_nothing_changed_leaves_the_version_alone() -> None:
    do_change_holidays([NEW_YEAR_2027])
    summary = do_change_holidays([NEW_YEAR_2027])
    assert summary == HolidayChangeSummary(unchanged=(date(2027, 1, 1),))
    assert summary.changed_dates == frozenset()
    assert version() == 1


@pytest.mark.django_db
def test_the_action_records_the_actor(django_user_model: type[User]) -> None:
    admin = django_user_model.objects.create_user("admin", is_staff=True)
    do_change_holidays([NEW_YEAR_2027], actor=admin)
    assert HolidayRow.objects.get().updated_by == admin


@pytest.mark.parametrize(
    ("rows", "delete", "message"),
    [
        ([HolidayEntry(date(2027, 1, 1), "holiday", "元旦")], [], "类型“holiday”无效"),
        ([HolidayEntry(date(2027, 1, 1), OFF, "  ")], [], "缺少名称"),
        ([HolidayEntry(date(2027, 1, 1), OFF, "节" * 51)], [], "名称超过 50 个字"),
        ([NEW_YEAR_2027, NEW_YEAR_2027], [], "2027-01-01：日期重复"),
        ([NEW_YEAR_2027], [date(2027, 1, 1)], "同一日期不能既保存又删除"),
    ],
)
@pytest.mark.django_db
def test_the_action_refuses_bad_rows_and_writes_nothing(
    rows: list[HolidayEntry], delete: list[date], message: str
) -> None:
    do_change_holidays([HolidayEntry(date(2027, 2, 1), OFF, "春节")])
    with pytest.raises(InvalidInput, match=message):
        do_change_holidays([*rows, HolidayEntry(date(2027, 3, 1), OFF, "测试")], delete=delete)
    assert list(HolidayRow.objects.values_list("date", flat=True)) == [date(2027, 2, 1)]
    assert version() == 1


@pytest.mark.django_db
def test_a_rolled_back_change_is_forgotten() -> None:
    seen_inside: list[bool] = []

    def change_then_fail() -> None:
        with transaction.atomic():
            do_change_holidays([NEW_YEAR_2027])
            seen_inside.append(is_working_day(date(2027, 1, 1)))
            raise RuntimeError("roll back")

    with pytest.raises(RuntimeError, match="roll back"):
        change_then_fail()
    assert seen_inside == [False]
    assert HolidayRow.objects.count() == 0
    assert is_working_day(date(2027, 1, 1)) is True


@pytest.mark.django_db(transaction=True)
def test_a_committed_change_rebuilds_the_shared_snapshot() -> None:
    assert is_working_day(date(2027, 1, 1)) is True
    do_change_holidays([NEW_YEAR_2027])  # autocommit: the commit hook runs
    assert calendar_module._shared is None
    assert getattr(calendar_module._local, "dirty", False) is False
    assert is_working_day(date(2027, 1, 1)) is False
    assert calendar_module._shared is not None
    assert calendar_module._shared.version == 1


@pytest.mark.django_db
def test_another_process_change_is_seen_after_the_check_interval(
    monkeypatch: pytest.MonkeyPatch, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    assert is_working_day(date(2027, 1, 1)) is True  # the snapshot is cached
    # Another process commits a change: its action bumps the version row.
    HolidayRow.objects.create(date=date(2027, 1, 1), kind=OFF, name="元旦")
    HolidayCalendarVersion.objects.filter(pk=1).update(version=1)
    with django_assert_num_queries(0):  # within the interval: no database at all
        assert is_working_day(date(2027, 1, 1)) is True
    monkeypatch.setattr(calendar_module, "CHECK_SECONDS", 0.0)
    with django_assert_num_queries(2):  # the version, then the rows
        assert is_working_day(date(2027, 1, 1)) is False
    with django_assert_num_queries(1):  # the version only: unchanged, no rebuild
        assert is_working_day(date(2027, 1, 1)) is False


@pytest.mark.django_db
def test_a_case_writer_holds_the_latest_calendar_at_once(
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    """`hold_calendar` (every case action, before it locks the case) reads the version at
    once, not after the check interval: a change another process committed a moment ago
    is the calendar the action counts on."""
    assert is_working_day(date(2027, 1, 1)) is True  # the snapshot is cached
    HolidayRow.objects.create(date=date(2027, 1, 1), kind=OFF, name="元旦")
    HolidayCalendarVersion.objects.filter(pk=1).update(version=1)
    with django_assert_num_queries(2):  # the version, then the rows
        hold_calendar()
    with django_assert_num_queries(0):  # what the action reads next: that snapshot
        assert is_working_day(date(2027, 1, 1)) is False
    with django_assert_num_queries(1):  # the version only: unchanged, nothing rebuilt
        hold_calendar()


@pytest.mark.django_db
def test_explicit_calendars_never_touch_the_database(
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    calendar = package_calendar()
    with django_assert_num_queries(0):
        assert add_working_days(date(2026, 2, 10), 5, calendar) == date(2026, 2, 24)
        assert working_days_between(date(2026, 2, 10), date(2026, 2, 24), calendar) == 5


@pytest.mark.django_db
def test_warnings_follow_the_rows() -> None:
    today = date(2026, 11, 2)
    assert len(calendar_warnings(today)) == 1
    do_change_holidays([NEW_YEAR_2027])
    assert calendar_warnings(today) == []
    do_change_holidays(delete=[date(2027, 1, 1)])
    assert calendar_warnings(today)[0].startswith("2027 年的节假日安排尚未导入。")


@pytest.mark.django_db
def test_system_check_w002_warns_from_november() -> None:
    with time_machine.travel(datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI), tick=False):
        warnings = holiday_schedule_is_loaded(None, databases=["default"])
        assert [w.id for w in warnings] == ["wangban.W002"]
        assert warnings[0].msg.startswith("2027 年的节假日安排尚未导入。")
        assert holiday_schedule_is_loaded(None, databases=None) == []
        do_change_holidays([NEW_YEAR_2027])
        assert holiday_schedule_is_loaded(None, databases=["default"]) == []
    with time_machine.travel(datetime(2026, 10, 31, 9, 0, tzinfo=SHANGHAI), tick=False):
        invalidate_calendar_cache()
        do_change_holidays(delete=[date(2027, 1, 1)])
        assert holiday_schedule_is_loaded(None, databases=["default"]) == []


@pytest.mark.django_db(transaction=True)  # the change's transaction must end for real
def test_a_rolled_back_change_leaves_the_thread_holding_the_calendar_again(
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    """The changing transaction itself holds nothing more (it holds the row already); once
    it is rolled back, this thread's next action holds the calendar as any other."""
    from django.db import transaction

    def change_then_fail() -> None:
        with transaction.atomic():
            do_change_holidays([HolidayEntry(date(2027, 3, 1), OFF, "测试")])
            with django_assert_num_queries(0):
                hold_calendar()
            raise RuntimeError("the admin's transaction fails after the change")

    with pytest.raises(RuntimeError):
        change_then_fail()
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        hold_calendar()
    assert "holidaycalendarversion" in queries.captured_queries[0]["sql"]
