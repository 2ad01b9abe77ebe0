"""Safeguards around applying and acceptance: 回避 after a grant ends, late answers after
deemed acceptance, numbers no database stores, cancelled items, and a timeline that names
no staff member."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from wangban.accounts.choices import Role
from wangban.accounts.models import AgentGrant, LegalPerson, User
from wangban.accounts.tests.helpers import resident_id
from wangban.cases import actions, review
from wangban.cases.choices import CaseState
from wangban.cases.models import Case
from wangban.cases.tests.helpers import FORM, at, attach_required, draft_case, fresh, item
from wangban.catalog import actions as catalog_actions
from wangban.catalog.tests.helpers import CODE
from wangban.conftest import City, make_staff, verified_applicant, with_verified_identity
from wangban.core.errors import Conflict, Forbidden, InvalidInput

pytestmark = pytest.mark.django_db


def _company_case_filed_by(city: City, agent: User) -> Case:
    owner = verified_applicant("owner", resident_id(8))
    company = LegalPerson.objects.create(
        name="某某运输有限公司",
        credit_code="91110000600037341L",
        representative_name="王五",
        owner=owner,
    )
    today = timezone.localdate()
    grant = AgentGrant.objects.create(
        legal_person=company,
        agent=agent,
        granted_by=owner,
        all_items=True,
        item_codes=[],
        valid_from=today - timedelta(days=1),
        valid_to=today + timedelta(days=30),
    )
    case = draft_case(city, actor=agent, on_behalf_of=company)
    attach_required(case, agent)
    actions.do_submit(case, actor=agent)
    grant.revoked_at = timezone.now()
    grant.save(update_fields=["revoked_at"])
    return case


def test_a_clerk_who_filed_for_a_company_may_not_accept_it_after_the_grant_ends(
    city: City,
) -> None:
    item(city)
    clerk = with_verified_identity(city.transport_clerk, resident_id(7))
    case = _company_case_filed_by(city, clerk)
    for act in (
        lambda: actions.do_accept(case, actor=clerk),
        lambda: actions.do_reject(case, actor=clerk, reason="不符合条件"),
    ):
        with pytest.raises(Forbidden):
            act()
    assert fresh(case).state == CaseState.SUBMITTED
    colleague = make_staff("clerk_two", city.transport, Role.CLERK)
    assert actions.do_accept(case, actor=colleague).state == CaseState.IN_REVIEW


def test_a_clerk_registers_no_window_application_for_themselves(city: City) -> None:
    item(city)
    with pytest.raises(Forbidden):
        draft_case(
            city,
            actor=city.transport_clerk,
            channel="window",
            applicant=city.transport_clerk,
        )
    assert not Case.objects.exists()


def test_an_answer_after_the_fifth_working_day_finds_the_case_deemed_accepted(
    city: City,
) -> None:
    """Received Mon 09-21; the fifth working day after is Mon 09-28. The job has not run;
    a clerk who accepts on Fri 10-09 finds it already accepted as of 09-21."""
    item(city)
    with time_machine.travel(at(2026, 9, 21, 10, 0), tick=False):
        case = draft_case(city)
        attach_required(case, city.applicant)
        actions.do_submit(case, actor=city.applicant)
    with time_machine.travel(at(2026, 10, 9, 10, 0), tick=False), pytest.raises(Conflict):
        actions.do_accept(case, actor=city.transport_clerk)
    row = fresh(case)
    assert (row.state, row.accepted_on, row.deemed_accepted, row.accepted_by) == (
        CaseState.IN_REVIEW,
        row.received_on,
        True,
        None,
    )
    assert list(row.events.values_list("action", flat=True))[-1] == "deem_accept"


def test_an_answer_on_the_fifth_working_day_is_in_time(city: City) -> None:
    item(city)
    with time_machine.travel(at(2026, 9, 21, 10, 0), tick=False):
        case = draft_case(city)
        attach_required(case, city.applicant)
        actions.do_submit(case, actor=city.applicant)
    with time_machine.travel(at(2026, 9, 28, 16, 0), tick=False):
        accepted = actions.do_accept(case, actor=city.transport_clerk)
    assert (str(accepted.accepted_on), accepted.deemed_accepted) == ("2026-09-28", False)


@pytest.mark.parametrize("value", [float("inf"), float("nan"), [1, {"x": float("-inf")}]])
def test_numbers_no_database_stores_are_refused(city: City, value: object) -> None:
    item(city)
    with pytest.raises(InvalidInput) as refused:
        draft_case(city, form={"vehicles": value})
    assert refused.value.fields == {"form": ["申请表中的数字超出范围。"]}
    assert not Case.objects.exists()


def test_a_draft_of_a_cancelled_item_cannot_be_submitted(city: City) -> None:
    item(city)
    case = draft_case(city)
    attach_required(case, city.applicant)
    version = catalog_actions.do_draft_item(
        actor=city.transport_admin,
        code=CODE,
        department=city.transport,
        kind="cancel",
        change_reason="职能调整，事项取消",
    )
    version = catalog_actions.do_submit_for_review(version, actor=city.transport_admin)
    catalog_actions.do_review(version, actor=city.centre_admin, approve=True)
    with pytest.raises(Conflict) as refused:
        actions.do_submit(case, actor=city.applicant)
    assert refused.value.code == "item_withdrawn"
    assert fresh(case).state == CaseState.DRAFT


def test_the_timeline_names_no_staff_member_on_reassignment(city: City) -> None:
    item(city)
    handler = make_staff("handler_li", city.transport, Role.REVIEWER)
    case = draft_case(city, form=dict(FORM))
    attach_required(case, city.applicant)
    actions.do_submit(case, actor=city.applicant)
    actions.do_accept(case, actor=city.transport_clerk)
    review.do_reassign(case, actor=city.transport_admin, assignee=handler.username)
    note = fresh(case).events.order_by("-id").values_list("note", flat=True).first()
    assert note == "已改派经办人"
    assert "handler_li" not in note
