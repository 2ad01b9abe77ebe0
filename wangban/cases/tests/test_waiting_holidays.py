"""A holiday change recounts the deadlines before acceptance too (DESIGN.md §5 "Before
acceptance"): the reply day, the deemed acceptance (行政许可法第三十二条) and the answer day
of an open correction notice keep the working days they were given. Otherwise a new make-up
day would let a late acceptance hide the deemed one, and a new day off would let a clerk
terminate while the applicant may still answer."""

from __future__ import annotations

from datetime import date

import pytest

from wangban.accounts.models import User
from wangban.audit.models import AuditEvent
from wangban.cases import actions, clock
from wangban.cases.models import CaseEvent, CorrectionNotice
from wangban.cases.tests.helpers import at, fresh, submitted_case
from wangban.cases.tests.review_helpers import Staff, on, review_item, review_staff
from wangban.conftest import City
from wangban.core.actions import do_change_holidays
from wangban.core.calendar import OFF, WORK, HolidayEntry
from wangban.core.errors import Conflict
from wangban.notify.models import Message

D = date
#: Mon 2026-12-28: its five working days run into 2027, which the package does not know
#: (Monday–Friday until the schedule is imported), so they end on Mon 2027-01-04.
MONDAY = at(2026, 12, 28, 10, 0)
MAKE_UP_SATURDAY = [HolidayEntry(D(2027, 1, 2), WORK, "元旦调休")]
NEW_YEAR = [HolidayEntry(D(2027, 1, 1), OFF, "元旦")]


@pytest.fixture
def staff(city: City) -> Staff:
    review_item(city)
    User.objects.filter(pk=city.applicant.pk).update(phone="13800138000")
    return review_staff(city)


def test_a_new_make_up_day_brings_the_deemed_acceptance_forward(city: City, staff: Staff) -> None:
    with on(MONDAY):
        case = submitted_case(city)
    assert (case.reply_due_on, case.deemed_due_on) == (D(2026, 12, 29), D(2027, 1, 4))
    with on(at(2026, 12, 29, 9, 0)):
        do_change_holidays(MAKE_UP_SATURDAY)
    case = fresh(case)
    assert case.deemed_due_on == clock.deemed_acceptance_due(D(2026, 12, 28)) == D(2027, 1, 2)
    assert case.reply_due_on == D(2026, 12, 29)  # one working day, before the changed one
    [event] = CaseEvent.objects.filter(case=case, action="reschedule")
    assert event.data == {"changed": {"deemed_due_on": ["2027-01-04", "2027-01-02"]}}
    assert AuditEvent.objects.filter(object_id=case.pk, action="case.reschedule").exists()
    # The deemed acceptance is internal: the applicant was given no such day.
    assert not Message.objects.filter(event_type="case.reschedule").exists()
    # No answer by the end of Sat 01-02: the job of Mon 01-04 accepts it as of 12-28.
    with on(at(2027, 1, 4, 9, 0)):
        assert actions.do_deem_accept_due(D(2027, 1, 4)) == [case.pk]
    assert (fresh(case).accepted_on, fresh(case).deemed_accepted) == (D(2026, 12, 28), True)


def test_a_late_acceptance_then_meets_the_deemed_acceptance(city: City, staff: Staff) -> None:
    with on(MONDAY):
        case = submitted_case(city)
    with on(at(2026, 12, 29, 9, 0)):
        do_change_holidays(MAKE_UP_SATURDAY)
    # The clerk's acceptance on Mon 01-04 comes after the law's: refused, and the deemed
    # acceptance stays recorded.
    with on(at(2027, 1, 4, 9, 0)), pytest.raises(Conflict):
        actions.do_accept(case, actor=staff.clerk)
    case = fresh(case)
    assert (case.accepted_on, case.deemed_accepted) == (D(2026, 12, 28), True)


def test_a_new_day_off_moves_the_correction_answer_day_and_the_applicant_is_told(
    city: City, staff: Staff
) -> None:
    with on(at(2026, 12, 28, 9, 0)):
        case = submitted_case(city)
    with on(MONDAY):  # five working days to answer: Mon 01-04 (Monday–Friday)
        notice = actions.do_request_correction(
            case, actor=staff.clerk, items=[{"material_code": "M02", "reason": "营业执照过期"}]
        )
    assert notice.answer_due_on == D(2027, 1, 4)
    with on(at(2026, 12, 29, 9, 0)):
        do_change_holidays(NEW_YEAR)
    case, notice = fresh(case), CorrectionNotice.objects.get(pk=notice.pk)
    assert case.correction_due_on == notice.answer_due_on == D(2027, 1, 5)
    [event] = CaseEvent.objects.filter(case=case, action="reschedule")
    assert event.data == {"changed": {"correction_due_on": ["2027-01-04", "2027-01-05"]}}
    sms = Message.objects.get(event_type="case.reschedule", channel="sms")
    assert "补正期限由2027-01-04调整为2027-01-05" in sms.payload["text"]
    # The applicant may still answer on Tue 01-05: no termination that day, but the next.
    with on(at(2027, 1, 5, 16, 0)), pytest.raises(Conflict):
        actions.do_terminate(case, actor=staff.clerk, reason="逾期未补正")
    with on(at(2027, 1, 6, 9, 0)):
        assert actions.do_terminate(case, actor=staff.clerk, reason="逾期未补正").state == (
            "terminated"
        )


def test_deadlines_before_the_changed_days_stay_and_nothing_is_written(
    city: City, staff: Staff
) -> None:
    with on(at(2026, 12, 1, 10, 0)):
        case = submitted_case(city)
    before = fresh(case)
    with on(at(2026, 12, 2, 9, 0)):
        do_change_holidays(NEW_YEAR)
    after = fresh(case)
    assert (after.reply_due_on, after.deemed_due_on, after.sign_in_due_at) == (
        before.reply_due_on,
        before.deemed_due_on,
        before.sign_in_due_at,
    )
    assert not CaseEvent.objects.filter(case=case, action="reschedule").exists()
