"""The approval clock stored on the case, and the approval steps the case walks.

The pure clock (`wangban.cases.clock`) knows nothing of rows. Here the rows become a
`clock.Clock` — the acceptance day, the version's limits, the `ClockStop` and
`CaseExtension` rows, the decision day — and what `clock_state` returns is stored on the
case (DESIGN.md §5 "The case clock": the due dates and the day the light turns blue are
stored on the case and recomputed on every clock event and whenever the holiday rows of a
year they cross change, so lists filter and sort by light in SQL):

- `clock_running`, `due_date`, `legal_due_date` (null while stopped), `blue_on`;
- `frozen_light`: the light of the stop day while stopped (大安办法第三十一条; frozen);
- `days_used`, `frozen_remaining` (the unused part of the limit while stopped, the margin on
  the decision day after it), `extension_days`.

Each approval step (`CaseStep`) has its own clock on the same rules: it starts on the day the
step starts, its limit is the step's budget in working days, it stops and restarts with the
case's clock and it ends when the step ends.

The functions here are called by the case actions inside their transaction, after the case
row is locked; they write the clock's rows and the steps, and set (not save) the case's
fields, returning their names for the action's `update_fields`. The one exception is
`reschedule_after_holiday_change`, the whole recompute after a holiday change, called by
`wangban.core.actions.do_change_holidays` in its transaction.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from wangban.accounts.choices import Role
from wangban.audit.actions import record
from wangban.audit.choices import Channel as AuditChannel
from wangban.cases import clock, notifications
from wangban.cases.access import lock_cases
from wangban.cases.choices import (
    CLOCK_STATES,
    CaseAction,
    CaseState,
    Light,
    StepOutcome,
    StopKind,
    check_transition,
)
from wangban.cases.models import (
    SYSTEM_ACTOR,
    Case,
    CaseEvent,
    CaseExtension,
    CaseStep,
    ClockStop,
    CorrectionNotice,
    actor_name,
)
from wangban.catalog import frozen
from wangban.catalog.choices import Assignment
from wangban.catalog.models import ItemVersion, WorkflowStep
from wangban.core.calendar import (
    WorkingCalendar,
    active_calendar,
    working_days_between,
)
from wangban.core.prepared import Related

#: The case fields `store_clock` writes.
CLOCK_FIELDS = (
    "clock_running",
    "due_date",
    "legal_due_date",
    "blue_on",
    "frozen_light",
    "days_used",
    "frozen_remaining",
    "extension_days",
)
STEP_CLOCK_FIELDS = ("due_on", "blue_on", "frozen_light")
#: What a holiday change can move (`days_used` of a running clock grows every day anyway).
SCHEDULE_FIELDS = tuple(name for name in CLOCK_FIELDS if name != "days_used")

#: A stop ended by these actions restarts the clock; `withdraw` and `terminate` end the case.
RESTARTING_ACTIONS = (CaseAction.RESUME, CaseAction.RESUBMIT)

_CHINESE_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4}
_CHINESE_DIGITS |= {"五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NUMBER = r"(\d{1,3}|[零一二两三四五六七八九十百]{1,4})"
_DAYS = r"\s*个?\s*(?:工作日|日|天)"
# 延长至45个工作日: the extended limit as a whole.
_EXTENDED_TO = re.compile(r"延长至\s*" + _NUMBER + _DAYS)
# 可以延长5个工作日, 可以再延长3个工作日, 延长的时间不得超过三十日, 延长期限不超过十日,
# 延长期限最多不得超过三十日 (行政复议法), 延长的期限最长不得超过20个工作日 (政府信息公开
# 条例), 延长时间不超过15个工作日, 不得延长超过三十日, 延长期限最长为三十日.
_EXTENDED_BY = re.compile(
    r"延长(?:的)?(?:时间|期限|时限)?\s*(?:最长|最多)?\s*(?:不得超过|不能超过|不超过|超过|为)?\s*"
    + _NUMBER
    + _DAYS
)
# 不得延长, 不予延长: no extension at all.
_NOT_EXTENDED = re.compile(r"(?:不得|不予|不能)延长")


# --- the item's figures --------------------------------------------------------------------


def warning_days(version: ItemVersion) -> int:
    """The blue light's threshold: the item's `warning_threshold_days`, else
    `max(1, ceil(0.2 × P))` with P the promised limit (DESIGN.md §5)."""
    if version.warning_threshold_days is not None:
        return int(version.warning_threshold_days)
    return max(1, math.ceil(0.2 * version.promised_limit_days))


def step_warning_days(budget_days: int) -> int:
    """A step's blue threshold, by the same default rule on its budget."""
    return max(1, math.ceil(0.2 * budget_days))


def _chinese_number(text: str) -> int | None:
    """1–999 written in digits or in Chinese numerals (三, 十, 十五, 三十, 四十五, 一百)."""
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for char in text:
        if char in _CHINESE_DIGITS:
            current = _CHINESE_DIGITS[char]
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        elif char == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return total + current or None


def statutory_extension_limit(version: ItemVersion) -> int:
    """The statutory extension of the item in working days: 10 (行政许可法第四十二条: 经本行政
    机关负责人批准，可以延长十日), unless the item's legal basis says otherwise in its
    statutory-limit note or legal basis: "可以延长5个工作日", "可以再延长3个工作日", "延长的
    时间不得超过三十日", "延长的期限最长不得超过20个工作日" give that figure; "延长至45个工作日"
    gives 45 less the statutory limit; "不得延长" gives 0. (法律规定的"日" of an
    administrative licence are working days, 行政许可法第八十二条.)"""
    for text in (version.legal_limit_note, version.legal_basis):
        if not text:
            continue
        if match := _EXTENDED_TO.search(text):
            total = _chinese_number(match.group(1))
            if total is not None and total > version.legal_limit_days:
                return total - version.legal_limit_days
        if match := _EXTENDED_BY.search(text):
            days = _chinese_number(match.group(1))
            if days is not None:
                return days
        if _NOT_EXTENDED.search(text):
            return 0
    return clock.STATUTORY_EXTENSION_WORKING_DAYS


# --- the calendar --------------------------------------------------------------------------


def current_calendar() -> WorkingCalendar:
    """The calendar an action counts with: the active one, which every case writer made the
    latest committed version's before it locked its case (`calendar.hold_calendar`, called
    by `access.access_case` and `access.lock_cases`); a holiday change waits for the action
    or the action for the change, so no case is stored on a calendar replaced meanwhile. In
    the holiday change's own transaction, the calendar with its new rows."""
    return active_calendar()


# --- from rows to the pure clock --------------------------------------------------------------

#: The clock's rows of a case, each in the order they happened: read once for the locked
#: case and kept on it; whatever writes them here keeps the kept rows true (`forget`).
STOPS = Related(Case, "clock_stops", lambda: ClockStop.objects.order_by("started_at", "id"))
EXTENSIONS = Related(Case, "extensions", lambda: CaseExtension.objects.order_by("at", "id"))


def _rows(case: Case, lookup: Related[Any]) -> list[Any]:
    if not lookup.is_kept(case):
        return lookup.fetch(case)
    return list(getattr(case, lookup.name).all())


def _stops(case: Case) -> list[ClockStop]:
    return sorted(_rows(case, STOPS), key=lambda stop: (stop.started_at, stop.pk))


def _stop_events(stops: Iterable[ClockStop]) -> list[tuple[ClockStop, list[clock.ClockEvent]]]:
    events: list[tuple[ClockStop, list[clock.ClockEvent]]] = []
    for stop in stops:
        pair: list[clock.ClockEvent] = [clock.Stop(stop.started_on, stop.reason)]
        if stop.ended_on is not None and stop.ended_by_action in RESTARTING_ACTIONS:
            pair.append(clock.Restart(stop.ended_on))
        events.append((stop, pair))
    return events


def clock_events(case: Case) -> tuple[clock.ClockEvent, ...]:
    """The case's stops, restarts and extensions in the order they happened. Stops never
    overlap and an extension happens only while the clock runs, so an extension goes before
    every stop that started after it (or at the same moment) and after the others."""
    extensions = sorted(_rows(case, EXTENSIONS), key=lambda ext: (ext.at, ext.pk))
    events: list[clock.ClockEvent] = []
    index = 0
    for stop, pair in _stop_events(_stops(case)):
        while index < len(extensions) and extensions[index].at <= stop.started_at:
            events.append(clock.Extension(extensions[index].on, extensions[index].working_days))
            index += 1
        events.extend(pair)
    events.extend(clock.Extension(ext.on, ext.working_days) for ext in extensions[index:])
    return tuple(events)


def case_clock(case: Case) -> clock.Clock:
    """The pure clock of an accepted case (its version's limits and threshold)."""
    if case.accepted_on is None:
        raise ValueError(f"case {case.pk} is not accepted: it has no approval clock")
    version = case.version
    return clock.Clock(
        accepted_on=case.accepted_on,
        promised=clock.Limit(version.promised_limit_days, version.promised_limit_unit),
        statutory=clock.Limit(version.legal_limit_days, version.legal_limit_unit),
        warning_days=warning_days(version),
        events=clock_events(case),
        decided_on=case.decided_on,
    )


def step_clock(step: CaseStep, stops: Sequence[ClockStop]) -> clock.Clock:
    """A step's own clock: from its start, its budget in working days, stopped and restarted
    with the case's clock while it is open, ended on the day it ends."""
    events: list[clock.ClockEvent] = []
    for stop, pair in _stop_events(stops):
        started_in_step = stop.started_at >= step.started_at
        if started_in_step and (step.finished_at is None or stop.started_at < step.finished_at):
            events.extend(pair)
    budget = clock.Limit(step.budget_days)
    finished_on = timezone.localdate(step.finished_at) if step.finished_at else None
    return clock.Clock(
        accepted_on=step.started_on,
        promised=budget,
        statutory=budget,
        warning_days=step_warning_days(step.budget_days),
        events=tuple(events),
        decided_on=finished_on,
    )


# --- storing the clock -------------------------------------------------------------------


def _store_step_clock(
    step: CaseStep, stops: Sequence[ClockStop], today: date, cal: WorkingCalendar
) -> bool:
    """Set the step's clock figures; True when they changed."""
    state = clock.clock_state(step_clock(step, stops), today, cal)
    values = {
        "due_on": state.due_date,
        "blue_on": state.blue_on,
        "frozen_light": (state.light or "") if not state.running else "",
    }
    if step.finished_at is not None:  # ended: its dates stay for the on-time check
        values["frozen_light"] = ""
    changed = any(getattr(step, name) != value for name, value in values.items())
    for name, value in values.items():
        setattr(step, name, value)
    return changed


def store_clock(
    case: Case, today: date | None = None, calendar: WorkingCalendar | None = None
) -> list[str]:
    """Recompute the approval clock of an accepted case from its rows as it stands at the end
    of `today` (default: the local date) and set its stored fields; the current step's
    clock is saved too. Returns the case's field names for `update_fields`."""
    cal = calendar if calendar is not None else current_calendar()
    today = today or timezone.localdate()
    pure = case_clock(case)
    state = clock.clock_state(pure, today, cal)
    case.clock_running = state.running
    case.due_date = state.due_date
    case.legal_due_date = state.legal_due_date
    case.blue_on = state.blue_on
    case.frozen_light = (state.light or "") if not state.running else ""
    case.days_used = state.used
    case.frozen_remaining = None if state.running else state.remaining_working_days
    case.extension_days = pure.extension_days
    step = case.current_step
    if (
        step is not None
        and step.finished_at is None
        and _store_step_clock(step, _stops(case), today, cal)
    ):
        step.save(update_fields=list(STEP_CLOCK_FIELDS))
    return list(CLOCK_FIELDS)


# --- reading the stored clock --------------------------------------------------------------


def has_open_clock(case: Case) -> bool:
    """Accepted, not decided, not closed: the clock runs or is stopped."""
    return case.accepted_on is not None and case.decided_on is None and case.state in CLOCK_STATES


def case_light(case: Case, today: date) -> str | None:
    """The light from the stored fields (the rule `queries.with_light` writes in SQL):
    none before acceptance, after the decision or once closed; while stopped the frozen
    light; red once `today` is after the due date; blue from `blue_on`; green otherwise."""
    if not has_open_clock(case):
        return None
    if not case.clock_running:
        return case.frozen_light or None
    if case.due_date is not None and today > case.due_date:
        return Light.RED
    if case.blue_on is not None and today >= case.blue_on:
        return Light.BLUE
    return Light.GREEN


def remaining_working_days(
    case: Case, today: date, calendar: WorkingCalendar | None = None
) -> int | None:
    """API.md `remaining_working_days` (DESIGN.md §5): while running
    `working_days_between(today, due_date)`, negative once overdue
    (`−working_days_between(due_date, today)`); while stopped the unused part of the limit;
    after the decision its value on the decision day. None before acceptance and for a case
    withdrawn or terminated during review."""
    if case.accepted_on is None:
        return None
    if case.decided_on is None and case.state not in CLOCK_STATES:
        return None
    if not case.clock_running or case.due_date is None:
        return case.frozen_remaining
    if today > case.due_date:
        return -working_days_between(case.due_date, today, calendar)
    return working_days_between(today, case.due_date, calendar)


def remaining_unit(case: Case) -> str:
    """The unit of `remaining_working_days` (docs/case-clock.md): while the clock is stopped
    before the decision it is the unused part of the promised limit, in that limit's unit —
    自然日 for a calendar-day limit —; otherwise working days."""
    stopped = not case.clock_running and case.decided_on is None
    if stopped and case.version.promised_limit_unit == clock.CALENDAR_DAYS:
        return "自然日"
    return "工作日"


# --- steps ---------------------------------------------------------------------------------


def workflow(case: Case) -> list[WorkflowStep]:
    """The steps of the case's version, in order (kept by the process: `catalog.frozen`)."""
    return frozen.steps(case.version)


def open_step(
    case: Case, workflow_step: WorkflowStep, now: datetime, cal: WorkingCalendar | None = None
) -> CaseStep:
    """Start a visit of `workflow_step`: in the step's co-handling department or the case's,
    for its named person or else the department's pool, with the step's budget from today."""
    step = _new_step(case, workflow_step, now, cal)
    step.save()
    return step


def _new_step(
    case: Case, workflow_step: WorkflowStep, now: datetime, cal: WorkingCalendar | None = None
) -> CaseStep:
    """The visit `open_step` starts, not saved yet."""
    cal = cal if cal is not None else current_calendar()
    named = workflow_step.assignment == Assignment.PERSON
    step = CaseStep(
        case=case,
        visit=_next_visit(case),
        workflow_step=workflow_step,
        order=workflow_step.order,
        name=workflow_step.name,
        role=workflow_step.role,
        department_id=workflow_step.department_id or case.department_id,
        assignee_id=workflow_step.assignee_id if named else None,
        budget_days=workflow_step.budget_days,
        started_at=now,
        started_on=timezone.localdate(now),
    )
    if step.department_id == case.department_id:
        step.department = case.department  # as read with the case
    _store_step_clock(step, (), step.started_on, cal)
    return step


def _next_visit(case: Case) -> int:
    """The number of the case's next step visit. Every step opened becomes the current one
    (the acceptance's own step is closed at once, but the next opens on the same case), so
    the current step is the last visit; without one the last is read. It is then counted
    on the locked case: only the action that holds it opens steps."""
    last = getattr(case, "_last_visit", None)
    if last is None and case.current_step is not None:
        last = case.current_step.visit
    if last is None:
        last = case.steps.aggregate(last=Max("visit"))["last"] or 0
    case._last_visit = last + 1  # type: ignore[attr-defined]
    return int(last) + 1


def close_step(
    case: Case,
    step: CaseStep,
    *,
    actor: Any,
    now: datetime,
    outcome: str,
    opinion: str = "",
    cal: WorkingCalendar | None = None,
) -> None:
    """End the visit `step` with `outcome`; its clock ends today (its due date stays, for the
    on-time check). A step closed because the case ended keeps its figures as they were."""
    step.finished_at = now
    step.outcome = outcome
    step.opinion = opinion
    step.actor = actor
    step.actor_name = actor_name(actor)
    fields = ["finished_at", "outcome", "opinion", "actor", "actor_name"]
    if outcome != StepOutcome.CLOSED:
        cal = cal if cal is not None else current_calendar()
        _store_step_clock(step, _stops(case), timezone.localdate(now), cal)
        fields += STEP_CLOCK_FIELDS
    if step.pk is None:  # opened and closed at once: written once
        step.save()
    else:
        step.save(update_fields=fields)


def start_review(case: Case, actor: Any, now: datetime, *, accepting: bool = True) -> list[str]:
    """On acceptance (and deemed acceptance): the approval clock starts on `accepted_on` and
    the case enters its first review step. Leading steps of the `clerk` role (受理) are done
    by the acceptance itself and recorded as such. Returns the case's changed fields.
    `accepting=False` for a case accepted before review steps existed (`recompute_open_clocks`),
    which may have stopped or extended its clock already."""
    cal = current_calendar()
    if accepting:  # nothing stops or extends a clock before it starts
        STOPS.keep(case, [])
        EXTENSIONS.keep(case, [])
    steps = workflow(case)
    while steps and steps[0].role == Role.CLERK:
        done = _new_step(case, steps.pop(0), now, cal)
        close_step(
            case, done, actor=actor, now=now, outcome=StepOutcome.ACCEPT, opinion="受理", cal=cal
        )
    case.current_step = open_step(case, steps[0], now, cal) if steps else None
    return ["current_step", *store_clock(case, timezone.localdate(now), cal)]


# --- clock events --------------------------------------------------------------------------


def stop_clock(
    case: Case,
    *,
    actor: Any,
    now: datetime,
    kind: str,
    reason: str,
    procedure: str = "",
    notice: CorrectionNotice | None = None,
) -> list[str]:
    """Stop the approval clock today (DESIGN.md §5: the stop day is not used)."""
    STOPS.forget(case)
    ClockStop.objects.create(
        case=case,
        kind=kind,
        procedure=procedure,
        reason=reason,
        notice=notice,
        started_at=now,
        started_on=timezone.localdate(now),
        started_by=actor,
    )
    return store_clock(case, timezone.localdate(now))


def stop_for_correction(case: Case, actor: Any, notice: CorrectionNotice) -> list[str]:
    """A correction during review (审查中补正, 淮安办法第十二条: 补正材料期间不计算审批时限)
    stops the clock on the notice's day."""
    reasons = "；".join(f"{item['material_name']}：{item['reason']}" for item in notice.items)
    return stop_clock(
        case,
        actor=actor,
        now=notice.issued_at,
        kind=StopKind.CORRECTION,
        reason=reasons,
        notice=notice,
    )


def open_stop(case: Case) -> ClockStop | None:
    """The stop that has not ended (one at most); ending it changes the kept row itself."""
    return next((stop for stop in _rows(case, STOPS) if stop.ended_at is None), None)


def _end_stop(stop: ClockStop, *, actor: Any, now: datetime, action: str, note: str) -> None:
    stop.ended_at = now
    stop.ended_on = timezone.localdate(now)
    stop.ended_by = actor
    stop.ended_by_action = action
    stop.end_note = note
    stop.save(update_fields=["ended_at", "ended_on", "ended_by", "ended_by_action", "end_note"])


def restart_clock(
    case: Case, *, actor: Any, now: datetime, action: str, note: str = ""
) -> list[str]:
    """The clock runs again from today, which counts (DESIGN.md §5)."""
    stop = open_stop(case)
    if stop is None:  # the state table allows resume/resubmit only while stopped
        raise AssertionError(f"case {case.pk} has no open clock stop")
    _end_stop(stop, actor=actor, now=now, action=action, note=note)
    return store_clock(case, timezone.localdate(now))


def correction_during_review(case: Case) -> bool:
    """The case awaits a correction requested during review (its clock is stopped for it)."""
    stop = open_stop(case)
    return stop is not None and stop.kind == StopKind.CORRECTION


def notices_of_this_stage(case: Case) -> Any:
    """The correction notices the one-time rule (一次性告知) counts: those of the review
    once accepted (审查中补正), those before acceptance otherwise."""
    return case.correction_notices.filter(clock_stops__isnull=case.accepted_on is None)


def end_clock(case: Case, *, actor: Any, action: str) -> list[str]:
    """The case ends before a decision (withdrawn or terminated): an open stop ends, the open
    step is closed, the clock no longer runs and has no light nor due dates (nothing is due
    any more: lists sorted by due date put it last, as the API shows it). Nothing for a
    case not accepted. Returns the case's changed fields."""
    if case.accepted_on is None:
        return []
    now = timezone.now()
    stop = open_stop(case)
    if stop is not None:
        _end_stop(stop, actor=actor, now=now, action=action, note="")
    step = case.current_step
    if step is not None and step.finished_at is None:
        close_step(case, step, actor=actor, now=now, outcome=StepOutcome.CLOSED)
    case.current_step = None
    case.clock_running = False
    case.frozen_light = ""
    case.due_date = case.legal_due_date = case.blue_on = None
    return [
        "current_step",
        "clock_running",
        "frozen_light",
        "due_date",
        "legal_due_date",
        "blue_on",
    ]


def add_extension(
    case: Case, *, actor: Any, now: datetime, working_days: int, reason: str
) -> CaseExtension:
    """Record an extension (延期), flagged when the extensions together exceed the statutory
    extension (`statutory_extension_limit`); the caller recomputes the clock."""
    limit = statutory_extension_limit(case.version)
    total = case.extension_days + working_days
    EXTENSIONS.forget(case)
    return CaseExtension.objects.create(
        case=case,
        at=now,
        on=timezone.localdate(now),
        working_days=working_days,
        reason=reason,
        approver=actor,
        approver_name=actor_name(actor),
        statutory_limit=limit,
        exceeds_statutory=total > limit,
    )


# --- telling the applicant -------------------------------------------------------------------


#: The in-site message's title for each review event (its text is the SMS's).
REVIEW_TITLES = {
    CaseAction.SUSPEND: "已挂起",
    CaseAction.RESUME: "已恢复办理",
    CaseAction.EXTEND: "办理期限已延长",
    CaseAction.DECIDE: "已作出审批决定",
    CaseAction.COMPLETE: "已办结",
    CaseAction.RESCHEDULE: "办结期限调整",
    CaseAction.RESUBMIT: "补正材料已收到",
}


def tell_applicant(case: Case, event: CaseEvent, text: str) -> None:
    """Tell the applicant of a review event by SMS and in-site message through the notify
    outbox (`notifications.tell_applicant`), in the caller's transaction, keyed by the
    timeline event so that each is sent once."""
    action = CaseAction(event.action)
    notifications.tell_applicant(
        case,
        event_type=f"case.{event.action}",
        title=REVIEW_TITLES.get(action, action.label),
        text=text,
        key=f"case-event:{event.pk}",
    )


# --- holiday changes -------------------------------------------------------------------------


def _snapshot(case: Case) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(case, name) for name in SCHEDULE_FIELDS}
    step = case.current_step
    if step is not None:
        values.update({f"step_{name}": getattr(step, name) for name in STEP_CLOCK_FIELDS})
    return values


def reschedule_after_holiday_change(
    changed: Iterable[date],
    replaced: WorkingCalendar | None = None,
    *,
    actor: Any = None,
    chunk: int = 500,
) -> list[str]:
    """Recompute the stored clock of every open case whose clock crosses a changed date
    (DESIGN.md §5: recomputed whenever the holiday rows of a year they cross change), in the
    holiday change's transaction, with the new calendar.

    A changed day d can move a case's dates only if d is after its acceptance and not after
    the later of its due dates (or its step's), or if the clock is stopped (the unused days
    and the frozen light depend on the days before the stop). Each case whose figures moved
    gets a `reschedule` timeline event (by the system) and an audit event (by `actor`, who
    changed the holidays); its applicant is told (SMS and in-site message) when the
    promised due date moved. Returns the ids of the cases whose figures changed.

    The deadlines before acceptance move too (`_reschedule_waiting`): given the calendar
    the change `replaced`, each keeps the number of working days it was given."""
    days = sorted(set(changed))
    if not days:
        return []
    actor = actor if getattr(actor, "is_authenticated", False) else None
    first, last = days[0], days[-1]
    crossing = (
        Q(clock_running=False)
        | Q(due_date__gte=first)
        | Q(legal_due_date__gte=first)
        | Q(current_step__due_on__gte=first)
    )
    ids = list(
        Case.objects.filter(
            state__in=CLOCK_STATES,
            accepted_on__isnull=False,
            accepted_on__lt=last,
            decided_on__isnull=True,
        )
        .filter(crossing)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    cal = active_calendar()  # this transaction's rows (see core.calendar)
    today = timezone.localdate()
    moved: list[str] = []
    for start in range(0, len(ids), chunk):
        lock_cases(ids[start : start + chunk])
        cases = (
            Case.objects.select_related("version", "current_step", "applicant", "department")
            .prefetch_related("clock_stops", "extensions")
            .filter(pk__in=ids[start : start + chunk])
            .order_by("pk")
        )
        for case in cases:
            if _reschedule(case, today, cal, actor):
                moved.append(case.pk)
    if replaced is not None:
        moved += _reschedule_waiting(first, last, replaced, cal, actor)
    return moved


HOLIDAY_NOTE = "国家法定节假日安排调整，重新计算办结期限。"
WAITING_NOTE = "国家法定节假日安排调整，重新计算受理前的期限。"
#: The same for the answer day of a correction asked during review (the case is accepted).
REVIEW_CORRECTION_NOTE = "国家法定节假日安排调整，重新计算补正期限。"


def _reschedule_waiting(
    first: date, last: date, replaced: WorkingCalendar, cal: WorkingCalendar, actor: Any
) -> list[str]:
    """The deadlines of the cases waiting for an answer or for a correction, counted in
    working days from a day before the last changed one and ending on or after the first:
    a submission's reply day and its deemed acceptance (行政许可法第三十二条; the periodic
    job and every clerk's answer read `deemed_due_on`), its sign-in time, and the answer
    day of the open correction notice (termination is refused until it has passed). Each
    keeps as many working days as `replaced` gave it, counted again on `cal`; a case whose
    deadlines moved gets a `reschedule` event and an audit event, and its applicant is told
    the days they were given that moved."""
    start = datetime.combine(first, datetime.min.time(), tzinfo=timezone.get_current_timezone())
    waiting = Q(
        state=CaseState.SUBMITTED,
        received_on__lt=last,
    ) & (Q(deemed_due_on__gte=first) | Q(reply_due_on__gte=first) | Q(sign_in_due_at__gte=start))
    correcting = Q(state=CaseState.CORRECTION_REQUESTED, correction_due_on__gte=first)
    ids = list(
        Case.objects.filter(waiting | correcting).order_by("pk").values_list("pk", flat=True)
    )
    moved: list[str] = []
    for case in (
        Case.objects.select_for_update(of=("self",))
        .select_related("version__online_service_level", "applicant", "department")
        .select_related("accepting_department")
        .filter(pk__in=ids)
        .order_by("pk")
    ):
        if _reschedule_deadlines(case, replaced, cal, actor):
            moved.append(case.pk)
    return moved


def _recounted(start: date, end: date, replaced: WorkingCalendar, cal: WorkingCalendar) -> date:
    """`end`, `start` + n working days on `replaced`, as `start` + the same n on `cal`."""
    return cal.add_working_days(start, replaced.working_days_between(start, end))


def _reschedule_deadlines(
    case: Case, replaced: WorkingCalendar, cal: WorkingCalendar, actor: Any
) -> bool:
    from wangban.cases.actions import office_hours_for  # actions imports this module

    before = {name: getattr(case, name) for name in WAITING_FIELDS}
    notice = None
    if case.state == CaseState.SUBMITTED and case.received_on is not None:
        received = case.received_on
        if case.reply_due_on is not None:
            case.reply_due_on = _recounted(received, case.reply_due_on, replaced, cal)
        case.deemed_due_on = clock.deemed_acceptance_due(received, cal)
        level = case.version.online_service_level
        unsigned = case.signed_in_at is None and case.sign_in_due_at is not None
        if unsigned and case.submitted_at and level and level.sign_in_hours:
            office_hours = office_hours_for(case.accepting_department)
            case.sign_in_due_at = clock.sign_in_due_at(
                case.submitted_at, level.sign_in_hours, office_hours, cal
            )
    elif case.state == CaseState.CORRECTION_REQUESTED and case.correction_due_on is not None:
        notice = case.correction_notices.filter(answered_at=None).order_by("-issued_at").first()
        if notice is not None:
            due = _recounted(notice.issued_on, notice.answer_due_on, replaced, cal)
            case.correction_due_on = notice.answer_due_on = due
    after = {name: getattr(case, name) for name in WAITING_FIELDS}
    moved = [name for name in WAITING_FIELDS if after[name] != before[name]]
    if not moved:
        return False
    check_transition(case.state, CaseAction.RESCHEDULE)
    case.save(update_fields=moved)
    if notice is not None and "correction_due_on" in moved:
        notice.save(update_fields=["answer_due_on"])
    note = REVIEW_CORRECTION_NOTE if case.accepted_on is not None else WAITING_NOTE
    event = _record_reschedule(case, before, after, note, actor)
    told = [
        f"{WAITING_TOLD[name]}由{before[name]}调整为{getattr(case, name)}"
        for name in WAITING_TOLD
        if name in moved
    ]
    if told:
        tell_applicant(
            case,
            event,
            f"因国家法定节假日安排调整，{notifications.your_application(case)}{'；'.join(told)}。",
        )
    return True


def _record_reschedule(
    case: Case, before: dict[str, Any], after: dict[str, Any], note: str, actor: Any
) -> CaseEvent:
    """The `reschedule` timeline event (by the system, with the old and new values of what
    moved) and its audit event (by `actor`, who changed the holidays)."""
    moved = [name for name in after if before[name] != after[name]]
    event = CaseEvent.objects.create(
        case=case,
        at=timezone.now(),
        actor=None,
        actor_name=SYSTEM_ACTOR,
        action=CaseAction.RESCHEDULE,
        from_state=case.state,
        to_state=case.state,
        note=note,
        data={"changed": {name: [str(before[name]), str(after[name])] for name in moved}},
    )
    record(
        "case.reschedule",
        actor=actor,
        obj=case,
        channel=AuditChannel.SYSTEM,
        department=case.department.code if actor is None else None,
        before={name: before[name] for name in moved},
        after={name: after[name] for name in moved},
    )
    return event


#: The case fields of the deadlines before acceptance, and of a correction's answer.
WAITING_FIELDS = ("reply_due_on", "deemed_due_on", "sign_in_due_at", "correction_due_on")
#: Those the applicant was given, as they are told when one moves.
WAITING_TOLD = {"reply_due_on": "受理答复日期", "correction_due_on": "补正期限"}


def recompute_open_clocks() -> list[str]:
    """Recompute the stored clock of every open case, each in its own transaction, as the
    holiday change does (`manage.py recompute_case_clocks`): after holiday rows were written
    without `do_change_holidays` (raw SQL, loaddata), and once after the upgrade that added
    the stored clock, for cases accepted before it (their review steps start now).
    Idempotent; returns the ids of the cases whose figures moved."""
    ids = list(
        Case.objects.filter(
            state__in=CLOCK_STATES, accepted_on__isnull=False, decided_on__isnull=True
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    moved: list[str] = []
    for case_id in ids:
        with transaction.atomic():
            lock_cases([case_id])
            case = (
                Case.objects.select_related("version", "current_step", "applicant", "department")
                .filter(pk=case_id)
                .first()
            )
            if case is None:
                continue
            if not case.steps.exists() and case.state == CaseState.IN_REVIEW:
                case.save(update_fields=start_review(case, None, timezone.now(), accepting=False))
            cal = current_calendar()
            if _reschedule(case, timezone.localdate(), cal, None, note="重新计算办结期限。"):
                moved.append(case.pk)
    return moved


def _reschedule(
    case: Case, today: date, cal: WorkingCalendar, actor: Any, note: str = HOLIDAY_NOTE
) -> bool:
    if not has_open_clock(case):
        return False
    before = _snapshot(case)
    fields = store_clock(case, max(today, case.accepted_on or today), cal)
    after = _snapshot(case)
    if before == after:
        return False
    check_transition(case.state, CaseAction.RESCHEDULE)
    case.save(update_fields=fields)
    event = _record_reschedule(case, before, after, note, actor)
    if before["due_date"] is not None and case.due_date != before["due_date"]:
        tell_applicant(
            case,
            event,
            f"因国家法定节假日安排调整，{notifications.your_application(case)}承诺办结日期由"
            f"{before['due_date']}调整为{case.due_date}。",
        )
    return True
