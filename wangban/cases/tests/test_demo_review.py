"""The demo cases of review and decision (issue 8): in review at a later step, suspended for
a special procedure, extended, returned a step, approved, denied and completed, in two
departments, made by the real review actions on past working days; their lights, steps,
stops, extensions, sealed decision documents and deliveries are the real outcomes, and
loading twice creates nothing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from wangban.accounts.demo import load_accounts
from wangban.accounts.models import User
from wangban.cases.access import cases_visible_to
from wangban.cases.choices import (
    CaseAction,
    CaseState,
    Channel,
    Delivery,
    DocumentKind,
    DocumentState,
    StepOutcome,
    StopKind,
)
from wangban.cases.demo import (
    SHANGHAI,
    _demo_day,
    _reference_day,
    _timeline,
    demo_cases,
    load_demo_cases,
)
from wangban.cases.documents import check_seal, render_document
from wangban.cases.models import (
    Case,
    CaseDocument,
    CaseEvent,
    CaseExtension,
    CaseMaterial,
    CaseStep,
    ClockStop,
)
from wangban.cases.queries import with_light, with_step_light
from wangban.catalog.demo import load_catalog
from wangban.certificates.demo import load_seals
from wangban.certificates.queries import active_seal
from wangban.conftest import restore_migration_data
from wangban.core.calendar import active_calendar, add_working_days, working_days_between
from wangban.notify.models import Message, SiteMessage

OVERSIZE = "000117004000-"  # 公路超限运输许可 (交通运输局)
PASSENGER = "000117001000-"  # 道路旅客运输经营许可 (交通运输局)
TAXI_DRIVER = "000117002000-"  # 出租汽车驾驶员从业资格证核发 (交通运输局)
RIDE_HAILING = "000117003000-"  # 网络预约出租汽车运输证核发 (交通运输局)
FOOD = "320100-SCJGJ-XK-0001-00"  # 食品经营许可 (市场监督管理局)
COMPANY = "320100-SCJGJ-XK-0003-00"  # 有限责任公司设立登记 (市场监督管理局)
EQUIPMENT = "320100-SCJGJ-XK-0004-00"  # 特种设备使用登记 (市场监督管理局)
PHARMACY = "320100-SCJGJ-XK-0005-00"  # 药品经营许可证核发（零售） (市场监督管理局)

REVIEW_STATES = {
    CaseState.IN_REVIEW: 3,
    CaseState.SUSPENDED: 1,
    CaseState.APPROVED: 1,
    CaseState.DENIED: 1,
    CaseState.COMPLETED: 3,
}


def counts() -> tuple[int, ...]:
    models = [Case, CaseEvent, CaseMaterial, CaseStep, ClockStop, CaseExtension, CaseDocument]
    models += [Message, SiteMessage]
    return tuple(model._default_manager.count() for model in models)


def review_case(item: str, applicant: str, channel: str = Channel.ONLINE) -> Case:
    """The demo case of `item` (its code or the start of it) filed by `applicant` through
    `channel` (one at most: the demo's key)."""
    return Case.objects.get(
        item__code__startswith=item, applicant__username=applicant, channel=channel
    )


def light_of(case: Case, today: date | None = None) -> str | None:
    today = today or timezone.localdate()
    return with_light(Case.objects.filter(pk=case.pk), today).get().light


def step_light_of(step: CaseStep, today: date | None = None) -> str | None:
    today = today or timezone.localdate()
    return with_step_light(CaseStep.objects.filter(pk=step.pk), today).get().light


def outcomes(case: Case) -> list[tuple[str, str, str]]:
    """(step name, outcome, who) of each visit, in order; "" for the open one."""
    return [
        (step.name, step.outcome, step.actor.username if step.actor else "")
        for step in case.steps.select_related("actor").order_by("visit")
    ]


# --- the file alone --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_reference_day_is_the_last_working_day() -> None:
    calendar = active_calendar()
    friday, saturday, sunday = date(2026, 12, 4), date(2026, 12, 5), date(2026, 12, 6)
    assert calendar.is_working_day(friday)
    assert _reference_day(friday) == friday
    assert _reference_day(saturday) == _reference_day(sunday) == friday
    assert _demo_day(saturday, 0) == friday
    assert _demo_day(saturday, 4) == date(2026, 11, 30)  # Monday


@pytest.mark.django_db
def test_every_review_story_is_filed_before_its_steps_in_order() -> None:
    today = date(2026, 11, 26)
    stories = [spec for spec in demo_cases() if spec.review]
    assert len(stories) == 9
    for spec in stories:
        filed = _timeline(spec, today)
        assert list(filed) == ["create", *spec.path]
        assert list(filed.values()) == sorted(filed.values())
        days = [spec.filed_ago, *(act.ago for act in spec.review)]
        assert days == sorted(days, reverse=True), spec.item_code
        assert all(act.ago < spec.filed_ago for act in spec.review)


# --- on another day --------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "today",
    [
        date(2026, 12, 5),  # a Saturday: the stories count back from Friday
        date(2026, 10, 9),  # the Friday after the National Day holidays
    ],
)
def test_the_lights_are_the_same_on_any_day(today: date) -> None:
    """Loaded on a weekend or across a holiday, the stories keep their lights. (Before the
    module's demo below is loaded: this test needs an empty database.)"""
    with time_machine.travel(datetime.combine(today, time(11, 0), tzinfo=SHANGHAI)):
        restore_migration_data()
        load_accounts()
        load_catalog()
        load_seals()
        load_demo_cases()
        assert timezone.localdate() == today
        overdue = review_case(TAXI_DRIVER, "wangwu")
        due_soon = review_case(OVERSIZE, "applicant")
        extended = review_case(PASSENGER, "applicant")
        assert (light_of(overdue), light_of(due_soon), light_of(extended)) == (
            "red",
            "blue",
            "green",
        )
        assert step_light_of(overdue.current_step) == "blue"  # type: ignore[arg-type]
        assert step_light_of(due_soon.current_step) == "red"  # type: ignore[arg-type]
        assert Counter(
            Case.objects.filter(state__in=list(REVIEW_STATES)[1:]).values_list("state", flat=True)
        ) == {state: n for state, n in REVIEW_STATES.items() if state != CaseState.IN_REVIEW}


# --- the whole demo --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def loaded_demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    """The whole demo (accounts, items, seals, cases), loaded once for this module inside a
    transaction rolled back after it; each test runs in a savepoint of that transaction.
    The tests above need an empty database: they come first."""
    with django_db_blocker.unblock(), transaction.atomic():
        restore_migration_data()
        load_accounts()
        load_catalog()
        load_seals()
        yield load_demo_cases()
        transaction.set_rollback(True)


@pytest.fixture
def demo_city(loaded_demo: str, db: None) -> str:
    return loaded_demo


@pytest.fixture
def private_media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def test_review_and_decision_states_in_two_departments(demo_city: str) -> None:
    reviewed = Case.objects.filter(steps__outcome__in=[StepOutcome.APPROVE, StepOutcome.DECIDE])
    reviewed = reviewed | Case.objects.filter(clock_stops__isnull=False)
    reviewed = reviewed.distinct()
    assert Counter(reviewed.values_list("state", flat=True)) == REVIEW_STATES
    departments = Counter(reviewed.values_list("department__code", flat=True))
    assert departments == {"D01": 5, "D02": 4}
    # Every one filed, accepted and reviewed in the past, by the real actions.
    today = timezone.localdate()
    assert all(case.accepted_on < today for case in reviewed)  # type: ignore[operator]
    assert all(case.receipt_no for case in reviewed)


def test_in_review_at_the_review_step_after_the_handlers_opinion(demo_city: str) -> None:
    case = review_case(OVERSIZE, "applicant")
    assert case.state == CaseState.IN_REVIEW
    assert case.on_behalf_of is not None
    assert outcomes(case) == [
        ("受理", StepOutcome.ACCEPT, "centre_clerk"),
        ("承办（通行线路审查）", StepOutcome.APPROVE, "handler"),
        ("审核", "", ""),
    ]
    handled = case.steps.get(outcome=StepOutcome.APPROVE)
    assert handled.opinion.startswith("申请材料齐全。经对拟通行路线现场勘查")
    step = case.current_step
    assert step is not None
    assert (step.name, step.role, step.department.code) == ("审核", "reviewer", "D01")
    event = case.events.get(action=CaseAction.APPROVE_STEP)
    assert event.data == {"from_step": "承办（通行线路审查）", "to_step": "审核"}
    assert event.note == handled.opinion
    # Due soon (blue): one working day left; the review step is over its own budget (red).
    today = timezone.localdate()
    assert working_days_between(today, case.due_date) == 1  # type: ignore[arg-type]
    assert light_of(case) == "blue"
    assert step.due_on < today  # type: ignore[operator]
    assert step_light_of(step) == "red"


def test_suspended_for_a_site_survey(demo_city: str) -> None:
    case = review_case(FOOD, "wangwu", Channel.WINDOW)
    assert case.state == CaseState.SUSPENDED
    assert case.department.code == "D02"
    assert case.created_by.username == "centre_clerk"
    [stop] = case.clock_stops.all()
    assert (stop.kind, stop.procedure, stop.started_by.username) == (
        StopKind.SPECIAL_PROCEDURE,
        "site_survey",
        "handler_d02",
    )
    assert stop.reason.startswith("需对经营场所进行现场核查")
    assert stop.ended_at is None
    assert stop.started_on < timezone.localdate()
    # The clock is stopped: no due date, the unused part of the limit kept.
    assert (case.clock_running, case.due_date, case.frozen_remaining) == (False, None, 5)
    event = case.events.get(action=CaseAction.SUSPEND)
    assert event.data == {"procedure": "site_survey", "declared": True}
    assert event.note == f"现场勘查：{stop.reason}"
    assert light_of(case) == case.frozen_light == "green"


def test_in_review_with_an_approved_extension(demo_city: str) -> None:
    case = review_case(PASSENGER, "applicant")
    assert case.state == CaseState.IN_REVIEW
    [extension] = case.extensions.all()
    assert extension.working_days == case.extension_days == 5
    assert extension.approver.username == "approver"
    assert extension.approver_name == "冯审批"
    assert extension.reason.startswith("拟投入的 6 辆客车中有 2 辆")
    assert (extension.statutory_limit, extension.exceeds_statutory) == (10, False)
    # Both limits grow by the extension: 10 + 5 promised, 20 + 5 statutory.
    assert case.accepted_on is not None
    assert case.due_date == add_working_days(case.accepted_on, 15)
    assert case.legal_due_date == add_working_days(case.accepted_on, 25)
    assert extension.on < timezone.localdate()
    # Reviewed after the extension; now at the last step, the approver's.
    assert [name for name, outcome, _ in outcomes(case) if outcome == ""] == ["审批"]
    assert case.current_step is not None
    assert case.current_step.role == "approver"
    assert light_of(case) == "green"
    assert step_light_of(case.current_step) == "green"


def test_returned_one_step_and_overdue(demo_city: str) -> None:
    case = review_case(TAXI_DRIVER, "wangwu")
    assert case.state == CaseState.IN_REVIEW
    assert outcomes(case) == [
        ("受理", StepOutcome.ACCEPT, "centre_clerk"),
        ("审核", StepOutcome.APPROVE, "reviewer"),
        ("审批", StepOutcome.RETURN, "approver"),
        ("审核", "", ""),
    ]
    returned = case.steps.get(outcome=StepOutcome.RETURN)
    assert returned.opinion.startswith("卷内未附申请人无重大以上交通责任事故记录的核查结果")
    event = case.events.get(action=CaseAction.RETURN_STEP)
    assert event.data == {"from_step": "审批", "to_step": "审核"}
    assert case.current_step is not None
    assert case.current_step.visit == 4
    # Overdue (red): the promised limit ended two working days ago; the step visited again
    # has its own new budget and is due soon (blue).
    today = timezone.localdate()
    assert case.due_date is not None
    assert case.due_date < today
    assert light_of(case) == "red"
    assert step_light_of(case.current_step) == "blue"


def test_approved_with_a_decision_document_sealed_by_the_worker(
    demo_city: str, private_media: None
) -> None:
    case = review_case(EQUIPMENT, "applicant", Channel.WINDOW)
    assert case.state == CaseState.APPROVED
    assert case.decided_by is not None
    assert case.decided_by.username == "approver_d02"
    assert case.decided_on is not None
    assert case.decided_on < timezone.localdate()
    assert case.decision_legal_basis == case.version.legal_basis
    assert case.current_step is None
    assert [outcome for _, outcome, _ in outcomes(case)] == ["accept", "approve", "decide"]
    # Written pending by `decide`, rendered and sealed by the worker after the commit.
    document = case.documents.get(kind=DocumentKind.APPROVAL_DECISION)
    assert (document.state, document.title) == (DocumentState.PENDING, "准予行政许可决定书")
    assert len(document.verification_code) == 20
    assert document.facts["decided_on"] == case.decided_on.isoformat()

    assert render_document(document.pk) == DocumentState.READY

    document.refresh_from_db()
    seal = active_seal(case.department)
    assert seal is not None
    assert (document.seal_key_id, document.seal_name) == (seal.key_id, seal.name)
    assert seal.name.startswith("示范市市场监督管理局")
    assert check_seal(document).valid


def test_denied_with_reasons_and_legal_basis(demo_city: str, private_media: None) -> None:
    case = review_case(PHARMACY, "wangwu")
    assert case.state == CaseState.DENIED
    assert case.department.code == "D02"
    assert case.decision_reason.startswith("经现场检查，申请人拟任质量负责人的执业药师")
    assert case.decision_legal_basis.startswith("《中华人民共和国药品管理法》第五十一条")
    assert outcomes(case) == [
        ("受理", StepOutcome.ACCEPT, "centre_clerk"),
        ("技术审查（含现场检查）", StepOutcome.APPROVE, "handler_d02"),
        ("审核", StepOutcome.APPROVE, "reviewer_d02"),
        ("审批", StepOutcome.DECIDE, "approver_d02"),
    ]
    event = case.events.get(action=CaseAction.DECIDE)
    assert event.data["outcome"] == "denied"
    assert event.data["legal_basis"] == case.decision_legal_basis
    [document] = case.documents.filter(kind__in=["approval_decision", "denial_decision"])
    assert document.kind == DocumentKind.DENIAL_DECISION
    assert document.facts["reason"] == case.decision_reason

    assert render_document(document.pk) == DocumentState.READY

    document.refresh_from_db()
    assert document.seal_signature
    assert check_seal(document).valid


def test_completed_by_every_way_of_delivery(demo_city: str) -> None:
    completed = Case.objects.filter(state=CaseState.COMPLETED)
    deliveries = {case.delivery: case for case in completed}
    assert set(deliveries) == set(Delivery.values)
    items = {delivery: case.item.code for delivery, case in deliveries.items()}
    assert items[Delivery.MAIL].startswith(RIDE_HAILING)
    assert items[Delivery.PICKUP].startswith(TAXI_DRIVER)
    assert items[Delivery.ONLINE] == COMPANY
    mailed = deliveries[Delivery.MAIL]
    assert mailed.tracking_no == "SF1432561870926"
    assert (deliveries[Delivery.PICKUP].tracking_no, deliveries[Delivery.ONLINE].tracking_no) == (
        "",
        "",
    )
    assert sorted(completed.values_list("department__code", flat=True)) == ["D01", "D01", "D02"]
    for case in completed:
        assert case.closed_at is not None
        assert case.decided_on is not None
        assert case.decided_on <= timezone.localdate(case.closed_at) < timezone.localdate()
        complete = case.events.get(action=CaseAction.COMPLETE)
        assert complete.actor is not None
        assert complete.actor.username == "centre_clerk"
        assert complete.data == {"delivery": case.delivery, "tracking_no": case.tracking_no}
        assert case.documents.filter(kind=DocumentKind.APPROVAL_DECISION).count() == 1
    # Picked up at the window by the applicant who applied there, with papers seen there.
    picked_up = deliveries[Delivery.PICKUP]
    assert (picked_up.channel, picked_up.applicant.username) == (Channel.WINDOW, "agent")
    assert picked_up.materials.filter(paper=True).count() == 2


def test_an_inspection_stopped_and_resumed_the_clock(demo_city: str) -> None:
    case = review_case(RIDE_HAILING, "applicant")
    assert case.state == CaseState.COMPLETED
    [stop] = case.clock_stops.all()
    assert (stop.procedure, stop.ended_by_action, stop.end_note) == (
        "inspection",
        CaseAction.RESUME,
        "检验合格，恢复办理。",
    )
    assert stop.started_on < stop.ended_on < case.decided_on  # type: ignore[operator]
    # The stopped days did not count: decided within the promised limit, on time.
    decide = case.events.get(action=CaseAction.DECIDE)
    assert decide.data["on_time"] is True
    assert [outcome for _, outcome, _ in outcomes(case)] == [
        "accept",
        "approve",
        "approve",
        "decide",
    ]


def test_the_timelines_run_forwards_through_review(demo_city: str) -> None:
    for case in Case.objects.exclude(decided_on=None) | Case.objects.exclude(current_step=None):
        times = list(case.events.values_list("at", flat=True))
        assert times == sorted(times), case.pk
    # No member of the review staff is an applicant (回避).
    staff = ["handler", "reviewer", "approver", "handler_d02", "reviewer_d02", "approver_d02"]
    assert not Case.objects.filter(applicant__username__in=staff).exists()


def test_the_review_staff_see_their_queues(demo_city: str) -> None:
    market = User.objects.get(username="reviewer_d02")
    visible = cases_visible_to(market)
    assert set(visible.values_list("department__code", flat=True)) == {"D02"}
    assert visible.filter(state__in=REVIEW_STATES).count() == 4


def test_loading_twice_creates_nothing_new(demo_city: str) -> None:
    first = counts()
    now = timezone.now

    assert load_demo_cases() == demo_city

    assert counts() == first
    assert timezone.now is now
