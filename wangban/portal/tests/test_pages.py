from __future__ import annotations

import pytest
from django.test import Client

from wangban.accounts.models import User

pytestmark = pytest.mark.django_db


def test_home_is_chinese_and_accessible(client: Client) -> None:
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-Hans">' in html
    assert '<a class="skip-link" href="#main">跳到主要内容</a>' in html
    assert '<main id="main"' in html
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html
    assert "一网通办" in html
    assert response["Content-Language"] == "zh-hans"


def test_elder_mode_switches_on_and_off(client: Client) -> None:
    assert 'aria-pressed="false"' in client.get("/").content.decode()
    response = client.post("/prefs/elder", {"next": "/"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    html = client.get("/").content.decode()
    assert 'class=" elder"' in html
    assert 'aria-pressed="true"' in html
    assert "退出长辈版" in html
    client.post("/prefs/elder", {"next": "/"})
    assert 'class=" elder"' not in client.get("/").content.decode()


def test_elder_switch_never_redirects_off_site(client: Client) -> None:
    response = client.post("/prefs/elder", {"next": "https://evil.example.com/"})
    assert response["Location"] == "/"


def test_elder_switch_needs_post(client: Client) -> None:
    assert client.get("/prefs/elder").status_code == 405


def test_demo_banner_only_in_demo_mode(client: Client, settings) -> None:
    assert "演示环境" not in client.get("/").content.decode()
    settings.DEMO = True
    assert "演示环境" in client.get("/").content.decode()


def test_unknown_page_is_a_chinese_404(client: Client) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_workbench_requires_login(client: Client) -> None:
    response = client.get("/workbench/")
    assert response.status_code == 302
    assert response["Location"] == "/workbench/login/?next=/workbench/"


def test_workbench_login_shows_errors_in_chinese(client: Client) -> None:
    User.objects.create_user("clerk", password="a-good-long-password")
    response = client.post("/workbench/login/", {"username": "clerk", "password": "wrong"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="error-summary"' in html
    assert "请输入一个正确的" in html


def test_workbench_login_then_home(client: Client) -> None:
    User.objects.create_user("clerk", password="a-good-long-password", first_name="小王")
    response = client.post(
        "/workbench/login/", {"username": "clerk", "password": "a-good-long-password"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/workbench/"
    assert "您好，小王" in client.get("/workbench/").content.decode()
