"""Reading the audit trail: the filters of the supervisors' audit pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from wangban.audit.models import AuditEvent, AuditEventQuerySet


@dataclass(frozen=True)
class AuditFilter:
    """What a supervisor asked for. Dates are local (Asia/Shanghai) and inclusive; an action
    ending in "." matches every action of that domain (e.g. "role.")."""

    username: str = ""
    object_type: str = ""
    object_id: str = ""
    action: str = ""
    start: date | None = None
    end: date | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "action": self.action,
            "start": self.start.isoformat() if self.start else "",
            "end": self.end.isoformat() if self.end else "",
        }


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def search_events(criteria: AuditFilter) -> AuditEventQuerySet:
    """Events matching `criteria`, newest first."""
    events = AuditEvent.objects.all()
    if criteria.username:
        events = events.filter(actor_username=criteria.username)
    if criteria.object_type:
        events = events.filter(object_type=criteria.object_type)
    if criteria.object_id:
        events = events.filter(object_id=criteria.object_id)
    if criteria.action.endswith("."):
        events = events.filter(action__startswith=criteria.action)
    elif criteria.action:
        events = events.filter(action=criteria.action)
    if criteria.start:
        events = events.filter(at__gte=local_midnight(criteria.start))
    if criteria.end:
        events = events.filter(at__lt=local_midnight(criteria.end + timedelta(days=1)))
    return events.order_by("-at", "-id")


def object_history(object_type: str, object_id: str) -> AuditEventQuerySet:
    """Every event about one object, newest first."""
    return AuditEvent.objects.filter(object_type=object_type, object_id=object_id).order_by(
        "-at", "-id"
    )
