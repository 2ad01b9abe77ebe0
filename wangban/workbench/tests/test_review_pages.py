"""The review pages (issue 8): the review queues by role (tabs, lights, due dates, filters,
sorting, query count) and the case page of an accepted case (steps, clock, stops,
extensions, the decision, the review actions' forms), every action through its form with
its errors beside the fields; refusals (403, 404, 409, stale) change nothing. On the 2026
calendar of DESIGN.md's worked examples: accepted Thu 09-24, P = 15, due Thu 10-22."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wangban.accounts.choices import Role
from wangban.accounts.models import User
from wangban.cases import review
from wangban.cases.models import Case, CaseExtension, CaseStep
from wangban.cases.tests.helpers import at, fresh
from wangban.cases.tests.review_helpers import (
    ACCEPTED_AT,
    CALENDAR_ITEM,
    Staff,
    accepted_case,
    last_step_case,
    on,
    review_item,
    review_staff,
    trace,
)
from wangban.conftest import City, make_staff
from wangban.workbench.cases import views

QUEUE = "/workbench/cases/review/"
#: Tue 2026-10-20: two working days before the due date (blue, threshold 3).
TUESDAY = at(2026, 10, 20, 10, 0)


def signed_in(client: Client, user: User) -> Client:
    """`user` from now on; each request signs in afresh at its moment (a session left idle
    across a time jump has ended)."""
    client.logout()
    client.user = user  # type: ignore[attr-defined]
    return client


def _session(client: Client) -> None:
    user = getattr(client, "user", None)
    if user is not None:
        client.logout()
        client.force_login(user)


def get(client: Client, url: str, when: datetime = TUESDAY) -> tuple[int, str]:
    with on(when):
        _session(client)
        response = client.get(url)
    return response.status_code, response.content.decode()


def post(client: Client, url: str, data: dict[str, Any], when: datetime = TUESDAY):
    with on(when):
        _session(client)
        return client.post(url, data)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def rows_of(html: str) -> list[str]:
    body = html.split("<tbody>")[1].split("</tbody>")[0]
    return [text_of(row).strip() for row in body.split("</tr>")[:-1]]


def action_url(case: Case, action: str) -> str:
    return f"/workbench/cases/{case.pk}/review/{action}/"


def setup(city: City) -> Staff:
    review_item(city)
    return review_staff(city)


def reviewer_two(city: City) -> User:
    return make_staff("reviewer_two", city.transport, Role.REVIEWER)


def decided_case(city: City, staff: Staff, when: datetime = ACCEPTED_AT) -> Case:
    case = last_step_case(city, staff, when)
    with on(when):
        review.do_decide(case, actor=staff.approver, outcome="approved", reason="符合条件")
    return fresh(case)


# --- The review queues ------------------------------------------------------------------------


def test_the_review_queue_shows_tabs_lights_and_both_due_dates(client: Client, city: City) -> None:
    staff = setup(city)
    first = accepted_case(city, staff)  # due Thu 10-22
    later = accepted_case(city, staff, at(2026, 10, 9, 10, 0))
    stopped = accepted_case(city, staff)
    with on(at(2026, 9, 29, 10, 0)):
        review.do_suspend(stopped, actor=staff.reviewer, procedure="site_survey", reason="勘查")
    decided_case(city, staff)
    signed_in(client, staff.reviewer)

    status, html = get(client, QUEUE)
    assert status == 200
    text = text_of(html)
    for tab in ("待办 2 件", "停止计时 1 件", "即将到期 1 件", "已超期 0 件"):
        assert tab in text
    assert "已办结" in text
    assert "已办结 1" not in text  # the closed tab shows no count
    assert 'aria-current="page">待办' in html
    rows = rows_of(html)
    assert len(rows) == 2
    assert rows[0].startswith("蓝灯 2026-10-22 法定 2026-10-29 道路运输经营许可证核发")
    assert "审核 市交通运输局（审核人队列） 2026-10-09 红灯 审查中" in rows[0]
    assert str(first.receipt_no) in rows[0]
    assert rows[1].startswith("绿灯 ")
    assert str(later.receipt_no) in rows[1]
    assert 'aria-sort="ascending"><a href="?tab=todo&amp;sort=-due">承诺办结日期' in html

    status, html = get(client, QUEUE + "?tab=stopped")
    assert [str(stopped.receipt_no) in row and "停止计时" in row for row in rows_of(html)] == [True]
    assert "挂起" in rows_of(html)[0]

    # Thu 10-22 is the due day (blue); Fri 10-23 is after it: red, in 已超期.
    signed_in(client, staff.reviewer)
    status, html = get(client, QUEUE + "?tab=overdue", at(2026, 10, 23, 9, 0))
    assert "已超期 1 件" in text_of(html)
    assert [row.split(" ")[0] for row in rows_of(html)] == ["红灯"]


def test_the_review_queue_sorts_and_filters(client: Client, city: City) -> None:
    staff = setup(city)
    first = accepted_case(city, staff)
    later = accepted_case(city, staff, at(2026, 10, 9, 10, 0))
    at_last = last_step_case(city, staff, at(2026, 10, 12, 10, 0))
    signed_in(client, staff.approver)

    _, html = get(client, QUEUE + "?tab=due_soon")
    assert "即将到期 1 件" in text_of(html)
    _, html = get(client, QUEUE)  # 待办 of the approver: the case at 审批
    assert [str(at_last.receipt_no) in row for row in rows_of(html)] == [True]

    signed_in(client, staff.reviewer)
    _, html = get(client, QUEUE + "?sort=-due")
    order = rows_of(html)
    assert [str(later.receipt_no) in order[0], str(first.receipt_no) in order[1]] == [True, True]
    assert 'aria-sort="descending"><a href="?tab=todo">承诺办结日期' in html
    _, html = get(client, QUEUE + "?tab=overdue&light=blue")
    assert "没有符合条件的办件。" in html
    _, html = get(client, QUEUE + "?tab=due_soon&step=审批")
    assert "即将到期 0 件" in text_of(html)
    _, html = get(client, QUEUE + "?tab=due_soon&step=审核&light=blue")
    assert [str(first.receipt_no) in row for row in rows_of(html)] == [True]
    assert '<option value="审批">审批</option>' in html
    # An unknown filter value is ignored, not an error.
    status, html = get(client, QUEUE + "?light=purple&tab=nope&sort=x")
    assert status == 200
    assert len(rows_of(html)) == 2


def test_a_step_assigned_by_name_is_in_that_persons_queue_only(client: Client, city: City) -> None:
    staff = setup(city)
    two = reviewer_two(city)
    case = accepted_case(city, staff)
    with on(ACCEPTED_AT):
        review.do_reassign(case, actor=staff.admin, assignee="reviewer_two")
    signed_in(client, staff.reviewer)
    _, html = get(client, QUEUE)
    assert "待办 0 件" in text_of(html)
    signed_in(client, two)
    _, html = get(client, QUEUE)
    assert "待办 1 件" in text_of(html)
    assert "审核 reviewer_two 2026-10-09" in rows_of(html)[0]


def test_the_review_queue_query_count_does_not_grow_with_the_page(
    client: Client, city: City
) -> None:
    staff = setup(city)
    accepted_case(city, staff)
    signed_in(client, staff.reviewer)
    get(client, QUEUE)  # warm the session and the calendar
    with on(TUESDAY), CaptureQueriesContext(connection) as one:
        assert client.get(QUEUE).status_code == 200
    for day in (25, 28):
        accepted_case(city, staff, at(2026, 9, day, 10, 0))
    with on(TUESDAY), CaptureQueriesContext(connection) as three:
        html = client.get(QUEUE).content.decode()
    assert len(rows_of(html)) == 3
    assert len(three) == len(one)
    # session, user, device, roles, agent grants (to leave out the user's own applications);
    # the item and step filters; the tabs' counts (one aggregate, which also gives an open
    # tab's number of pages), the page's ids, then its rows (one query with both lights).
    assert len(one) == 10


def test_the_review_queue_pages_an_open_tab_by_its_count_and_the_closed_tab_by_its_own(
    client: Client, city: City, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "PER_PAGE", 2)
    staff = setup(city)
    for day in (24, 25, 28):
        accepted_case(city, staff, at(2026, 9, day, 10, 0))
    for _ in range(3):
        decided_case(city, staff)
    signed_in(client, staff.reviewer)

    first, second = text_of(get(client, QUEUE)[1]), get(client, f"{QUEUE}?page=2")[1]
    assert "待办：共 3 件，第 1 / 2 页" in first
    assert "待办：共 3 件，第 2 / 2 页" in text_of(second)
    assert len(rows_of(second)) == 1
    done = text_of(get(client, f"{QUEUE}?tab=done&page=2")[1])
    assert "已办结：共 3 件，第 2 / 2 页" in done


def test_only_review_staff_open_the_review_queue(client: Client, city: City) -> None:
    setup(city)
    signed_in(client, city.transport_clerk)
    assert get(client, QUEUE)[0] == 403
    signed_in(client, city.supervisor)
    assert get(client, QUEUE)[0] == 403
    signed_in(client, city.applicant)
    assert get(client, QUEUE)[0] == 403
    signed_in(client, None)  # type: ignore[arg-type]
    with on(TUESDAY):
        response = client.get(QUEUE)
    assert (response.status_code, response["Location"]) == (
        302,
        "/workbench/login/?next=/workbench/cases/review/",
    )


# --- 待送达 in the acceptance queue ---------------------------------------------------------------

DELIVERIES = "/workbench/cases/?tab=to_deliver"
#: Wed 2026-10-14: the results of the decisions below wait for delivery.
WEDNESDAY = at(2026, 10, 14, 10, 0)


def test_the_clerk_finds_the_decided_cases_in_to_deliver(client: Client, city: City) -> None:
    """`complete` is the accepting clerk's: 待送达 in their acceptance queue lists the decided
    cases by the decision day (oldest first), each row leading to the case page, whose
    complete form is there; a completed case leaves it."""
    staff = setup(city)
    later = decided_case(city, staff, at(2026, 10, 12, 10, 0))
    first = decided_case(city, staff, at(2026, 10, 9, 10, 0))
    accepted_case(city, staff)  # in review: nothing to deliver yet
    signed_in(client, staff.clerk)
    status, html = get(client, DELIVERIES, WEDNESDAY)
    assert status == 200
    text = text_of(html)
    assert "待送达 2 件" in text
    assert "待签收 0 件" in text
    assert 'aria-current="page">待送达' in html
    assert "待送达：共 2 件" in text
    assert 'aria-sort="ascending"><a href="?tab=to_deliver&amp;sort=-due">决定日期' in html
    assert '<option value="due">决定日期，最早在前</option>' in html
    rows = rows_of(html)
    assert [first.pk in rows[0], later.pk in rows[1]] == [True, True]
    assert rows[0].startswith("— 2026-10-09 道路运输经营许可证核发")
    assert "准予许可" in rows[0]
    assert f'href="/workbench/cases/{first.pk}/">道路运输经营许可证核发</a>' in html
    newest = rows_of(get(client, f"{DELIVERIES}&sort=-due", WEDNESDAY)[1])
    assert [later.pk in newest[0], first.pk in newest[1]] == [True, True]
    # The other tabs keep their own column.
    assert ">办理时限<" in get(client, "/workbench/cases/", WEDNESDAY)[1]

    # The case page leads back to 待送达 and offers the delivery.
    status, html = get(client, f"/workbench/cases/{first.pk}/", WEDNESDAY)
    assert '<a href="/workbench/cases/?tab=to_deliver">受理队列 · 待送达</a>' in html
    assert 'id="review-complete"' in html
    response = post(
        client,
        action_url(first, "complete"),
        {"complete-delivery": "mail", "complete-tracking_no": "SF1234567890"},
        WEDNESDAY,
    )
    assert response.status_code == 302
    text = text_of(get(client, DELIVERIES, WEDNESDAY)[1])
    assert "待送达 1 件" in text
    assert first.pk not in text
    assert later.pk in text


def test_another_department_s_clerk_has_nothing_to_deliver(client: Client, city: City) -> None:
    staff = setup(city)
    case = decided_case(city, staff)
    signed_in(client, make_staff("market_clerk", city.market, Role.CLERK))
    status, html = get(client, DELIVERIES, WEDNESDAY)
    assert status == 200
    assert "待送达 0 件" in text_of(html)
    assert case.pk not in html
    assert "没有符合条件的办件。" in html


def test_review_staff_without_the_clerk_role_get_the_acceptance_queue_s_403(
    client: Client, city: City
) -> None:
    staff = setup(city)
    decided_case(city, staff)
    for user in (staff.approver, staff.reviewer, staff.handler, city.supervisor):
        signed_in(client, user)
        assert get(client, DELIVERIES, WEDNESDAY)[0] == 403
        assert get(client, "/workbench/cases/", WEDNESDAY)[0] == 403


def test_to_deliver_costs_the_same_queries_for_a_full_page(client: Client, city: City) -> None:
    staff = setup(city)
    decided_case(city, staff)
    signed_in(client, staff.clerk)
    get(client, DELIVERIES, WEDNESDAY)  # warm the session and the calendar
    with on(WEDNESDAY), CaptureQueriesContext(connection) as one:
        assert client.get(DELIVERIES).status_code == 200
    for day in (25, 28):
        decided_case(city, staff, at(2026, 9, day, 10, 0))
    with on(WEDNESDAY), CaptureQueriesContext(connection) as three:
        html = client.get(DELIVERIES).content.decode()
    assert len(rows_of(html)) == 3
    assert len(three) == len(one)


# --- The case page -----------------------------------------------------------------------------


def test_the_case_page_shows_steps_clock_stops_extensions_and_decision(
    client: Client, city: City
) -> None:
    staff = setup(city)
    case = accepted_case(city, staff)
    with on(at(2026, 9, 29, 10, 0)):
        review.do_suspend(
            case, actor=staff.reviewer, procedure="site_survey", reason="现场核查车辆"
        )
    signed_in(client, staff.handler)
    status, html = get(client, f"/workbench/cases/{case.pk}/", at(2026, 10, 9, 9, 0))
    assert status == 200
    text = text_of(html)
    assert "计时 停止计时：现场勘查（2026-09-29 起）——现场核查车辆" in text
    assert "承诺办结日期 停止计时期间不计算" in text
    assert "剩余工作日 14 个工作日（恢复计时后）" in text
    assert "2026-09-29 — 至今：现场勘查。现场核查车辆" in text
    assert 'id="review-resume"' in html
    assert 'id="review-approve_step"' not in html

    with on(at(2026, 10, 9, 10, 0)):
        review.do_resume(case, actor=staff.handler, note="勘查完毕")
    with on(at(2026, 10, 12, 10, 0)):
        review.do_extend(case, actor=staff.approver, working_days=5, reason="需补充核查")
    signed_in(client, staff.approver)
    _, html = get(client, f"/workbench/cases/{case.pk}/", at(2026, 10, 12, 11, 0))
    text = text_of(html)
    assert "计时 正在计时" in text
    assert "承诺办结日期 2026-11-03" in text
    assert "已延长 5 个工作日" in text
    assert "2026-10-12 延长 5 个工作日，批准人 transport_approver：需补充核查" in text
    assert "2026-09-29 — 2026-10-09：现场勘查。现场核查车辆；勘查完毕" in text
    assert "法定可延长 10 个工作日（行政许可法第四十二条），本件已延长 5 个工作日。" in text

    decided = decided_case(city, staff)
    _, html = get(client, f"/workbench/cases/{decided.pk}/", at(2026, 9, 24, 11, 0))
    text = text_of(html)
    assert "审批决定 决定 准予许可 决定日期 2026-09-24，transport_approver 理由 符合条件" in text
    assert "作出决定（2026-09-24 10:00）：符合条件" in text
    assert "现在可以办理" in text
    assert "您现在不能对该办件进行操作。" in text


# --- The actions through their forms ---------------------------------------------------------


def test_a_stopped_calendar_day_limit_shows_what_is_left_in_calendar_days(
    client: Client, city: City
) -> None:
    """docs/case-clock.md: while a calendar-day limit (自然日) is stopped, what is left is in
    calendar days (accepted Thu 09-24, P = 10, stopped Mon 09-28: 7 left)."""
    review_item(city, **CALENDAR_ITEM)
    staff = review_staff(city)
    case = accepted_case(city, staff)
    with on(at(2026, 9, 28, 10, 0)):
        review.do_suspend(case, actor=staff.handler, procedure="hearing", reason="依法举行听证")
    signed_in(client, staff.handler)
    status, html = get(client, f"/workbench/cases/{case.pk}/", at(2026, 10, 9, 9, 0))
    assert status == 200
    assert "剩余自然日 7 个自然日（恢复计时后）" in text_of(html)
    assert "剩余工作日" not in text_of(html)


def test_staff_work_a_case_through_the_forms(client: Client, city: City) -> None:
    staff = setup(city)
    case = accepted_case(city, staff)
    step = str(case.current_step_id)
    signed_in(client, staff.reviewer)
    response = post(
        client,
        action_url(case, "approve_step"),
        {"approve_step-step": step, "approve_step-opinion": "材料齐全"},
        at(2026, 9, 25, 10, 0),
    )
    assert (response.status_code, response["Location"]) == (302, f"/workbench/cases/{case.pk}/")
    case = fresh(case)
    assert CaseStep.objects.get(case=case, finished_at__isnull=True).name == "复核"

    signed_in(client, staff.second)
    response = post(
        client,
        action_url(case, "suspend"),
        {
            "suspend-step": str(case.current_step_id),
            "suspend-procedure": "expert_review",
            "suspend-reason": "组织专家评审",
        },
        at(2026, 9, 29, 10, 0),
    )
    assert response.status_code == 302
    assert fresh(case).state == "suspended"
    response = post(
        client,
        action_url(case, "resume"),
        {"resume-step": str(case.current_step_id), "resume-note": "评审通过"},
        at(2026, 10, 9, 10, 0),
    )
    assert response.status_code == 302
    assert (fresh(case).state, str(fresh(case).due_date)) == ("in_review", "2026-10-27")
    with on(at(2026, 10, 9, 10, 1)):  # the same session: the message is in it
        shown = client.get(f"/workbench/cases/{case.pk}/").content.decode()
    assert "已恢复办理，承诺办结日期为 2026-10-27。" in shown
    post(
        client,
        action_url(case, "approve_step"),
        {"approve_step-step": str(case.current_step_id), "approve_step-opinion": "同意"},
        at(2026, 10, 9, 11, 0),
    )

    signed_in(client, staff.approver)
    case = fresh(case)
    response = post(
        client,
        action_url(case, "extend"),
        {
            "extend-step": str(case.current_step_id),
            "extend-working_days": "12",
            "extend-reason": "情况复杂",
        },
        at(2026, 10, 12, 10, 0),
    )
    assert response.status_code == 302
    extension = CaseExtension.objects.get(case=case)
    assert (extension.working_days, extension.exceeds_statutory) == (12, True)
    decision = {
        "decide-step": str(case.current_step_id),
        "decide-outcome": "denied",
        "decide-reason": "不符合安全生产条件",
        "decide-legal_basis": "",
    }
    # A decision cannot be undone: the first submission only asks to confirm it.
    before = trace(case)
    response = post(client, action_url(case, "decide"), decision, at(2026, 10, 12, 11, 0))
    assert response.status_code == 200
    html = response.content.decode()
    assert "请核对后确认：作出不予许可决定。决定作出后不能撤回" in re.sub(r"<[^>]+>", "", html)
    assert 'name="decide-confirmed" value="denied"' in html
    assert "确认作出不予许可决定</button>" in html
    assert "不符合安全生产条件" in html  # what was typed stays in the form
    assert trace(case) == before
    # Changing the outcome on the confirmation asks again.
    response = post(
        client,
        action_url(case, "decide"),
        {**decision, "decide-outcome": "approved", "decide-confirmed": "denied"},
        at(2026, 10, 12, 11, 0),
    )
    assert response.status_code == 200
    assert "确认作出准予许可决定</button>" in response.content.decode()
    assert trace(case) == before
    response = post(
        client,
        action_url(case, "decide"),
        {**decision, "decide-confirmed": "denied"},
        at(2026, 10, 12, 11, 0),
    )
    assert response.status_code == 302
    case = fresh(case)
    assert (case.state, str(case.decided_on), case.decision_reason) == (
        "denied",
        "2026-10-12",
        "不符合安全生产条件",
    )

    signed_in(client, staff.clerk)
    response = post(
        client,
        action_url(case, "complete"),
        {"complete-delivery": "mail", "complete-tracking_no": "SF1234567890"},
        at(2026, 10, 13, 10, 0),
    )
    assert response.status_code == 302
    case = fresh(case)
    assert (case.state, case.delivery, case.tracking_no) == ("completed", "mail", "SF1234567890")
    with on(at(2026, 10, 13, 10, 1)):  # the same session: the message is in it
        text = text_of(client.get(f"/workbench/cases/{case.pk}/").content.decode())
    assert "已办结：邮寄送达。" in text
    assert "决定 不予许可" in text
    assert "送达 邮寄送达，快递单号 SF1234567890" in text
    assert "超出法定延长期限（10 个工作日），已记为违规" in text


def test_reassign_offers_the_eligible_staff_and_the_pool(client: Client, city: City) -> None:
    staff = setup(city)
    two = reviewer_two(city)
    case = accepted_case(city, staff)
    signed_in(client, staff.admin)
    _, html = get(client, f"/workbench/cases/{case.pk}/", at(2026, 9, 24, 11, 0))
    select = html.split('name="reassign-assignee"')[1].split("</select>")[0]
    assert re.findall(r'<option value="([^"]*)"', select) == [
        "",
        "reviewer_two",
        "transport_reviewer",
        "__pool__",
    ]
    assert "退回市交通运输局队列" in select
    response = post(
        client,
        action_url(case, "reassign"),
        {"reassign-step": str(case.current_step_id), "reassign-assignee": "reviewer_two"},
        at(2026, 9, 24, 11, 0),
    )
    assert response.status_code == 302
    assert CaseStep.objects.get(case=case, finished_at__isnull=True).assignee_id == two.pk
    response = post(
        client,
        action_url(case, "reassign"),
        {"reassign-step": str(case.current_step_id), "reassign-assignee": "__pool__"},
        at(2026, 9, 24, 11, 5),
    )
    assert response.status_code == 302
    assert CaseStep.objects.get(case=case, finished_at__isnull=True).assignee_id is None


# --- Bad input: 400 beside the field, nothing changed ----------------------------------------

BAD_INPUT = [
    ("reviewer", "approve_step", {"opinion": "  "}, "opinion", "请填写审查意见。"),
    ("reviewer", "suspend", {"procedure": "", "reason": "勘查"}, "procedure", "请选择特别程序"),
    (
        "reviewer",
        "suspend",
        {"procedure": "site_survey", "reason": ""},
        "reason",
        "请写明挂起的理由。",
    ),
    (
        "approver",
        "extend",
        {"working_days": "abc", "reason": "复杂"},
        "working_days",
        "1—60 的整数",
    ),
    ("approver", "extend", {"working_days": "0", "reason": "复杂"}, "working_days", "1—60 的整数"),
    (
        "approver",
        "extend",
        {"working_days": "3", "reason": ""},
        "reason",
        "请写明延长办理期限的理由。",
    ),
    (
        "admin",
        "reassign",
        {"assignee": "market_admin"},
        "assignee",
        "请选择承担本环节角色的本部门工作人员。",
    ),
    ("admin", "reassign", {"assignee": ""}, "assignee", "请选择改派的工作人员，或退回部门队列。"),
]


@pytest.mark.parametrize(("who", "action", "data", "field", "message"), BAD_INPUT)
def test_bad_input_is_shown_beside_its_field_and_changes_nothing(
    client: Client,
    city: City,
    who: str,
    action: str,
    data: dict[str, str],
    field: str,
    message: str,
) -> None:
    staff = setup(city)
    case = accepted_case(city, staff)
    before = trace(case)
    signed_in(client, getattr(staff, who))
    posted = {f"{action}-{k}": v for k, v in data.items()}
    posted[f"{action}-step"] = str(case.current_step_id)
    response = post(client, action_url(case, action), posted, at(2026, 9, 24, 11, 0))
    html = response.content.decode()
    assert response.status_code == 400
    assert trace(case) == before
    error = html.split(f'id="id_{action}-{field}_error"')[1].split("</p>")[0]
    assert message in error
    assert f'href="#id_{action}-{field}"' in html.split('class="error-summary"')[1]
    assert f'<details class="review-action" id="review-{action}" open>' in html


def test_decide_and_complete_check_their_input(client: Client, city: City) -> None:
    staff = setup(city)
    case = last_step_case(city, staff)
    before = trace(case)
    signed_in(client, staff.approver)
    response = post(
        client,
        action_url(case, "decide"),
        {"decide-step": str(case.current_step_id), "decide-outcome": "denied"},
        at(2026, 9, 24, 11, 0),
    )
    assert response.status_code == 400
    assert "不予许可须说明理由（行政许可法第三十八条）。" in response.content.decode()
    assert trace(case) == before
    # No outcome chosen: the summary's link takes the focus to the first radio button.
    response = post(
        client,
        action_url(case, "decide"),
        {"decide-step": str(case.current_step_id)},
        at(2026, 9, 24, 11, 0),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'href="#id_decide-outcome_0"' in html
    assert 'id="id_decide-outcome_0"' in html
    assert trace(case) == before

    decided = decided_case(city, staff)
    before = trace(decided)
    signed_in(client, staff.clerk)
    response = post(
        client, action_url(decided, "complete"), {"complete-delivery": "mail"}, at(2026, 9, 25, 9)
    )
    assert response.status_code == 400
    assert "邮寄送达须填写快递单号。" in response.content.decode()
    assert trace(decided) == before


# --- Refusals: who (403, 404), when (409), stale (409) ---------------------------------------

REFUSALS = [
    # (who, action, status, text)
    ("clerk", "decide", 403, "您无权对该办件执行“作出审批决定”。"),
    ("clerk", "suspend", 403, "您无权对该办件执行“挂起（特别程序）”。"),
    ("clerk", "reassign", 403, "您无权对该办件执行“转办改派”。"),
    ("reviewer", "reassign", 403, "您无权对该办件执行“转办改派”。"),
    ("handler", "decide", 403, "您无权对该办件执行“作出审批决定”。"),
    ("supervisor", "extend", 403, "您无权对该办件执行“延长办理期限”。"),
    ("market_reviewer", "decide", 404, ""),
    ("market_reviewer", "suspend", 404, ""),
    ("market_reviewer", "approve_step", 404, ""),
    ("supervisor", "approve_step", 403, "您无权对该办件执行“审查通过”。"),
    ("second", "approve_step", 403, "您无权对该办件执行“审查通过”。"),
    ("reviewer", "extend", 403, "您无权对该办件执行“延长办理期限”。"),
    ("approver", "decide", 409, "不能作出审批决定"),  # the case is at 审核, not the last step
    ("handler", "resume", 409, "办件当前状态为“审查中”，不能恢复办理。"),
    ("reviewer", "return_step", 409, "不能退回上一环节"),  # nothing before 审核 but 受理
    ("clerk", "complete", 409, "办件当前状态为“审查中”，不能办结送达。"),
]


@pytest.mark.parametrize(("who", "action", "status", "text"), REFUSALS)
def test_refusals_change_nothing(
    client: Client, city: City, who: str, action: str, status: int, text: str
) -> None:
    staff = setup(city)
    people = {
        "market_reviewer": make_staff("market_reviewer", city.market, Role.REVIEWER),
        "supervisor": city.supervisor,
    }
    case = accepted_case(city, staff)
    before = trace(case)
    user = people.get(who) or getattr(staff, who)
    signed_in(client, user)
    data = {
        f"{action}-step": str(case.current_step_id),
        f"{action}-opinion": "同意",
        f"{action}-outcome": "approved",
        f"{action}-reason": "理由",
        f"{action}-working_days": "2",
        f"{action}-delivery": "pickup",
    }
    response = post(client, action_url(case, action), data, at(2026, 9, 24, 11, 0))
    assert response.status_code == status
    assert trace(case) == before
    if text:
        assert text in text_of(response.content.decode())


def test_a_named_assignees_step_is_not_a_colleagues(client: Client, city: City) -> None:
    staff = setup(city)
    reviewer_two(city)
    case = accepted_case(city, staff)
    with on(ACCEPTED_AT):
        review.do_reassign(case, actor=staff.admin, assignee="reviewer_two")
    before = trace(case)
    signed_in(client, staff.reviewer)
    _, html = get(client, f"/workbench/cases/{case.pk}/", at(2026, 9, 24, 11, 0))
    assert 'id="review-approve_step"' not in html
    response = post(
        client,
        action_url(case, "approve_step"),
        {"approve_step-step": str(case.current_step_id), "approve_step-opinion": "同意"},
        at(2026, 9, 24, 11, 0),
    )
    assert response.status_code == 403
    assert trace(case) == before


def test_the_supervisor_reads_without_forms_and_applicants_have_no_workbench(
    client: Client, city: City
) -> None:
    staff = setup(city)
    case = accepted_case(city, staff)
    signed_in(client, city.supervisor)
    status, html = get(client, f"/workbench/cases/{case.pk}/", at(2026, 9, 24, 11, 0))
    assert status == 200
    assert "review-action" not in html
    assert "您现在不能对该办件进行操作。" in html
    home = reverse("workbench:home")
    assert f'<p class="breadcrumb"><a href="{home}">工作台首页</a></p>' in html
    signed_in(client, staff.reviewer)
    _, html = get(client, f"/workbench/cases/{case.pk}/", at(2026, 9, 24, 11, 0))
    assert f'<p class="breadcrumb"><a href="{QUEUE}">审批队列</a></p>' in html
    signed_in(client, city.applicant)
    status, _ = get(client, f"/workbench/cases/{case.pk}/", at(2026, 9, 24, 11, 0))
    assert status == 403
    before = trace(case)
    response = post(
        client,
        action_url(case, "approve_step"),
        {"approve_step-opinion": "同意"},
        at(2026, 9, 24, 11, 0),
    )
    assert response.status_code == 403
    assert trace(case) == before


def test_a_stale_page_gets_409_and_changes_nothing(client: Client, city: City) -> None:
    """Two reviewers open the same case; the first passes it on; the second's form still
    names 审核: 409 `stale`, with a clear message, and nothing is changed."""
    staff = setup(city)
    two = reviewer_two(city)
    case = accepted_case(city, staff)
    seen = str(case.current_step_id)
    with on(at(2026, 9, 24, 11, 0)):
        review.do_approve_step(case, actor=staff.reviewer, opinion="同意", step=seen)
    before = trace(case)
    signed_in(client, two)
    response = post(
        client,
        action_url(case, "suspend"),
        {"suspend-step": seen, "suspend-procedure": "", "suspend-reason": ""},
        at(2026, 9, 24, 11, 1),
    )
    assert response.status_code == 409
    assert "办件已被他人办理，当前环节已变化，请刷新后重试。" in response.content.decode()
    assert trace(case) == before


def test_a_page_shown_before_another_change_gets_409(client: Client, city: City) -> None:
    """Two approvers open the same case at 审批; the first extends it by 6 working days; the
    second's form still carries the revision the page showed: 409 `stale`, not a second
    extension into a statutory violation."""
    staff = setup(city)
    case = last_step_case(city, staff)
    signed_in(client, staff.approver)
    status, html = get(client, f"/workbench/cases/{case.pk}/", at(2026, 9, 24, 11, 0))
    assert status == 200
    shown = re.search(r'name="extend-revision" value="(\d+)"', html)
    assert shown is not None
    form = {
        "extend-step": str(case.current_step_id),
        "extend-revision": shown.group(1),
        "extend-working_days": "6",
        "extend-reason": "需征求公安部门意见",
    }
    with on(at(2026, 9, 24, 11, 1)):
        review.do_extend(case, actor=staff.approver, working_days=6, reason="需核查")
    before = trace(case)
    signed_in(client, make_staff("approver_two", city.transport, Role.APPROVER))
    response = post(client, action_url(case, "extend"), form, at(2026, 9, 24, 11, 2))
    assert response.status_code == 409
    assert "办件在您查看之后已被他人办理或变更，请刷新后重试。" in response.content.decode()
    assert trace(case) == before


def test_a_refusal_shows_back_what_was_typed(client: Client, city: City) -> None:
    """The form may no longer be offered once the case moved on: the opinion the second
    reviewer wrote comes back, to be copied, and nothing is changed."""
    staff = setup(city)
    two = reviewer_two(city)
    case = accepted_case(city, staff)
    seen = str(case.current_step_id)
    with on(at(2026, 9, 24, 11, 0)):
        review.do_approve_step(case, actor=staff.reviewer, opinion="同意", step=seen)
    before = trace(case)
    signed_in(client, two)
    opinion = "经审查，申请材料齐全。\n车辆技术等级符合要求。"
    response = post(
        client,
        action_url(case, "approve_step"),
        {"approve_step-step": seen, "approve_step-opinion": opinion},
        at(2026, 9, 24, 11, 1),
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "您填写的内容未保存，可复制后再用：" in html
    assert "经审查，申请材料齐全。<br>车辆技术等级符合要求。" in html
    assert trace(case) == before


def test_an_unknown_action_is_404(client: Client, city: City) -> None:
    staff = setup(city)
    case = accepted_case(city, staff)
    signed_in(client, staff.approver)
    response = post(client, action_url(case, "accept"), {}, at(2026, 9, 24, 11, 0))
    assert response.status_code == 404
    response = post(client, "/workbench/cases/nope/review/decide/", {}, at(2026, 9, 24, 11, 0))
    assert response.status_code == 404


def test_the_handler_asks_for_a_correction_during_review(client: Client, city: City) -> None:
    """The issue-7 correction form, the handler's now: the clock stops for it (审查中补正)."""
    staff = setup(city)
    case = accepted_case(city, staff)
    signed_in(client, staff.clerk)
    _, html = get(client, f"/workbench/cases/{case.pk}/", at(2026, 9, 29, 10, 0))
    assert '/correction/">一次性告知补正</a>' not in html  # not the clerk's once accepted
    signed_in(client, staff.handler)
    _, html = get(client, f"/workbench/cases/{case.pk}/", at(2026, 9, 29, 10, 0))
    assert f'href="/workbench/cases/{case.pk}/correction/">一次性告知补正</a>' in html
    response = post(
        client,
        f"/workbench/cases/{case.pk}/correction/",
        {"materials": ["M02"], "reason-1": "营业执照已过期"},
        at(2026, 9, 29, 10, 0),
    )
    assert response.status_code == 302
    case = fresh(case)
    assert (case.state, case.clock_running, case.due_date) == ("correction_requested", False, None)
    _, html = get(client, f"/workbench/cases/{case.pk}/", at(2026, 9, 30, 10, 0))
    text = text_of(html)
    assert "计时 停止计时：审查中补正（2026-09-29 起）" in text
    assert "2026-09-29 — 至今：审查中补正。" in text
    signed_in(client, staff.reviewer)
    _, html = get(client, QUEUE + "?tab=stopped", at(2026, 9, 30, 10, 0))
    assert [str(case.receipt_no) in row and "待补正" in row for row in rows_of(html)] == [True]


def test_a_correction_handed_in_at_the_window_during_review_confirms_the_due_date(
    client: Client, city: City
) -> None:
    from wangban.cases import actions
    from wangban.cases.tests.helpers import FORM
    from wangban.catalog.tests.helpers import CODE
    from wangban.portal.tests.cases_world import pdf

    staff = setup(city)
    with on(at(2026, 9, 24, 10, 0)):
        case = actions.do_create_case(
            actor=staff.clerk,
            item_code=CODE,
            form=dict(FORM),
            channel="window",
            applicant=city.applicant,
        )
        for code in ("M01", "M02"):
            actions.do_attach_material(case, actor=staff.clerk, material_code=code, upload=pdf())
        actions.do_submit(case, actor=staff.clerk)
        actions.do_accept(case, actor=staff.clerk)
    with on(at(2026, 9, 29, 10, 0)):
        actions.do_request_correction(
            case, actor=staff.handler, items=[{"material_code": "M02", "reason": "复印件不清晰"}]
        )
    with on(at(2026, 10, 9, 10, 0)):
        actions.do_attach_material(case, actor=staff.clerk, material_code="M02", upload=pdf())
    signed_in(client, staff.clerk)
    response = post(client, f"/workbench/cases/{case.pk}/submit/", {}, at(2026, 10, 9, 10, 0))
    assert response.status_code == 302
    with on(at(2026, 10, 9, 10, 1)):
        html = client.get(response["Location"]).content.decode()
    assert "补正材料已提交，恢复审查，承诺办结日期为 2026-10-27。" in text_of(html)


def test_a_case_withdrawn_during_review_shows_no_due_dates(client: Client, city: City) -> None:
    from wangban.cases import actions

    staff = setup(city)
    case = accepted_case(city, staff)
    with on(at(2026, 9, 28, 9, 0)):
        actions.do_withdraw(case, actor=city.applicant, reason="不再需要")
    signed_in(client, staff.handler)
    status, html = get(client, f"/workbench/cases/{case.pk}/", at(2026, 9, 29, 10, 0))
    assert status == 200
    assert "办件已撤回（2026-09-28），不再计时" in html
    assert "2026-10-22" not in html
    assert 'class="due-date"' not in html
    assert "停止计时期间不计算" not in html


def test_the_correction_page_during_review_leads_back_to_the_review_queue(
    client: Client, city: City
) -> None:
    """A handler holds no clerk role: the acceptance queue is a 403 to them, so the page's
    breadcrumb leads to their own queue, as the case page's does."""
    staff = setup(city)
    case = accepted_case(city, staff)
    signed_in(client, staff.handler)
    status, html = get(client, f"/workbench/cases/{case.pk}/correction/", at(2026, 9, 29, 10, 0))
    assert status == 200
    assert '<a href="/workbench/cases/review/">审批队列</a>' in html
    assert "受理队列" not in html
    assert get(client, "/workbench/cases/", at(2026, 9, 29, 10, 0))[0] == 403
