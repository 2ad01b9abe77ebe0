"""The correction reminder: once per notice, when the answer is due today or by the next
working day (on the 2026 calendar: before 国庆节 for a notice due right after it)."""

from __future__ import annotations

from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from wangban.accounts.models import User
from wangban.accounts.tests.helpers import phone_for, verified
from wangban.cases import actions
from wangban.cases.models import Case, CorrectionNotice
from wangban.cases.reminders import remind_corrections
from wangban.cases.tests.helpers import at, item, pdf, submitted_case
from wangban.conftest import City
from wangban.notify.models import Message

pytestmark = pytest.mark.django_db

ITEMS = [{"material_code": "M02", "reason": "营业执照已过有效期。"}]


def noticed(city: City, applicant: User, when: tuple[int, int, int]) -> CorrectionNotice:
    with time_machine.travel(at(*when, 10, 0), tick=False):
        case = submitted_case(city, actor=applicant)
        return actions.do_request_correction(case, actor=city.transport_clerk, items=ITEMS)


def reminders() -> list[tuple[str, str, str]]:
    return list(
        Message.objects.filter(event_type="case.correction_reminder")
        .order_by("key")
        .values_list("key", "channel", "recipient")
    )


def run(*when: int) -> list[int]:
    with time_machine.travel(at(*when), tick=False):
        return remind_corrections()


def test_a_notice_due_after_the_national_day_holiday_is_reminded_before_it_once(
    city: City,
) -> None:
    item(city)
    applicant = verified("zhang", 1)
    notice = noticed(city, applicant, (2026, 9, 23))
    assert str(notice.answer_due_on) == "2026-10-08"  # five working days, 10-01…10-07 off

    assert run(2026, 9, 29, 10, 0) == []  # due two working days later: not yet
    assert run(2026, 9, 30, 7, 30) == []  # the right day, but no text messages at night
    assert reminders() == []

    assert run(2026, 9, 30, 10, 0) == [notice.pk]  # the last working day before the holiday

    key = f"correction-notice:{notice.pk}:reminder"
    assert reminders() == [
        (f"{key}:site:{applicant.pk}", "site", str(applicant.pk)),
        (f"{key}:sms", "sms", phone_for(1)),
    ]
    sms = Message.objects.get(key=f"{key}:sms")
    assert sms.payload["text"] == (
        "您申请的“道路运输经营许可证核发”补正期限至2026-10-08（含当日），"
        "请尽快登录网上办事大厅补正材料；逾期未补正的，将终止办理。"
    )
    site = Message.objects.get(key=f"{key}:site:{applicant.pk}")
    assert site.payload["title"] == "补正期限即将届满"
    assert site.payload["link"] == f"/cases/{notice.case_id}/"

    for when in ((2026, 9, 30, 16, 0), (2026, 10, 1, 10, 0), (2026, 10, 8, 9, 0)):
        assert run(*when) == []  # never twice
    assert len(reminders()) == 2


def test_a_notice_due_today_is_reminded_if_the_job_had_not_run(city: City) -> None:
    item(city)
    notice = noticed(city, verified("zhang", 1), (2026, 6, 1))
    assert str(notice.answer_due_on) == "2026-06-08"

    assert run(2026, 6, 4, 10, 0) == []
    assert run(2026, 6, 8, 8, 0) == [notice.pk]
    assert run(2026, 6, 9, 10, 0) == []  # overdue now: for termination, not a reminder


def test_answered_notices_and_closed_cases_are_not_reminded(city: City) -> None:
    item(city)
    applicant = verified("zhang", 1)
    answered = noticed(city, applicant, (2026, 6, 1))
    withdrawn = noticed(city, applicant, (2026, 6, 1))
    with time_machine.travel(at(2026, 6, 2, 10, 0), tick=False):
        actions.do_attach_material(
            answered.case, actor=applicant, material_code="M02", upload=pdf()
        )
        actions.do_resubmit(answered.case, actor=applicant)
        actions.do_withdraw(withdrawn.case, actor=applicant, reason="不再申请。")

    assert run(2026, 6, 5, 10, 0) == []
    assert reminders() == []


def test_each_notice_has_its_own_reminder(city: City) -> None:
    item(city)
    applicant = verified("zhang", 1)
    first = noticed(city, applicant, (2026, 6, 1))
    assert run(2026, 6, 5, 10, 0) == [first.pk]
    case = Case.objects.get(pk=first.case_id)
    with time_machine.travel(at(2026, 6, 5, 11, 0), tick=False):
        actions.do_attach_material(case, actor=applicant, material_code="M02", upload=pdf())
        actions.do_resubmit(case, actor=applicant)
        second = actions.do_request_correction(
            case, actor=city.transport_clerk, items=ITEMS, reason_for_second="仍不清晰。"
        )
    assert str(second.answer_due_on) == "2026-06-12"

    assert run(2026, 6, 11, 10, 0) == [second.pk]
    assert len(reminders()) == 4


def test_the_periodic_command_says_what_it_did(city: City) -> None:
    item(city)
    noticed(city, verified("zhang", 1), (2026, 6, 1))
    out = StringIO()
    with time_machine.travel(at(2026, 6, 5, 10, 0), tick=False):
        call_command("remind_corrections", stdout=out)
        call_command("remind_corrections", stdout=out)
    assert out.getvalue() == "已提醒 1 份补正告知书的申请人。\n"
