"""Browser journey: a department admin adds a colleague, grants a role and revokes it."""

from __future__ import annotations

import re

import pytest

from wangban.accounts.models import User
from wangban.conftest import City

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_department_admin_manages_staff(page, city: City) -> None:
    page.goto("/workbench/staff/")
    page.get_by_label("用户名").fill("transport_admin")
    page.get_by_label("密码").fill("staff-password-123")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/workbench/staff/")
    assert page.get_by_role("link", name="transport_clerk").is_visible()
    assert page.get_by_text("market_admin").count() == 0

    page.get_by_role("link", name="添加工作人员").click()
    page.get_by_label("用户名").fill("xiaoliu")
    page.get_by_label("姓名").fill("刘小六")
    page.get_by_label("手机号码").fill("139")
    page.get_by_label("初始密码").fill("a-long-staff-password")
    page.get_by_role("button", name="添加").click()
    summary = page.get_by_role("alert")
    assert "手机号码应为 11 位数字" in summary.inner_text()
    summary.get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.id") == "id_phone"
    page.get_by_label("手机号码").fill("13912345678")
    page.get_by_label("初始密码").fill("a-long-staff-password")
    page.get_by_role("button", name="添加").click()

    # The fragment of the error link survives the redirect, so match on the path.
    page.wait_for_url(re.compile(r"/workbench/staff/\d+/"))
    assert page.get_by_role("heading", name="刘小六").is_visible()
    page.get_by_label("角色").select_option("handler")
    page.get_by_role("button", name="授予").click()
    page.get_by_text("已授予角色。").wait_for()
    assert page.get_by_text("已授予角色。").is_visible()
    assert page.get_by_role("cell", name="承办人", exact=True).is_visible()
    assert list(
        User.objects.get(username="xiaoliu").role_grants.values_list("role", flat=True)
    ) == ["handler"]

    page.get_by_role("button", name="撤销 承办人").click()
    page.get_by_text("已撤销角色：承办人（市交通运输局）。").wait_for()
    assert page.get_by_text("已撤销角色：承办人（市交通运输局）。").is_visible()
    assert not User.objects.get(username="xiaoliu").role_grants.exists()
