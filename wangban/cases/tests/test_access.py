"""The permission matrix: who sees a case (404 otherwise) and who may act (403 otherwise)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from wangban.accounts.choices import Role
from wangban.accounts.models import AgentGrant, LegalPerson, User
from wangban.cases import actions
from wangban.cases.access import (
    access_case,
    applicant_cases,
    cases_visible_to,
    is_applicant_side,
)
from wangban.cases.tests.helpers import ENTRUSTED_CODE, entrusted_department, item, submitted_case
from wangban.catalog.tests.helpers import CODE
from wangban.conftest import City, make_staff, verified_applicant, with_verified_identity
from wangban.core.errors import Forbidden, NotFound


def company(city: City) -> LegalPerson:
    return LegalPerson.objects.create(
        name="某某运输有限公司",
        credit_code="91110000600037341L",
        representative_name="张三",
        owner=city.applicant,
    )


def grant(legal_person: LegalPerson, agent: User, **overrides) -> AgentGrant:
    today = timezone.localdate()
    values = {
        "all_items": False,
        "item_codes": [CODE],
        "valid_from": today - timedelta(days=1),
        "valid_to": today + timedelta(days=30),
    }
    values.update(overrides)
    return AgentGrant.objects.create(
        legal_person=legal_person, agent=agent, granted_by=legal_person.owner, **values
    )


def sees(user: User, case) -> bool:
    visible = cases_visible_to(user).filter(pk=case.pk).exists()
    own = applicant_cases(user).filter(pk=case.pk).exists()
    assert own == is_applicant_side(case, user), "applicant_cases and is_applicant_side disagree"
    try:
        access_case(case.pk, user)
    except NotFound:
        assert not visible, "cases_visible_to and access_case disagree"
        return False
    assert visible, "cases_visible_to and access_case disagree"
    return True


def test_the_applicant_sees_own_cases_and_not_anothers(city: City) -> None:
    item(city)
    case = submitted_case(city)
    other = verified_applicant("other", "110101199003070011")
    assert sees(city.applicant, case)
    assert not sees(other, case)
    with pytest.raises(NotFound):
        actions.do_withdraw(case, actor=other, reason="x")


def test_staff_see_their_queue_and_supervisors_read_only(city: City) -> None:
    item(city)
    case = submitted_case(city)
    market_clerk = make_staff("market_clerk", city.market, Role.CLERK)
    transport_handler = make_staff("transport_handler", city.transport, Role.HANDLER)
    assert sees(city.transport_clerk, case)
    assert sees(transport_handler, case)
    assert sees(city.supervisor, case)
    assert not sees(market_clerk, case)
    assert not sees(city.market_admin, case)
    with pytest.raises(NotFound):
        actions.do_accept(case, actor=market_clerk)
    with pytest.raises(Forbidden):
        actions.do_accept(case, actor=city.supervisor)
    with pytest.raises(Forbidden):
        actions.do_accept(case, actor=transport_handler)  # a clerk's action
    with pytest.raises(Forbidden):
        actions.do_accept(case, actor=city.applicant)


def test_nobody_else_sees_an_online_draft(city: City) -> None:
    item(city)
    case = actions.do_create_case(actor=city.applicant, item_code=CODE)
    assert sees(city.applicant, case)
    assert not sees(city.transport_clerk, case)
    assert not sees(city.supervisor, case)


def test_one_window_acceptance_goes_to_the_centres_clerks(city: City) -> None:
    item(city)
    entrusted_department(city)
    centre_clerk = make_staff("centre_clerk", city.centre, Role.CLERK)
    civil_admin = User.objects.get(username="civil_admin")
    entrusted = submitted_case(city, ENTRUSTED_CODE)
    own = submitted_case(city)
    assert entrusted.accepting_department == city.centre
    assert entrusted.department.code == "D03"
    assert sees(centre_clerk, entrusted)
    assert sees(civil_admin, entrusted)  # the department admin reviews its own cases
    assert not sees(centre_clerk, own)  # transport did not entrust acceptance
    with pytest.raises(NotFound):
        actions.do_accept(own, actor=centre_clerk)
    with pytest.raises(Forbidden):
        actions.do_accept(entrusted, actor=civil_admin)
    accepted = actions.do_accept(entrusted, actor=centre_clerk)
    assert str(accepted.receipt_no).startswith("D03-")


def test_an_agent_acts_only_inside_the_grant(city: City) -> None:
    item(city)
    legal_person = company(city)
    agent = verified_applicant("agent", "110101199003070038")
    in_force = grant(legal_person, agent)
    case = submitted_case(city, actor=agent, on_behalf_of=legal_person)
    assert (case.applicant, case.on_behalf_of) == (agent, legal_person)
    assert sees(agent, case)
    assert sees(city.applicant, case)  # the legal person's owner

    in_force.revoked_at = timezone.now()
    in_force.save(update_fields=["revoked_at"])
    assert not sees(agent, case)
    with pytest.raises(NotFound):
        actions.do_withdraw(case, actor=agent, reason="x")

    today = timezone.localdate()
    grant(
        legal_person,
        agent,
        valid_from=today - timedelta(days=30),
        valid_to=today - timedelta(days=1),
    )
    assert not sees(agent, case)  # expired
    grant(legal_person, agent, item_codes=["ANOTHER-ITEM"])
    assert not sees(agent, case)  # another item
    with pytest.raises(Forbidden) as refused:
        actions.do_create_case(actor=agent, item_code=CODE, on_behalf_of=legal_person)
    assert refused.value.code == "agent_not_authorised"
    grant(legal_person, agent, all_items=True, item_codes=[])
    assert sees(agent, case)


def test_only_clerks_register_window_applications(city: City) -> None:
    item(city)
    with pytest.raises(Forbidden):
        actions.do_create_case(
            actor=city.market_admin, item_code=CODE, channel="window", applicant=city.applicant
        )
    with pytest.raises(Forbidden):
        actions.do_create_case(actor=city.applicant, item_code=CODE, applicant=city.supervisor)


def test_paper_marks_are_for_clerks(city: City) -> None:
    item(city)
    case = actions.do_create_case(actor=city.applicant, item_code=CODE)
    with pytest.raises(Forbidden):
        actions.do_mark_paper_material(case, actor=city.applicant, material_code="M01")


def test_a_clerk_does_not_accept_their_own_application(city: City) -> None:
    item(city)
    with_verified_identity(city.transport_clerk, "110101199003070054")
    case = submitted_case(city, actor=city.transport_clerk)
    with pytest.raises(Forbidden):
        actions.do_accept(case, actor=city.transport_clerk)
    with pytest.raises(Forbidden):
        actions.do_reject(case, actor=city.transport_clerk, reason="材料不全，不予受理。")
    colleague = make_staff("clerk_two", city.transport, Role.CLERK)
    assert actions.do_accept(case, actor=colleague).state == "in_review"
