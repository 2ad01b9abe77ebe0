"""Fixes from the security review: the idle timeout cannot be skipped with a bearer header,
a new password ends the API tokens, a refused verification stays audited, only clerks and
centre admins unmask identity numbers, and the reset throttle is per user name and address."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client, RequestFactory
from django.utils import timezone

from wangban.accounts import actions, sms
from wangban.accounts.choices import RealNameLevel, Role
from wangban.accounts.models import ApiToken, Person, User
from wangban.accounts.tests.helpers import PASSWORD, phone_for, register
from wangban.audit.models import AuditEvent
from wangban.conftest import City, make_staff
from wangban.core.errors import Forbidden, InvalidInput

pytestmark = pytest.mark.django_db

NEW = "a-brand-new-passphrase"


def request_from(ip: str) -> Any:
    return RequestFactory().post("/account/password/reset/", REMOTE_ADDR=ip)


def test_a_bearer_header_does_not_skip_the_idle_timeout_of_a_session(
    client: Client, city: City
) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(city.transport_clerk)
        assert client.get("/workbench/").status_code == 200
    with time_machine.travel(start + timedelta(hours=5), tick=False):
        response = client.get("/workbench/", HTTP_AUTHORIZATION="Bearer junk")
    assert response.status_code == 302
    assert response["Location"] == "/workbench/login/?next=%2Fworkbench%2F"
    assert "_auth_user_id" not in client.session


def test_a_password_change_revokes_the_api_tokens() -> None:
    user = register("zhang", 1)
    token, _ = ApiToken.issue(user)
    actions.do_change_password(user, old_password=PASSWORD, new_password=NEW)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert ApiToken.objects.usable().filter(user=user).count() == 0


def test_a_password_reset_revokes_the_api_tokens() -> None:
    user = register("zhang", 1)
    other = register("li", 2)
    token, _ = ApiToken.issue(user)
    kept, _ = ApiToken.issue(other)
    session: dict[str, Any] = {}
    actions.start_password_reset(
        session, username="zhang", phone=phone_for(1), request=request_from("10.0.0.1")
    )
    match = re.search(r"验证码 (\d{6})", sms.OUTBOX[-1].text)
    assert match is not None
    actions.do_reset_password(session, code=match.group(1), new_password=NEW)
    token.refresh_from_db()
    kept.refresh_from_db()
    assert token.revoked_at is not None
    assert kept.revoked_at is None


def test_a_refused_verification_is_audited_and_changes_nothing() -> None:
    user = register("zhang", 1, real_name="张三冒用")
    with pytest.raises(InvalidInput) as refused:
        actions.do_verify_identity(user.person, actor=user)
    assert refused.value.code == "verification_failed"
    events = AuditEvent.objects.filter(action="applicant.verify_failed")
    assert events.count() == 1
    assert events.get().after == {"reason": "姓名与身份证号码不一致。"}
    assert Person.objects.get(user=user).real_name_level == RealNameLevel.REGISTERED
    assert not AuditEvent.objects.filter(action="applicant.verify").exists()


@pytest.mark.parametrize("role", [Role.KNOWLEDGE_EDITOR, Role.HANDLER, Role.CLERK])
def test_staff_cannot_reveal_identity_numbers_outside_a_case(city: City, role: str) -> None:
    person = register("zhang", 1).person
    staff = make_staff("someone_staff", city.transport, role)
    with pytest.raises(Forbidden):
        actions.do_reveal_id_number(person, actor=staff)
    assert not AuditEvent.objects.filter(action="pii.view").exists()


def test_centre_admins_may_reveal_identity_numbers(city: City) -> None:
    user = register("zhang", 1)
    number = actions.do_reveal_id_number(user.person, actor=city.centre_admin)
    assert number == actions.do_reveal_id_number(user.person, actor=user)
    assert AuditEvent.objects.filter(action="pii.view").count() == 2


def test_reset_requests_from_one_address_do_not_block_another() -> None:
    register("zhang", 1)
    for _ in range(actions.PASSWORD_RESET_REQUESTS_PER_HOUR):
        actions.start_password_reset(
            {}, username="zhang", phone=phone_for(1), request=request_from("10.0.0.1")
        )
    with pytest.raises(InvalidInput) as limited:
        actions.start_password_reset(
            {}, username="zhang", phone=phone_for(1), request=request_from("10.0.0.1")
        )
    assert limited.value.code == "rate_limited"
    session: dict[str, Any] = {}
    actions.start_password_reset(
        session, username="zhang", phone=phone_for(1), request=request_from("10.0.0.2")
    )
    assert session[actions.PASSWORD_RESET_SESSION_KEY]["user_id"] is not None
    assert len(sms.OUTBOX) == 6


def test_one_address_is_limited_across_user_names() -> None:
    for serial in range(actions.PASSWORD_RESET_REQUESTS_PER_IP_PER_HOUR):
        actions.start_password_reset(
            {}, username=f"name{serial}", phone=phone_for(1), request=request_from("10.0.0.3")
        )
    with pytest.raises(InvalidInput) as limited:
        actions.start_password_reset(
            {}, username="another", phone=phone_for(1), request=request_from("10.0.0.3")
        )
    assert limited.value.code == "rate_limited"
    actions.start_password_reset(
        {}, username="another", phone=phone_for(1), request=request_from("10.0.0.4")
    )
    assert User.objects.count() == 0
