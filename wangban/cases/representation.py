"""A case (办件) as the API gives it (API.md "Cases": "a case in JSON has at least …").

One representation for every channel that shows a whole case to someone allowed to see it
(the applicant side, the staff in scope): `case_to_api(case)`. Times are ISO 8601 with the
Asia/Shanghai offset (`+08:00`), dates `YYYY-MM-DD`, ids opaque strings.

The approval clock's figures (`due_date`, `legal_due_date`, `light`,
`remaining_working_days`, `clock_running`) are those `wangban.cases.schedule.store_clock`
keeps on the case at every clock event (DESIGN.md §5 "The case clock"): `clock_figures`
reads them, with the light of `schedule.case_light` (or, for lists, the same rule in SQL,
`queries.with_light`). Before acceptance there is no clock and no light.

Lists read many cases: pass their queryset through `for_representation` so that a page
costs the same few queries whatever its length.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone

from wangban.cases import queries, schedule
from wangban.cases.choices import CaseAction, CaseState, DocumentKind, DocumentState, Light
from wangban.cases.documents import verification_url
from wangban.cases.models import (
    Case,
    CaseDocument,
    CaseEvent,
    CaseExtension,
    CaseMaterial,
    CaseStep,
    ClockStop,
    CorrectionNotice,
)
from wangban.core.prepared import Related


def iso_datetime(value: datetime | None) -> str | None:
    """`2026-09-24T10:30:00+08:00`: the moment in Asia/Shanghai, to the second."""
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def iso_date(value: date | None) -> str | None:
    return value.isoformat() if value else None


# --- the approval clock ----------------------------------------------------------------------


@dataclass(frozen=True)
class ClockFigures:
    """What API.md shows of the approval clock (`clock_running`, `due_date`,
    `legal_due_date`, `light`, `remaining_working_days`); all empty without a clock."""

    clock_running: bool = False
    due_date: date | None = None
    legal_due_date: date | None = None
    light: str | None = None
    remaining_working_days: int | None = None


NO_CLOCK = ClockFigures()

#: Marks a case or step read without the SQL `light` annotation of `queries`.
_NOT_ANNOTATED = object()


def clock_figures(case: Case, today: date) -> ClockFigures:
    """The approval clock of `case` at the end of `today`, from the figures
    `schedule.store_clock` keeps on the case (DESIGN.md §5 "The case clock"): the due dates
    are null while the clock is stopped, the light is frozen then, and `remaining_working_days`
    is the unused part of the limit; after the decision the due dates stay, the remaining days
    are those of the decision day and there is no light. Before acceptance there is no clock.

    A case read through `for_representation` carries its light from SQL
    (`queries.with_light`), the rule `schedule.case_light` computes here otherwise."""
    if case.accepted_on is None:
        return NO_CLOCK
    light = getattr(case, "light", _NOT_ANNOTATED)
    if light is _NOT_ANNOTATED:
        light = schedule.case_light(case, today)
    # Stored null while stopped; kept after the decision (decided on time or not); not
    # shown for a case withdrawn or terminated during review, whose clock just ended.
    dated = schedule.has_open_clock(case) or case.decided_on is not None
    return ClockFigures(
        clock_running=schedule.has_open_clock(case) and case.clock_running,
        due_date=case.due_date if dated else None,
        legal_due_date=case.legal_due_date if dated else None,
        light=str(light) if light else None,
        remaining_working_days=schedule.remaining_working_days(case, today),
    )


def step_light(step: CaseStep, case: Case, today: date) -> str | None:
    """A step's own light (the rule `queries.with_step_light` writes in SQL): none once the
    step ended or the case's clock closed; frozen while the clock is stopped; red after the
    step's due day; blue from its `blue_on`; green otherwise."""
    light = getattr(step, "light", _NOT_ANNOTATED)
    if light is not _NOT_ANNOTATED:
        return str(light) if light else None
    if step.finished_at is not None or not schedule.has_open_clock(case):
        return None
    if not case.clock_running:
        return step.frozen_light or None
    if step.due_on is not None and today > step.due_on:
        return Light.RED
    if step.blue_on is not None and today >= step.blue_on:
        return Light.BLUE
    return Light.GREEN


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


def step_to_api(step: CaseStep, case: Case, today: date) -> dict[str, Any]:
    """The step the case waits at (API.md `current_step`): its queue (the department's pool,
    or the named person), its own due day and light. `id` is what a client sends back as
    `step` with a transition, so that acting on a case that moved on is refused (409
    `stale`)."""
    return {
        "id": str(step.pk),
        "order": step.order,
        "name": step.name,
        "role": step.role,
        "department": department_ref(step.department),
        "assignee": step.assignee.get_username() if step.assignee else None,
        "due_on": iso_date(step.due_on),
        "light": step_light(step, case, today),
    }


def extension_to_api(extension: CaseExtension) -> dict[str, Any]:
    """An extension (延期, 行政许可法第四十二条): the day, the working days, the reason."""
    return {
        "on": iso_date(extension.on),
        "working_days": extension.working_days,
        "reason": extension.reason,
    }


def stop_to_api(stop: ClockStop) -> dict[str, Any]:
    """A stop of the clock: a correction during review or a special procedure (`procedure`
    one of API.md's codes, empty for a correction); `ended_on` is null while it lasts."""
    return {
        "kind": stop.kind,
        "procedure": stop.procedure or None,
        "reason": stop.reason,
        "started_on": iso_date(stop.started_on),
        "ended_on": iso_date(stop.ended_on),
    }


#: The documents that carry a decision (准予 / 不予行政许可决定书), sealed once rendered.
DECISION_DOCUMENTS = (DocumentKind.APPROVAL_DECISION, DocumentKind.DENIAL_DECISION)


def decision_document_to_api(case: Case) -> dict[str, Any] | None:
    """The sealed decision document: its title, when it was sealed, the public page that
    verifies it (`/verify/<code>/`, the address its QR code carries) and the API's address
    of its PDF; null until the worker has rendered and sealed it. Reads `case.documents` as
    `for_representation` prefetches them: the sealed decision documents only."""
    sealed = [
        document
        for document in case.documents.all()
        if document.kind in DECISION_DOCUMENTS
        and document.state == DocumentState.READY
        and document.verification_code
    ]
    if not sealed:
        return None
    document = sealed[-1]
    return {
        "title": document.title,
        "sealed_at": iso_datetime(document.sealed_at),
        "verification_code": document.verification_code,
        "verification_url": verification_url(document.verification_code),
        "download_url": reverse("api:case-document", args=[case.pk, document.pk]),
    }


def decision_to_api(case: Case) -> dict[str, Any] | None:
    """The decision (行政许可法第三十八条) once made: the outcome as `decide` recorded it (the
    state says `completed` after delivery), the reasons and the legal basis, and the sealed
    decision document with its verification link once the worker has sealed it."""
    if case.decided_on is None:
        return None
    decided = [event for event in case.events.all() if event.action == CaseAction.DECIDE]
    outcome = decided[-1].data.get("outcome") if decided else None
    return {
        "outcome": outcome,
        "reason": case.decision_reason,
        "legal_basis": case.decision_legal_basis,
        "document": decision_document_to_api(case),
    }


# --- the case ----------------------------------------------------------------------------------


#: What `case_to_api` reads of a case's rows, each in the order it shows them.
EVENTS = Related(Case, "events", lambda: CaseEvent.objects.order_by("id"))
MATERIALS = Related(Case, "materials", lambda: CaseMaterial.objects.order_by("material_code"))
NOTICES = Related(
    Case, "correction_notices", lambda: CorrectionNotice.objects.order_by("issued_at")
)
STOPS = schedule.STOPS
EXTENSIONS = schedule.EXTENSIONS
SEALED_DECISIONS = Related(
    Case,
    "documents",
    lambda: (
        CaseDocument.objects.filter(kind__in=DECISION_DOCUMENTS, state=DocumentState.READY)
        .only("id", "case_id", "kind", "state", "title", "sealed_at", "verification_code")
        .order_by("id")
    ),
)


def for_representation(queryset: QuerySet[Case], today: date | None = None) -> QuerySet[Case]:
    """`queryset` with everything `case_to_api` reads joined or prefetched, and the lights of
    the case and of its current step computed in SQL as of `today` (default: the local
    date): a page of cases costs one query for the cases and one each for events, materials,
    notices, stops, extensions, sealed decision documents and current steps, whatever its
    length."""
    today = today or timezone.localdate()
    steps = CaseStep.objects.select_related("department", "assignee")
    return queries.with_light(
        queryset.select_related(
            "item", "version", "department", "accepting_department", "on_behalf_of"
        ).prefetch_related(
            EVENTS.prefetch(),
            MATERIALS.prefetch(),
            NOTICES.prefetch(),
            STOPS.prefetch(),
            EXTENSIONS.prefetch(),
            SEALED_DECISIONS.prefetch(),
            Prefetch("current_step", queryset=queries.with_step_light(steps, today)),
        ),
        today,
    )


def represent(case: Case, *, today: date | None = None) -> dict[str, Any]:
    """`case_to_api` of one case already in hand: the one `access.access_case` read, or the
    one an action locked and changed (its fields and its current step are as saved). Only
    its rows are read, and only those it can have: the timeline and the materials always,
    the clock's stops and extensions once accepted, the latest correction notice while
    one is open, the sealed decision documents once decided. The stops and extensions the
    action kept are used as they are (`schedule` keeps them true as it writes them); the
    rest of what it read before it wrote is read again."""
    kept = getattr(case, "_prefetched_objects_cache", {})
    case._prefetched_objects_cache = {  # type: ignore[attr-defined]
        name: rows for name, rows in kept.items() if name in (STOPS.name, EXTENSIONS.name)
    }
    lookups: list[Related[Any]] = [EVENTS, MATERIALS]
    if case.state == CaseState.CORRECTION_REQUESTED:
        lookups.append(NOTICES)
    if case.accepted_on is not None:
        lookups += [lookup for lookup in (STOPS, EXTENSIONS) if not lookup.is_kept(case)]
    if case.decided_on is not None:
        lookups.append(SEALED_DECISIONS)
    for lookup in lookups:
        lookup.fetch(case)
    return case_to_api(case, today=today)


def case_to_api(case: Case, *, today: date | None = None) -> dict[str, Any]:
    """The case representation of API.md, plus `item_name`, `state_label`, `department`,
    `accepting_department`, `on_behalf_of`, `signed_in_at`, `deemed_accepted`,
    `closing_reason`, `closed_at`, `delivery`, `tracking_no`, `correction`, `materials`,
    `form`, `extensions`, `stops` and `decision`.

    `receipt_no` exists from acceptance on. `sign_in_due_at` and `reply_due_on` are the
    deadlines before acceptance (镇江办法第九条, 淮安办法第十二条): null once accepted.
    `correction` is the latest notice while the applicant is asked to correct, else null.
    The clock's figures are those stored on the case (`clock_figures`); `current_step` is
    the approval step the case waits at, null before acceptance and after the decision."""
    today = today or timezone.localdate()
    figures = clock_figures(case, today)
    accepted = case.accepted_on is not None
    notice = latest_notice(case) if case.state == CaseState.CORRECTION_REQUESTED else None
    step = case.current_step
    if step is not None and step.finished_at is not None:
        step = None
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
        "decided_on": iso_date(case.decided_on),
        "clock_running": figures.clock_running,
        "due_date": iso_date(figures.due_date),
        "legal_due_date": iso_date(figures.legal_due_date),
        "light": figures.light,
        "remaining_working_days": figures.remaining_working_days,
        "current_step": step_to_api(step, case, today) if step else None,
        # Only an accepted case has a clock to stop or extend.
        "extensions": [extension_to_api(row) for row in case.extensions.all()] if accepted else [],
        "stops": [stop_to_api(row) for row in case.clock_stops.all()] if accepted else [],
        "decision": decision_to_api(case),
        "correction": correction_to_api(notice) if notice else None,
        "closing_reason": case.closing_reason,
        "closed_at": iso_datetime(case.closed_at),
        # How the result reached the applicant (`complete`), null before.
        "delivery": case.delivery or None,
        "tracking_no": case.tracking_no or None,
        "form": case.form,
        "materials": [material_to_api(row) for row in case.materials.all()],
        "events": [event_to_api(event) for event in case.events.all()],
        # Every change of a case is an event: the count tells one version from the next.
        "revision": len(case.events.all()),
    }
