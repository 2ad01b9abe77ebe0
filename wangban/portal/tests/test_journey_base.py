"""Browser journey over the base layout: a phone, the elder-friendly switch, the
skip link, the API docs under the strict CSP, and a staff login."""

from __future__ import annotations

import pytest

from wangban.accounts.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_portal_on_a_phone_with_elder_mode(page) -> None:
    page.goto("/")
    assert page.title() == "首页 - 网办"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    normal_size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="跳到主要内容")
    assert skip.evaluate("el => el === document.activeElement")
    assert skip.bounding_box()["x"] >= 0  # visible when focused

    page.get_by_role("button", name="长辈版").click()
    page.wait_for_url("**/")
    assert page.evaluate("document.body.classList.contains('elder')")
    elder_size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert elder_size >= normal_size * 1.25
    assert page.get_by_role("button", name="退出长辈版").get_attribute("aria-pressed") == "true"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    page.get_by_role("button", name="退出长辈版").click()
    page.wait_for_url("**/")
    assert not page.evaluate("document.body.classList.contains('elder')")


def test_htmx_loads_from_our_own_origin(page) -> None:
    page.goto("/")
    page.wait_for_function("typeof window.htmx === 'object'")
    assert page.evaluate("htmx.version") == "2.0.11"


def test_api_docs_render_without_a_cdn(page) -> None:
    page.goto("/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "wangban REST API" in page.inner_text(".swagger-ui .info .title")
    assert page.get_by_text("/api/v1/auth/token").first.is_visible()


def test_staff_sign_in_journey(page) -> None:
    User.objects.create_user("clerk", password="a-good-long-password", first_name="小王")
    page.goto("/workbench/")
    assert page.url.endswith("/workbench/login/?next=/workbench/")
    page.get_by_label("用户名").fill("clerk")
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    page.get_by_role("alert").wait_for()
    assert page.get_by_role("alert").is_visible()
    page.get_by_label("密码").fill("a-good-long-password")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/workbench/")
    assert page.get_by_text("您好，小王。").is_visible()
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url("**/workbench/login/")
