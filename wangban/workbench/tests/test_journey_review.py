"""Browser journey of review and decision (issue 8), phone-sized under the strict CSP, on
DESIGN.md's worked example (accepted Thu 2026-09-24, P = 15, due Thu 10-22):

- Mon 09-28 the handler finds the case in 待办 with its light and due dates and passes 承办
  on to 审核 with an opinion;
- Tue 09-29 the reviewer suspends it for 现场勘查: the case page says the clock is stopped,
  with no due date; Fri 10-09 the reviewer resumes it (due Tue 10-27) and passes it on;
- Mon 10-12 the approver extends it by 5 working days (due Tue 11-03) and decides 准予许可;
- Tue 10-13 the accepting clerk finds it in 待送达 of the acceptance queue, opens it,
  records its delivery by mail with the tracking number, and it leaves 待送达.

Each member of staff signs in with the second factor, as the other journeys do.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, cast
from urllib.parse import urlsplit

import pytest
import time_machine
from playwright.sync_api import expect

from wangban.accounts.tests.helpers import totp_code, totp_device
from wangban.cases import actions, review
from wangban.cases.models import Case
from wangban.cases.tests.helpers import FORM as CASE_FORM
from wangban.cases.tests.helpers import at, draft_case, submitted_case
from wangban.cases.tests.review_helpers import ACCEPTED_AT, review_item, review_staff
from wangban.catalog.tests.helpers import FORM
from wangban.conftest import City
from wangban.workbench.tests.test_case_pages import png

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STEPS = [
    {"name": "受理", "role": "clerk", "budget_days": 1},
    {"name": "承办", "role": "handler", "budget_days": 5},
    {"name": "审核", "role": "reviewer", "budget_days": 4},
    {"name": "审批", "role": "approver", "budget_days": 5},
]


def sign_in(page, user, url: str) -> None:
    """A fresh session for `user` on `url`: password, then the authenticator's code."""
    page.context.clear_cookies()
    page.goto(url)
    page.wait_for_url("**/workbench/login/**")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill("staff-password-123")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/workbench/login/otp/**")
    page.get_by_label("动态验证码").fill(totp_code(user.totpdevice_set.get()))
    page.get_by_role("button", name="验证").click()
    # The path itself: the login pages' `?next=` ends with it too.
    page.wait_for_url(lambda address: urlsplit(address).path == url)
    settle(page)


def settle(page) -> None:
    """Wait until the case page's PDF previews have loaded: Chromium's viewer scrolls the
    page when it starts, and a click aimed before that lands elsewhere."""
    page.wait_for_load_state("networkidle")


def submit(page, panel: str, message: str) -> None:
    """Submit the review form `panel` and wait for the case page's message."""
    page.locator(f"#review-{panel} button[type=submit]").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_contain_text(message)
    settle(page)


def open_panel(page, panel: str) -> None:
    """Open the action's panel (a `<details>`) unless it is open already."""
    details = page.locator(f"#review-{panel}")
    expect(details).to_be_attached()
    if details.get_attribute("open") is None:
        # By keyboard: a PDF preview that finishes loading may scroll the page under a
        # pointer click.
        details.locator("summary").focus()
        page.keyboard.press("Enter")
    expect(details).to_have_attribute("open", "")


def clock_text(page) -> str:
    return " ".join(page.locator("#clock-title + dl").inner_text().split())


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def travel(moment: datetime):
    return time_machine.travel(moment, tick=True)


def test_review_suspension_extension_and_decision(page, city: City) -> None:
    review_item(city, steps=STEPS)
    staff = review_staff(city)
    for user in (staff.handler, staff.reviewer, staff.approver, staff.clerk):
        totp_device(user)
    with time_machine.travel(ACCEPTED_AT, tick=False):
        case = submitted_case(city)
        actions.do_accept(case, actor=staff.clerk)
    case_url = f"/workbench/cases/{case.pk}/"

    # Mon 09-28: the handler's 待办, then 承办 passed on with an opinion.
    with travel(at(2026, 9, 28, 9, 30)):
        sign_in(page, staff.handler, "/workbench/cases/review/")
        assert (
            page.get_by_role("link", name=re.compile("^待办 1")).get_attribute("aria-current")
            == "page"
        )
        row = page.locator("tbody tr").first
        assert row.locator(".light").first.inner_text() == "绿灯"
        assert "2026-10-22" in row.inner_text()
        assert "承办" in row.inner_text()
        assert no_sideways_scroll(page)
        row.get_by_role("link", name="道路运输经营许可证核发").click()
        page.wait_for_url(lambda address: urlsplit(address).path == case_url)
        settle(page)
        assert "承诺办结日期 2026-10-22 法定办结日期 2026-10-29" in clock_text(page)
        page.get_by_label("审查意见").fill("经营场所、车辆与材料一致，符合条件。")
        submit(page, "approve_step", "已通过本环节，转“审核”办理。")
        assert no_sideways_scroll(page)

    # Tue 09-29: the reviewer suspends for a site survey; the clock stops.
    with travel(at(2026, 9, 29, 10, 0)):
        sign_in(page, staff.reviewer, case_url)
        open_panel(page, "suspend")
        page.get_by_label("特别程序").select_option("site_survey")
        page.get_by_label("挂起理由").fill("需现场核查停车场地")
        submit(page, "suspend", "已挂起，办理时限停止计算，已告知申请人。")
        text = clock_text(page)
        assert "停止计时：现场勘查（2026-09-29 起）——需现场核查停车场地" in text
        assert "承诺办结日期 停止计时期间不计算" in text
        assert page.locator("#review-resume").is_visible()

    # Fri 10-09: resumed (one working day used, due Tue 10-27), and passed on.
    with travel(at(2026, 10, 9, 10, 0)):
        sign_in(page, staff.reviewer, case_url)
        page.get_by_label("说明（选填）").fill("勘查完毕，场地符合要求")
        submit(page, "resume", "已恢复办理，承诺办结日期为 2026-10-27。")
        assert "承诺办结日期 2026-10-27" in clock_text(page)
        open_panel(page, "approve_step")
        page.get_by_label("审查意见").fill("同意。")
        submit(page, "approve_step", "已通过本环节，转“审批”办理。")

    # Mon 10-12: the approver extends by 5 (due Tue 11-03) and decides.
    with travel(at(2026, 10, 12, 10, 0)):
        sign_in(page, staff.approver, case_url)
        open_panel(page, "extend")
        expect(page.locator("#review-extend .notice")).to_contain_text(
            "法定可延长 10 个工作日（行政许可法第四十二条），本件已延长 0 个工作日。"
        )
        page.get_by_label("延长工作日数").fill("5")
        page.get_by_label("延长理由").fill("需征求公安部门意见")
        submit(page, "extend", "已延长办理期限，承诺办结日期调整为 2026-11-03。")
        assert "承诺办结日期 2026-11-03" in clock_text(page)
        assert "已延长 5 个工作日" in clock_text(page)
        open_panel(page, "decide")
        page.get_by_label("准予许可").focus()
        page.keyboard.press("Space")
        expect(page.get_by_label("准予许可")).to_be_checked()
        page.get_by_label("决定理由").fill("申请人符合道路运输经营许可条件。")
        # Irreversible: the first submission asks to confirm; Enter alone decides nothing.
        page.locator("#review-decide button[type=submit]").focus()
        page.keyboard.press("Enter")
        expect(page.get_by_role("alert")).to_contain_text("请核对后确认：作出准予许可决定。")
        settle(page)
        assert Case.objects.get(pk=case.pk).state == "in_review"
        expect(page.get_by_label("决定理由")).to_have_value("申请人符合道路运输经营许可条件。")
        expect(page.locator("#review-decide button[type=submit]")).to_have_text(
            "确认作出准予许可决定"
        )
        submit(page, "decide", "已作出准予许可决定")
        decision = " ".join(page.locator("#decision-title + dl").inner_text().split())
        assert decision.startswith("决定 准予许可 决定日期 2026-10-12")
        assert "已于 2026-10-12 作出决定，停止计时" in clock_text(page)
        assert page.get_by_text("您现在不能对该办件进行操作。").is_visible()
        assert no_sideways_scroll(page)

    case = Case.objects.get(pk=case.pk)
    assert (case.state, str(case.decided_on), str(case.due_date)) == (
        "approved",
        "2026-10-12",
        "2026-11-03",
    )

    # Tue 10-13: the clerk finds the result to deliver in 待送达 and mails it.
    with travel(at(2026, 10, 13, 10, 0)):
        sign_in(page, staff.clerk, "/workbench/cases/")
        page.get_by_role("link", name=re.compile("^待送达 1")).click()
        page.wait_for_url("**/workbench/cases/?tab=to_deliver")
        row = page.locator("tbody tr").first
        assert "2026-10-12" in row.inner_text()
        assert "准予许可" in row.inner_text()
        assert no_sideways_scroll(page)
        row.get_by_role("link", name="道路运输经营许可证核发").click()
        page.wait_for_url(lambda address: urlsplit(address).path == case_url)
        settle(page)
        open_panel(page, "complete")
        page.get_by_label("邮寄送达").check()
        page.get_by_label("快递单号").fill("SF1234567890")
        submit(page, "complete", "已办结：邮寄送达。")
        page.get_by_role("link", name="受理队列").click()
        page.wait_for_url(lambda address: urlsplit(address).path == "/workbench/cases/")
        page.get_by_role("link", name=re.compile("^待送达 0")).click()
        page.wait_for_url("**/workbench/cases/?tab=to_deliver")
        expect(page.locator("tbody")).to_contain_text("没有符合条件的办件。")

    case = Case.objects.get(pk=case.pk)
    assert (case.state, case.delivery, case.tracking_no) == ("completed", "mail", "SF1234567890")


#: An item's form whose last field has the long label of an applicant's commitment, as the
#: demo's items have: its value must not be squeezed beside it on a phone.
PROMISE = "本人承诺所填内容及所附材料真实、有效，如有虚假愿承担相应法律责任"
FORM_WITH_PROMISE: dict[str, Any] = {
    **FORM,
    "properties": {
        **cast(dict[str, Any], FORM["properties"]),
        "promise": {"type": "boolean", "title": PROMISE},
    },
}


def test_the_case_page_fits_a_phone_and_its_errors_take_the_focus(page, city: City) -> None:
    review_item(city, steps=STEPS, form_schema=FORM_WITH_PROMISE)
    staff = review_staff(city)
    totp_device(staff.handler)
    with time_machine.travel(ACCEPTED_AT, tick=False):
        case = draft_case(city, form={**CASE_FORM, "promise": True})
        # Images: Chromium's viewer of a PDF preview near the top takes the focus once loaded.
        for code in ("M01", "M02"):
            actions.do_attach_material(
                case, actor=city.applicant, material_code=code, upload=png(f"{code}.png")
            )
        actions.do_submit(case, actor=city.applicant)
        actions.do_accept(case, actor=staff.clerk)
    case_url = f"/workbench/cases/{case.pk}/"
    page.set_viewport_size({"width": 375, "height": 800})

    with travel(at(2026, 9, 28, 9, 30)):
        sign_in(page, staff.handler, case_url)
        assert no_sideways_scroll(page)
        expect(page.locator(".form-data")).to_contain_text("某某运输有限公司")
        width = page.locator(".form-data dd").first.bounding_box()["width"]
        assert width > 100  # the value has room: not one character a line
        # No opinion: the error summary takes the focus and its link leads to the field.
        submit_form(page, "approve_step")
        summary = page.locator(".error-summary")
        expect(summary).to_be_focused()
        expect(summary).to_contain_text("审查通过：")
        summary.get_by_role("link").first.click()
        expect(page.get_by_label("审查意见")).to_be_focused()
        assert no_sideways_scroll(page)
        # Someone else changed the case meanwhile: the refusal takes the focus.
        page.get_by_label("审查意见").fill("材料齐全。")
        review.do_suspend(case, actor=staff.handler, procedure="hearing", reason="听证")
        submit_form(page, "approve_step")
        refusal = page.locator(".notice[role=alert]")
        expect(refusal).to_be_focused()
        expect(refusal).to_contain_text("材料齐全。")


def submit_form(page, panel: str) -> None:
    """Submit the review form `panel` and wait for the page that answers."""
    with page.expect_navigation():
        page.locator(f"#review-{panel} button[type=submit]").focus()
        page.keyboard.press("Enter")
    settle(page)
