"""An agent (经办人) acts for a legal person only inside a grant: its items, its dates, until
it is revoked (`access.may_act_for`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from wangban.accounts import actions
from wangban.accounts.access import may_act_for
from wangban.accounts.models import LegalPerson, User
from wangban.accounts.tests.helpers import verified

pytestmark = pytest.mark.django_db

CREDIT = "91350100M000100Y43"
SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 12, 1)


@pytest.fixture(autouse=True)
def _today() -> Iterator[None]:
    with time_machine.travel(datetime(2026, 12, 1, 10, tzinfo=SHANGHAI), tick=False):
        yield


@pytest.fixture
def owner() -> User:
    return verified("owner", 1, real_name="王老板")


@pytest.fixture
def agent() -> User:
    return verified("agent", 2, real_name="李经办")


@pytest.fixture
def company(owner: User) -> LegalPerson:
    return actions.do_register_legal_person(
        owner=owner, name="榕城测试有限公司", credit_code=CREDIT, representative_name="王老板"
    )


def grant(company: LegalPerson, agent: User, **extra: object):
    values: dict = {
        "actor": company.owner,
        "agent_username": agent.username,
        "valid_from": TODAY,
        "valid_to": TODAY + timedelta(days=30),
        **extra,
    }
    return actions.do_grant_agent(company, **values)


def test_the_owner_always_acts(company: LegalPerson, owner: User) -> None:
    assert may_act_for(owner, company, "ANY-ITEM", TODAY)


def test_without_a_grant_an_agent_cannot_act(company: LegalPerson, agent: User) -> None:
    assert not may_act_for(agent, company, "ITEM-A", TODAY)


def test_a_grant_for_one_item_covers_that_item_only(company: LegalPerson, agent: User) -> None:
    grant(company, agent, item_codes=["ITEM-A"])
    assert may_act_for(agent, company, "ITEM-A", TODAY)
    assert not may_act_for(agent, company, "ITEM-B", TODAY)


def test_a_grant_for_all_items_covers_every_item(company: LegalPerson, agent: User) -> None:
    grant(company, agent, all_items=True)
    assert may_act_for(agent, company, "ITEM-A", TODAY)
    assert may_act_for(agent, company, "ANY-OTHER", TODAY)


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (TODAY + timedelta(days=4), False),  # before valid_from
        (TODAY + timedelta(days=5), True),  # first day
        (TODAY + timedelta(days=10), True),  # last day
        (TODAY + timedelta(days=11), False),  # after valid_to
    ],
)
def test_a_grant_covers_its_dates_only(
    company: LegalPerson, agent: User, on: date, expected: bool
) -> None:
    grant(
        company,
        agent,
        all_items=True,
        valid_from=TODAY + timedelta(days=5),
        valid_to=TODAY + timedelta(days=10),
    )
    assert may_act_for(agent, company, "ITEM-A", on) is expected


def test_today_is_the_default_date(company: LegalPerson, agent: User) -> None:
    grant(company, agent, all_items=True, valid_to=TODAY)
    assert may_act_for(agent, company, "ITEM-A")
    with time_machine.travel(datetime(2026, 12, 2, 9, tzinfo=SHANGHAI), tick=False):
        assert not may_act_for(agent, company, "ITEM-A")


def test_a_revoked_grant_covers_nothing(company: LegalPerson, agent: User) -> None:
    made = grant(company, agent, all_items=True)
    actions.do_revoke_agent(made, actor=company.owner)
    assert not may_act_for(agent, company, "ITEM-A", TODAY)


def test_a_grant_for_one_company_does_not_cover_another(
    company: LegalPerson, owner: User, agent: User
) -> None:
    other = actions.do_register_legal_person(
        owner=owner, name="另一家公司", credit_code="91110000MA0000001L", representative_name="王"
    )
    grant(company, agent, all_items=True)
    assert not may_act_for(agent, other, "ITEM-A", TODAY)


def test_another_user_cannot_act_on_the_agents_grant(company: LegalPerson, agent: User) -> None:
    grant(company, agent, all_items=True)
    stranger = verified("stranger", 3)
    assert not may_act_for(stranger, company, "ITEM-A", TODAY)
