"""The acceptance queue: tabs and their counts, sorting, filters, the pre-acceptance lights on
the 2026 calendar, whose queue a case is in, the decided cases waiting for delivery
(待送达), the deemed-accepted list, and finding the applicant at a window."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
import time_machine

from wangban.accounts.choices import Role
from wangban.accounts.models import Department, LegalPerson, User
from wangban.accounts.tests.helpers import register, resident_id
from wangban.cases import actions, queues, review
from wangban.cases.choices import Channel
from wangban.cases.models import Case
from wangban.cases.queues import QueueFilter
from wangban.cases.tests.helpers import (
    ENTRUSTED_CODE,
    at,
    attach_required,
    entrusted_department,
    fresh,
    item,
    submitted_case,
)
from wangban.cases.tests.review_helpers import (
    Staff,
    accepted_case,
    last_step_case,
    review_item,
    review_staff,
)
from wangban.catalog.tests.helpers import CODE, published_item
from wangban.conftest import City, make_staff, with_verified_identity
from wangban.core.errors import InvalidInput


def rows(user: User, when: datetime, **wanted: str) -> list[tuple[str, str]]:
    """(case id, light) of a tab as the queue lists them at `when`."""
    with time_machine.travel(when, tick=False):
        at_ = queues.now_for(user)
        listed: Any = queues.queue(queues.queue_scope(user), QueueFilter(**wanted), at_)
        return [(case.pk, case.light) for case in listed]


def counts(user: User, when: datetime, **wanted: str) -> dict[str, int]:
    with time_machine.travel(when, tick=False):
        scope = queues.queue_scope(user)
        return queues.tab_counts(scope, QueueFilter(**wanted), queues.now_for(user))


def light_of(case: Case, user: User, when: datetime) -> str:
    """The light in Python (the case page) must be the light in SQL (the queue)."""
    with time_machine.travel(when, tick=False):
        at_ = queues.now_for(user)
        in_python = queues.case_light(fresh(case), at_)
        scope = queues.queue_scope(user)
        row: Any = queues.queue(scope, QueueFilter(tab=tab_of(case)), at_).get(pk=case.pk)
        in_sql = str(row.light)
    assert in_python == in_sql
    return in_sql


def tab_of(case: Case) -> str:
    case = fresh(case)
    if case.state == "correction_requested":
        return queues.CORRECTION
    if case.sign_in_due_at is not None and case.signed_in_at is None:
        return queues.TO_SIGN
    return queues.TO_REVIEW


# --- Lights on the 2026 calendar -------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "light"),
    [
        (at(2026, 11, 20, 15, 0), "green"),  # Friday afternoon: due Monday 10:30
        (at(2026, 11, 22, 20, 0), "green"),  # Sunday evening: the next working hour ends 10:00
        (at(2026, 11, 23, 9, 0), "green"),  # one working hour ahead is 10:00
        (at(2026, 11, 23, 9, 30), "blue"),  # 10:30 is within the next working hour
        (at(2026, 11, 23, 10, 30), "blue"),  # due this very minute
        (at(2026, 11, 23, 10, 31), "red"),
    ],
)
def test_the_sign_in_light_of_a_friday_afternoon_submission(
    city: City, when: datetime, light: str
) -> None:
    item(city)
    with time_machine.travel(at(2026, 11, 20, 15, 0), tick=False):
        case = submitted_case(city)
    assert case.sign_in_due_at == at(2026, 11, 23, 10, 30)
    assert light_of(case, city.transport_clerk, when) == light
    overdue = rows(city.transport_clerk, when, tab=queues.OVERDUE)
    assert overdue == ([(case.pk, "red")] if light == "red" else [])


@pytest.mark.parametrize(
    ("when", "light"),
    [
        (at(2026, 11, 20, 16, 0), "green"),
        (at(2026, 11, 23, 8, 0), "blue"),  # the reply is due today (Monday)
        (at(2026, 11, 23, 17, 59), "blue"),
        (at(2026, 11, 24, 0, 0), "red"),
    ],
)
def test_the_reply_light_once_signed(city: City, when: datetime, light: str) -> None:
    item(city)
    with time_machine.travel(at(2026, 11, 20, 15, 0), tick=False):
        case = submitted_case(city)
        actions.do_sign_in(case, actor=city.transport_clerk)
    assert fresh(case).reply_due_on == date(2026, 11, 23)
    assert light_of(case, city.transport_clerk, when) == light
    assert rows(city.transport_clerk, when, tab=queues.TO_SIGN) == []
    assert rows(city.transport_clerk, when, tab=queues.TO_REVIEW) == [(case.pk, light)]


@pytest.mark.parametrize(
    ("when", "sign_in", "reply"),
    [
        (at(2026, 9, 30, 16, 30), "green", "green"),
        (at(2026, 10, 5, 12, 0), "green", "green"),  # 国庆节: no working hours
        (at(2026, 10, 7, 20, 0), "green", "green"),  # the next working hour ends 10-08 10:00
        (at(2026, 10, 8, 10, 30), "blue", "blue"),  # sign-in due 11:30, reply due today
        (at(2026, 10, 8, 11, 31), "red", "blue"),
        (at(2026, 10, 9, 9, 0), "red", "red"),
    ],
)
def test_lights_of_a_submission_the_day_before_national_day(
    city: City, when: datetime, sign_in: str, reply: str
) -> None:
    item(city)
    with time_machine.travel(at(2026, 9, 30, 16, 0), tick=False):
        unsigned = submitted_case(city)
        signed = submitted_case(city)
        actions.do_sign_in(signed, actor=city.transport_clerk)
    assert unsigned.sign_in_due_at == at(2026, 10, 8, 11, 30)
    assert light_of(unsigned, city.transport_clerk, when) == sign_in
    assert light_of(signed, city.transport_clerk, when) == reply


def test_the_correction_light_and_the_terminable_cases(city: City) -> None:
    item(city)
    with time_machine.travel(at(2026, 11, 20, 15, 0), tick=False):
        case = submitted_case(city)
        notice = actions.do_request_correction(
            case,
            actor=city.transport_clerk,
            items=[{"material_code": "M01", "reason": "缺少盖章"}],
        )
    assert notice.answer_due_on.isoformat() == "2026-11-27"
    assert light_of(case, city.transport_clerk, at(2026, 11, 26, 9, 0)) == "green"
    assert light_of(case, city.transport_clerk, at(2026, 11, 27, 17, 0)) == "blue"
    assert light_of(case, city.transport_clerk, at(2026, 11, 28, 9, 0)) == "red"
    assert rows(city.transport_clerk, at(2026, 11, 27, 17, 0), tab=queues.OVERDUE) == []
    assert rows(city.transport_clerk, at(2026, 11, 28, 9, 0), tab=queues.OVERDUE) == [
        (case.pk, "red")
    ]


# --- Tabs, counts, sorting, filters ----------------------------------------------------------


@pytest.fixture
def queue_city(city: City) -> dict[str, Case]:
    """Five cases of the transport item: two unsigned (one overdue), one signed, one awaiting
    correction, one window draft; read on Monday 2026-11-23 at 11:00."""
    item(city)
    cases: dict[str, Case] = {}
    with time_machine.travel(at(2026, 11, 19, 10, 0), tick=False):  # Thursday
        cases["late"] = submitted_case(city)  # sign-in due 11-19 14:00: overdue
    with time_machine.travel(at(2026, 11, 20, 15, 0), tick=False):
        cases["signed"] = submitted_case(city)
        actions.do_sign_in(cases["signed"], actor=city.transport_clerk)
        cases["correction"] = submitted_case(city)
        actions.do_request_correction(
            cases["correction"],
            actor=city.transport_clerk,
            items=[{"material_code": "M02", "reason": "营业执照已过期"}],
        )
    with time_machine.travel(at(2026, 11, 23, 9, 0), tick=False):
        cases["fresh"] = submitted_case(city)  # sign-in due 13:30 + 0.5 h = 14:00
        cases["draft"] = actions.do_create_case(
            actor=city.transport_clerk,
            item_code=CODE,
            channel=Channel.WINDOW,
            applicant=city.applicant,
        )
    return cases


MONDAY = at(2026, 11, 23, 11, 0)


def test_tabs_and_their_counts(city: City, queue_city: dict[str, Case]) -> None:
    c = queue_city
    clerk = city.transport_clerk
    assert rows(clerk, MONDAY, tab=queues.TO_SIGN) == [
        (c["late"].pk, "red"),
        (c["fresh"].pk, "green"),
    ]
    assert rows(clerk, MONDAY, tab=queues.TO_REVIEW) == [(c["signed"].pk, "blue")]
    assert rows(clerk, MONDAY, tab=queues.CORRECTION) == [(c["correction"].pk, "green")]
    assert rows(clerk, MONDAY, tab=queues.OVERDUE) == [(c["late"].pk, "red")]
    assert rows(clerk, MONDAY, tab=queues.DRAFTS) == [(c["draft"].pk, "")]
    assert counts(clerk, MONDAY) == {
        "to_sign": 2,
        "to_review": 1,
        "correction": 1,
        "overdue": 1,
        "drafts": 1,
        "to_deliver": 0,
    }


def test_sorting_by_the_deadline_and_by_the_received_time(
    city: City, queue_city: dict[str, Case]
) -> None:
    c = queue_city
    clerk = city.transport_clerk
    with time_machine.travel(MONDAY, tick=False):
        actions.do_sign_in(c["late"], actor=clerk)  # now due for a reply (11-20): overdue
    # The reply of "late" was due 11-20, "signed" 11-23.
    assert [pk for pk, _ in rows(clerk, MONDAY, tab=queues.TO_REVIEW)] == [
        c["late"].pk,
        c["signed"].pk,
    ]
    assert [pk for pk, _ in rows(clerk, MONDAY, tab=queues.TO_REVIEW, sort="-due")] == [
        c["signed"].pk,
        c["late"].pk,
    ]
    # Across tabs (overdue): the day that matters first; within a day a sign-in moment
    # comes before a reply due by the end of that day.
    with time_machine.travel(at(2026, 11, 24, 9, 0), tick=False):
        later = submitted_case(city)  # sign-in due 11-24 13:00
    assert [pk for pk, _ in rows(clerk, at(2026, 11, 24, 15, 0), tab=queues.OVERDUE)] == [
        c["late"].pk,  # reply due 11-20
        c["fresh"].pk,  # sign-in due 11-23 14:00
        c["signed"].pk,  # reply due 11-23
        later.pk,  # sign-in due 11-24 13:00
    ]
    received = [c["late"].pk, c["signed"].pk, c["fresh"].pk, later.pk]
    when = at(2026, 11, 24, 15, 0)
    assert [pk for pk, _ in rows(clerk, when, tab=queues.OVERDUE, sort="received")] == received
    assert [pk for pk, _ in rows(clerk, when, tab=queues.OVERDUE, sort="-received")] == received[
        ::-1
    ]


def test_filters_by_item_channel_and_light(city: City, queue_city: dict[str, Case]) -> None:
    c = queue_city
    clerk = city.transport_clerk
    published_item(city, "T-OTHER")
    with time_machine.travel(at(2026, 11, 23, 9, 0), tick=False):
        other = actions.do_create_case(
            actor=clerk,
            item_code="T-OTHER",
            channel=Channel.WINDOW,
            applicant=city.applicant,
            form={"company": "某某运输有限公司", "vehicles": 3},
        )
        attach_required(other, clerk)
        actions.do_submit(other, actor=clerk)  # signed for at the window
    assert rows(clerk, MONDAY, tab=queues.TO_REVIEW, item="T-OTHER") == [(other.pk, "green")]
    assert rows(clerk, MONDAY, tab=queues.TO_REVIEW, channel="window") == [(other.pk, "green")]
    assert rows(clerk, MONDAY, tab=queues.TO_REVIEW, channel="online") == [(c["signed"].pk, "blue")]
    assert rows(clerk, MONDAY, tab=queues.TO_SIGN, light="red") == [(c["late"].pk, "red")]
    assert counts(clerk, MONDAY, light="green") == {
        "to_sign": 1,
        "to_review": 1,
        "correction": 1,
        "overdue": 0,
        "drafts": 0,
        "to_deliver": 0,
    }
    assert queues.queue_items(queues.queue_scope(clerk)) == [
        (CODE, "道路运输经营许可证核发"),
        ("T-OTHER", "道路运输经营许可证核发"),
    ]


# --- Whose queue -----------------------------------------------------------------------------


def test_a_clerk_lists_only_the_queue_of_their_accepting_departments(
    city: City, queue_city: dict[str, Case]
) -> None:
    market_clerk = make_staff("market_clerk", city.market, Role.CLERK)
    handler = make_staff("transport_handler", city.transport, Role.HANDLER)
    for user in (market_clerk, handler, city.supervisor):
        assert counts(user, MONDAY) == dict.fromkeys(queues.TABS, 0)
        assert rows(user, MONDAY, tab=queues.TO_SIGN) == []
    assert queues.queue_items(queues.queue_scope(market_clerk)) == []


def test_the_centre_clerk_queues_for_departments_that_entrust_acceptance(city: City) -> None:
    item(city)
    entrusted_department(city)
    centre_clerk = make_staff("centre_clerk", city.centre, Role.CLERK)
    with time_machine.travel(MONDAY, tick=False):
        entrusted = submitted_case(city, ENTRUSTED_CODE)
        own = submitted_case(city)
    assert rows(centre_clerk, MONDAY, tab=queues.TO_SIGN) == [(entrusted.pk, "green")]
    assert rows(city.transport_clerk, MONDAY, tab=queues.TO_SIGN) == [(own.pk, "green")]
    entrusting = Department.objects.get(code="D03")
    assert queues.intake_departments(centre_clerk) == [city.centre.pk, entrusting.pk]
    assert [v.item.code for v in queues.intake_versions(centre_clerk)] == [ENTRUSTED_CODE]
    assert [v.item.code for v in queues.intake_versions(city.transport_clerk)] == [CODE]
    assert list(queues.intake_versions(city.supervisor)) == []


def test_a_clerk_s_own_application_is_not_in_their_queue(city: City) -> None:
    """回避: a clerk may not pre-review, accept or reject their own application (403), so it
    is no work of theirs: neither a row nor a count of their queue; a colleague queues it."""
    item(city)
    with_verified_identity(city.transport_clerk, resident_id(7))
    colleague = make_staff("clerk_two", city.transport, Role.CLERK)
    with time_machine.travel(MONDAY, tick=False):
        own = submitted_case(city, actor=city.transport_clerk)
    assert rows(city.transport_clerk, MONDAY, tab=queues.TO_SIGN) == []
    assert counts(city.transport_clerk, MONDAY) == dict.fromkeys(queues.TABS, 0)
    assert queues.queue_items(queues.queue_scope(city.transport_clerk)) == []
    assert rows(colleague, MONDAY, tab=queues.TO_SIGN) == [(own.pk, "green")]


# --- 待送达 ------------------------------------------------------------------------------------


def decided(city: City, staff: Staff, when: datetime, outcome: str = "approved") -> Case:
    """A case accepted on 2026-09-24, walked to its last step and decided at `when`."""
    case = last_step_case(city, staff)
    with time_machine.travel(when, tick=False):
        review.do_decide(
            case, actor=staff.approver, outcome=outcome, reason="理由", legal_basis="依据"
        )
    return fresh(case)


DELIVERY_DAY = at(2026, 10, 14, 10, 0)


def test_decided_cases_wait_for_the_clerk_s_delivery_oldest_decision_first(city: City) -> None:
    """`complete` is the accepting clerks' (大安办法第二十七条 送达): their 待送达 lists the
    decided cases — approved or denied — by the decision day, until they are completed."""
    review_item(city)
    staff = review_staff(city)
    approved = decided(city, staff, at(2026, 10, 12, 15, 0))
    denied = decided(city, staff, at(2026, 10, 9, 15, 0), outcome="denied")
    accepted_case(city, staff)  # in review: not the clerk's
    clerk = city.transport_clerk
    assert rows(clerk, DELIVERY_DAY, tab=queues.TO_DELIVER) == [(denied.pk, ""), (approved.pk, "")]
    listed = rows(clerk, DELIVERY_DAY, tab=queues.TO_DELIVER, sort="-due")
    assert listed == [(approved.pk, ""), (denied.pk, "")]
    assert counts(clerk, DELIVERY_DAY) == {**dict.fromkeys(queues.TABS, 0), "to_deliver": 2}
    # No other tab holds them, nor a light filter (they have no pre-acceptance light).
    for tab in set(queues.TABS) - {queues.TO_DELIVER}:
        assert rows(clerk, DELIVERY_DAY, tab=tab) == []
    assert counts(clerk, DELIVERY_DAY, light="green")["to_deliver"] == 0
    assert counts(clerk, DELIVERY_DAY, item=CODE)["to_deliver"] == 2

    with time_machine.travel(DELIVERY_DAY, tick=False):
        review.do_complete(denied, actor=clerk, delivery="mail", tracking_no="SF1234567890")
    assert rows(clerk, DELIVERY_DAY, tab=queues.TO_DELIVER) == [(approved.pk, "")]
    assert counts(clerk, DELIVERY_DAY)["to_deliver"] == 1


def test_only_the_accepting_department_s_clerks_deliver(city: City) -> None:
    review_item(city)
    staff = review_staff(city)
    case = decided(city, staff, at(2026, 10, 12, 15, 0))
    market_clerk = make_staff("market_clerk", city.market, Role.CLERK)
    centre_clerk = make_staff("centre_clerk", city.centre, Role.CLERK)
    for user in (market_clerk, centre_clerk, staff.approver, city.supervisor):
        assert rows(user, DELIVERY_DAY, tab=queues.TO_DELIVER) == []
        assert counts(user, DELIVERY_DAY)["to_deliver"] == 0
    assert rows(city.transport_clerk, DELIVERY_DAY, tab=queues.TO_DELIVER) == [(case.pk, "")]


def test_a_clerk_s_own_decided_application_is_a_colleague_s_to_deliver(city: City) -> None:
    """回避: a clerk may not complete their own application (403); a colleague delivers it."""
    review_item(city)
    staff = review_staff(city)
    with_verified_identity(city.transport_clerk, resident_id(7))
    colleague = make_staff("clerk_two", city.transport, Role.CLERK)
    with time_machine.travel(at(2026, 9, 24, 10, 0), tick=False):
        own = submitted_case(city, actor=city.transport_clerk)
        actions.do_accept(own, actor=colleague)
        review.do_approve_step(own, actor=staff.reviewer, opinion="符合条件。")
        review.do_approve_step(own, actor=staff.second, opinion="同意。")
        review.do_decide(
            own, actor=staff.approver, outcome="approved", reason="理由", legal_basis="依据"
        )
    assert rows(city.transport_clerk, DELIVERY_DAY, tab=queues.TO_DELIVER) == []
    assert counts(city.transport_clerk, DELIVERY_DAY)["to_deliver"] == 0
    assert rows(colleague, DELIVERY_DAY, tab=queues.TO_DELIVER) == [(own.pk, "")]


def test_the_deemed_accepted_list(city: City) -> None:
    item(city)
    with time_machine.travel(at(2026, 11, 20, 15, 0), tick=False):
        deemed = submitted_case(city)
        answered = submitted_case(city)
        actions.do_accept(answered, actor=city.transport_clerk)
    assert actions.do_deem_accept_due(at(2026, 11, 28, 9, 0).date()) == [deemed.pk]
    market_clerk = make_staff("market_clerk", city.market, Role.CLERK)
    assert [c.pk for c in queues.deemed_accepted_cases(city.supervisor)] == [deemed.pk]
    assert [c.pk for c in queues.deemed_accepted_cases(city.transport_clerk)] == [deemed.pk]
    assert list(queues.deemed_accepted_cases(market_clerk)) == []


# --- Finding the applicant at the window -----------------------------------------------------


def test_find_the_applicant_by_identity_number_user_name_or_phone(city: City) -> None:
    person = register("zhangsan", 7)
    staff = make_staff("clerk_li", city.transport, Role.CLERK)  # staff are never applicants
    assert queues.find_applicant(resident_id(7)) == person
    assert queues.find_applicant(f" {resident_id(7).lower()} ") == person
    assert queues.find_applicant("ZhangSan") == person
    assert queues.find_applicant("13800130007") == person
    assert queues.find_applicant("someone") == city.applicant
    refusals = {
        "": "请输入申请人的身份证号码、用户名或手机号码。",
        resident_id(8): "没有找到该身份证号码的注册用户，请申请人先在网上办事大厅注册。",
        resident_id(7)[:17] + "0": "身份证号码校验码不正确，请核对后重新输入。",
        "nobody": "没有找到该申请人，请核对后重新输入；申请人须已在网上办事大厅注册。",
        staff.username: "没有找到该申请人，请核对后重新输入；申请人须已在网上办事大厅注册。",
    }
    for text, message in refusals.items():
        with pytest.raises(InvalidInput) as refused:
            queues.find_applicant(text)
        assert refused.value.fields == {"applicant": [message]}, text
    User.objects.create_user("twin", password="applicant-password-3", phone="13800130007")
    with pytest.raises(InvalidInput) as refused:
        queues.find_applicant("13800130007")
    assert refused.value.fields == {
        "applicant": ["该手机号码对应多个账号，请改用身份证号码或用户名查找。"]
    }


def test_find_the_legal_person_by_credit_code(city: City) -> None:
    company = LegalPerson.objects.create(
        name="某某运输有限公司",
        credit_code="91110000600037341L",
        representative_name="张三",
        owner=city.applicant,
    )
    assert queues.find_legal_person("") is None
    assert queues.find_legal_person("91110000600037341l") == company
    with pytest.raises(InvalidInput) as refused:
        queues.find_legal_person("91350100M000100Y43")
    assert list(refused.value.fields) == ["credit_code"]
