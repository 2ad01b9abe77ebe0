"""Actions of the core app: the only code that writes holiday rows."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import F

from wangban.audit.actions import record
from wangban.core.calendar import (
    KINDS,
    HolidayEntry,
    calendar_from_database,
    ensure_version_row,
    mark_calendar_changed,
)
from wangban.core.errors import Conflict, InvalidInput
from wangban.core.models import HolidayCalendarVersion, HolidayKind, HolidayRow

logger = logging.getLogger("wangban.calendar")

NAME_MAX_LENGTH = HolidayRow._meta.get_field("name").max_length or 50


def _year_span(years: Iterable[int]) -> str:
    """`2027` for one year, `2027-2045` for several (fits the 64-character object id)."""
    first, last = min(years), max(years)
    return str(first) if first == last else f"{first}-{last}"


@dataclass(frozen=True)
class HolidayChangeSummary:
    """What `do_change_holidays` did, date by date (each tuple sorted)."""

    created: tuple[date, ...] = ()
    updated: tuple[date, ...] = ()
    deleted: tuple[date, ...] = ()
    unchanged: tuple[date, ...] = ()

    @property
    def changed_dates(self) -> frozenset[date]:
        """Dates whose row was created, changed (kind or name) or deleted."""
        return frozenset(self.created + self.updated + self.deleted)

    @property
    def changed_years(self) -> frozenset[int]:
        return frozenset(d.year for d in self.changed_dates)


def _validate(rows: list[HolidayEntry], delete: list[date]) -> None:
    errors: list[str] = []
    seen: set[date] = set()
    for entry in rows:
        label = entry.date.isoformat()
        if entry.kind not in KINDS:
            errors.append(
                f"{label}：类型“{entry.kind}”无效，应为 off（休息日）或 work（调休上班日）。"
            )
        if not entry.name.strip():
            errors.append(f"{label}：缺少名称（如：春节）。")
        elif len(entry.name.strip()) > NAME_MAX_LENGTH:
            errors.append(f"{label}：名称超过 {NAME_MAX_LENGTH} 个字。")
        if entry.date in seen:
            errors.append(f"{label}：日期重复。")
        seen.add(entry.date)
    errors.extend(
        f"{day.isoformat()}：同一日期不能既保存又删除。" for day in sorted(set(delete) & seen)
    )
    if errors:
        raise InvalidInput("节假日安排有误：" + "".join(errors), fields={"rows": errors})


def _bump_version() -> None:
    """Increment the calendar version (row pk 1, held since `_lock_version`)."""
    HolidayCalendarVersion.objects.filter(pk=1).update(version=F("version") + 1)


def _lock_version() -> None:
    """Hold the calendar's version row from the start of a change: case actions in progress
    (`calendar.hold_calendar`) finish first and new ones wait for the commit, so every case
    is either counted before the change and recounted by it, or counted after it; and two
    changes run one after the other, each reading the calendar the other left."""
    ensure_version_row()
    HolidayCalendarVersion.objects.select_for_update().get(pk=1)


def do_change_holidays(
    rows: Iterable[HolidayEntry] = (),
    *,
    delete: Iterable[date] = (),
    actor: AbstractBaseUser | AnonymousUser | None = None,
) -> HolidayChangeSummary:
    """Save the holiday rows `rows` (insert, or update the row already on that date) and
    delete the rows on the dates `delete`, in one transaction; all or nothing.

    Rule: the working-day calendar is the State Council's schedule (国务院办公厅关于部分
    节假日安排的通知) — the `chinesecalendar` package plus these rows (DESIGN.md §5
    "Working days"). This is the only writer of `HolidayRow`: the admin, the
    `import_holidays` command and any later importer call it. It increments
    `HolidayCalendarVersion` so that every process rebuilds its cached calendar
    (`wangban.core.calendar.active_calendar`), and this thread sees the new rows at once,
    even before the commit.

    Returns which dates changed. Refuses (InvalidInput, nothing written) an unknown kind,
    an empty name, a date given twice, or a date both saved and deleted.
    """
    rows = list(rows)
    delete = sorted(set(delete))
    _validate(rows, delete)
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None

    with transaction.atomic():
        _lock_version()
        replaced = calendar_from_database()  # the deadlines counted on it are recounted
        wanted = {entry.date: entry for entry in rows}
        existing = {
            row.date: row
            for row in HolidayRow.objects.select_for_update().filter(date__in=[*wanted, *delete])
        }
        previous = {day: [row.kind, row.name] for day, row in existing.items()}
        created: list[date] = []
        updated: list[date] = []
        unchanged: list[date] = []
        new_rows: list[HolidayRow] = []
        for day, entry in sorted(wanted.items()):
            name = entry.name.strip()
            row = existing.get(day)
            if row is None:
                new_rows.append(
                    HolidayRow(
                        date=day, kind=HolidayKind(entry.kind), name=name, updated_by_id=actor_id
                    )
                )
                created.append(day)
            elif row.kind != entry.kind or row.name != name:
                row.kind, row.name, row.updated_by_id = HolidayKind(entry.kind), name, actor_id
                row.save(update_fields=["kind", "name", "updated_by", "updated_at"])
                updated.append(day)
            else:
                unchanged.append(day)
        if new_rows:
            # `select_for_update` cannot lock rows that do not exist yet: two concurrent
            # changes creating the same date both get here, and the second insert fails.
            try:
                with transaction.atomic():
                    HolidayRow.objects.bulk_create(new_rows)
            except IntegrityError:
                raise Conflict(
                    "节假日安排已被他人同时修改，请重试。", code="holidays_changed_concurrently"
                ) from None
        deleted = [day for day in delete if day in existing]
        if deleted:
            HolidayRow.objects.filter(date__in=deleted).delete()

        summary = HolidayChangeSummary(
            created=tuple(created),
            updated=tuple(updated),
            deleted=tuple(deleted),
            unchanged=tuple(unchanged),
        )
        if summary.changed_dates:
            _bump_version()
            mark_calendar_changed()
            logger.info(
                "holiday rows changed by user %s: %d created, %d updated, %d deleted (years %s)",
                actor_id,
                len(created),
                len(updated),
                len(deleted),
                sorted(summary.changed_years),
            )
            record(
                "holiday.change",
                actor=actor,
                object_type="core.holidayrow",
                # The span of changed years ("2027" or "2027-2045"); the dates themselves
                # (keys of before/after) say exactly which years changed.
                object_id=_year_span(summary.changed_years),
                before={day.isoformat(): previous[day] for day in [*updated, *deleted]},
                after={
                    day.isoformat(): [wanted[day].kind, wanted[day].name.strip()]
                    for day in [*created, *updated]
                },
            )
            # Due dates of open cases whose clock crosses a changed date are recomputed
            # here, in this transaction, with the new calendar (DESIGN.md §5 "The case
            # clock"). Imported here: cases depend on core, not the other way round.
            from wangban.cases.schedule import reschedule_after_holiday_change

            reschedule_after_holiday_change(summary.changed_dates, replaced, actor=actor)
        return summary
