"""The approval clock on the applicant's case page (issue 8: 'Applicant: the timeline with
every event, due date and light'). On the 2026 calendar: accepted Thu 09-24 with P = 15
(due Thu 10-22, blue from Mon 10-19)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from wangban.cases import review
from wangban.cases.tests.helpers import at
from wangban.cases.tests.review_helpers import (
    CALENDAR_ITEM,
    accepted_case,
    on,
    review_item,
    review_staff,
)
from wangban.conftest import City

pytestmark = pytest.mark.django_db


def page_text(city: City, case_id: str) -> str:
    """The page's text as the applicant reads it now (in a new session: sessions expire)."""
    client = Client()
    client.force_login(city.applicant)
    html = client.get(f"/cases/{case_id}/").content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_case_page_shows_the_due_dates_remaining_days_and_light(city: City) -> None:
    review_item(city)
    case = accepted_case(city, review_staff(city))
    with on(at(2026, 9, 25, 10, 0)):
        text = page_text(city, case.pk)
    assert "承诺办结日期 2026年10月22日" in text
    assert "剩余办理时间 15 个工作日" in text  # 09-25 is a holiday (中秋节)
    assert "办理时限状态 绿灯：正常办理中" in text
    assert "法定办结日期" in text
    with on(at(2026, 10, 20, 10, 0)):
        text = page_text(city, case.pk)
    assert "剩余办理时间 2 个工作日" in text
    assert "蓝灯：即将到达承诺办结日期" in text
    with on(at(2026, 10, 26, 10, 0)):
        text = page_text(city, case.pk)
    assert "剩余办理时间 已超期 2 个工作日" in text
    assert "红灯：已超过承诺办结日期" in text


def test_a_stopped_clock_says_why_and_what_is_left(city: City) -> None:
    review_item(city)
    staff = review_staff(city)
    case = accepted_case(city, staff)
    with on(at(2026, 9, 29, 10, 0)):  # only 09-28 counted (09-25 is 中秋节): 14 left
        review.do_suspend(case, actor=staff.handler, procedure="hearing", reason="依法举行听证")
    with on(at(2026, 10, 12, 10, 0)):
        text = page_text(city, case.pk)
    assert "办理时限 暂停计算（听证），恢复后重新计算办结日期" in text
    assert "恢复计时后还有 14 个工作日" in text
    assert "承诺办结日期" not in text


def test_no_clock_before_acceptance_or_after_the_decision(city: City) -> None:
    from wangban.cases.tests.review_helpers import last_step_case

    review_item(city)
    staff = review_staff(city)
    case = last_step_case(city, staff)
    with on(at(2026, 9, 25, 10, 0)):
        review.do_decide(case, actor=staff.approver, outcome="approved", reason="符合条件")
    with on(at(2026, 9, 28, 10, 0)):
        text = page_text(city, case.pk)
    assert "承诺办结日期" not in text
    assert "办理时限状态" not in text


def test_a_correction_handed_in_during_review_confirms_the_new_due_date(city: City) -> None:
    """DESIGN.md's worked example: stopped Tue 09-29, restarted Fri 10-09 → due Tue 10-27."""
    from django.contrib.messages import get_messages
    from django.core.files.uploadedfile import SimpleUploadedFile

    from wangban.cases import actions
    from wangban.cases.tests.helpers import PDF, fresh

    review_item(city)
    staff = review_staff(city)
    case = accepted_case(city, staff)
    with on(at(2026, 9, 29, 10, 0)):
        actions.do_request_correction(
            case, actor=staff.handler, items=[{"material_code": "M02", "reason": "复印件不清晰"}]
        )
    client = Client()
    with on(at(2026, 10, 9, 10, 0)):
        client.force_login(city.applicant)
        upload = SimpleUploadedFile("M02.pdf", PDF, content_type="application/pdf")
        url = f"/cases/{case.pk}/correct/"
        assert (
            client.post(
                url, {"action": "upload", "material_code": "M02", "file": upload}
            ).status_code
            == 302
        )
        response = client.post(url, {"action": "resubmit"})
    assert response.status_code == 302
    assert fresh(case).state == "in_review"
    flash = [str(m) for m in get_messages(response.wsgi_request)]
    assert flash[-1] == "补正材料已提交，恢复审查，承诺办结日期为2026年10月27日。"


def test_a_clock_stopped_when_overdue_says_overdue(city: City) -> None:
    review_item(city)
    staff = review_staff(city)
    case = accepted_case(city, staff)  # due 10-22
    with on(at(2026, 10, 26, 10, 0)):  # 10-23 counted late; not 10-26, stopped that day
        review.do_suspend(case, actor=staff.handler, procedure="hearing", reason="依法举行听证")
    with on(at(2026, 10, 28, 10, 0)):
        text = page_text(city, case.pk)
    assert "剩余办理时间 已超期 1 个工作日" in text
    assert "还有 -" not in text


def test_the_correction_page_during_review_says_the_review_resumes(city: City) -> None:
    """The case is accepted already: handing the correction in restarts the review and its
    clock; nobody is going to answer whether it is accepted."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from wangban.cases import actions
    from wangban.cases.tests.helpers import PDF

    review_item(city)
    staff = review_staff(city)
    case = accepted_case(city, staff)
    with on(at(2026, 9, 29, 10, 0)):
        actions.do_request_correction(
            case, actor=staff.handler, items=[{"material_code": "M02", "reason": "复印件不清晰"}]
        )
    client = Client()
    with on(at(2026, 10, 9, 10, 0)):
        client.force_login(city.applicant)
        upload = SimpleUploadedFile("M02.pdf", PDF, content_type="application/pdf")
        url = f"/cases/{case.pk}/correct/"
        client.post(url, {"action": "upload", "material_code": "M02", "file": upload})
        html = client.get(url).content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "答复是否受理" not in text
    assert "全部材料已更换。提交后恢复审查，办理时限接着计算。" in text


def test_a_stopped_calendar_day_limit_says_what_is_left_in_calendar_days(city: City) -> None:
    """docs/case-clock.md: while a calendar-day limit is stopped, what is left is in calendar
    days (accepted Thu 09-24, P = 10, stopped Mon 09-28: 09-25…27 used, 7 left)."""
    review_item(city, **CALENDAR_ITEM)
    staff = review_staff(city)
    case = accepted_case(city, staff)
    with on(at(2026, 9, 28, 10, 0)):
        review.do_suspend(case, actor=staff.handler, procedure="hearing", reason="依法举行听证")
    with on(at(2026, 10, 12, 10, 0)):
        text = page_text(city, case.pk)
    assert "恢复计时后还有 7 个自然日" in text
    assert "个工作日" not in text
