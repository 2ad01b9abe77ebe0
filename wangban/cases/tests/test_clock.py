"""The case clock on the 2026 schedule: worked examples of DESIGN.md §5, deadline tables,
lights and refusals. Pure: an explicit calendar, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from wangban.cases.clock import (
    BLUE,
    CALENDAR_DAYS,
    GREEN,
    RED,
    Clock,
    ClockEvent,
    ClockState,
    Extension,
    Limit,
    Restart,
    Stop,
    clock_state,
    correction_due_on,
    deemed_acceptance_due,
    extension_exceeds_statutory,
    is_deemed_accepted,
    period_end,
    reply_due_on,
    sign_in_due_at,
)
from wangban.catalog.choices import LimitUnit
from wangban.core.calendar import SHANGHAI, add_working_days, package_calendar

CAL = package_calendar()

ACCEPTED = date(2026, 9, 24)  # Thu; 中秋节 Fri 09-25, 国庆节 10-01…10-07, Sat 10-10 works
PROMISED = Limit(15)
STATUTORY = Limit(20)


def d(month: int, day: int) -> date:
    return date(2026, month, day)


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def clock(
    *events: ClockEvent,
    promised: Limit = PROMISED,
    statutory: Limit = STATUTORY,
    warning_days: int = 3,
    accepted_on: date = ACCEPTED,
    decided_on: date | None = None,
) -> Clock:
    return Clock(accepted_on, promised, statutory, warning_days, events, decided_on)


def state(c: Clock, today: date) -> ClockState:
    return clock_state(c, today, CAL)


# --- before acceptance --------------------------------------------------------------


@pytest.mark.parametrize(
    ("submitted_at", "expected"),
    [
        (at(6, 12, 15), at(6, 15, 10, 30)),  # Fri afternoon: 2.5 h Fri, 1.5 h Mon
        (at(6, 18, 16), at(6, 22, 11, 30)),  # Thu before 端午节 (Fri 06-19 off)
        (at(9, 30, 16), at(10, 8, 11, 30)),  # the day before 国庆节
        (at(2, 13, 15), at(2, 14, 10, 30)),  # Sat 02-14 is a make-up working day
        (at(2, 14, 16), at(2, 24, 11, 30)),  # then 春节 02-15…02-23
        (at(10, 3, 10), at(10, 8, 14, 30)),  # submitted on a holiday: from Thu 09:00
        (datetime(2026, 9, 29, 20, 0, tzinfo=UTC), at(9, 30, 14, 30)),  # 04:00 in Beijing
    ],
)
def test_sign_in_within_four_working_hours(submitted_at: datetime, expected: datetime) -> None:
    assert sign_in_due_at(submitted_at, calendar=CAL) == expected


def test_sign_in_hours_come_from_the_online_level() -> None:
    assert sign_in_due_at(at(6, 12, 15), 2, calendar=CAL) == at(6, 12, 17, 0)
    assert sign_in_due_at(at(6, 12, 15), 8, calendar=CAL) == at(6, 15, 16, 0)


@pytest.mark.parametrize(
    ("received_on", "reply", "deemed"),
    [
        (d(6, 12), d(6, 15), d(6, 22)),  # Fri; 端午节 Fri 06-19
        (d(9, 30), d(10, 8), d(10, 13)),  # the day before 国庆节; Sat 10-10 works
        (d(10, 3), d(10, 8), d(10, 13)),  # received on a holiday
        (d(2, 13), d(2, 14), d(2, 27)),  # Fri before 春节; Sat 02-14 works
        (d(2, 14), d(2, 24), d(2, 28)),  # received on the make-up Saturday; Sat 02-28 works
        (d(9, 19), d(9, 20), d(9, 24)),  # Sat; Sun 09-20 is a make-up working day
    ],
)
def test_reply_and_deemed_acceptance_deadlines(
    received_on: date, reply: date, deemed: date
) -> None:
    assert reply_due_on(received_on, calendar=CAL) == reply
    assert deemed_acceptance_due(received_on, CAL) == deemed


def test_reply_days_are_configurable() -> None:
    assert reply_due_on(d(9, 30), 2, CAL) == d(10, 9)
    assert reply_due_on(d(9, 30), 0, CAL) == d(9, 30)


def test_deemed_accepted_only_after_the_fifth_working_day_has_ended() -> None:
    received = d(9, 30)  # deemed_acceptance_due: Tue 10-13
    assert is_deemed_accepted(received, d(10, 12), CAL) is False
    assert is_deemed_accepted(received, d(10, 13), CAL) is False  # the department may still answer
    assert is_deemed_accepted(received, d(10, 14), CAL) is True
    assert is_deemed_accepted(received, d(12, 31), CAL) is True


@pytest.mark.parametrize(
    ("notified_on", "limit", "expected"),
    [
        (d(9, 30), Limit(5), d(10, 13)),
        (d(9, 26), Limit(5, CALENDAR_DAYS), d(10, 8)),  # 10-01 is 国庆节 → next working day
        (d(9, 30), Limit(10, CALENDAR_DAYS), d(10, 10)),  # Sat 10-10 works: stays
        (d(9, 24), Limit(15, CALENDAR_DAYS), d(10, 9)),
        (d(9, 24), Limit(17, CALENDAR_DAYS), d(10, 12)),  # Sun 10-11 → Mon
        (d(2, 9), Limit(7, CALENDAR_DAYS), d(2, 24)),  # 02-16 is 春节 → 02-24
        (d(10, 3), Limit(0, CALENDAR_DAYS), d(10, 3)),
    ],
)
def test_correction_answer_deadline(notified_on: date, limit: Limit, expected: date) -> None:
    assert correction_due_on(notified_on, limit, CAL) == expected
    assert period_end(notified_on, limit, CAL) == expected


# --- DESIGN.md §5 worked examples ---------------------------------------------------


def test_accepted_thursday_promised_15_working_days() -> None:
    assert state(clock(), ACCEPTED) == ClockState(
        running=True,
        used=0,
        due_date=d(10, 22),
        legal_due_date=d(10, 29),
        remaining_working_days=15,
        light=GREEN,
        blue_on=d(10, 19),
    )


def test_stopped_tuesday_restarted_friday_uses_one_day() -> None:
    c = clock(Stop(d(9, 29), "correction"), Restart(d(10, 9)))
    assert state(c, d(10, 8)) == ClockState(
        running=False,
        used=1,  # 09-28
        due_date=None,
        legal_due_date=None,
        remaining_working_days=14,  # P − used, the restart day included
        light=GREEN,
        blue_on=None,
    )
    assert state(c, d(10, 9)) == ClockState(
        running=True,
        used=2,  # 09-28 and the restart day 10-09
        due_date=d(10, 27),
        legal_due_date=d(11, 3),
        remaining_working_days=13,
        light=GREEN,
        blue_on=d(10, 22),
    )


def test_then_extended_by_five_on_monday() -> None:
    c = clock(Stop(d(9, 29)), Restart(d(10, 9)), Extension(d(10, 12), 5))
    s = state(c, d(10, 12))
    assert (s.due_date, s.legal_due_date) == (d(11, 3), d(11, 10))
    assert (s.used, s.remaining_working_days) == (4, 16)  # 09-28, 10-09, 10-10, 10-12
    assert s.blue_on == d(10, 29)


def test_stopped_saturday_restarted_on_the_make_up_saturday_uses_nothing() -> None:
    c = clock(Stop(d(9, 26)), Restart(d(10, 10)))
    assert state(c, d(10, 9)).remaining_working_days == 15
    assert state(c, d(10, 9)).used == 0
    s = state(c, d(10, 10))
    assert (s.due_date, s.used, s.remaining_working_days) == (d(10, 29), 1, 14)


# --- stops on holidays and make-up days ---------------------------------------------


@pytest.mark.parametrize(
    ("stop", "restart", "due", "used_on_restart"),
    [
        (d(10, 3), d(10, 8), d(10, 22), 4),  # stopped inside 国庆节: no working day lost
        (d(9, 30), d(10, 7), d(10, 23), 2),  # restarted on a holiday: 09-30 lost
        (d(10, 9), d(10, 10), d(10, 23), 5),  # restarted on the make-up Saturday, which counts
        (d(10, 10), d(10, 12), d(10, 23), 6),  # stopped on the make-up Saturday: it is lost
        (d(10, 9), d(10, 9), d(10, 22), 5),  # stopped and restarted the same day: nothing lost
        (ACCEPTED, d(9, 28), d(10, 22), 1),  # stopped on the acceptance day
        (ACCEPTED, ACCEPTED, d(10, 22), 0),  # …and restarted then: A still does not count
    ],
)
def test_stops_on_holidays_and_make_up_days(
    stop: date, restart: date, due: date, used_on_restart: int
) -> None:
    s = state(clock(Stop(stop), Restart(restart)), restart)
    assert s.due_date == due
    assert s.used == used_on_restart
    assert s.remaining_working_days + s.used == 15


def test_several_stops_add_up() -> None:
    c = clock(Stop(d(9, 29)), Restart(d(10, 9)), Stop(d(10, 13)), Restart(d(10, 15)))
    # used 09-28, 10-09, 10-10, 10-12 before the second stop; 10-13 and 10-14 lost
    assert state(c, d(10, 14)).remaining_working_days == 11
    assert state(c, d(10, 15)).due_date == d(10, 29)


# --- limits in calendar days --------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "due"),
    [
        (7, d(10, 8)),  # last day 10-01 (国庆节) → next working day
        (16, d(10, 10)),  # last day Sat 10-10 is a make-up working day
        (17, d(10, 12)),  # last day Sun 10-11 → Mon
        (28, d(10, 22)),
    ],
)
def test_calendar_day_limits(days: int, due: date) -> None:
    s = state(clock(promised=Limit(days, CALENDAR_DAYS)), ACCEPTED)
    assert s.due_date == due


def test_calendar_day_limit_ending_in_spring_festival() -> None:
    c = clock(
        accepted_on=d(2, 6),
        promised=Limit(10, CALENDAR_DAYS),
        statutory=Limit(10, CALENDAR_DAYS),
        warning_days=2,
    )
    assert state(c, d(2, 6)).due_date == d(2, 24)  # 02-16 is 春节


def test_calendar_days_stop_counting_while_stopped() -> None:
    c = clock(Stop(d(9, 28)), Restart(d(10, 8)), promised=Limit(10, CALENDAR_DAYS))
    stopped = state(c, d(10, 1))
    assert (stopped.used, stopped.remaining_working_days) == (3, 7)  # 09-25, 26, 27
    assert stopped.light == BLUE  # on 09-28 the due date was 10-08, 3 working days away
    assert state(c, d(10, 8)).due_date == d(10, 14)  # 10-08 … 10-14 are the other 7


def test_an_extension_on_a_calendar_day_limit_adds_working_days() -> None:
    c = clock(Extension(d(9, 28), 2), promised=Limit(7, CALENDAR_DAYS))
    assert state(c, d(9, 28)).due_date == d(10, 10)  # 10-08 without it, then 10-09, 10-10


# --- statutory and promised ---------------------------------------------------------


def test_statutory_and_promised_due_dates() -> None:
    c = clock(statutory=Limit(30, CALENDAR_DAYS))
    s = state(c, ACCEPTED)
    assert (s.due_date, s.legal_due_date) == (d(10, 22), d(10, 26))  # Sat 10-24 → Mon
    assert state(c, d(10, 23)).light == RED  # the light follows the promised limit


def test_promised_limits_accept_the_catalogue_units() -> None:
    c = clock(
        promised=Limit(7, LimitUnit.CALENDAR_DAYS), statutory=Limit(20, LimitUnit.WORKING_DAYS)
    )
    assert state(c, ACCEPTED).due_date == d(10, 8)


# --- 即办件 ------------------------------------------------------------------------


def test_immediate_items_are_due_on_the_acceptance_day() -> None:
    c = clock(promised=Limit(0), statutory=Limit(0), warning_days=1)
    assert state(c, ACCEPTED) == ClockState(True, 0, ACCEPTED, ACCEPTED, 0, BLUE, ACCEPTED)
    assert state(c, d(9, 25)).light == RED
    assert state(c, d(9, 28)).remaining_working_days == -1


def test_immediate_items_on_a_holiday_and_in_calendar_days() -> None:
    c = clock(accepted_on=d(10, 3), promised=Limit(0, CALENDAR_DAYS), statutory=Limit(0))
    assert state(c, d(10, 3)).due_date == d(10, 3)


def test_an_immediate_item_decided_the_same_day() -> None:
    c = clock(promised=Limit(0), statutory=Limit(0), warning_days=1, decided_on=ACCEPTED)
    assert state(c, d(9, 30)) == ClockState(False, 0, ACCEPTED, ACCEPTED, 0, None, ACCEPTED)


# --- lights -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "light", "remaining"),
    [
        (ACCEPTED, GREEN, 15),
        (d(10, 16), GREEN, 4),  # Fri
        (d(10, 18), GREEN, 4),  # Sun
        (d(10, 19), BLUE, 3),  # blue_on: 3 working days left
        (d(10, 22), BLUE, 0),  # the due day
        (d(10, 23), RED, -1),
        (d(10, 25), RED, -1),  # Sun
        (d(10, 26), RED, -2),
    ],
)
def test_light_transitions(today: date, light: str, remaining: int) -> None:
    s = state(clock(), today)
    assert (s.light, s.remaining_working_days, s.blue_on) == (light, remaining, d(10, 19))


@pytest.mark.parametrize(
    ("stopped_on", "light", "remaining"),
    [
        (d(10, 9), GREEN, 11),
        (d(10, 20), BLUE, 3),
        (d(10, 26), RED, -1),  # overdue before the stop: 16 days used
    ],
)
def test_the_light_is_frozen_while_stopped(stopped_on: date, light: str, remaining: int) -> None:
    c = clock(Stop(stopped_on, "site_survey"))
    for today in (stopped_on, d(10, 30), d(12, 31)):
        s = state(c, today)
        assert (s.running, s.light, s.remaining_working_days) == (False, light, remaining)
        assert (s.due_date, s.legal_due_date, s.blue_on) == (None, None, None)


def test_restarted_after_a_blue_stop() -> None:
    c = clock(Stop(d(10, 20)), Restart(d(11, 2)))
    s = state(c, d(11, 2))
    assert (s.due_date, s.remaining_working_days, s.light) == (d(11, 4), 2, BLUE)


def test_an_overdue_case_stays_overdue_after_a_restart() -> None:
    c = clock(Stop(d(10, 26)), Restart(d(11, 2)))
    s = state(c, d(11, 2))
    assert (s.due_date, s.light) == (d(10, 22), RED)
    assert s.remaining_working_days == -7  # −working_days_between(due, today)


def test_warning_threshold_zero_is_blue_on_the_due_day_only() -> None:
    c = clock(warning_days=0)
    assert state(c, d(10, 21)).light == GREEN
    assert state(c, d(10, 22)).light == BLUE
    assert state(c, ACCEPTED).blue_on == d(10, 22)


def test_no_light_after_the_decision() -> None:
    c = clock(decided_on=d(10, 21))
    assert state(c, d(10, 20)).light == BLUE  # not decided yet
    for today in (d(10, 21), d(10, 23), d(12, 31)):
        assert state(c, today) == ClockState(
            running=False,
            used=14,  # through the decision day
            due_date=d(10, 22),
            legal_due_date=d(10, 29),
            remaining_working_days=1,  # decided one working day early
            light=None,
            blue_on=d(10, 19),
        )


def test_a_late_decision_keeps_its_negative_margin() -> None:
    s = state(clock(decided_on=d(10, 26)), d(11, 30))
    assert (s.running, s.light, s.remaining_working_days) == (False, None, -2)


def test_events_after_today_are_not_yet_counted() -> None:
    c = clock(Stop(d(10, 13)), Restart(d(10, 20)), decided_on=d(10, 30))
    assert state(c, d(10, 12)) == state(clock(), d(10, 12))
    assert state(c, d(10, 12)) == state(c.as_of(d(10, 12)), d(10, 12))


# --- extensions ---------------------------------------------------------------------


def test_extension_beyond_the_statutory_ten_working_days() -> None:
    assert extension_exceeds_statutory(clock(Extension(d(9, 28), 10))) is False
    eleven = clock(Extension(d(9, 28), 6), Extension(d(10, 12), 5))
    assert eleven.extension_days == 11
    assert extension_exceeds_statutory(eleven) is True
    assert extension_exceeds_statutory(eleven, limit=15) is False
    assert state(eleven, d(10, 12)).due_date == add_working_days(d(10, 22), 11, CAL)


# --- refusals -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("events", "decided_on", "message"),
    [
        ((Restart(d(10, 9)),), None, "a restart needs a stop"),
        ((Stop(d(9, 29)), Stop(d(10, 9))), None, "already stopped"),
        ((Stop(d(9, 23)),), None, "before 2026-09-24"),
        ((Stop(d(10, 9)), Restart(d(10, 8))), None, "in date order"),
        ((Stop(d(9, 29)), Extension(d(10, 9), 5)), None, "extend only while the clock runs"),
        ((Extension(d(10, 9), 0),), None, "at least 1 working day"),
        ((Stop(d(9, 29)),), d(10, 9), "restart the clock to decide"),
        ((Stop(d(9, 29)), Restart(d(10, 9))), d(10, 8), "before acceptance or the last"),
        ((), d(9, 23), "before acceptance or the last"),
    ],
)
def test_invalid_clocks_are_refused(
    events: tuple[ClockEvent, ...], decided_on: date | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        clock(*events, decided_on=decided_on)


def test_invalid_limits_and_thresholds_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown unit 'hours'"):
        Limit(3, "hours")
    with pytest.raises(ValueError, match="must be >= 0 days"):
        Limit(-1)
    with pytest.raises(ValueError, match="warning_days must be >= 0"):
        clock(warning_days=-1)


def test_today_before_acceptance_is_refused() -> None:
    with pytest.raises(ValueError, match=r"today \(2026-09-23\) is before acceptance"):
        state(clock(), d(9, 23))


def test_datetimes_are_refused_where_dates_are_expected() -> None:
    with pytest.raises(TypeError, match="accepted_on must be a date"):
        clock(accepted_on=at(9, 24, 10))
    with pytest.raises(TypeError, match="today must be a date"):
        state(clock(), at(10, 9, 10))
    with pytest.raises(TypeError, match="event date must be a date"):
        clock(Stop(at(10, 9, 10)))
