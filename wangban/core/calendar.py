"""The working-day calendar (工作日历): pure functions over a calendar object.

Rules (DESIGN.md §5 "Working days"):

- A working day is a date the active calendar marks as working: the State Council's
  official schedule (国务院办公厅关于部分节假日安排的通知) from the `chinesecalendar`
  package for the years it knows (2004–2026 in 1.11), overlaid with the holiday rows
  administrators load into the database (`HolidayRow`, `off` = 休息日, `work` = 调休上班日)
  for the years it does not know yet. A year with neither falls back to Monday–Friday
  and raises a warning (`calendar_warnings`).
- Periods in working days do not count the day on which they start
  (期间开始的当日不计入, 民法典第二百零一条): `add_working_days(d, n)` is the n-th working
  day strictly after `d`, and `working_days_between(a, b)` counts the working days in
  `(a, b]`.
- Rules stated in working hours count only office hours on working days
  (default 09:00–12:00 and 13:30–17:30, Asia/Shanghai).

Design for speed. A `WorkingCalendar` knows a contiguous range of days (1 January of
the first year with data to 31 December of the last); inside it a sorted list of the
ordinals of the working days, outside it plain Monday–Friday arithmetic. The number of
working days up to and including a day, `C(x)`, is then a bisect inside the range and a
closed formula outside, so `working_days_between(a, b) == C(b) - C(a)` and
`add_working_days(d, n)` is the inverse of `C` at `C(d) + n`: an index into the list or
the inverse formula. No loop over days, whatever `n` is.

The functions touch no database once they have a calendar: pass one explicitly, or
leave `calendar=None` for `active_calendar()`, the cached snapshot described there.
"""

from __future__ import annotations

import math
import threading
import time as monotonic_clock
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")

#: Kinds of holiday rows (the values of `HolidayRow.kind`).
OFF = "off"  # 休息日: a day off, even on a weekday
WORK = "work"  # 调休上班日: a make-up working day, even on a weekend
KINDS = (OFF, WORK)

#: Default office hours of a hall (DESIGN.md §5): 09:00–12:00 and 13:30–17:30.
DEFAULT_OFFICE_HOURS: tuple[tuple[time, time], ...] = (
    (time(9, 0), time(12, 0)),
    (time(13, 30), time(17, 30)),
)

#: How long a process trusts its snapshot before it checks the version row again.
CHECK_SECONDS = 5.0

# Chinese names of the package's holidays (it names them in English).
_PACKAGE_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


@dataclass(frozen=True, slots=True)
class HolidayEntry:
    """One day of an official schedule: `kind` is `off` (休息日) or `work` (调休上班日)."""

    date: date
    kind: str
    name: str


def _weekdays_through(ordinal: int) -> int:
    """Monday–Friday days with ordinals in [1, ordinal]; ordinal 1 (0001-01-01) is a Monday."""
    weeks, rest = divmod(ordinal, 7)
    return 5 * weeks + min(rest, 5)


def _nth_weekday(k: int) -> int:
    """The ordinal of the k-th Monday–Friday day (k >= 1), the inverse of `_weekdays_through`."""
    weeks, rest = divmod(k - 1, 5)
    return 7 * weeks + rest + 1


class WorkingCalendar:
    """An immutable working-day calendar.

    `overrides` maps a date to True (a working day) or False (a day off); every other
    date is a working day exactly when it falls on Monday–Friday. `covered_years` are the
    years for which an official schedule is known (the package's years and the years
    with at least one database row); the others are Monday–Friday fallbacks and are
    reported by `calendar_warnings`. `names` optionally names the overridden days
    (春节, 国庆节, …).
    """

    __slots__ = (
        "_base",
        "_days",
        "_end",
        "_flags",
        "_start",
        "_tail",
        "covered_years",
        "names",
    )

    def __init__(
        self,
        overrides: Mapping[date, bool],
        covered_years: Iterable[int] = (),
        names: Mapping[date, str] | None = None,
    ) -> None:
        self.covered_years: frozenset[int] = frozenset(covered_years)
        self.names: Mapping[date, str] = dict(names or {})
        years = self.covered_years | {d.year for d in overrides}
        if years:
            start = date(min(years), 1, 1).toordinal()
            end = date(max(years), 12, 31).toordinal() + 1
        else:
            start = end = 1
        flags = bytearray(end - start)
        for ordinal in range(start, end):
            flags[ordinal - start] = (ordinal - 1) % 7 < 5
        for day, working in overrides.items():
            flags[day.toordinal() - start] = bool(working)
        self._start = start  # first ordinal of the range
        self._end = end  # first ordinal after the range
        self._flags = bytes(flags)
        self._days = [start + i for i, flag in enumerate(flags) if flag]
        self._base = _weekdays_through(start - 1)  # working days before the range
        self._tail = self._base + len(self._days) - _weekdays_through(end - 1)

    def __repr__(self) -> str:
        years = sorted(self.covered_years)
        span = f"{years[0]}–{years[-1]}" if years else "none"
        return f"<WorkingCalendar covered_years={span} ({len(years)})>"

    def has_data_for(self, year: int) -> bool:
        """True when an official schedule is known for `year` (else Monday–Friday)."""
        return year in self.covered_years

    def _count_through(self, ordinal: int) -> int:
        """C(x): working days with ordinal <= x (counted from 0001-01-01)."""
        if ordinal < self._start:
            return _weekdays_through(ordinal)
        if ordinal < self._end:
            return self._base + bisect_right(self._days, ordinal)
        return self._tail + _weekdays_through(ordinal)

    def _ordinal_of(self, k: int) -> int:
        """The ordinal of the k-th working day (k >= 1): the inverse of C."""
        if k <= self._base:
            return _nth_weekday(k)
        index = k - self._base - 1
        if index < len(self._days):
            return self._days[index]
        return _nth_weekday(k - self._tail)

    def is_working_day(self, d: date) -> bool:
        ordinal = d.toordinal()
        if self._start <= ordinal < self._end:
            return bool(self._flags[ordinal - self._start])
        return (ordinal - 1) % 7 < 5

    def add_working_days(self, start: date, n: int) -> date:
        if n < 0:
            raise ValueError(f"n must be >= 0, not {n}")
        if n == 0:
            return start
        return date.fromordinal(self._ordinal_of(self._count_through(start.toordinal()) + n))

    def working_days_between(self, a: date, b: date) -> int:
        if b <= a:
            return 0
        return self._count_through(b.toordinal()) - self._count_through(a.toordinal())


def _check_date(d: object) -> date:
    # A datetime is a date too, but its .date() may be UTC's, not Beijing's: refuse it.
    if isinstance(d, datetime) or not isinstance(d, date):
        raise TypeError(f"expected a date (e.g. timezone.localdate()), not {type(d).__name__}")
    return d


def _resolve(calendar: WorkingCalendar | None) -> WorkingCalendar:
    return active_calendar() if calendar is None else calendar


def is_working_day(d: date, calendar: WorkingCalendar | None = None) -> bool:
    """True when `d` is a working day of the calendar (the active one by default)."""
    return _resolve(calendar).is_working_day(_check_date(d))


def add_working_days(start: date, n: int, calendar: WorkingCalendar | None = None) -> date:
    """The n-th working day strictly after `start`; `start` itself for n = 0.

    期间开始的当日不计入（民法典第二百零一条）: the day on which a period starts does not
    count, whether or not it is a working day. Raises ValueError for n < 0.
    """
    return _resolve(calendar).add_working_days(_check_date(start), n)


def working_days_between(a: date, b: date, calendar: WorkingCalendar | None = None) -> int:
    """The number of working days in (a, b]; 0 when b <= a (期间开始的当日不计入)."""
    return _resolve(calendar).working_days_between(_check_date(a), _check_date(b))


def _office_periods(office_hours: Sequence[tuple[time, time]] | None) -> list[tuple[time, time]]:
    periods = list(DEFAULT_OFFICE_HOURS if office_hours is None else office_hours)
    if not periods:
        raise ValueError("office_hours must contain at least one (start, end) period")
    previous_end: time | None = None
    for begin, end in periods:
        if begin.tzinfo is not None or end.tzinfo is not None:
            raise ValueError("office hours are naive local times (Asia/Shanghai)")
        if not begin < end:
            raise ValueError(f"office period {begin}–{end} must end after it begins")
        if previous_end is not None and begin < previous_end:
            raise ValueError("office periods must be sorted and must not overlap")
        previous_end = end
    return periods


def add_working_hours(
    start: datetime,
    hours: float,
    office_hours: Sequence[tuple[time, time]] | None = None,
    calendar: WorkingCalendar | None = None,
) -> datetime:
    """The moment at which `hours` office hours after `start` have elapsed.

    Only office hours on working days count (DESIGN.md §5: rules stated in working hours,
    e.g. 4 个工作小时内签收, count office hours on working days only), computed in
    Asia/Shanghai. The result is the moment the last working hour ends: Monday 08:00 + 3
    hours is 12:00 that day (not 13:30). `start` must be aware; the result is aware, in
    Asia/Shanghai. `hours` may be fractional; 0 returns `start`.
    """
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("start must be an aware datetime")
    if not math.isfinite(hours) or hours < 0:
        raise ValueError(f"hours must be a finite number >= 0, not {hours}")
    cal = _resolve(calendar)
    periods = _office_periods(office_hours)
    capacity = sum(
        (
            datetime.combine(date.min, end) - datetime.combine(date.min, begin)
            for begin, end in periods
        ),
        timedelta(0),
    )
    local = start.astimezone(SHANGHAI)
    remaining = timedelta(hours=hours)
    if not remaining:
        return local
    day, at = local.date(), local.timetz().replace(tzinfo=None)
    while True:
        if cal.is_working_day(day):
            for begin, end in periods:
                if at >= end:
                    continue
                period_start = datetime.combine(day, max(begin, at), tzinfo=SHANGHAI)
                available = datetime.combine(day, end, tzinfo=SHANGHAI) - period_start
                if remaining <= available:
                    return period_start + remaining
                remaining -= available
        # Skip the working days that the remainder uses up entirely, then go to the next.
        full_days, rest = divmod(remaining, capacity)
        skip = full_days - 1 if not rest else full_days
        if skip > 0:
            day = cal.add_working_days(day, skip)
            remaining -= capacity * skip
        day, at = cal.add_working_days(day, 1), time.min


# --- building calendars -------------------------------------------------------------


def package_years() -> range:
    """The years the `chinesecalendar` package knows (the range its own check accepts)."""
    return range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)


def _package_overrides() -> tuple[dict[date, bool], dict[date, str]]:
    overrides: dict[date, bool] = {}
    names: dict[date, str] = {}
    for day, name in chinese_calendar.holidays.items():
        overrides[day] = False
        names[day] = _PACKAGE_NAMES.get(str(name), str(name))
    for day, name in chinese_calendar.workdays.items():
        overrides[day] = True
        names[day] = _PACKAGE_NAMES.get(str(name), str(name))
    return overrides, names


def build_calendar(
    entries: Iterable[HolidayEntry] = (), *, include_package: bool = True
) -> WorkingCalendar:
    """A calendar from explicit data: the package's schedule (unless `include_package` is
    false) overlaid with `entries` (which win on the same date). Touches no database, so
    tests and benchmarks can build one anywhere. A year with at least one entry counts as
    covered."""
    overrides: dict[date, bool] = {}
    names: dict[date, str] = {}
    covered: set[int] = set()
    if include_package:
        overrides, names = _package_overrides()
        covered.update(package_years())
    for entry in entries:
        if entry.kind not in KINDS:
            raise ValueError(f"unknown kind {entry.kind!r}; expected one of {KINDS}")
        overrides[entry.date] = entry.kind == WORK
        names[entry.date] = entry.name
        covered.add(entry.date.year)
    return WorkingCalendar(overrides, covered, names)


@lru_cache(maxsize=1)
def package_calendar() -> WorkingCalendar:
    """The package's schedule alone (no database rows); built once per process."""
    return build_calendar()


# --- the active calendar ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Snapshot:
    calendar: WorkingCalendar
    version: int
    checked_at: float


_shared: _Snapshot | None = None
_shared_lock = threading.Lock()
_local = threading.local()  # .dirty, .snapshot: this thread's open transaction changed rows


def _read_version() -> int:
    from wangban.core.models import HolidayCalendarVersion

    version = HolidayCalendarVersion.objects.filter(pk=1).values_list("version", flat=True).first()
    return version or 0


def calendar_from_database() -> WorkingCalendar:
    """The package's schedule overlaid with the holiday rows as this transaction reads them
    now, uncached (the holiday change reads the calendar it replaces with it)."""
    from wangban.core.models import HolidayRow

    entries = [
        HolidayEntry(day, kind, name)
        for day, kind, name in HolidayRow.objects.values_list("date", "kind", "name")
    ]
    return build_calendar(entries)


def active_calendar() -> WorkingCalendar:
    """The active calendar: the package's schedule overlaid with the database's rows.

    Caching, kept simple:

    - Each process keeps one snapshot together with the number of the one-row table
      `HolidayCalendarVersion`, which `do_change_holidays` (the only writer of holiday
      rows) increments in the same transaction as its changes. At most every
      `CHECK_SECONDS` (5 s) the process reads that number again — a primary-key
      lookup — and rebuilds the snapshot only when it differs. So another process (app
      node, task worker) sees a change within 5 seconds, this process at once: the
      action drops the snapshot when its transaction commits.
    - The version is read before the rows; a change committed in between makes the
      snapshot newer than its number, and the next check merely rebuilds it again.
    - Inside the transaction that changed the rows (a later step of the same action,
      such as recomputing due dates), this thread sees its own uncommitted rows through a
      thread-local snapshot that is checked against the version on every call and never
      shared with other threads; after a rollback it is discarded.

    Rows written without the action (raw SQL, loaddata) are noticed only after
    `invalidate_calendar_cache()` in every process, or a restart.
    """
    from django.db import transaction

    if getattr(_local, "dirty", False):
        if transaction.get_connection().in_atomic_block:
            version = _read_version()
            snapshot: _Snapshot | None = getattr(_local, "snapshot", None)
            if snapshot is None or snapshot.version != version:
                snapshot = _Snapshot(calendar_from_database(), version, 0.0)
                _local.snapshot = snapshot
            return snapshot.calendar
        # The transaction ended without its commit hook: it was rolled back.
        _local.dirty, _local.snapshot = False, None

    global _shared
    snapshot = _shared
    now = monotonic_clock.monotonic()
    if snapshot is not None and now - snapshot.checked_at < CHECK_SECONDS:
        return snapshot.calendar
    with _shared_lock:
        version = _read_version()
        snapshot = _shared
        if snapshot is None or snapshot.version != version:
            calendar = calendar_from_database()
        else:
            calendar = snapshot.calendar
        _shared = _Snapshot(calendar, version, now)
        return calendar


def ensure_version_row() -> None:
    """Make the calendar's version row (pk 1) if it is missing (a migration makes it; a
    database emptied since has none)."""
    from django.db import IntegrityError, transaction

    from wangban.core.models import HolidayCalendarVersion

    if HolidayCalendarVersion.objects.filter(pk=1).exists():
        return
    try:
        with transaction.atomic():
            HolidayCalendarVersion.objects.create(pk=1, version=0)
    except IntegrityError:  # made by another transaction in between
        pass


def _changing_here(connection: Any) -> bool:
    """This thread's open transaction is the one changing the calendar (not one that was
    rolled back since: its mark is dropped here)."""
    if not getattr(_local, "dirty", False):
        return False
    changing = getattr(_local, "changing", None)
    if connection.atomic_blocks and connection.atomic_blocks[0] is changing:
        return True
    _local.dirty, _local.snapshot = False, None
    return False


def hold_calendar() -> None:
    """For a transaction that stores dates counted on the calendar (every case action):
    read the calendar's version row, on PostgreSQL `FOR SHARE`, before anything else is
    locked. A holiday change in progress (which holds the row `FOR UPDATE` from its start,
    `do_change_holidays`) is waited for, and a new one waits until this transaction ends,
    so no case is stored on a calendar that a change committed meanwhile has replaced
    without recounting it. The process's snapshot is made that version's at once, not
    within `CHECK_SECONDS`. Nothing to do in the thread making the change."""
    from django.db import connection

    from wangban.core.models import HolidayCalendarVersion

    if _changing_here(connection):
        return
    share = " FOR SHARE" if connection.vendor == "postgresql" else ""
    table = connection.ops.quote_name(HolidayCalendarVersion._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT version FROM {table} WHERE id = 1{share}")  # noqa: S608
        row = cursor.fetchone()
        if row is None:  # a row that is not there holds nothing: make it, then hold it
            ensure_version_row()
            cursor.execute(f"SELECT version FROM {table} WHERE id = 1{share}")  # noqa: S608
            row = cursor.fetchone()
    version = row[0]
    global _shared
    with _shared_lock:
        snapshot = _shared
        calendar = (
            snapshot.calendar
            if snapshot is not None and snapshot.version == version
            else calendar_from_database()
        )
        _shared = _Snapshot(calendar, version, monotonic_clock.monotonic())


def invalidate_calendar_cache() -> None:
    """Forget this process's snapshots; the next `active_calendar()` rebuilds."""
    global _shared
    _shared = None
    _local.dirty, _local.snapshot = False, None


def mark_calendar_changed() -> None:
    """Called by the holiday action inside its transaction, after writing rows: this
    thread sees the new rows at once, every thread of this process after the commit."""
    from django.db import transaction

    _local.dirty, _local.snapshot = True, None
    connection = transaction.get_connection()
    _local.changing = connection.atomic_blocks[0] if connection.atomic_blocks else None
    transaction.on_commit(invalidate_calendar_cache)


# --- warnings -----------------------------------------------------------------------


def calendar_warnings(today: date, calendar: WorkingCalendar | None = None) -> list[str]:
    """Chinese warnings for missing holiday schedules (DESIGN.md §5 "Working days").

    - The current year has no data (neither the package nor a database row): working
      days fall back to Monday–Friday.
    - From 1 November on, the next year has no data: the State Council publishes the
      next year's schedule (国务院办公厅关于部分节假日安排的通知) every November, and it
      should be loaded before cases start crossing into that year.
    """
    cal = _resolve(calendar)
    warnings: list[str] = []
    if not cal.has_data_for(today.year):
        warnings.append(
            f"{today.year} 年的节假日安排尚未导入，工作日暂按周一至周五计算，"
            "期限可能有误。请尽快导入国务院办公厅公布的节假日安排。"
        )
    next_year = today.year + 1
    if today >= date(today.year, 11, 1) and not cal.has_data_for(next_year):
        warnings.append(
            f"{next_year} 年的节假日安排尚未导入。国务院办公厅通常在每年 11 月公布下一年的安排，"
            f"请在公布后导入；未导入前，{next_year} 年的工作日按周一至周五计算。"
        )
    return warnings
