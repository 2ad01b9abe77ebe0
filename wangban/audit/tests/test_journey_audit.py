"""Browser journey: a supervisor signs in, reads the audit trail, filters it by action and
opens the history of one object (phone-sized, strict CSP)."""

from __future__ import annotations

import pytest

from wangban.accounts.choices import Role
from wangban.accounts.models import Department, RoleGrant, User
from wangban.audit.actions import record
from wangban.audit.chain import chain_events

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_supervisor_reads_the_trail_and_an_objects_history(page) -> None:
    centre = Department.objects.create(code="C00", name="市政务服务中心")
    transport = Department.objects.create(code="D01", name="市交通运输局")
    supervisor = User.objects.create_user(
        "jiancha", password="a-good-long-password-1", real_name="监察员", department=centre
    )
    RoleGrant.objects.create(user=supervisor, department=centre, role=Role.SUPERVISOR)
    admin = User.objects.create_user("zhongxin", password="x-long-password-2", department=centre)
    clerk = User.objects.create_user(
        "chuangkou", password="x-long-password-3", department=transport
    )
    record(
        "role.grant",
        actor=admin,
        obj=clerk,
        role=Role.CENTRE_ADMIN,
        before={"roles": []},
        after={"roles": ["clerk"]},
    )
    record("pii.view", actor=clerk, obj=admin, role=Role.CLERK, after={"field": "id_number"})
    chain_events()

    page.goto("/workbench/audit/")
    assert page.url.endswith("/workbench/login/?next=/workbench/audit/")
    page.get_by_label("用户名").fill("jiancha")
    page.get_by_label("密码").fill("a-good-long-password-1")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/workbench/audit/")
    assert page.title() == "审计日志 - 网办工作台"
    assert page.get_by_role("link", name="审计日志").get_attribute("aria-current") == "page"
    # Three events: the grant, the PII view, and the supervisor's own sign-in just now.
    assert (
        page.get_by_role("table").locator("caption").inner_text() == "审计事件：共 3 条，最新的在前"
    )

    page.get_by_label("操作", exact=True).fill("role.grant")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url("**/workbench/audit/?*action=role.grant*")
    table = page.get_by_role("table")
    assert table.locator("caption").inner_text() == "审计事件：共 1 条，最新的在前"
    rows = table.locator("tbody tr")
    assert rows.count() == 1
    assert "授予角色" in rows.first.inner_text()
    assert "zhongxin" in rows.first.inner_text()
    assert "中心管理员" in rows.first.inner_text()

    rows.first.get_by_role("link", name=f"accounts.user #{clerk.pk}").click()
    page.wait_for_url(f"**/workbench/audit/object/accounts.user/{clerk.pk}/")
    assert page.get_by_role("heading", level=1).inner_text() == f"对象历史：用户 #{clerk.pk}"
    change = page.locator(".audit-changes li").first
    assert change.text_content() == 'roles：原值[] → 新值["clerk"]'  # 原值/新值 for screen readers
    assert change.locator("ins").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
