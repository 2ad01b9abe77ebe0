"""The approval steps: walked from the version's workflow, passed on, returned, reassigned,
each with its own budget and light; the last step decides; delivery closes the case."""

from __future__ import annotations

from datetime import date

import pytest

from wangban.accounts.choices import Role
from wangban.accounts.models import User
from wangban.audit.models import AuditEvent
from wangban.cases import actions, review, schedule
from wangban.cases.access import access_case, cases_visible_to
from wangban.cases.models import Case, CaseStep
from wangban.cases.queries import with_step_light
from wangban.cases.tests.helpers import at, fresh, submitted_case
from wangban.cases.tests.review_helpers import (
    ACCEPTED_AT,
    Staff,
    accepted_case,
    last_step_case,
    on,
    review_item,
    review_staff,
    trace,
)
from wangban.conftest import City, make_staff
from wangban.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from wangban.notify.models import Message

D = date


@pytest.fixture
def staff(city: City) -> Staff:
    review_item(city)
    User.objects.filter(pk=city.applicant.pk).update(phone="13800138000")
    return review_staff(city)


def steps(case: Case) -> list[tuple]:
    return list(
        CaseStep.objects.filter(case=case)
        .order_by("visit")
        .values_list("visit", "name", "role", "assignee__username", "due_on", "outcome")
    )


def texts() -> list[str]:
    return list(
        Message.objects.filter(channel="sms").order_by("id").values_list("payload__text", flat=True)
    )


def test_a_case_walks_its_steps_to_the_decision_and_delivery(city: City, staff: Staff) -> None:
    case = accepted_case(city, staff)
    # 受理 was done by the acceptance; 审核 (5 working days from Thu 09-24) waits.
    assert steps(case) == [
        (1, "受理", "clerk", None, D(2026, 9, 28), "accept"),
        (2, "审核", "reviewer", None, D(2026, 10, 9), ""),
    ]
    assert case.current_step is not None
    assert case.current_step.name == "审核"
    with on(at(2026, 9, 28, 10, 0)):
        review.do_approve_step(case, actor=staff.reviewer, opinion="材料齐全，符合条件。")
    with on(at(2026, 9, 30, 10, 0)):
        review.do_approve_step(case, actor=staff.second, opinion="同意。")
    with on(at(2026, 10, 9, 10, 0)):
        review.do_decide(case, actor=staff.approver, outcome="approved", reason="符合许可条件")
    with on(at(2026, 10, 12, 10, 0)):
        review.do_complete(case, actor=staff.clerk, delivery="mail", tracking_no="SF1234567890")
    case = fresh(case)
    assert (case.state, case.decided_on, case.delivery, case.tracking_no) == (
        "completed",
        D(2026, 10, 9),
        "mail",
        "SF1234567890",
    )
    assert case.closed_at == at(2026, 10, 12, 10, 0)
    assert steps(case) == [
        (1, "受理", "clerk", None, D(2026, 9, 28), "accept"),
        (2, "审核", "reviewer", None, D(2026, 10, 9), "approve"),
        # From Mon 09-28, 4 days: 09-29, 09-30, (国庆节) 10-08, 10-09.
        (3, "复核", "second_reviewer", None, D(2026, 10, 9), "approve"),
        # From Wed 09-30, 5 days: 10-08, 10-09, Sat 10-10 (a make-up day), 10-12, 10-13.
        (4, "审批", "approver", None, D(2026, 10, 13), "decide"),
    ]
    opinions = list(case.steps.order_by("visit").values_list("opinion", "actor_name"))
    assert opinions == [
        ("受理", "transport_clerk"),
        ("材料齐全，符合条件。", "transport_reviewer"),
        ("同意。", "transport_second"),
        ("符合许可条件", "transport_approver"),
    ]
    assert list(case.events.order_by("id").values_list("action", "to_state"))[-5:] == [
        ("accept", "in_review"),
        ("approve_step", "in_review"),
        ("approve_step", "in_review"),
        ("decide", "approved"),
        ("complete", "completed"),
    ]
    assert list(
        AuditEvent.objects.filter(object_id=case.pk).order_by("id").values_list("action", flat=True)
    )[-4:] == ["case.approve_step", "case.approve_step", "case.decide", "case.complete"]
    assert texts()[-2:] == [
        (
            f"您申请的“道路运输经营许可证核发”（受理编号 {case.receipt_no}）已于2026-10-09作出"
            "准予许可决定，请登录查看决定书。纸质结果可到市政务服务中心二楼领取。"
        ),
        (
            f"您申请的“道路运输经营许可证核发”（受理编号 {case.receipt_no}）办理结果已邮寄，"
            "快递单号 SF1234567890，办件已办结。"
        ),
    ]


def test_each_step_has_its_own_light(city: City, staff: Staff) -> None:
    case = accepted_case(city, staff)
    step = CaseStep.objects.filter(case=case)

    def light(today: date) -> list[str | None]:
        return list(with_step_light(step.order_by("visit"), today).values_list("light", flat=True))

    # 审核: budget 5 from 09-24, due 10-09, blue from 10-08 (one working day before).
    assert fresh(case).current_step.blue_on == D(2026, 10, 8)  # type: ignore[union-attr]
    assert light(D(2026, 9, 30)) == [None, "green"]
    assert light(D(2026, 10, 8)) == [None, "blue"]
    assert light(D(2026, 10, 9)) == [None, "blue"]
    assert light(D(2026, 10, 12)) == [None, "red"]
    # The step stops with the case's clock, its light frozen, and its due date moves.
    with on(at(2026, 9, 29, 9, 0)):
        review.do_suspend(case, actor=staff.handler, procedure="testing", reason="车辆检测")
    current = fresh(case).current_step
    assert (current.due_on, current.frozen_light) == (None, "green")  # type: ignore[union-attr]
    assert light(D(2026, 10, 20)) == [None, "green"]
    with on(at(2026, 10, 9, 9, 0)):
        review.do_resume(case, actor=staff.handler)
    # 09-28 used; 4 left from the restart day: 10-09, 10-10 (make-up), 10-12, 10-13.
    assert fresh(case).current_step.due_on == D(2026, 10, 13)  # type: ignore[union-attr]
    with on(at(2026, 10, 14, 9, 0)):
        review.do_approve_step(case, actor=staff.reviewer, opinion="同意")
    assert light(D(2026, 10, 14)) == [None, None, "green"]


def test_return_sends_the_case_back_one_step_as_a_new_visit(city: City, staff: Staff) -> None:
    case = accepted_case(city, staff)
    with on(at(2026, 9, 28, 10, 0)):
        review.do_approve_step(case, actor=staff.reviewer, opinion="同意")
    with on(at(2026, 9, 29, 10, 0)):
        review.do_return_step(case, actor=staff.second, reason="营业执照经营范围需核实")
    case = fresh(case)
    assert steps(case)[2:] == [
        (3, "复核", "second_reviewer", None, D(2026, 10, 9), "return"),
        (4, "审核", "reviewer", None, D(2026, 10, 12), ""),  # its full budget again
    ]
    event = case.events.latest("id")
    assert (event.action, event.note, event.data) == (
        "return_step",
        "营业执照经营范围需核实",
        {"from_step": "复核", "to_step": "审核"},
    )
    # The first review step cannot go back to the acceptance.
    before = trace(case)
    with on(at(2026, 9, 30, 10, 0)), pytest.raises(Conflict) as refused:
        review.do_return_step(case, actor=staff.reviewer, reason="退回受理")
    assert refused.value.code == "no_previous_step"
    assert trace(case) == before


def test_the_last_step_decides_and_only_the_last(city: City, staff: Staff) -> None:
    case = accepted_case(city, staff)
    before = trace(case)
    with on(ACCEPTED_AT), pytest.raises(Conflict) as early:
        review.do_decide(case, actor=staff.approver, outcome="approved", reason="")
    assert early.value.code == "not_last_step"
    assert trace(case) == before
    case = last_step_case(city, staff)
    before = trace(case)
    with on(ACCEPTED_AT), pytest.raises(Conflict) as last:
        review.do_approve_step(case, actor=staff.approver, opinion="同意")
    assert last.value.code == "last_step_decides"
    assert trace(case) == before


def test_reassigning_a_step_to_a_person_and_back_to_the_pool(city: City, staff: Staff) -> None:
    case = accepted_case(city, staff)
    colleague = make_staff("reviewer_two", city.transport, Role.REVIEWER)
    with on(ACCEPTED_AT):
        review.do_reassign(case, actor=staff.admin, assignee="reviewer_two")
    case = fresh(case)
    assert case.current_step.assignee == colleague  # type: ignore[union-attr]
    assert case.current_step.due_on == D(2026, 10, 9)  # type: ignore[union-attr]  # same budget
    event = case.events.latest("id")
    assert (event.action, event.data) == (
        "reassign",
        {"from": "D01", "to": "reviewer_two", "step": "审核"},
    )
    # Named: only the assignee works it now.
    with on(ACCEPTED_AT), pytest.raises(Forbidden):
        review.do_approve_step(case, actor=staff.reviewer, opinion="同意")
    with on(ACCEPTED_AT):
        review.do_reassign(case, actor=staff.approver, queue="D01")
    assert fresh(case).current_step.assignee is None  # type: ignore[union-attr]
    with on(ACCEPTED_AT):
        review.do_approve_step(case, actor=staff.reviewer, opinion="同意")


@pytest.mark.parametrize(
    ("assignee", "queue", "field"),
    [
        (None, None, "assignee"),
        ("reviewer_two", "D01", "assignee"),
        ("transport_second", None, "assignee"),  # holds another role
        ("market_reviewer", None, "assignee"),  # another department
        ("nobody", None, "assignee"),
        (None, "D02", "queue"),
        (None, "D01", "queue"),  # already in the pool
    ],
)
def test_bad_reassignments_are_refused(
    city: City, staff: Staff, assignee: str | None, queue: str | None, field: str
) -> None:
    make_staff("reviewer_two", city.transport, Role.REVIEWER)
    make_staff("market_reviewer", city.market, Role.REVIEWER)
    case = accepted_case(city, staff)
    before = trace(case)
    with on(ACCEPTED_AT), pytest.raises(InvalidInput) as refused:
        review.do_reassign(case, actor=staff.admin, assignee=assignee, queue=queue)
    assert list(refused.value.fields) == [field]
    assert trace(case) == before


def test_a_submission_handed_to_one_clerk_is_theirs(city: City, staff: Staff) -> None:
    colleague = make_staff("clerk_two", city.transport, Role.CLERK)
    with on(ACCEPTED_AT):
        case = submitted_case(city)
        review.do_reassign(case, actor=staff.admin, assignee="clerk_two")
        assert fresh(case).intake_assignee == colleague
        with pytest.raises(Forbidden):
            actions.do_accept(case, actor=staff.clerk)
        actions.do_accept(case, actor=colleague)
    assert fresh(case).accepted_by == colleague


def test_a_named_step_from_the_workflow_is_for_that_person(city: City) -> None:
    named = make_staff("chief_reviewer", city.transport, Role.REVIEWER)
    review_item(
        city,
        steps=[
            {"name": "受理", "role": "clerk", "budget_days": 1},
            {
                "name": "审核",
                "role": "reviewer",
                "budget_days": 5,
                "assignment": "person",
                "assignee": "chief_reviewer",
            },
            {"name": "审批", "role": "approver", "budget_days": 5},
        ],
    )
    staff = review_staff(city)
    case = accepted_case(city, staff)
    assert case.current_step.assignee == named  # type: ignore[union-attr]
    with on(ACCEPTED_AT), pytest.raises(Forbidden):
        review.do_approve_step(case, actor=staff.reviewer, opinion="同意")
    with on(ACCEPTED_AT):
        review.do_approve_step(case, actor=named, opinion="同意")
    assert fresh(case).current_step.name == "审批"  # type: ignore[union-attr]


def test_a_co_handling_department_works_its_step(city: City) -> None:
    review_item(
        city,
        steps=[
            {"name": "受理", "role": "clerk", "budget_days": 1},
            {"name": "审核", "role": "reviewer", "budget_days": 5},
            {"name": "联合审查", "role": "reviewer", "budget_days": 4, "department": "D02"},
            {"name": "审批", "role": "approver", "budget_days": 5},
        ],
    )
    staff = review_staff(city)
    market_reviewer = make_staff("market_reviewer", city.market, Role.REVIEWER)
    case = accepted_case(city, staff)
    with pytest.raises(NotFound):  # not reached yet
        access_case(case.pk, market_reviewer)
    assert not cases_visible_to(market_reviewer).filter(pk=case.pk).exists()
    with on(ACCEPTED_AT):
        review.do_approve_step(case, actor=staff.reviewer, opinion="同意")
    case = fresh(case)
    assert case.current_step.department == city.market  # type: ignore[union-attr]
    assert access_case(case.pk, market_reviewer) == case
    assert cases_visible_to(market_reviewer).filter(pk=case.pk).exists()
    with on(ACCEPTED_AT), pytest.raises(Forbidden):  # the implementing department's reviewer
        review.do_approve_step(case, actor=staff.reviewer, opinion="同意")
    with on(ACCEPTED_AT):
        review.do_approve_step(case, actor=market_reviewer, opinion="联办同意")
    assert fresh(case).current_step.name == "审批"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("call", "fields"),
    [
        (lambda c, s: review.do_approve_step(c, actor=s.reviewer, opinion="  "), ["opinion"]),
        (
            lambda c, s: review.do_suspend(c, actor=s.handler, procedure="party", reason=""),
            ["procedure", "reason"],
        ),
        (
            lambda c, s: review.do_extend(c, actor=s.approver, working_days=0, reason=""),
            ["working_days", "reason"],
        ),
        (
            lambda c, s: review.do_extend(c, actor=s.approver, working_days="9" * 5000, reason="x"),
            ["working_days"],
        ),
        (
            lambda c, s: review.do_extend(c, actor=s.approver, working_days=True, reason="x"),
            ["working_days"],
        ),
        (
            lambda c, s: review.do_extend(c, actor=s.approver, working_days="²", reason="x"),
            ["working_days"],
        ),
        (
            lambda c, s: review.do_extend(c, actor=s.approver, working_days=2.5, reason="x"),
            ["working_days"],
        ),
        (
            lambda c, s: review.do_extend(c, actor=s.approver, working_days=61, reason="x"),
            ["working_days"],
        ),
    ],
)
def test_bad_input_is_refused_with_nothing_changed(
    city: City, staff: Staff, call, fields: list[str]
) -> None:
    case = accepted_case(city, staff)
    before = trace(case)
    with on(ACCEPTED_AT), pytest.raises(InvalidInput) as refused:
        call(case, staff)
    assert sorted(refused.value.fields) == sorted(fields)
    assert trace(case) == before


def test_a_return_needs_its_reason(city: City, staff: Staff) -> None:
    case = last_step_case(city, staff)
    before = trace(case)
    with on(ACCEPTED_AT), pytest.raises(InvalidInput) as refused:
        review.do_return_step(case, actor=staff.approver, reason=" ")
    assert list(refused.value.fields) == ["reason"]
    assert trace(case) == before


@pytest.mark.parametrize(
    ("outcome", "reason", "fields"),
    [
        ("maybe", "", ["outcome"]),
        ("denied", " ", ["reason"]),
    ],
)
def test_bad_decisions_are_refused(
    city: City, staff: Staff, outcome: str, reason: str, fields: list[str]
) -> None:
    case = last_step_case(city, staff)
    before = trace(case)
    with on(ACCEPTED_AT), pytest.raises(InvalidInput) as refused:
        review.do_decide(case, actor=staff.approver, outcome=outcome, reason=reason)
    assert list(refused.value.fields) == fields
    assert trace(case) == before


@pytest.mark.parametrize(
    ("delivery", "tracking_no", "field"),
    [
        ("drone", None, "delivery"),
        ("mail", "", "tracking_no"),
        ("pickup", "SF1", "tracking_no"),
        ("mail", "S" * 65, "tracking_no"),
    ],
)
def test_bad_deliveries_are_refused(
    city: City, staff: Staff, delivery: str, tracking_no: str | None, field: str
) -> None:
    case = last_step_case(city, staff)
    with on(ACCEPTED_AT):
        review.do_decide(case, actor=staff.approver, outcome="approved", reason="")
    before = trace(case)
    with on(ACCEPTED_AT), pytest.raises(InvalidInput) as refused:
        review.do_complete(case, actor=staff.clerk, delivery=delivery, tracking_no=tracking_no)
    assert list(refused.value.fields) == [field]
    assert trace(case) == before


def test_the_applicant_is_told_of_suspension_resumption_and_extension(
    city: City, staff: Staff
) -> None:
    case = accepted_case(city, staff)
    with on(at(2026, 9, 29, 9, 0)):
        review.do_suspend(case, actor=staff.handler, procedure="hearing", reason="申请人要求听证")
    with on(at(2026, 10, 9, 9, 0)):
        review.do_resume(case, actor=staff.handler, note="听证结束")
    with on(at(2026, 10, 12, 9, 0)):
        review.do_extend(case, actor=staff.approver, working_days="5", reason="需专家论证")
    named = f"您申请的“道路运输经营许可证核发”（受理编号 {case.receipt_no}）"
    assert texts()[-3:] == [
        f"{named}需进行听证，办理时限暂停计算。原因：申请人要求听证",
        f"{named}已恢复办理，承诺办结日期为2026-10-27。",
        (f"{named}经批准延长办理期限5个工作日，承诺办结日期调整为2026-11-03。理由：需专家论证"),
    ]
    suspended = case.events.get(action="suspend")
    assert suspended.data == {"procedure": "hearing", "declared": False}
    assert suspended.note == "听证：申请人要求听证"


def test_remaining_days_are_none_before_acceptance_and_after_withdrawal(
    city: City, staff: Staff
) -> None:
    with on(ACCEPTED_AT):
        pending = submitted_case(city)
    assert schedule.remaining_working_days(pending, D(2026, 9, 24)) is None
    case = accepted_case(city, staff)
    with on(at(2026, 9, 28, 9, 0)):
        actions.do_withdraw(case, actor=city.applicant, reason="不再需要")
    case = fresh(case)
    assert schedule.remaining_working_days(case, D(2026, 9, 28)) is None
    assert schedule.case_light(case, D(2026, 9, 28)) is None
