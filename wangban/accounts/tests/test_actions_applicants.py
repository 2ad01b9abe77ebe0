"""Applicant actions: registration, verification, PII views, legal persons and agents."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from wangban.accounts import actions
from wangban.accounts.choices import RealNameLevel
from wangban.accounts.models import AgentGrant, LegalPerson, Person, User
from wangban.audit.models import AuditEvent
from wangban.conftest import City
from wangban.core import pii
from wangban.core.errors import Conflict, Forbidden, InvalidInput

pytestmark = pytest.mark.django_db

ID_ZHANG = "320102198506120018"
ID_LI = "320102199003150025"
CREDIT = "91350100M000100Y43"


def register(username: str = "zhang", id_number: str = ID_ZHANG, **extra: str) -> User:
    fields = {
        "username": username,
        "password": "a-long-applicant-password",
        "real_name": "张三",
        "id_number": id_number,
        "phone": "13800138001",
        **extra,
    }
    return actions.do_register_person(**fields)


def verified(username: str, id_number: str, real_name: str = "张三") -> User:
    user = register(username, id_number, real_name=real_name)
    actions.do_verify_identity(user.person, actor=user)
    return user


def test_registration_stores_the_identity_number_encrypted() -> None:
    user = register()
    person = Person.objects.get(user=user)
    assert person.id_number_masked == "320102********0018"
    assert ID_ZHANG not in person.id_number_encrypted
    assert pii.decrypt(person.id_number_encrypted) == ID_ZHANG
    assert person.id_number_digest == pii.digest(ID_ZHANG)
    assert person.real_name_level == RealNameLevel.REGISTERED
    assert actions.find_person(ID_ZHANG.lower()) == person
    assert AuditEvent.objects.filter(action="applicant.register", object_id=str(user.pk)).exists()


def test_one_identity_number_registers_once() -> None:
    register()
    with pytest.raises(InvalidInput) as error:
        register("other")
    assert error.value.fields == {"id_number": ["该身份证号码已注册，请直接登录或找回密码。"]}
    assert not User.objects.filter(username="other").exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id_number", "320102198506120019"),
        ("phone", "1380013800"),
        ("real_name", ""),
        ("username", ""),
    ],
)
def test_bad_registration_changes_nothing(field: str, value: str) -> None:
    with pytest.raises(InvalidInput) as error:
        register(**{field: value})
    assert field in error.value.fields
    assert User.objects.count() == 0
    assert Person.objects.count() == 0


def test_verification_through_the_local_verifier() -> None:
    user = register()
    person = actions.do_verify_identity(user.person, actor=user)
    assert person.real_name_level == RealNameLevel.IDENTITY_VERIFIED
    assert person.verified_by == "local"
    event = AuditEvent.objects.get(action="applicant.verify")
    assert event.after == {"real_name_level": 2, "verifier": "local"}


def test_a_refused_verification_keeps_the_level() -> None:
    user = register(real_name="张三冒用")
    with pytest.raises(InvalidInput) as error:
        actions.do_verify_identity(user.person, actor=user)
    assert error.value.code == "verification_failed"
    assert Person.objects.get(user=user).real_name_level == RealNameLevel.REGISTERED


def test_in_person_verification_needs_a_clerk(city: City) -> None:
    user = register()
    with pytest.raises(Forbidden):
        actions.do_verify_in_person(user.person, clerk=city.transport_admin)
    person = actions.do_verify_in_person(user.person, clerk=city.transport_clerk)
    assert person.real_name_level == RealNameLevel.VERIFIED_IN_PERSON
    assert person.verified_by == "window:transport_clerk"


def test_revealing_the_identity_number_is_audited(city: City) -> None:
    user = register()
    assert actions.do_reveal_id_number(user.person, actor=user) == ID_ZHANG
    assert actions.do_reveal_id_number(user.person, actor=city.centre_admin) == ID_ZHANG
    viewers = list(
        AuditEvent.objects.filter(action="pii.view")
        .order_by("id")
        .values_list("actor_username", flat=True)
    )
    assert viewers == ["zhang", "centre_admin"]


def test_a_clerk_role_alone_does_not_reveal_a_citizens_number(city: City) -> None:
    user = register()
    with pytest.raises(Forbidden):
        actions.do_reveal_id_number(user.person, actor=city.transport_clerk)
    assert not AuditEvent.objects.filter(action="pii.view").exists()


def test_another_applicant_cannot_reveal_the_number() -> None:
    owner = register()
    other = register("li", ID_LI)
    with pytest.raises(Forbidden):
        actions.do_reveal_id_number(owner.person, actor=other)
    assert not AuditEvent.objects.filter(action="pii.view").exists()


def test_registering_a_company_needs_verification() -> None:
    user = register()
    with pytest.raises(Forbidden):
        actions.do_register_legal_person(
            owner=user, name="某公司", credit_code=CREDIT, representative_name="张三"
        )
    actions.do_verify_identity(user.person, actor=user)
    company = actions.do_register_legal_person(
        owner=user, name="某公司", credit_code=CREDIT, representative_name="张三"
    )
    assert company.credit_code == CREDIT
    with pytest.raises(InvalidInput):
        actions.do_register_legal_person(
            owner=user, name="某公司", credit_code=CREDIT, representative_name="张三"
        )


@pytest.fixture
def company() -> LegalPerson:
    owner = verified("zhang", ID_ZHANG)
    verified("li", ID_LI, real_name="李四")
    return actions.do_register_legal_person(
        owner=owner, name="某公司", credit_code=CREDIT, representative_name="张三"
    )


def grant(company: LegalPerson, **extra: object) -> AgentGrant:
    today = timezone.localdate()
    fields: dict[str, object] = {
        "agent_username": "li",
        "valid_from": today,
        "valid_to": today + timedelta(days=30),
        "item_codes": ["A1"],
    }
    return actions.do_grant_agent(company, actor=company.owner, **{**fields, **extra})  # type: ignore[arg-type]


def test_agent_grant_and_revocation(company: LegalPerson) -> None:
    created = grant(company, item_codes=[" A1 ", "B2", "A1"])
    assert created.item_codes == ["A1", "B2"]
    assert (AuditEvent.objects.get(action="agent.grant").after or {})["agent"] == "li"
    actions.do_revoke_agent(created, actor=company.owner)
    with pytest.raises(Conflict):
        actions.do_revoke_agent(created, actor=company.owner)
    assert AuditEvent.objects.filter(action="agent.revoke").count() == 1


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"agent_username": "nobody"}, "agent_username"),
        ({"agent_username": "zhang"}, "agent_username"),
        ({"item_codes": []}, "item_codes"),
        ({"item_codes": ["x" * 65]}, "item_codes"),
        ({"valid_to": timezone.localdate() - timedelta(days=1)}, "valid_to"),
    ],
)
def test_bad_agent_grants_are_refused(company: LegalPerson, extra: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as error:
        grant(company, **extra)
    assert field in error.value.fields
    assert AgentGrant.objects.count() == 0


def test_an_unverified_agent_is_refused(company: LegalPerson) -> None:
    register("wang", "32010419780920003X", real_name="王五")
    with pytest.raises(InvalidInput) as error:
        grant(company, agent_username="wang")
    assert error.value.fields == {"agent_username": ["经办人须先完成实名认证。"]}


def test_only_the_owner_grants_and_revokes(company: LegalPerson) -> None:
    li = User.objects.get(username="li")
    with pytest.raises(Forbidden):
        actions.do_grant_agent(
            company,
            actor=li,
            agent_username="li",
            valid_from=timezone.localdate(),
            valid_to=timezone.localdate(),
            all_items=True,
        )
    created = grant(company)
    with pytest.raises(Forbidden):
        actions.do_revoke_agent(created, actor=li)
    assert AgentGrant.objects.get().revoked_at is None
