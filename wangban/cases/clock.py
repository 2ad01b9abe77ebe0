"""The case clock (办件计时): pure functions over dates, a working-day calendar and plain data.

Rules (DESIGN.md §5 "The case clock"); every date is a local date in Asia/Shanghai:

- Before acceptance. A submission is signed for within 4 working hours (镇江办法第九条), the
  pre-review answers within 1 working day (淮安办法第十二条, 镇江办法第九条), both
  configurable. Without a correction notice, an acceptance or a rejection by the end of
  `add_working_days(received_on, 5)` the case is deemed accepted on `received_on`
  (行政许可法第三十二条). A correction notice gives the applicant a configurable period to
  answer, in working or calendar days.
- The approval clock starts on the acceptance date A. A working day d counts toward the limit
  iff d is after A and the clock is running at the end of d (24:00). Stopped on S (审查中补正,
  特别程序) and restarted on R, the days S … R−1 are not used and R counts again, so the due
  date becomes `add_working_days(R − 1, P − used)`. 即办件 (P = 0) are due on A.
- An extension (延期) adds its working days to the promised and the statutory limit; the
  statutory extension is at most 10 working days (行政许可法第四十二条).
- A limit in calendar days (自然日) counts every day after A on which the clock runs at 24:00;
  a last day that is not a working day moves to the next working day (民法典第二百零三条).
- Light (大安办法第三十一条): red once today is after the promised due date, blue when
  `working_days_between(today, due)` is at most the warning threshold, green otherwise; frozen
  while stopped, none after the decision, which stops the clock (大安办法第二十六条).

Nothing here touches the database: pass a `WorkingCalendar`, or leave `calendar=None` for
`active_calendar()`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import TypeAlias

from wangban.core.calendar import (
    WorkingCalendar,
    active_calendar,
    add_working_days,
    add_working_hours,
    is_working_day,
    working_days_between,
)

#: Units of a limit (the values of `catalog.choices.LimitUnit`).
WORKING_DAYS = "working_days"  # 工作日
CALENDAR_DAYS = "calendar_days"  # 自然日
UNITS = (WORKING_DAYS, CALENDAR_DAYS)

#: Lights (大安办法第三十一条: 绿灯正常、蓝灯预警、红灯超期).
GREEN = "green"
BLUE = "blue"
RED = "red"

SIGN_IN_HOURS = 4  # 镇江办法第九条: 四个工作小时内签收
REPLY_WORKING_DAYS = 1  # 淮安办法第十二条: 1个工作日内答复
DEEMED_ACCEPTANCE_WORKING_DAYS = 5  # 行政许可法第三十二条: 五日内不告知的，自收到之日起即为受理
STATUTORY_EXTENSION_WORKING_DAYS = 10  # 行政许可法第四十二条: 可以延长十日

ONE_DAY = timedelta(days=1)


def _require_date(value: object, name: str) -> None:
    # A datetime is a date too, but its .date() may be UTC's day, not Beijing's: refuse it.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"{name} must be a date, not {type(value).__name__}")


# --- limits and periods -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Limit:
    """A time limit: `days` (≥ 0) in `unit`, `working_days` (工作日) or `calendar_days` (自然日)."""

    days: int
    unit: str = WORKING_DAYS

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"unknown unit {self.unit!r}; expected one of {UNITS}")
        if self.days < 0:
            raise ValueError(f"a limit must be >= 0 days, not {self.days}")


def period_end(start: date, limit: Limit, calendar: WorkingCalendar | None = None) -> date:
    """The last day of an uninterrupted period of `limit` that starts on `start`.

    The start day is not counted (期间开始的当日不计入, 民法典第二百零一条). In working days it
    is `add_working_days(start, n)`; in calendar days `start + n`, moved to the next working
    day when that is not a working day (民法典第二百零三条). A limit of 0 ends on `start`.
    """
    if limit.unit == WORKING_DAYS:
        return add_working_days(start, limit.days, calendar)
    _require_date(start, "start")
    last = start + timedelta(days=limit.days)
    if limit.days and not is_working_day(last, calendar):
        return add_working_days(last, 1, calendar)
    return last


# --- before acceptance --------------------------------------------------------------


def sign_in_due_at(
    submitted_at: datetime,
    hours: float = SIGN_IN_HOURS,
    office_hours: Sequence[tuple[time, time]] | None = None,
    calendar: WorkingCalendar | None = None,
) -> datetime:
    """When a submission must be signed for (签收): `hours` office hours on working days after
    `submitted_at` (镇江办法第九条: 四个工作小时内, 法定节假日和夜间除外). The hours come from
    the item's online service level; `office_hours` are the hall's (default 09:00–12:00,
    13:30–17:30). `submitted_at` must be aware; the result is in Asia/Shanghai."""
    return add_working_hours(submitted_at, hours, office_hours, calendar)


def reply_due_on(
    received_on: date, days: int = REPLY_WORKING_DAYS, calendar: WorkingCalendar | None = None
) -> date:
    """The day by which pre-review must answer (accept, correction notice or rejection):
    `add_working_days(received_on, days)` (淮安办法第十二条: 1个工作日内答复)."""
    return add_working_days(received_on, days, calendar)


def deemed_acceptance_due(received_on: date, calendar: WorkingCalendar | None = None) -> date:
    """The last day on which the department can still answer a submission received on
    `received_on`: `add_working_days(received_on, 5)` (行政许可法第三十二条)."""
    return add_working_days(received_on, DEEMED_ACCEPTANCE_WORKING_DAYS, calendar)


def is_deemed_accepted(
    received_on: date, today: date, calendar: WorkingCalendar | None = None
) -> bool:
    """True once `deemed_acceptance_due(received_on)` has ended, i.e. `today` is after it.

    The caller checks the other half of the rule: the case is still `submitted`, with neither
    a correction notice, nor an acceptance, nor a rejection. It then accepts the case with
    `accepted_on = received_on` as actor "system" (行政许可法第三十二条). `received_on` is the
    day of the latest submission, so a resubmission starts the five days again.
    """
    _require_date(today, "today")
    return today > deemed_acceptance_due(received_on, calendar)


def correction_due_on(
    notified_on: date, limit: Limit, calendar: WorkingCalendar | None = None
) -> date:
    """The last day on which the applicant may answer a correction notice (一次性告知补正)
    issued on `notified_on`: `period_end(notified_on, limit)`, the limit being the configured
    answer time in working or calendar days. From the next day the application can be
    terminated (`today > correction_due_on(...)`)."""
    return period_end(notified_on, limit, calendar)


# --- the approval clock -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stop:
    """The clock stops on `on`: correction during review (审查中补正, 淮安办法第十二条) or a
    special procedure (特别程序: 现场勘查、检验、检测、检疫、专家评审、听证、公示). `on` is not
    used. `reason` is for the record; it does not change the counting."""

    on: date
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Restart:
    """The clock runs again from `on`, which counts (DESIGN.md §5)."""

    on: date


@dataclass(frozen=True, slots=True)
class Extension:
    """延期 on `on` by `working_days` (≥ 1), added to the promised and the statutory limit
    (行政许可法第四十二条, 淮安办法第十三条). Only while the clock runs (`extend` is allowed in
    `in_review`, not while suspended or waiting for a correction)."""

    on: date
    working_days: int


ClockEvent: TypeAlias = Stop | Restart | Extension


@dataclass(frozen=True, slots=True)
class Clock:
    """The inputs of a case's approval clock; invalid inputs raise ValueError.

    - `accepted_on`: A, the day the clock starts (not counted itself).
    - `promised`, `statutory`: the item's promised (承诺) and statutory (法定) limits.
    - `warning_days`: the item's `warning_threshold_days` (blue light), in working days.
    - `events`: stops, restarts and extensions in the order they happened; dates never go
      back and none is before A. A restart needs a stop; a stop needs a running clock; an
      extension needs a running clock.
    - `decided_on`: the day of the decision, which stops the clock for good (审批决定作出即
      停止计时, 大安办法第二十六条); not before A nor before the last event, not while stopped.
    """

    accepted_on: date
    promised: Limit
    statutory: Limit
    warning_days: int
    events: tuple[ClockEvent, ...] = ()
    decided_on: date | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "events", tuple(self.events))
        _require_date(self.accepted_on, "accepted_on")
        if self.warning_days < 0:
            raise ValueError(f"warning_days must be >= 0, not {self.warning_days}")
        running, last = True, self.accepted_on
        for event in self.events:
            if not isinstance(event, Stop | Restart | Extension):
                raise TypeError(f"not a clock event: {event!r}")
            _require_date(event.on, "event date")
            if event.on < last:
                raise ValueError(
                    f"{event!r} is before {last}: events are in date order and none is before "
                    f"acceptance ({self.accepted_on})"
                )
            if isinstance(event, Stop) and not running:
                raise ValueError(f"{event!r}: the clock is already stopped")
            if isinstance(event, Restart) and running:
                raise ValueError(f"{event!r}: the clock is running; a restart needs a stop")
            if isinstance(event, Extension):
                if not running:
                    raise ValueError(f"{event!r}: extend only while the clock runs")
                if event.working_days < 1:
                    raise ValueError(f"{event!r}: an extension is at least 1 working day")
            if isinstance(event, Stop | Restart):
                running = isinstance(event, Restart)
            last = event.on
        if self.decided_on is not None:
            _require_date(self.decided_on, "decided_on")
            if self.decided_on < last:
                raise ValueError(
                    f"decided_on {self.decided_on} is before acceptance or the last clock event "
                    f"({last})"
                )
            if not running:
                raise ValueError(f"decided_on {self.decided_on}: restart the clock to decide")

    @property
    def extension_days(self) -> int:
        """All extensions together, in working days."""
        return sum(e.working_days for e in self.events if isinstance(e, Extension))

    def as_of(self, today: date) -> Clock:
        """The clock as it stood at the end of `today`: later events and decision left out."""
        decided = self.decided_on is not None and self.decided_on <= today
        events = tuple(e for e in self.events if e.on <= today)
        return replace(self, events=events, decided_on=self.decided_on if decided else None)


@dataclass(frozen=True, slots=True)
class ClockState:
    """The clock at the end of a day (DESIGN.md §5, API.md case fields).

    - `running`: false while stopped and after the decision (`clock_running`).
    - `used`: days counted so far, in the promised limit's unit; after the decision, those up
      to and including the decision day.
    - `due_date`, `legal_due_date`: promised and statutory due dates with extensions; None
      while stopped. After the decision they stay as they were (on time: `decided_on <=
      due_date`).
    - `remaining_working_days`: while running `working_days_between(today, due_date)`, or
      `−working_days_between(due_date, today)` once overdue; while stopped the unused part of
      the limit, `P + extensions − used` (the restart day included, in the limit's unit);
      after the decision its value on the decision day.
    - `light`: `green`, `blue` or `red`; while stopped the light of the stop day; None after
      the decision.
    - `blue_on`: the first day the light is blue while running (never before A), stored on
      the case so that SQL filters by light: red when `today > due_date`, blue when
      `blue_on <= today`, else green. None while stopped.
    """

    running: bool
    used: int
    due_date: date | None
    legal_due_date: date | None
    remaining_working_days: int
    light: str | None
    blue_on: date | None


# Counted days lie in segments (after, until]: after the acceptance or restart (exclusive),
# up to the day before a stop (inclusive); `until` is None while the clock still runs.
_Segment: TypeAlias = tuple[date, date | None]


def _segments(clock: Clock) -> list[_Segment]:
    segments: list[_Segment] = []
    after: date | None = clock.accepted_on
    for event in clock.events:
        if isinstance(event, Stop) and after is not None:
            segments.append((after, event.on - ONE_DAY))
            after = None
        elif isinstance(event, Restart):
            after = max(event.on - ONE_DAY, clock.accepted_on)  # R counts, A never does
    if after is not None:
        segments.append((after, None))
    return segments


def _count(after: date, until: date, unit: str, cal: WorkingCalendar) -> int:
    """Days of `unit` in (after, until]."""
    if unit == WORKING_DAYS:
        return working_days_between(after, until, cal)
    return max(0, (until - after).days)


def _nth(after: date, n: int, unit: str, cal: WorkingCalendar) -> date:
    if unit == WORKING_DAYS:
        return add_working_days(after, n, cal)
    return after + timedelta(days=n)


def _nth_counted(
    segments: list[_Segment], after: date, n: int, unit: str, cal: WorkingCalendar
) -> date:
    """The n-th counted day of `unit` strictly after `after` (`after` itself for n = 0),
    on a running clock (its last segment is open)."""
    if n == 0:
        return after
    for start, until in segments:
        start = max(start, after)
        if until is None:
            return _nth(start, n, unit, cal)
        available = _count(start, until, unit, cal)
        if n <= available:
            return _nth(start, n, unit, cal)
        n -= available
    raise AssertionError("a running clock ends with an open segment")


def _due(clock: Clock, limit: Limit, segments: list[_Segment], cal: WorkingCalendar) -> date:
    """The due date of `limit` plus the extensions on a running clock."""
    extra = clock.extension_days
    if limit.unit == WORKING_DAYS:
        return _nth_counted(segments, clock.accepted_on, limit.days + extra, WORKING_DAYS, cal)
    last = _nth_counted(segments, clock.accepted_on, limit.days, CALENDAR_DAYS, cal)
    if limit.days and not is_working_day(last, cal):
        extra += 1  # 民法典第二百零三条: the next (counted) working day
    return _nth_counted(segments, last, extra, WORKING_DAYS, cal)


def _state(clock: Clock, today: date, cal: WorkingCalendar) -> ClockState:
    """The state at the end of `today`, every event on or before `today`; ignores the decision."""
    segments = _segments(clock)
    unit = clock.promised.unit
    used = sum(
        _count(after, today if until is None else min(until, today), unit, cal)
        for after, until in segments
    )
    if segments[-1][1] is not None:  # stopped: the light stays as it was on the stop day
        index = max(i for i, e in enumerate(clock.events) if isinstance(e, Stop))
        before = replace(clock, events=clock.events[:index])
        light = _state(before, clock.events[index].on, cal).light
        remaining = clock.promised.days + clock.extension_days - used
        return ClockState(False, used, None, None, remaining, light, None)
    due = _due(clock, clock.promised, segments, cal)
    legal_due = _due(clock, clock.statutory, segments, cal)
    # blue_on: the first day with working_days_between(day, due) <= warning_days.
    span = working_days_between(clock.accepted_on, due, cal)
    if span <= clock.warning_days:
        blue_on = clock.accepted_on
    else:
        blue_on = add_working_days(clock.accepted_on, span - clock.warning_days, cal)
    if today > due:
        remaining, light = -working_days_between(due, today, cal), RED
    else:
        remaining = working_days_between(today, due, cal)
        light = BLUE if today >= blue_on else GREEN
    return ClockState(True, used, due, legal_due, remaining, light, blue_on)


def clock_state(clock: Clock, today: date, calendar: WorkingCalendar | None = None) -> ClockState:
    """The approval clock at the end of `today` (DESIGN.md §5 "The case clock").

    Only events on or before `today` count. Once decided (`decided_on <= today`) the clock
    has stopped for good (大安办法第二十六条): the state is the one of the decision day with
    `running` false and no light. Raises ValueError when `today` is before acceptance.
    """
    _require_date(today, "today")
    if today < clock.accepted_on:
        raise ValueError(f"today ({today}) is before acceptance ({clock.accepted_on})")
    cal = active_calendar() if calendar is None else calendar
    clock = clock.as_of(today)
    if clock.decided_on is None:
        return _state(clock, today, cal)
    state = _state(clock, clock.decided_on, cal)
    return replace(state, running=False, light=None)


def extension_exceeds_statutory(
    clock: Clock, limit: int = STATUTORY_EXTENSION_WORKING_DAYS
) -> bool:
    """True when the extensions together exceed the statutory extension: 10 working days
    (行政许可法第四十二条: 可以延长十日), or `limit` when the item's legal basis says otherwise.
    The caller records the violation; the clock counts the extension all the same."""
    return clock.extension_days > limit
