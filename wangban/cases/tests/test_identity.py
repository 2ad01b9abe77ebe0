"""A clerk unmasks the applicant's identity number for a case in their queue only."""

from __future__ import annotations

import pytest

from wangban.accounts.choices import Role
from wangban.accounts.models import User
from wangban.accounts.tests.helpers import resident_id, verified
from wangban.audit.models import AuditEvent
from wangban.cases import actions
from wangban.cases.identity import do_reveal_applicant_id_number
from wangban.cases.tests.helpers import attach_required, draft_case, item
from wangban.conftest import City, make_staff
from wangban.core.errors import Forbidden, NotFound

pytestmark = pytest.mark.django_db


def _submitted_by_a_registered_person(city: City) -> tuple[str, str]:
    item(city)
    applicant = verified("zhang", 1)
    case = draft_case(city, actor=applicant)
    attach_required(case, applicant)
    actions.do_submit(case, actor=applicant)
    return case.pk, resident_id(1)


def test_the_accepting_clerk_sees_the_number_and_it_is_audited_with_the_case(
    city: City,
) -> None:
    case_id, number = _submitted_by_a_registered_person(city)
    assert do_reveal_applicant_id_number(case_id, actor=city.transport_clerk) == number
    event = AuditEvent.objects.get(action="pii.view")
    assert event.actor_username == "transport_clerk"
    assert event.after == {"field": "id_number", "case": case_id}


def test_a_clerk_of_another_department_gets_not_found(city: City) -> None:
    case_id, _ = _submitted_by_a_registered_person(city)
    stranger = make_staff("market_clerk", city.market, Role.CLERK)
    with pytest.raises(NotFound):
        do_reveal_applicant_id_number(case_id, actor=stranger)
    assert not AuditEvent.objects.filter(action="pii.view").exists()


@pytest.mark.parametrize("role", [Role.HANDLER, Role.DEPT_ADMIN])
def test_other_staff_who_see_the_case_are_refused(city: City, role: str) -> None:
    case_id, _ = _submitted_by_a_registered_person(city)
    staff = make_staff("reviewer_x", city.transport, role)
    with pytest.raises(Forbidden):
        do_reveal_applicant_id_number(case_id, actor=staff)
    assert not AuditEvent.objects.filter(action="pii.view").exists()


def test_an_applicant_without_a_registered_number_has_none_to_show(city: City) -> None:
    item(city)
    walk_in = User.objects.create_user("walk_in", password="applicant-password-9")
    case = draft_case(city, actor=city.transport_clerk, channel="window", applicant=walk_in)
    attach_required(case, city.transport_clerk)
    actions.do_submit(case, actor=city.transport_clerk)
    with pytest.raises(NotFound):
        do_reveal_applicant_id_number(case.pk, actor=city.transport_clerk)
