"""Properties of the case clock, checked against the rule stated day by day (DESIGN.md §5:
a day d counts iff d is after A and the clock runs at the end of d)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from wangban.cases.clock import (
    BLUE,
    CALENDAR_DAYS,
    RED,
    UNITS,
    WORKING_DAYS,
    Clock,
    ClockEvent,
    Extension,
    Limit,
    Restart,
    Stop,
    clock_state,
    period_end,
)
from wangban.core.calendar import add_working_days, is_working_day, package_calendar
from wangban.core.calendar import working_days_between as between

CAL = package_calendar()
ONE_DAY = timedelta(days=1)
QUICK = settings(max_examples=300, deadline=None)


@st.composite
def clocks(draw: st.DrawFn, *, decided: bool = False) -> Clock:
    """A valid clock: stops and restarts alternate, extensions only while running."""
    accepted_on = draw(st.dates(date(2025, 9, 1), date(2026, 10, 31)))
    promised = Limit(draw(st.integers(0, 40)), draw(st.sampled_from(UNITS)))
    statutory = Limit(promised.days + draw(st.integers(0, 20)), draw(st.sampled_from(UNITS)))
    events: list[ClockEvent] = []
    on, running = accepted_on, True
    for gap, extend, days in draw(
        st.lists(st.tuples(st.integers(0, 15), st.booleans(), st.integers(1, 8)), max_size=6)
    ):
        on += timedelta(days=gap)
        if running and extend:
            events.append(Extension(on, days))
        else:
            events.append(Stop(on, "correction") if running else Restart(on))
            running = not running
    decided_on = None
    if decided:
        if not running:
            on += timedelta(days=draw(st.integers(0, 15)))
            events.append(Restart(on))
        decided_on = on + timedelta(days=draw(st.integers(0, 30)))
    warning_days = draw(st.integers(0, 8))
    return Clock(accepted_on, promised, statutory, warning_days, tuple(events), decided_on)


offsets = st.integers(0, 150)


def later(c: Clock, offset: int) -> date:
    """A day on or after the last event."""
    last = c.events[-1].on if c.events else c.accepted_on
    return last + timedelta(days=offset)


def running_at_end_of(c: Clock, day: date) -> bool:
    running = True
    for event in c.events:
        if event.on <= day and isinstance(event, Stop | Restart):
            running = isinstance(event, Restart)
    return running


def counted(c: Clock, day: date, unit: str) -> bool:
    return (
        day > c.accepted_on
        and running_at_end_of(c, day)
        and (unit == CALENDAR_DAYS or is_working_day(day, CAL))
    )


def nth_counted_after(c: Clock, after: date, n: int, unit: str) -> date:
    day = after
    while n:
        day += ONE_DAY
        n -= counted(c, day, unit)
    return day


def oracle_due(c: Clock, limit: Limit) -> date:
    """The rule day by day: the (P + extensions)-th counted working day; in calendar days the
    P-th counted day, then the next counted working day when it is not a working day
    (民法典第二百零三条), then the extension's working days."""
    extra = c.extension_days
    if limit.unit == WORKING_DAYS:
        return nth_counted_after(c, c.accepted_on, limit.days + extra, WORKING_DAYS)
    last = nth_counted_after(c, c.accepted_on, limit.days, CALENDAR_DAYS)
    if limit.days and not is_working_day(last, CAL):
        extra += 1
    return nth_counted_after(c, last, extra, WORKING_DAYS)


def oracle_used(c: Clock, today: date) -> int:
    days = (today - c.accepted_on).days
    return sum(
        counted(c, c.accepted_on + timedelta(days=i), c.promised.unit) for i in range(1, days + 1)
    )


@QUICK
@given(clocks(), offsets)
def test_due_dates_and_used_follow_the_rule_day_by_day(c: Clock, offset: int) -> None:
    today = later(c, offset)
    s = clock_state(c, today, CAL)
    assert s.running is running_at_end_of(c, today)
    assert s.used == oracle_used(c, today)
    if s.running:
        assert s.due_date == oracle_due(c, c.promised)
        assert s.legal_due_date == oracle_due(c, c.statutory)


@QUICK
@given(st.dates(date(2025, 1, 1), date(2026, 12, 31)), st.integers(0, 60), st.sampled_from(UNITS))
def test_without_events_the_due_date_is_the_period_end(
    accepted_on: date, p: int, unit: str
) -> None:
    limit = Limit(p, unit)
    s = clock_state(Clock(accepted_on, limit, limit, 3), accepted_on, CAL)
    assert s.due_date == s.legal_due_date == period_end(accepted_on, limit, CAL)
    if unit == WORKING_DAYS:
        assert s.due_date == add_working_days(accepted_on, p, CAL)


@QUICK
@given(clocks(), offsets)
def test_stops_never_make_the_due_date_earlier(c: Clock, offset: int) -> None:
    today = later(c, offset)
    s = clock_state(c, today, CAL)
    extensions_only = replace(c, events=tuple(e for e in c.events if isinstance(e, Extension)))
    baseline = clock_state(extensions_only, today, CAL).due_date
    assert baseline is not None
    if s.running:
        assert s.due_date is not None
        assert s.due_date >= baseline


@QUICK
@given(clocks(), offsets)
def test_used_never_exceeds_the_days_since_acceptance(c: Clock, offset: int) -> None:
    today = later(c, offset)
    used = clock_state(c, today, CAL).used
    if c.promised.unit == WORKING_DAYS:
        assert 0 <= used <= between(c.accepted_on, today, CAL)
    else:
        assert 0 <= used <= (today - c.accepted_on).days


@QUICK
@given(clocks(), offsets)
def test_remaining_and_used_make_the_limit(c: Clock, offset: int) -> None:
    today = later(c, offset)
    s = clock_state(c, today, CAL)
    total = c.promised.days + c.extension_days
    if not s.running:
        assert s.remaining_working_days + s.used == total
        assert (s.due_date, s.legal_due_date, s.blue_on) == (None, None, None)
    elif c.promised.unit == WORKING_DAYS and s.light != RED:
        assert s.remaining_working_days + s.used == total


@QUICK
@given(clocks(), offsets)
def test_the_light_while_running(c: Clock, offset: int) -> None:
    today = later(c, offset)
    s = clock_state(c, today, CAL)
    if not s.running:
        return
    assert s.due_date is not None
    assert s.blue_on is not None
    assert c.accepted_on <= s.blue_on <= s.due_date
    if today > s.due_date:
        assert s.light == RED
        assert s.remaining_working_days == -between(s.due_date, today, CAL)
    else:
        assert s.remaining_working_days == between(today, s.due_date, CAL)
        assert (s.light == BLUE) is (s.remaining_working_days <= c.warning_days)
        assert (s.light == BLUE) is (s.blue_on <= today)


@QUICK
@given(clocks(), offsets)
def test_the_light_is_frozen_from_the_stop(c: Clock, offset: int) -> None:
    today = later(c, offset)
    s = clock_state(c, today, CAL)
    if s.running:
        return
    index = max(i for i, e in enumerate(c.events) if isinstance(e, Stop))
    stopped_on = c.events[index].on
    before = replace(c, events=c.events[:index])
    assert s.light == clock_state(before, stopped_on, CAL).light
    assert s.light == clock_state(c, stopped_on, CAL).light


@QUICK
@given(clocks(decided=True), offsets)
def test_after_the_decision_nothing_changes(c: Clock, offset: int) -> None:
    assert c.decided_on is not None
    on_decision = clock_state(c, c.decided_on, CAL)
    assert on_decision.running is False
    assert on_decision.light is None
    assert clock_state(c, c.decided_on + timedelta(days=offset), CAL) == on_decision
    undecided = clock_state(replace(c, decided_on=None), c.decided_on, CAL)
    assert on_decision.due_date == undecided.due_date
    assert on_decision.used == undecided.used


@QUICK
@given(clocks(decided=True), st.integers(0, 200))
def test_the_state_on_a_past_day_ignores_later_events(c: Clock, offset: int) -> None:
    today = c.accepted_on + timedelta(days=offset)
    assert clock_state(c, today, CAL) == clock_state(c.as_of(today), today, CAL)
