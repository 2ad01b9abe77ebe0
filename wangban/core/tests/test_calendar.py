"""The working-day calendar as pure functions over explicit calendar objects (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wangban.core.calendar import (
    OFF,
    SHANGHAI,
    WORK,
    HolidayEntry,
    WorkingCalendar,
    add_working_days,
    add_working_hours,
    build_calendar,
    calendar_warnings,
    is_working_day,
    package_calendar,
    package_years,
    working_days_between,
)

CAL = package_calendar()
ONE_DAY = timedelta(days=1)
QUICK = settings(max_examples=200, deadline=None)

package_dates = st.dates(date(2004, 1, 1), date(2026, 9, 30))
any_dates = st.dates(date(1990, 1, 1), date(2040, 12, 31))
limits = st.integers(min_value=0, max_value=60)


def naive_add(start: date, n: int, is_working: object = chinese_calendar.is_workday) -> date:
    assert callable(is_working)
    day = start
    while n:
        day += ONE_DAY
        if is_working(day):
            n -= 1
    return day


def at(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


# --- the package's years -----------------------------------------------------------


def test_package_years_are_2004_to_2026() -> None:
    assert package_years() == range(2004, 2027)
    assert CAL.covered_years == frozenset(range(2004, 2027))


def test_every_day_2004_to_2026_agrees_with_the_package() -> None:
    day = date(2004, 1, 1)
    disagreements = []
    while day <= date(2026, 12, 31):
        if is_working_day(day, CAL) != chinese_calendar.is_workday(day):
            disagreements.append(day)
        day += ONE_DAY
    assert disagreements == []


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 2, 10), 5, date(2026, 2, 24)),  # 2026-02-14 (Sat) works, 02-15..23 off
        (date(2026, 9, 24), 15, date(2026, 10, 22)),  # DESIGN.md §5: accepted Thu 09-24, P=15
        (date(2026, 10, 8), 14, date(2026, 10, 27)),  # stopped 09-29, restarted 10-09
        (date(2026, 10, 27), 5, date(2026, 11, 3)),  # then extended by 5
        (date(2026, 10, 9), 15, date(2026, 10, 29)),  # stopped 09-26, restarted Sat 10-10
        (date(2026, 9, 30), 1, date(2026, 10, 8)),  # National Day
        (date(2026, 10, 9), 1, date(2026, 10, 10)),  # Sat 10-10 is a make-up working day
        (date(2026, 2, 14), 0, date(2026, 2, 14)),
        (date(2026, 2, 15), 0, date(2026, 2, 15)),  # n = 0 is the start, even a day off
    ],
)
def test_add_working_days_on_the_2026_schedule(start: date, n: int, expected: date) -> None:
    assert add_working_days(start, n, CAL) == expected


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 1, 4),  # Sun
        date(2026, 2, 14),  # Sat
        date(2026, 2, 28),  # Sat
        date(2026, 5, 9),  # Sat
        date(2026, 9, 20),  # Sun
        date(2026, 10, 10),  # Sat
    ],
)
def test_make_up_days_of_2026_are_working_days(day: date) -> None:
    assert day.weekday() >= 5
    assert is_working_day(day, CAL) is True


@pytest.mark.parametrize("day", [date(2026, 10, d) for d in range(1, 8)])
def test_national_day_2026_is_off(day: date) -> None:
    assert is_working_day(day, CAL) is False


def test_working_days_between_on_the_2026_schedule() -> None:
    assert working_days_between(date(2026, 2, 10), date(2026, 2, 24), CAL) == 5
    assert working_days_between(date(2026, 9, 30), date(2026, 10, 8), CAL) == 1
    assert working_days_between(date(2026, 10, 8), date(2026, 10, 8), CAL) == 0
    assert working_days_between(date(2026, 10, 8), date(2026, 9, 30), CAL) == 0
    assert working_days_between(date(2025, 12, 31), date(2026, 12, 31), CAL) == 248


def test_negative_n_is_refused() -> None:
    with pytest.raises(ValueError, match="n must be >= 0"):
        add_working_days(date(2026, 3, 2), -1, CAL)


def test_a_datetime_is_refused_where_a_date_is_expected() -> None:
    with pytest.raises(TypeError, match="expected a date"):
        add_working_days(datetime(2026, 3, 2, tzinfo=UTC), 1, CAL)
    with pytest.raises(TypeError, match="expected a date"):
        is_working_day(datetime(2026, 3, 2, tzinfo=UTC), CAL)


# --- properties ----------------------------------------------------------------------


@QUICK
@given(package_dates, limits)
def test_add_working_days_agrees_with_stepping_over_the_package(start: date, n: int) -> None:
    assert add_working_days(start, n, CAL) == naive_add(start, n)


@QUICK
@given(st.dates(date(2004, 1, 1), date(2026, 8, 31)), st.integers(min_value=0, max_value=120))
def test_working_days_between_agrees_with_counting(a: date, span: int) -> None:
    b = a + timedelta(days=span)
    expected = sum(chinese_calendar.is_workday(a + timedelta(days=i)) for i in range(1, span + 1))
    assert working_days_between(a, b, CAL) == expected


@QUICK
@given(any_dates, st.integers(min_value=1, max_value=400))
def test_the_result_is_a_working_day_and_the_nth(start: date, n: int) -> None:
    end = add_working_days(start, n, CAL)
    assert is_working_day(end, CAL)
    assert end > start
    assert working_days_between(start, end, CAL) == n
    assert working_days_between(start, end - ONE_DAY, CAL) == n - 1


@QUICK
@given(any_dates, any_dates, limits, limits)
def test_add_working_days_is_monotonic(d1: date, d2: date, n1: int, n2: int) -> None:
    d1, d2 = min(d1, d2), max(d1, d2)
    n1, n2 = min(n1, n2), max(n1, n2)
    assert add_working_days(d1, n1, CAL) <= add_working_days(d2, n1, CAL)
    assert add_working_days(d1, n1, CAL) <= add_working_days(d1, n2, CAL)


@QUICK
@given(any_dates, limits, limits)
def test_add_working_days_composes(start: date, m: int, n: int) -> None:
    assert add_working_days(add_working_days(start, m, CAL), n, CAL) == add_working_days(
        start, m + n, CAL
    )


@QUICK
@given(any_dates, any_dates, any_dates)
def test_working_days_between_is_additive(a: date, b: date, c: date) -> None:
    a, b, c = sorted((a, b, c))
    assert working_days_between(a, c, CAL) == working_days_between(
        a, b, CAL
    ) + working_days_between(b, c, CAL)


@QUICK
@given(
    st.one_of(
        st.dates(date(2027, 1, 1), date(2060, 12, 31)), st.dates(max_value=date(2003, 12, 31))
    )
)
def test_years_without_data_fall_back_to_monday_to_friday(day: date) -> None:
    assert is_working_day(day, CAL) is (day.weekday() < 5)


@QUICK
@given(st.dates(date(2027, 1, 1), date(2060, 12, 31)), st.integers(min_value=0, max_value=300))
def test_add_working_days_after_2026_without_rows_is_monday_to_friday(start: date, n: int) -> None:
    assert add_working_days(start, n, CAL) == naive_add(start, n, lambda d: d.weekday() < 5)


entries_2025_to_2028 = st.dictionaries(
    st.dates(date(2025, 11, 1), date(2028, 2, 28)),
    st.sampled_from([OFF, WORK]),
    max_size=40,
)


@QUICK
@given(entries_2025_to_2028, st.dates(date(2025, 10, 1), date(2028, 3, 31)), limits)
def test_rows_override_the_package_and_the_fallback(
    kinds: dict[date, str], start: date, n: int
) -> None:
    calendar = build_calendar([HolidayEntry(d, kind, "测试") for d, kind in kinds.items()])

    def reference(day: date) -> bool:
        if day in kinds:
            return kinds[day] == WORK
        if 2004 <= day.year <= 2026:
            return bool(chinese_calendar.is_workday(day))
        return day.weekday() < 5

    assert calendar.covered_years == frozenset(range(2004, 2027)) | {d.year for d in kinds}
    assert is_working_day(start, calendar) is reference(start)
    end = add_working_days(start, n, calendar)
    assert end == naive_add(start, n, reference)
    assert working_days_between(start, end, calendar) == n


def test_rows_alone_without_the_package() -> None:
    calendar = build_calendar(
        [HolidayEntry(date(2027, 1, 1), OFF, "元旦"), HolidayEntry(date(2027, 1, 9), WORK, "调休")],
        include_package=False,
    )
    assert calendar.covered_years == frozenset({2027})
    assert calendar.names == {date(2027, 1, 1): "元旦", date(2027, 1, 9): "调休"}
    assert is_working_day(date(2026, 10, 1), calendar) is True  # no package: a Thursday
    assert add_working_days(date(2026, 12, 31), 1, calendar) == date(2027, 1, 4)
    assert add_working_days(date(2027, 1, 8), 1, calendar) == date(2027, 1, 9)


def test_an_empty_calendar_is_monday_to_friday() -> None:
    calendar = WorkingCalendar({})
    assert calendar.covered_years == frozenset()
    assert add_working_days(date(2026, 10, 1), 3, calendar) == date(2026, 10, 6)
    assert working_days_between(date(2026, 9, 30), date(2026, 10, 8), calendar) == 6


def test_an_unknown_kind_is_refused_when_building() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        build_calendar([HolidayEntry(date(2027, 1, 1), "holiday", "元旦")])


def test_package_holidays_carry_chinese_names() -> None:
    assert CAL.names[date(2026, 10, 1)] == "国庆节"
    assert CAL.names[date(2026, 2, 17)] == "春节"
    assert CAL.names[date(2026, 2, 14)] == "春节"  # the make-up day carries its festival


# --- working hours -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (at(2026, 3, 2, 8, 0), 3, at(2026, 3, 2, 12, 0)),  # Mon: ends as the morning ends
        (at(2026, 3, 2, 9, 0), 3, at(2026, 3, 2, 12, 0)),
        (at(2026, 3, 2, 9, 0), 3.5, at(2026, 3, 2, 14, 0)),
        (at(2026, 3, 6, 16, 0), 4, at(2026, 3, 9, 11, 30)),  # Fri → Mon
        (at(2026, 9, 30, 16, 0), 4, at(2026, 10, 8, 11, 30)),  # over National Day
        (at(2026, 3, 2, 12, 30), 1, at(2026, 3, 2, 14, 30)),  # inside lunch
        (at(2026, 3, 2, 11, 45), 0.5, at(2026, 3, 2, 13, 45)),  # across lunch, fractional
        (at(2026, 3, 2, 18, 0), 1, at(2026, 3, 3, 10, 0)),  # after 17:30
        (at(2026, 3, 2, 17, 30), 7, at(2026, 3, 3, 17, 30)),
        (at(2026, 10, 3, 10, 0), 2, at(2026, 10, 8, 11, 0)),  # on a holiday
        (at(2026, 10, 10, 9, 0), 1, at(2026, 10, 10, 10, 0)),  # a make-up Saturday
        (at(2026, 3, 7, 10, 0), 1, at(2026, 3, 9, 10, 0)),  # an ordinary Saturday
        (at(2026, 3, 2, 8, 0), 36, at(2026, 3, 9, 10, 0)),  # 5 full days and 1 hour
        (at(2026, 3, 2, 8, 0), 35, at(2026, 3, 6, 17, 30)),  # exactly 5 full days
        (at(2026, 3, 2, 10, 0), 0, at(2026, 3, 2, 10, 0)),
    ],
)
def test_add_working_hours(start: datetime, hours: float, expected: datetime) -> None:
    result = add_working_hours(start, hours, calendar=CAL)
    assert result == expected
    assert result.tzinfo == SHANGHAI


def test_add_working_hours_computes_in_shanghai_whatever_the_zone_of_start() -> None:
    start = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # 08:00 in Beijing
    result = add_working_hours(start, 3, calendar=CAL)
    assert result == at(2026, 3, 2, 12, 0)
    assert result.isoformat() == "2026-03-02T12:00:00+08:00"


def test_add_working_hours_with_custom_office_hours() -> None:
    office = [(time(8, 30), time(12, 0)), (time(14, 0), time(18, 0))]
    assert add_working_hours(at(2026, 3, 2, 11, 0), 2, office, CAL) == at(2026, 3, 2, 15, 0)
    assert add_working_hours(at(2026, 3, 6, 17, 0), 2, office, CAL) == at(2026, 3, 9, 9, 30)
    single = [(time(0, 0), time(23, 0))]
    assert add_working_hours(at(2026, 3, 6, 22, 0), 24, single, CAL) == at(2026, 3, 9, 23, 0)


@pytest.mark.parametrize(
    "office",
    [
        [],
        [(time(12, 0), time(9, 0))],
        [(time(13, 30), time(17, 30)), (time(9, 0), time(12, 0))],
        [(time(9, 0), time(12, 0)), (time(11, 0), time(17, 30))],
        [(time(9, 0, tzinfo=UTC), time(12, 0))],
    ],
)
def test_bad_office_hours_are_refused(office: list[tuple[time, time]]) -> None:
    with pytest.raises(ValueError, match="office"):
        add_working_hours(at(2026, 3, 2, 9, 0), 1, office, CAL)


def test_bad_hours_and_naive_start_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        add_working_hours(datetime(2026, 3, 2, 9, 0), 1, calendar=CAL)  # noqa: DTZ001
    with pytest.raises(ValueError, match="hours must be"):
        add_working_hours(at(2026, 3, 2, 9, 0), -1, calendar=CAL)
    with pytest.raises(ValueError, match="hours must be"):
        add_working_hours(at(2026, 3, 2, 9, 0), float("nan"), calendar=CAL)


QUARTER = timedelta(minutes=15)


def naive_add_hours(start: datetime, quarters: int) -> datetime:
    """Step a quarter of an hour at a time, counting quarters inside default office hours."""
    moment = start
    while quarters:
        local = moment.astimezone(SHANGHAI)
        t = local.time()
        inside = (time(9, 0) <= t < time(12, 0)) or (time(13, 30) <= t < time(17, 30))
        if inside and chinese_calendar.is_workday(local.date()):
            quarters -= 1
        moment += QUARTER
    return moment


starts_on_quarters = st.builds(
    lambda day, quarter: datetime.combine(day, time(0), tzinfo=SHANGHAI) + quarter * QUARTER,
    st.dates(date(2025, 1, 1), date(2026, 11, 30)),
    st.integers(min_value=0, max_value=95),
)


@QUICK
@given(starts_on_quarters, st.integers(min_value=1, max_value=4 * 30))
def test_add_working_hours_agrees_with_stepping(start: datetime, quarters: int) -> None:
    assert add_working_hours(start, quarters / 4, calendar=CAL) == naive_add_hours(start, quarters)


@QUICK
@given(starts_on_quarters, st.integers(0, 4 * 40), st.integers(0, 4 * 40))
def test_add_working_hours_composes(start: datetime, a: int, b: int) -> None:
    middle = add_working_hours(start, a / 4, calendar=CAL)
    assert add_working_hours(middle, b / 4, calendar=CAL) == add_working_hours(
        start, (a + b) / 4, calendar=CAL
    )


# --- warnings ------------------------------------------------------------------------


def test_no_warning_while_the_year_and_before_november() -> None:
    assert calendar_warnings(date(2026, 10, 31), CAL) == []


def test_next_year_missing_warns_from_november() -> None:
    assert calendar_warnings(date(2026, 11, 1), CAL) == [
        (
            "2027 年的节假日安排尚未导入。国务院办公厅通常在每年 11 月公布下一年的安排，"
            "请在公布后导入；未导入前，2027 年的工作日按周一至周五计算。"
        )
    ]


def test_current_year_missing_warns_all_year_and_next_year_from_november() -> None:
    assert calendar_warnings(date(2027, 3, 1), CAL) == [
        (
            "2027 年的节假日安排尚未导入，工作日暂按周一至周五计算，期限可能有误。"
            "请尽快导入国务院办公厅公布的节假日安排。"
        )
    ]
    warnings = calendar_warnings(date(2027, 11, 5), CAL)
    assert len(warnings) == 2
    assert warnings[0].startswith("2027 年的节假日安排尚未导入，")
    assert warnings[1].startswith("2028 年的节假日安排尚未导入。")


def test_one_row_for_a_year_counts_as_data() -> None:
    calendar = build_calendar([HolidayEntry(date(2027, 1, 1), OFF, "元旦")])
    assert calendar_warnings(date(2026, 12, 31), calendar) == []
    assert calendar_warnings(date(2027, 11, 1), calendar) == [
        (
            "2028 年的节假日安排尚未导入。国务院办公厅通常在每年 11 月公布下一年的安排，"
            "请在公布后导入；未导入前，2028 年的工作日按周一至周五计算。"
        )
    ]
