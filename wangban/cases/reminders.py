"""The correction reminder (补正提醒): before a correction notice's answer is due, the
applicant is told once more, by SMS and in-site message (DESIGN.md §5: "the applicant has a
configurable time to answer, with a reminder, after which the application can be
terminated"; 淮安办法第十二条 一次性告知).

A notice is reminded when its answer is due today or by the next working day, so a notice
due on the first working day after a holiday is reminded on the last working day before it
(or during the holiday, if the job did not run before). Each notice is reminded once: the
outbox key names the notice. Messages go out from 08:00 to 21:00 Beijing time only; a run
at night sends nothing and the morning's run catches up.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from wangban.cases.choices import CaseState
from wangban.cases.models import CorrectionNotice
from wangban.cases.notifications import tell_applicant, your_application
from wangban.core.calendar import add_working_days
from wangban.notify.models import Message

#: Local hours in which reminders are sent: [start, end).
SENDING_HOURS = (8, 21)
TITLE = "补正期限即将届满"
TEXT = "{case}补正期限至{due}（含当日），请尽快登录网上办事大厅补正材料；逾期未补正的，将终止办理。"


def reminder_key(notice: CorrectionNotice) -> str:
    return f"correction-notice:{notice.pk}:reminder"


def due_for_reminder(today: date) -> list[CorrectionNotice]:
    """Unanswered notices of cases awaiting correction, due from today to the next working
    day, not reminded yet."""
    horizon = add_working_days(today, 1)
    notices = (
        CorrectionNotice.objects.filter(
            case__state=CaseState.CORRECTION_REQUESTED,
            answered_at__isnull=True,
            answer_due_on__gte=today,
            answer_due_on__lte=horizon,
        )
        .select_related("case__version", "case__applicant", "case__on_behalf_of__owner")
        .order_by("answer_due_on", "pk")
    )
    return [
        notice
        for notice in notices
        if not Message.objects.filter(key__startswith=reminder_key(notice) + ":").exists()
    ]


def remind_corrections(now: datetime | None = None) -> list[int]:
    """Enqueue the reminder of every notice due for one (each in its own transaction);
    returns the ids of the notices reminded now. Idempotent."""
    now = now or timezone.now()
    if not SENDING_HOURS[0] <= timezone.localtime(now).hour < SENDING_HOURS[1]:
        return []
    reminded = []
    for notice in due_for_reminder(timezone.localdate(now)):
        case = notice.case
        with transaction.atomic():
            tell_applicant(
                case,
                event_type="case.correction_reminder",
                title=TITLE,
                text=TEXT.format(case=your_application(case), due=notice.answer_due_on),
                key=reminder_key(notice),
            )
        reminded.append(notice.pk)
    return reminded
