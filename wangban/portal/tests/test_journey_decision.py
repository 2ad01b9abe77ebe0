"""Browser journeys on a phone: the applicant follows a case under review (its due date,
remaining working days and light); opens their decided case (built with the real review
actions, the decision rendered and sealed as the worker does), reads the decision,
downloads the sealed 准予行政许可决定书, follows its verification link and sees 验证通过,
then checks the downloaded file on the same page. No page scrolls sideways."""

from __future__ import annotations

from pathlib import Path

import pytest

from wangban.cases.tests.decision_helpers import (
    APPROVAL_REASON,
    rendered_decision,
    review_world,
    stored_bytes,
    transport_seal,
)
from wangban.conftest import City

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fits_the_screen(page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_open_the_decision_download_it_and_verify_its_seal(
    page, city: City, settings, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    staff = review_world(city)
    transport_seal(city)
    document = rendered_decision(city, staff)
    case = document.case

    page.goto("/login/")
    page.get_by_label("用户名", exact=True).fill("someone")
    page.get_by_label("密码", exact=True).fill("applicant-password-1")
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url("**/account/")

    # The case page: the decision, its reasons, and the timeline in Chinese.
    page.goto(f"/cases/{case.pk}/")
    assert page.locator("#case-state").inner_text() == "准予许可"
    decision = page.get_by_role("region", name="审批决定")
    assert decision.locator("#decision-outcome").inner_text() == "准予许可"
    assert decision.get_by_text(APPROVAL_REASON).is_visible()
    assert page.get_by_role("strong").filter(has_text="作出审批决定").is_visible()
    assert fits_the_screen(page)

    # Download the sealed decision: exactly the stored file.
    with page.expect_download() as download:
        page.locator("#decision-download").click()
    assert download.value.suggested_filename == "准予行政许可决定书.pdf"
    saved = Path(download.value.path())
    assert saved.read_bytes() == stored_bytes(document)

    # Follow the verification link: 验证通过, with the masked name only.
    page.get_by_role("link", name="验证决定书的电子印章").click()
    page.wait_for_url(f"**/verify/{document.verification_code}/")
    assert page.locator("#verify-result").inner_text() == "验证通过"
    assert page.locator("#verify-applicant").inner_text() == "张*"
    assert page.get_by_text(document.seal_key_id, exact=True).is_visible()
    assert fits_the_screen(page)

    # Check the downloaded file there too.
    page.get_by_label("决定书文件（PDF）").set_input_files(str(saved))
    page.get_by_role("button", name="核对文件").click()
    page.wait_for_load_state()
    assert page.locator("#upload-result").get_by_text("验证通过").is_visible()
    assert fits_the_screen(page)

    # A changed copy is refused.
    changed = tmp_path / "改过的决定书.pdf"
    changed.write_bytes(saved.read_bytes() + b"% changed\n")
    page.get_by_label("决定书文件（PDF）").set_input_files(str(changed))
    page.get_by_role("button", name="核对文件").click()
    page.wait_for_load_state()
    assert page.locator("#upload-result").get_by_text("验证失败").is_visible()


def test_follow_a_case_under_review_its_due_date_and_light(page, city: City) -> None:
    """Accepted Thu 09-24 with P = 15: on Tue 10-20 it is due Thu 10-22 and blue."""
    import time_machine

    from wangban.cases.tests.helpers import at
    from wangban.cases.tests.review_helpers import accepted_case

    staff = review_world(city)
    case = accepted_case(city, staff)
    with time_machine.travel(at(2026, 10, 20, 10, 0), tick=True):
        page.goto("/login/")
        page.get_by_label("用户名", exact=True).fill("someone")
        page.get_by_label("密码", exact=True).fill("applicant-password-1")
        page.get_by_role("button", name="登录", exact=True).click()
        page.wait_for_url("**/account/")
        page.goto(f"/cases/{case.pk}/")
        facts = " ".join(page.get_by_label("办件要点").inner_text().split())
    assert "承诺办结日期 2026年10月22日" in facts
    assert "剩余办理时间 2 个工作日" in facts
    assert "办理时限状态 蓝灯：即将到达承诺办结日期" in facts
    assert fits_the_screen(page)
