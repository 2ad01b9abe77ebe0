"""A case (办件) as the API gives it (API.md "Cases": "a case in JSON has at least …").

One representation for every channel that shows a whole case to someone allowed to see it
(the applicant side, the staff in scope): `case_to_api(case)`. Times are ISO 8601 with the
Asia/Shanghai offset (`+08:00`), dates `YYYY-MM-DD`, ids opaque strings.

The approval clock's figures (`due_date`, `legal_due_date`, `light`,
`remaining_working_days`, `clock_running`) come from `clock_figures`: computed with the pure
clock (`wangban.cases.clock`) from the acceptance day and the limits of the version the case
was filed under, while the case is in review (DESIGN.md §5 "The case clock"). Before
acceptance, and once the case has ended, there is no running clock and no light.

Lists read many cases: pass their queryset through `for_representation` so that a page
costs the same few queries whatever its length.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from wangban.cases import clock
from wangban.cases.choices import CaseState
from wangban.cases.models import Case, CaseEvent, CaseMaterial, CorrectionNotice
from wangban.catalog.content import default_warning_threshold


def iso_datetime(value: datetime | None) -> str | None:
    """`2026-09-24T10:30:00+08:00`: the moment in Asia/Shanghai, to the second."""
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def iso_date(value: date | None) -> str | None:
    return value.isoformat() if value else None


# --- the approval clock ----------------------------------------------------------------------


@dataclass(frozen=True)
class ClockFigures:
    """What API.md shows of the approval clock (`clock_running`, `due_date`,
    `legal_due_date`, `light`, `remaining_working_days`); all empty without a running clock."""

    clock_running: bool = False
    due_date: date | None = None
    legal_due_date: date | None = None
    light: str | None = None
    remaining_working_days: int | None = None


NO_CLOCK = ClockFigures()


def clock_figures(case: Case, today: date) -> ClockFigures:
    """The approval clock of `case` at the end of `today`.

    In review (受理后、作出决定前), the clock runs from the acceptance day with the promised
    and statutory limits of the case's version and its warning threshold (default
    `max(1, ⌈0.2 × P⌉)`): `clock_state` of `wangban.cases.clock`, with no stops — the
    approval steps that stop the clock (审查中补正, 特别程序) store their events on the case
    and replace this computation by the stored figures. Any other state: no clock."""
    if case.state != CaseState.IN_REVIEW or case.accepted_on is None:
        return NO_CLOCK
    version = case.version
    warning = version.warning_threshold_days
    if warning is None:
        warning = default_warning_threshold(version.promised_limit_days)
    state = clock.clock_state(
        clock.Clock(
            accepted_on=case.accepted_on,
            promised=clock.Limit(version.promised_limit_days, version.promised_limit_unit),
            statutory=clock.Limit(version.legal_limit_days, version.legal_limit_unit),
            warning_days=warning,
        ),
        max(today, case.accepted_on),  # the clock has no state before its first day
    )
    return ClockFigures(
        clock_running=state.running,
        due_date=state.due_date,
        legal_due_date=state.legal_due_date,
        light=state.light,
        remaining_working_days=state.remaining_working_days,
    )


# --- parts -------------------------------------------------------------------------------------


def department_ref(department: Any) -> dict[str, str]:
    return {"code": department.code, "name": department.name}


def event_to_api(event: CaseEvent) -> dict[str, Any]:
    """One entry of the timeline (API.md `events[]`). Who acted is not shown: the timeline
    is the applicant's as much as the staff's."""
    return {
        "at": iso_datetime(event.at),
        "action": event.action,
        "from_state": event.from_state or None,  # `create` comes from no state
        "to_state": event.to_state,
        "note": event.note,
    }


def material_to_api(row: CaseMaterial) -> dict[str, Any]:
    """An attached file (by its stored content) or a paper mark made at a window."""
    return {
        "id": str(row.pk),
        "material_code": row.material_code,
        "material_name": row.material_name,
        "paper": row.paper,
        "note": row.note,
        "file_name": row.file_name,
        "content_type": row.content_type,
        "size": row.size,
        "sha256": row.sha256,
        "submission": row.submission,
        "attached_at": iso_datetime(row.attached_at),
    }


def correction_to_api(notice: CorrectionNotice) -> dict[str, Any]:
    """The one-time correction notice (一次性告知, 淮安办法第十二条) the applicant answers."""
    return {
        "issued_on": iso_date(notice.issued_on),
        "answer_due_on": iso_date(notice.answer_due_on),
        "is_repeat": notice.is_repeat,
        "items": [
            {
                "material_code": item["material_code"],
                "material_name": item.get("material_name", ""),
                "reason": item["reason"],
            }
            for item in notice.items
        ],
    }


def latest_notice(case: Case) -> CorrectionNotice | None:
    """The newest correction notice, from the prefetched rows when there are some."""
    notices = sorted(case.correction_notices.all(), key=lambda n: (n.issued_at, n.pk))
    return notices[-1] if notices else None


# --- the case ----------------------------------------------------------------------------------


def for_representation(queryset: QuerySet[Case]) -> QuerySet[Case]:
    """`queryset` with everything `case_to_api` reads joined or prefetched: a page of cases
    costs one query for the cases and one each for events, materials and notices."""
    return queryset.select_related(
        "item", "version", "department", "accepting_department", "on_behalf_of"
    ).prefetch_related(
        Prefetch("events", queryset=CaseEvent.objects.order_by("id")),
        Prefetch("materials", queryset=CaseMaterial.objects.order_by("material_code")),
        Prefetch("correction_notices", queryset=CorrectionNotice.objects.order_by("issued_at")),
    )


def case_to_api(case: Case, *, today: date | None = None) -> dict[str, Any]:
    """The case representation of API.md, plus `item_name`, `state_label`, `department`,
    `accepting_department`, `on_behalf_of`, `signed_in_at`, `deemed_accepted`,
    `closing_reason`, `closed_at`, `correction`, `materials` and `form`.

    `receipt_no` exists from acceptance on. `sign_in_due_at` and `reply_due_on` are the
    deadlines before acceptance (镇江办法第九条, 淮安办法第十二条): null once accepted.
    `correction` is the latest notice while the applicant is asked to correct, else null.
    `decided_on` and `current_step` belong to the approval steps and are null until then."""
    today = today or timezone.localdate()
    figures = clock_figures(case, today)
    accepted = case.accepted_on is not None
    notice = latest_notice(case) if case.state == CaseState.CORRECTION_REQUESTED else None
    return {
        "id": case.pk,
        "receipt_no": case.receipt_no,
        "item_code": case.item.code,
        "item_name": case.version.name,
        "department": department_ref(case.department),
        "accepting_department": department_ref(case.accepting_department),
        "on_behalf_of": (
            {"id": str(case.on_behalf_of.pk), "name": case.on_behalf_of.name}
            if case.on_behalf_of
            else None
        ),
        "state": case.state,
        "state_label": CaseState(case.state).label,
        "channel": case.channel,
        "created_at": iso_datetime(case.created_at),
        "submitted_at": iso_datetime(case.submitted_at),
        "received_on": iso_date(case.received_on),
        "sign_in_due_at": None if accepted else iso_datetime(case.sign_in_due_at),
        "signed_in_at": iso_datetime(case.signed_in_at),
        "reply_due_on": None if accepted else iso_date(case.reply_due_on),
        "accepted_on": iso_date(case.accepted_on),
        "deemed_accepted": case.deemed_accepted,
        "decided_on": None,
        "clock_running": figures.clock_running,
        "due_date": iso_date(figures.due_date),
        "legal_due_date": iso_date(figures.legal_due_date),
        "light": figures.light,
        "remaining_working_days": figures.remaining_working_days,
        "current_step": None,
        "correction": correction_to_api(notice) if notice else None,
        "closing_reason": case.closing_reason,
        "closed_at": iso_datetime(case.closed_at),
        "form": case.form,
        "materials": [material_to_api(row) for row in case.materials.all()],
        "events": [event_to_api(event) for event in case.events.all()],
    }
