"""Who hears of a case and what they read. A legal person's case: the agent who filed it
while their grant is in force, and the company's owner; an agent whose grant ended hears no
more of it (it is no longer theirs to see), and its text messages go to the owner."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from wangban.accounts import actions as account_actions
from wangban.accounts.tests.helpers import verified
from wangban.cases import actions, review
from wangban.cases.notifications import applicant_phone
from wangban.cases.tests.helpers import FORM, at, attach_required, fresh
from wangban.cases.tests.review_helpers import on, review_item, review_staff
from wangban.catalog.tests.helpers import CODE
from wangban.conftest import City
from wangban.notify.models import Message

pytestmark = pytest.mark.django_db


def told(event_type: str) -> set[str]:
    return set(Message.objects.filter(event_type=event_type).values_list("recipient", flat=True))


def test_an_agent_whose_grant_ended_is_told_no_more(city: City) -> None:
    review_item(city)
    staff = review_staff(city)
    with on(at(2026, 9, 24, 10, 0)):
        owner = verified("zhang", 1, real_name="张三")
        agent = verified("wangwu", 3, real_name="王五")
        company = account_actions.do_register_legal_person(
            owner=owner,
            name="顺达运输有限公司",
            credit_code="91350100M000100Y43",
            representative_name="张三",
        )
        today = timezone.localdate()
        grant = account_actions.do_grant_agent(
            company,
            actor=owner,
            agent_username="wangwu",
            valid_from=today,
            valid_to=today + timedelta(days=30),
            item_codes=[CODE],
        )
        case = actions.do_create_case(
            actor=agent, item_code=CODE, form=dict(FORM), on_behalf_of=company
        )
        attach_required(case, agent)
        actions.do_submit(case, actor=agent)
        actions.do_accept(case, actor=staff.clerk)
        assert applicant_phone(fresh(case)) == "13800130003"  # the agent's, while in force
    assert told("case.accept") == {str(agent.pk), str(owner.pk), "13800130003"}
    with on(at(2026, 9, 25, 10, 0)):
        account_actions.do_revoke_agent(grant, actor=owner)  # the agent left the company
    with on(at(2026, 9, 29, 10, 0)):
        review.do_suspend(case, actor=staff.reviewer, procedure="site_survey", reason="核查场地")
    # The owner's inbox and phone only.
    assert told("case.suspend") == {str(owner.pk), "13800130001"}


def test_a_suspension_for_another_procedure_reads_as_chinese(city: City) -> None:
    from wangban.cases.tests.review_helpers import accepted_case

    review_item(city)
    staff = review_staff(city)
    case = accepted_case(city, staff)
    with on(at(2026, 9, 29, 10, 0)):
        review.do_suspend(case, actor=staff.reviewer, procedure="other", reason="等待公安部门协查")
    message = Message.objects.get(event_type="case.suspend")  # the applicant has no phone
    text = message.payload.get("body") or message.payload.get("text", "")
    assert "需履行特别程序，办理时限暂停计算。原因：等待公安部门协查" in text
    assert "需进行其他" not in text
