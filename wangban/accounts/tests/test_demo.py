"""The demo city: believable, complete, and loading it twice changes nothing."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from stdnum.cn import ric, uscc

from wangban.accounts.access import may_act_for
from wangban.accounts.choices import Level, RealNameLevel, Role
from wangban.accounts.demo import DEMO_PASSWORD
from wangban.accounts.models import AgentGrant, Department, Hall, LegalPerson, RoleGrant, User
from wangban.audit.models import AuditEvent
from wangban.conftest import restore_migration_data
from wangban.core import pii

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _migration_data(db: None) -> None:
    restore_migration_data()


ROLE_ACCOUNTS = [role.value for role in Role]


def counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (Department, Hall, User, RoleGrant, LegalPerson, AgentGrant, AuditEvent)
    )


def test_load_demo_is_refused_outside_demo_mode() -> None:
    with pytest.raises(CommandError, match="WANGBAN_DEMO=1"):
        call_command("load_demo")
    assert counts() == (0, 0, 0, 0, 0, 0, 0)


def test_demo_city_is_complete_and_idempotent(settings) -> None:
    settings.DEMO = True
    call_command("load_demo", verbosity=0)
    first = counts()
    call_command("load_demo", verbosity=0)
    assert counts() == first

    city_departments = Department.objects.filter(
        level=Level.CITY, is_service_centre=False, parent=None
    )
    assert 8 <= city_departments.count() <= 12
    names = set(city_departments.values_list("name", flat=True))
    assert {"示范市交通运输局", "示范市市场监督管理局", "示范市公安局"} <= names
    for code in Department.objects.exclude(credit_code="").values_list("credit_code", flat=True):
        assert uscc.is_valid(code)
    town = Department.objects.get(level=Level.TOWN)
    assert [d.level for d in town.ancestors()] == [Level.COUNTY]
    assert Department.objects.filter(entrusts_acceptance=True).exists()

    hall = Hall.objects.get()
    assert hall.office_hours == [["09:00", "12:00"], ["13:30", "17:30"]]
    assert hall.windows.filter(is_comprehensive=True).count() == 2


@pytest.mark.parametrize("username", [*ROLE_ACCOUNTS, "applicant", "agent"])
def test_every_demo_login_works(settings, username: str) -> None:
    settings.DEMO = True
    call_command("load_demo", verbosity=0)
    user = User.objects.get(username=username)
    assert user.check_password(DEMO_PASSWORD)
    if username in ROLE_ACCOUNTS:
        grant = RoleGrant.objects.get(user=user, role=username)
        centre_role = username in {"centre_admin", "supervisor", "hotline", "knowledge_editor"}
        expected = "示范市政务服务中心" if centre_role else "示范市交通运输局"
        assert grant.department.name == expected


def test_demo_applicants_and_the_agent_grant(settings) -> None:
    settings.DEMO = True
    call_command("load_demo", verbosity=0)
    applicant = User.objects.get(username="applicant")
    person = applicant.person
    number = pii.decrypt(person.id_number_encrypted)
    assert ric.is_valid(number)
    assert person.id_number_masked == number[:6] + "********" + number[-4:]
    assert person.real_name_level == RealNameLevel.IDENTITY_VERIFIED
    company = LegalPerson.objects.get(owner=applicant)
    assert uscc.is_valid(company.credit_code)
    agent = User.objects.get(username="agent")
    assert may_act_for(agent, company, "any-item-code")
    assert not may_act_for(User.objects.get(username="wangwu"), company, "any-item-code")
