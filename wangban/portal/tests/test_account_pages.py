"""The applicant's account pages: register, log in and out, 我的账户 (masked identity number,
the audited reveal, real-name verification), legal persons and their agents."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone

from wangban.accounts import actions
from wangban.accounts.choices import RealNameLevel
from wangban.accounts.models import AgentGrant, LegalPerson, Person, User
from wangban.accounts.tests.helpers import PASSWORD, phone_for, register, resident_id, verified
from wangban.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

CREDIT = "91350100M000100Y43"


def form_data(**extra: str) -> dict[str, str]:
    return {
        "real_name": "张三",
        "id_number": resident_id(1),
        "phone": phone_for(1),
        "username": "zhang",
        "new_password1": PASSWORD,
        "new_password2": PASSWORD,
        **extra,
    }


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_register_form_helps_phones_and_password_managers(client: Client) -> None:
    html = client.get("/register/").content.decode()
    assert '<form method="post" novalidate class="form">' in html
    assert 'name="real_name"' in html
    assert 'autocomplete="name"' in html
    assert 'autocomplete="username"' in html
    assert 'type="tel"' in html
    assert 'autocomplete="tel-national"' in html
    assert html.count('autocomplete="new-password"') == 2
    assert 'autocapitalize="characters"' in html  # the identity number may end with X
    assert 'aria-describedby="id_id_number_helptext"' in html
    # the active policy, under the new password
    assert (
        "至少 12 个字符；最多 128 个字符；不能使用常见密码；不能与用户名、姓名或手机号码相似。"
        in html
    )


def test_register_then_signed_in(client: Client) -> None:
    response = client.post("/register/", form_data())
    assert response.status_code == 302
    assert response["Location"] == "/account/"
    assert messages_of(response) == ["注册成功。完成实名认证后即可在线办事。"]
    user = User.objects.get(username="zhang")
    assert client.session["_auth_user_id"] == str(user.pk)
    person = Person.objects.get(user=user)
    assert person.real_name_level == RealNameLevel.REGISTERED
    assert AuditEvent.objects.filter(action="applicant.register").count() == 1


def test_register_errors_are_listed_on_top_and_beside_each_field(client: Client) -> None:
    response = client.post(
        "/register/",
        form_data(
            real_name="",
            id_number="11010119900101001",
            new_password2="something-else-entirely",
        ),
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert '<div class="error-summary" role="alert"' in html
    assert '<li><a href="#id_real_name">请填写姓名。</a></li>' in html
    assert '<li><a href="#id_new_password2">两次输入的密码不一致。</a></li>' in html
    assert (
        '<p class="error-message" id="id_real_name_error"><span class="visually-hidden">'
        "错误：</span>请填写姓名。</p>"
    ) in html
    assert 'aria-invalid="true"' in html
    assert not User.objects.exists()


def test_register_shows_the_actions_refusal_beside_the_field(client: Client) -> None:
    response = client.post("/register/", form_data(id_number="110101199001010018"))
    html = response.content.decode()
    assert '<li><a href="#id_id_number">身份证号码校验码不正确，请核对后重新输入。</a></li>' in html
    register("taken", 2)
    html = client.post("/register/", form_data(username="taken")).content.decode()
    assert '<li><a href="#id_username">该用户名已被使用。</a></li>' in html
    response = client.post("/register/", form_data(new_password1="short", new_password2="short"))
    assert "密码太短，至少需要 12 个字符。" in response.content.decode()


def test_login_page_and_logout(client: Client) -> None:
    register("zhang", 1)
    html = client.get("/login/").content.decode()
    assert 'autocomplete="current-password"' in html
    assert '<a href="/account/password/reset/">忘记密码？用手机验证码重置</a>' in html
    wrong = client.post("/login/", {"username": "zhang", "password": "wrong"})
    assert '<h2 id="error-summary-title">登录未成功</h2>' in wrong.content.decode()
    response = client.post("/login/", {"username": "zhang", "password": PASSWORD})
    assert response["Location"] == "/account/"
    assert client.get("/login/")["Location"] == "/account/"  # already signed in
    response = client.post("/logout/")
    assert response["Location"] == "/"
    assert messages_of(response) == ["您已安全退出。"]
    assert "_auth_user_id" not in client.session


def test_login_goes_to_next_but_never_off_site(client: Client) -> None:
    register("zhang", 1)
    data = {"username": "zhang", "password": PASSWORD}
    response = client.post("/login/?next=/account/legal-persons/new/", data)
    assert response["Location"] == "/account/legal-persons/new/"
    client.post("/logout/")
    response = client.post("/login/", {**data, "next": "https://evil.example.com/"})
    assert response["Location"] == "/account/"


def test_account_shows_the_identity_number_masked(client: Client) -> None:
    client.force_login(register("zhang", 1))
    html = client.get("/account/").content.decode()
    assert '<span class="id-number">110101********0015</span>' in html
    assert resident_id(1) not in html
    assert '<dd id="real-name-level">已注册（手机号）</dd>' in html


def test_reveal_shows_the_full_number_once_and_is_audited(client: Client) -> None:
    user = register("zhang", 1)
    client.force_login(user)
    response = client.post("/account/reveal-id/")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<span class="id-number" id="revealed-id">{resident_id(1)}</span>' in html
    assert response["Cache-Control"] == "no-store"
    event = AuditEvent.objects.get(action="pii.view")
    assert event.actor_username == "zhang"
    assert event.object_id == str(user.person.pk)
    assert resident_id(1) not in client.get("/account/").content.decode()


def test_verify_identity_with_the_development_verifier(client: Client) -> None:
    user = register("zhang", 1)
    client.force_login(user)
    html = client.get("/account/").content.decode()
    assert "开发环境：本地开发核验（未连接公安身份核验服务，不作真实核验）" in html
    response = client.post("/account/verify/")
    assert response["Location"] == "/account/"
    assert messages_of(response) == ["实名认证成功。"]
    html = client.get("/account/").content.decode()
    assert '<dd id="real-name-level">已实名认证</dd>' in html
    assert "开发环境：本地开发核验" not in html
    assert (
        '<a class="button button-secondary" href="/account/legal-persons/new/">登记法人</a>' in html
    )


def test_a_failed_verification_is_shown(client: Client) -> None:
    client.force_login(register("mao", 1, real_name="张三冒用"))
    response = client.post("/account/verify/")
    assert messages_of(response) == ["实名认证未通过：姓名与身份证号码不一致。"]
    assert Person.objects.get().real_name_level == RealNameLevel.REGISTERED


def test_an_unverified_person_is_asked_to_verify_before_registering_a_company(
    client: Client,
) -> None:
    client.force_login(register("zhang", 1))
    html = client.get("/account/legal-persons/new/").content.decode()
    assert '请先<a href="/account/">完成实名认证</a>，再登记法人。' in html
    response = client.post(
        "/account/legal-persons/new/",
        {"name": "公司", "credit_code": CREDIT, "representative_name": "张三"},
    )
    assert '请先<a href="/account/">完成实名认证</a>，再登记法人。' in response.content.decode()
    assert not LegalPerson.objects.exists()


def test_register_a_company_grant_and_revoke_an_agent(client: Client) -> None:
    owner = verified("owner", 1, real_name="王老板")
    verified("agent", 2, real_name="李经办")
    client.force_login(owner)
    response = client.post(
        "/account/legal-persons/new/",
        {
            "name": "榕城测试有限公司",
            "credit_code": CREDIT.lower(),
            "representative_name": "王老板",
        },
    )
    company = LegalPerson.objects.get()
    assert company.credit_code == CREDIT
    assert response["Location"] == f"/account/legal-persons/{company.pk}/"
    assert "尚未授权经办人。" in client.get(response["Location"]).content.decode()

    today = timezone.localdate()
    response = client.post(
        f"/account/legal-persons/{company.pk}/agents/new/",
        {
            "agent_username": "agent",
            "item_codes": "ITEM-A\n\nITEM-B\n",
            "valid_from": today.isoformat(),
            "valid_to": (today + timedelta(days=30)).isoformat(),
        },
    )
    assert response["Location"] == f"/account/legal-persons/{company.pk}/"
    grant = AgentGrant.objects.get()
    assert (grant.agent.username, grant.all_items, grant.item_codes) == (
        "agent",
        False,
        ["ITEM-A", "ITEM-B"],
    )
    html = client.get(f"/account/legal-persons/{company.pk}/").content.decode()
    assert '<td data-label="经办人">李经办（agent）</td>' in html
    assert '<td data-label="事项">ITEM-A、ITEM-B</td>' in html
    assert '<td data-label="状态">有效</td>' in html

    response = client.post(f"/account/legal-persons/{company.pk}/agents/{grant.pk}/revoke/")
    assert response["Location"] == f"/account/legal-persons/{company.pk}/"
    assert messages_of(response) == ["已撤销对 agent 的授权。"]
    grant.refresh_from_db()
    assert grant.revoked_at is not None
    html = client.get(f"/account/legal-persons/{company.pk}/").content.decode()
    assert '<td data-label="状态">已撤销</td>' in html
    assert "agents/{grant.pk}/revoke/" not in html
    again = client.post(f"/account/legal-persons/{company.pk}/agents/{grant.pk}/revoke/")
    assert messages_of(again) == ["该授权已撤销。"]


def test_grant_form_errors_are_beside_the_fields(client: Client) -> None:
    owner = verified("owner", 1)
    register("unverified", 2)
    company = actions.do_register_legal_person(
        owner=owner, name="公司", credit_code=CREDIT, representative_name="王"
    )
    client.force_login(owner)
    url = f"/account/legal-persons/{company.pk}/agents/new/"
    page = client.get(url).content.decode()
    assert f'value="{timezone.localdate().isoformat()}"' in page  # starts today
    assert 'type="date"' in page
    today = timezone.localdate().isoformat()
    html = client.post(
        url, {"agent_username": "nobody", "all_items": "on", "valid_from": today, "valid_to": today}
    ).content.decode()
    assert (
        '<li><a href="#id_agent_username">找不到该用户，经办人须先注册为个人用户。</a></li>' in html
    )
    data = {
        "agent_username": "unverified",
        "all_items": "on",
        "valid_from": today,
        "valid_to": today,
    }
    html = client.post(url, data).content.decode()
    assert "经办人须先完成实名认证。" in html
    html = client.post(url, {"agent_username": "unverified", "valid_from": "明天"}).content.decode()
    assert '<li><a href="#id_valid_from">请输入有效的日期。</a></li>' in html
    assert '<li><a href="#id_valid_to">请填写截止日期。</a></li>' in html
    assert not AgentGrant.objects.exists()


def test_an_agent_sees_whom_they_act_for(client: Client) -> None:
    owner = verified("owner", 1)
    agent = verified("agent", 2)
    company = actions.do_register_legal_person(
        owner=owner, name="榕城测试有限公司", credit_code=CREDIT, representative_name="王"
    )
    today = timezone.localdate()
    actions.do_grant_agent(
        company,
        actor=owner,
        agent_username="agent",
        valid_from=today,
        valid_to=today,
        all_items=True,
    )
    client.force_login(agent)
    html = client.get("/account/").content.decode()
    assert "我受托代办的法人" in html
    assert f"榕城测试有限公司：全部事项，{today:%Y-%m-%d} 至 {today:%Y-%m-%d}" in html


def test_password_change_page(client: Client) -> None:
    user = register("zhang", 1)
    client.force_login(user)
    html = client.get("/account/password/").content.decode()
    assert 'autocomplete="current-password"' in html
    wrong = client.post(
        "/account/password/",
        {
            "old_password": "nope",
            "new_password1": "new-long-passphrase",
            "new_password2": "new-long-passphrase",
        },
    )
    assert '<li><a href="#id_old_password">当前密码不正确。</a></li>' in wrong.content.decode()
    response = client.post(
        "/account/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "new-long-passphrase",
            "new_password2": "new-long-passphrase",
        },
    )
    assert response["Location"] == "/account/"
    assert client.get("/account/").status_code == 200  # still signed in
    assert AuditEvent.objects.filter(action="auth.password_change").count() == 1
