"""Browser journey on a phone: register, verify identity, log out and in, register a
company, authorise an agent, see the grant listed, revoke it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from wangban.accounts.models import AgentGrant
from wangban.accounts.tests.helpers import PASSWORD, phone_for, resident_id, verified

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CREDIT = "91350100M000100Y43"


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_register_verify_log_in_and_authorise_an_agent(page) -> None:
    verified("lijingban", 2, real_name="李经办")  # the agent, registered and verified

    page.goto("/")
    page.get_by_role("link", name="注册", exact=True).click()
    page.wait_for_url("**/register/")
    page.get_by_label("姓名", exact=True).fill("王小明")
    page.get_by_label("身份证号码", exact=True).fill(resident_id(1))
    page.get_by_label("手机号码", exact=True).fill(phone_for(1))
    page.get_by_label("用户名", exact=True).fill("wangxm")
    page.get_by_label("新密码", exact=True).fill(PASSWORD)
    page.get_by_label("再次输入新密码", exact=True).fill("not the same password")
    page.get_by_role("button", name="注册", exact=True).click()
    summary = page.get_by_role("alert")
    summary.wait_for()  # the refused form's page, once it has loaded
    assert summary.is_visible()
    expect(summary).to_be_focused()  # autofocus lands once the page has loaded
    summary.get_by_role("link", name="两次输入的密码不一致。").click()
    assert page.evaluate("document.activeElement.id") == "id_new_password2"
    page.get_by_label("新密码", exact=True).fill(PASSWORD)
    page.get_by_label("再次输入新密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="注册", exact=True).click()

    # The fragment of the error link stays on the URL across the redirect.
    page.wait_for_url(re.compile(r"/account/(#id_new_password2)?$"))
    assert page.get_by_text("注册成功。完成实名认证后即可在线办事。").is_visible()
    assert page.get_by_text("110101********0015").is_visible()
    assert page.get_by_text("开发环境：本地开发核验").is_visible()
    assert no_sideways_scroll(page)
    page.get_by_role("button", name="实名认证").click()
    page.wait_for_url("**/account/")
    assert page.get_by_text("实名认证成功。").is_visible()
    assert page.locator("#real-name-level").inner_text() == "已实名认证"

    page.get_by_role("button", name="显示完整号码").click()
    assert page.locator("#revealed-id").inner_text() == resident_id(1)

    page.get_by_role("button", name="退出", exact=True).click()
    page.wait_for_url("**/")
    assert page.get_by_text("您已安全退出。").is_visible()
    page.get_by_role("link", name="登录", exact=True).click()
    page.get_by_label("用户名", exact=True).fill("wangxm")
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url("**/account/")

    page.get_by_role("link", name="登记法人").click()
    page.get_by_label("法人名称", exact=True).fill("榕城测试有限公司")
    page.get_by_label("统一社会信用代码", exact=True).fill(CREDIT)
    page.get_by_label("法定代表人", exact=True).fill("王小明")
    page.get_by_role("button", name="登记", exact=True).click()
    page.wait_for_url("**/account/legal-persons/*/")
    assert page.get_by_role("heading", name="榕城测试有限公司").is_visible()

    page.get_by_role("link", name="授权经办人").click()
    page.get_by_label("经办人用户名", exact=True).fill("lijingban")
    page.get_by_label("授权办理的事项编码", exact=True).fill("11350100MB0000001X001\nITEM-B")
    valid_to = timezone.localdate() + timedelta(days=30)
    page.get_by_label("截止日期", exact=True).fill(valid_to.isoformat())
    page.get_by_role("button", name="授权", exact=True).click()
    page.wait_for_url("**/account/legal-persons/*/")
    assert page.get_by_text("已授权经办人 lijingban。").is_visible()
    row = page.get_by_role("row").filter(has_text="李经办（lijingban）")
    assert row.get_by_text("有效", exact=True).is_visible()
    assert row.get_by_text("11350100MB0000001X001、ITEM-B").is_visible()
    assert no_sideways_scroll(page)

    row.get_by_role("button", name="对 lijingban 的授权").click()
    page.wait_for_url("**/account/legal-persons/*/")
    assert page.get_by_text("已撤销对 lijingban 的授权。").is_visible()
    assert row.get_by_text("已撤销", exact=True).is_visible()
    assert AgentGrant.objects.get().revoked_at is not None
