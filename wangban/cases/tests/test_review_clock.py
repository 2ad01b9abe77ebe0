"""The approval clock stored on the case, through the real actions, on the 2026 calendar
(DESIGN.md §5 "The case clock", its worked examples, and docs/case-clock.md's tables)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from wangban.accounts.models import User
from wangban.cases import actions, clock, review, schedule
from wangban.cases.models import Case, CaseExtension, ClockStop
from wangban.cases.queries import filter_light, with_light
from wangban.cases.tests.helpers import at, fresh, pdf, submitted_case
from wangban.cases.tests.review_helpers import (
    Staff,
    acceptance_only_case,
    accepted_case,
    last_step_case,
    on,
    review_item,
    review_staff,
)
from wangban.catalog.models import ItemVersion
from wangban.conftest import City
from wangban.core.errors import InvalidInput
from wangban.notify.models import Message

D = date


@pytest.fixture
def staff(city: City) -> Staff:
    review_item(city)
    User.objects.filter(pk=city.applicant.pk).update(phone="13800138000")
    return review_staff(city)


def stored(case: Case) -> tuple:
    case = fresh(case)
    return (
        case.clock_running,
        case.due_date,
        case.legal_due_date,
        case.blue_on,
        case.frozen_light,
        case.days_used,
        case.frozen_remaining,
    )


def suspend(case: Case, staff: Staff, day: date, procedure: str = "site_survey") -> None:
    with on(at(day.year, day.month, day.day, 9, 0)):
        review.do_suspend(case, actor=staff.handler, procedure=procedure, reason="核查停车场地")


def resume(case: Case, staff: Staff, day: date) -> None:
    with on(at(day.year, day.month, day.day, 16, 0)):
        review.do_resume(case, actor=staff.handler, note="勘查完毕")


def extend(case: Case, staff: Staff, day: date, days: int) -> None:
    with on(at(day.year, day.month, day.day, 11, 0)):
        review.do_extend(case, actor=staff.approver, working_days=days, reason="情况复杂")


def light_in_sql(case: Case, today: date) -> str | None:
    return with_light(Case.objects.filter(pk=case.pk), today).values_list("light", flat=True)[0]


def lights_agree(case: Case, days: list[date]) -> None:
    """The SQL light, the light from the stored fields and the pure clock's agree, and so does
    `filter_light` and `remaining_working_days`."""
    case = fresh(case)
    pure = schedule.case_clock(case)
    for today in days:
        state = clock.clock_state(pure, today)
        assert light_in_sql(case, today) == state.light, today
        assert schedule.case_light(case, today) == state.light, today
        assert schedule.remaining_working_days(case, today) == state.remaining_working_days
        for light in ("green", "blue", "red"):
            found = filter_light(Case.objects.filter(pk=case.pk), light, today).exists()
            assert found == (state.light == light), (today, light)


# --- DESIGN.md's worked examples -------------------------------------------------------------


def test_accepted_thursday_is_due_three_weeks_later(city: City, staff: Staff) -> None:
    case = accepted_case(city, staff)
    assert case.accepted_on == D(2026, 9, 24)
    assert stored(case) == (True, D(2026, 10, 22), D(2026, 10, 29), D(2026, 10, 19), "", 0, None)
    assert schedule.remaining_working_days(case, D(2026, 9, 24)) == 15
    lights_agree(case, [D(2026, 9, 24), D(2026, 10, 16), D(2026, 10, 19), D(2026, 10, 22)])
    assert light_in_sql(case, D(2026, 10, 16)) == "green"
    assert light_in_sql(case, D(2026, 10, 19)) == "blue"
    assert light_in_sql(case, D(2026, 10, 22)) == "blue"
    assert light_in_sql(case, D(2026, 10, 23)) == "red"


def test_stopped_tuesday_restarted_friday_then_extended(city: City, staff: Staff) -> None:
    case = accepted_case(city, staff)
    suspend(case, staff, D(2026, 9, 29))
    case = fresh(case)
    assert case.state == "suspended"
    # While stopped: no due dates, the unused part of the limit, the light as it was.
    assert stored(case) == (False, None, None, None, "green", 1, 14)
    assert schedule.remaining_working_days(case, D(2026, 10, 8)) == 14
    assert light_in_sql(case, D(2026, 10, 8)) == "green"
    assert light_in_sql(case, D(2026, 12, 31)) == "green"  # frozen
    resume(case, staff, D(2026, 10, 9))
    case = fresh(case)
    assert case.state == "in_review"
    assert (case.due_date, case.legal_due_date, case.blue_on) == (
        D(2026, 10, 27),
        D(2026, 11, 3),
        D(2026, 10, 22),
    )
    assert schedule.remaining_working_days(case, D(2026, 10, 9)) == 13
    extend(case, staff, D(2026, 10, 12), 5)
    case = fresh(case)
    assert (case.due_date, case.legal_due_date, case.extension_days) == (
        D(2026, 11, 3),
        D(2026, 11, 10),
        5,
    )
    assert schedule.remaining_working_days(case, D(2026, 10, 12)) == 16
    lights_agree(case, [D(2026, 10, 12), D(2026, 10, 29), D(2026, 11, 3), D(2026, 11, 4)])


def test_stopped_saturday_restarted_on_the_make_up_saturday(city: City, staff: Staff) -> None:
    case = accepted_case(city, staff)
    suspend(case, staff, D(2026, 9, 26))
    assert stored(case) == (False, None, None, None, "green", 0, 15)
    resume(case, staff, D(2026, 10, 10))
    case = fresh(case)
    assert (case.due_date, case.legal_due_date, case.days_used) == (
        D(2026, 10, 29),
        D(2026, 11, 5),
        1,
    )
    assert schedule.remaining_working_days(case, D(2026, 10, 10)) == 14


# --- stops on holidays and make-up days (docs/case-clock.md §3) ---------------------------------


@pytest.mark.parametrize(
    ("stop", "restart", "due", "used"),
    [
        (D(2026, 10, 3), D(2026, 10, 8), D(2026, 10, 22), 4),  # inside 国庆节
        (D(2026, 9, 30), D(2026, 10, 7), D(2026, 10, 23), 2),  # restarted on a holiday
        (D(2026, 10, 10), D(2026, 10, 12), D(2026, 10, 23), 6),  # stopped on the make-up day
        (D(2026, 10, 9), D(2026, 10, 9), D(2026, 10, 22), 5),  # stopped and restarted same day
        (D(2026, 9, 25), D(2026, 9, 28), D(2026, 10, 22), 1),  # stopped on 中秋节
    ],
)
def test_stops_on_holidays_and_make_up_days(
    city: City, staff: Staff, stop: date, restart: date, due: date, used: int
) -> None:
    case = accepted_case(city, staff)
    suspend(case, staff, stop)
    resume(case, staff, restart)
    case = fresh(case)
    assert (case.due_date, case.days_used, case.clock_running) == (due, used, True)
    assert case.due_date == clock.clock_state(schedule.case_clock(case), restart).due_date
    lights_agree(case, [restart, due - timedelta(days=3), due, due + timedelta(days=1)])


def test_a_stop_while_blue_stays_blue_and_while_red_stays_red(city: City, staff: Staff) -> None:
    blue = accepted_case(city, staff)
    suspend(blue, staff, D(2026, 10, 20))
    assert stored(blue) == (False, None, None, None, "blue", 12, 3)
    assert light_in_sql(blue, D(2026, 12, 1)) == "blue"
    resume(blue, staff, D(2026, 11, 2))
    assert fresh(blue).due_date == D(2026, 11, 4)
    assert light_in_sql(blue, D(2026, 11, 2)) == "blue"

    red = accepted_case(city, staff)
    suspend(red, staff, D(2026, 10, 26))
    assert stored(red) == (False, None, None, None, "red", 16, -1)
    assert schedule.remaining_working_days(fresh(red), D(2026, 10, 30)) == -1
    resume(red, staff, D(2026, 11, 2))
    red = fresh(red)
    assert red.due_date == D(2026, 10, 22)  # the 15th counted day is in the past: still red
    assert schedule.remaining_working_days(red, D(2026, 11, 2)) == -7
    lights_agree(red, [D(2026, 11, 2), D(2026, 11, 20)])


def test_remaining_days_go_negative_once_overdue(city: City, staff: Staff) -> None:
    case = accepted_case(city, staff)
    figures = [
        (day, schedule.remaining_working_days(case, day), schedule.case_light(case, day))
        for day in (D(2026, 10, 16), D(2026, 10, 19), D(2026, 10, 22), D(2026, 10, 23))
    ]
    assert figures == [
        (D(2026, 10, 16), 4, "green"),
        (D(2026, 10, 19), 3, "blue"),
        (D(2026, 10, 22), 0, "blue"),
        (D(2026, 10, 23), -1, "red"),
    ]
    assert schedule.remaining_working_days(case, D(2026, 10, 26)) == -2
    lights_agree(case, [D(2026, 10, 26)])


# --- correction during review ----------------------------------------------------------------


def test_a_correction_during_review_stops_the_clock_and_resubmission_restarts_it(
    city: City, staff: Staff
) -> None:
    case = accepted_case(city, staff)
    with on(at(2026, 9, 29, 9, 0)):
        notice = actions.do_request_correction(
            case, actor=staff.handler, items=[{"material_code": "M02", "reason": "营业执照过期"}]
        )
    case = fresh(case)
    assert case.state == "correction_requested"
    assert notice.is_repeat is False  # the pre-acceptance stage had no notice; review's first
    assert stored(case) == (False, None, None, None, "green", 1, 14)
    assert light_in_sql(case, D(2026, 10, 5)) == "green"
    stop = ClockStop.objects.get(case=case)
    assert (stop.kind, stop.notice, stop.reason) == ("correction", notice, "营业执照：营业执照过期")
    with on(at(2026, 10, 9, 10, 0)):
        actions.do_attach_material(
            case, actor=city.applicant, material_code="M02", upload=pdf("营业执照.pdf")
        )
        actions.do_resubmit(case, actor=city.applicant)
    case = fresh(case)
    assert case.state == "in_review"
    assert (case.due_date, case.legal_due_date, case.accepted_on, case.received_on) == (
        D(2026, 10, 27),
        D(2026, 11, 3),
        D(2026, 9, 24),
        D(2026, 9, 24),
    )
    stop.refresh_from_db()
    assert (stop.ended_on, stop.ended_by_action) == (D(2026, 10, 9), "resubmit")
    texts = list(
        Message.objects.filter(channel="sms").order_by("id").values_list("payload__text", flat=True)
    )
    assert texts[-1] == (
        f"您申请的“道路运输经营许可证核发”（受理编号 {case.receipt_no}）补正材料已收到，"
        "恢复审查，承诺办结日期为2026-10-27。"
    )
    # A second correction during review breaks the one-time rule of the review stage.
    with on(at(2026, 10, 12, 9, 0)), pytest.raises(InvalidInput) as refused:
        actions.do_request_correction(
            case, actor=staff.handler, items=[{"material_code": "M01", "reason": "缺签字"}]
        )
    assert list(refused.value.fields) == ["reason_for_second"]


# --- extension -----------------------------------------------------------------------------


def test_extensions_beyond_the_statutory_ten_days_are_recorded_as_a_violation(
    city: City, staff: Staff
) -> None:
    case = accepted_case(city, staff)
    extend(case, staff, D(2026, 9, 28), 6)
    extend(case, staff, D(2026, 9, 29), 4)
    extend(case, staff, D(2026, 9, 30), 1)
    rows = list(
        CaseExtension.objects.filter(case=case)
        .order_by("id")
        .values_list("working_days", "statutory_limit", "exceeds_statutory", "approver")
    )
    assert rows == [
        (6, 10, False, staff.approver.pk),
        (4, 10, False, staff.approver.pk),
        (1, 10, True, staff.approver.pk),
    ]
    case = fresh(case)
    assert case.extension_days == 11
    assert case.due_date == clock.clock_state(schedule.case_clock(case), D(2026, 9, 30)).due_date
    event = case.events.latest("id")
    assert event.data["violation"] == "extension_exceeds_statutory"
    texts = list(
        Message.objects.filter(channel="sms").order_by("id").values_list("payload__text", flat=True)
    )
    assert texts[-1] == (
        f"您申请的“道路运输经营许可证核发”（受理编号 {case.receipt_no}）"
        f"经批准延长办理期限1个工作日，承诺办结日期调整为{case.due_date}。理由：情况复杂"
    )


@pytest.mark.parametrize(
    ("note", "legal_limit", "expected"),
    [
        ("", 20, 10),
        ("自受理之日起20日内作出决定", 20, 10),
        ("经本行政机关负责人批准，可以延长5个工作日", 10, 5),
        ("情形复杂的，经登记机关负责人批准，可以再延长3个工作日", 3, 3),
        ("交通不便的地区可以适当延长，但延长的时间不得超过三十日", 60, 30),
        ("审核确认工作应当自受理之日起30个工作日之内完成；特殊情况下可以延长至45个工作日", 30, 15),
        ("可以延长十五日", 20, 15),
        # 行政复议法第六十二条
        (
            "经行政复议机构的负责人批准，可以适当延长，并书面告知当事人；但是延长期限最多不得超过三十日。",
            60,
            30,
        ),
        # 政府信息公开条例第三十三条
        (
            "需要延长答复期限的，应当经政府信息公开工作机构负责人同意并告知申请人，延长的期限最长不得超过20个工作日。",
            20,
            20,
        ),
        ("情况复杂的，经负责人批准可以延长，延长时间不超过15个工作日。", 20, 15),
        ("应当当场或者在五日内作出决定，不得延长。", 5, 0),
        ("经本行政机关负责人批准，可以延长，但不得延长超过三十日。", 20, 30),
        ("情况复杂的，经批准可以延长，延长期限最长为三十日。", 20, 30),
    ],
)
def test_the_statutory_extension_comes_from_the_legal_basis(
    note: str, legal_limit: int, expected: int
) -> None:
    version = ItemVersion(legal_limit_note=note, legal_limit_days=legal_limit, legal_basis="")
    assert schedule.statutory_extension_limit(version) == expected
    in_basis = ItemVersion(legal_limit_note="", legal_limit_days=legal_limit, legal_basis=note)
    assert schedule.statutory_extension_limit(in_basis) == expected


def test_an_extension_inside_the_item_s_own_limit_is_no_violation(city: City) -> None:
    review_item(city, legal_limit_note="经本行政机关负责人批准，可以延长15个工作日")
    staff = review_staff(city)
    case = accepted_case(city, staff)
    extend(case, staff, D(2026, 9, 28), 12)
    row = CaseExtension.objects.get(case=case)
    assert (row.statutory_limit, row.exceeds_statutory) == (15, False)


# --- decision ------------------------------------------------------------------------------


def test_the_decision_stops_the_clock_on_its_day(city: City, staff: Staff) -> None:
    case = last_step_case(city, staff)
    with on(at(2026, 10, 21, 15, 0)):
        review.do_decide(case, actor=staff.approver, outcome="approved", reason="符合条件")
    case = fresh(case)
    assert case.state == "approved"
    assert case.decided_on == D(2026, 10, 21)
    assert stored(case) == (False, D(2026, 10, 22), D(2026, 10, 29), D(2026, 10, 19), "", 14, 1)
    assert light_in_sql(case, D(2026, 10, 21)) is None
    assert light_in_sql(case, D(2026, 11, 30)) is None
    assert schedule.remaining_working_days(case, D(2026, 11, 30)) == 1
    assert case.events.latest("id").data["on_time"] is True
    for light in ("green", "blue", "red"):
        assert not filter_light(Case.objects.all(), light, D(2026, 11, 30)).exists()


def test_a_late_decision_is_recorded_as_late(city: City, staff: Staff) -> None:
    case = last_step_case(city, staff)
    with on(at(2026, 10, 26, 15, 0)):
        review.do_decide(
            case, actor=staff.approver, outcome="denied", reason="车辆不符合要求", legal_basis=""
        )
    case = fresh(case)
    assert case.state == "denied"
    assert case.decision_legal_basis == "《中华人民共和国道路运输条例》第十条"  # the item's
    assert schedule.remaining_working_days(case, D(2026, 12, 1)) == -2
    assert case.events.latest("id").data["on_time"] is False


# --- calendar-day limits -----------------------------------------------------------------------


def test_calendar_day_limits_move_to_the_next_working_day(city: City) -> None:
    review_item(
        city,
        promised_limit_days=7,
        promised_limit_unit="calendar_days",
        legal_limit_days=30,
        legal_limit_unit="calendar_days",
        warning_threshold_days=1,
        case_type="2",
        steps=[{"name": "审批", "role": "approver", "budget_days": 7}],
    )
    staff = review_staff(city)
    case = accepted_case(city, staff)
    assert (case.due_date, case.legal_due_date) == (D(2026, 10, 8), D(2026, 10, 26))
    lights_agree(case, [D(2026, 9, 30), D(2026, 10, 8), D(2026, 10, 9)])


def test_an_immediate_case_is_due_on_its_acceptance_day(city: City) -> None:
    review_item(
        city,
        case_type="1",
        promised_limit_days=0,
        warning_threshold_days=1,
        steps=[{"name": "审批", "role": "approver", "budget_days": 0}],
    )
    staff = review_staff(city)
    case = accepted_case(city, staff)
    assert (case.due_date, case.blue_on) == (D(2026, 9, 24), D(2026, 9, 24))
    assert (light_in_sql(case, D(2026, 9, 24)), light_in_sql(case, D(2026, 9, 28))) == (
        "blue",
        "red",
    )
    assert schedule.remaining_working_days(case, D(2026, 9, 28)) == -1


def test_deemed_acceptance_starts_the_clock_on_the_day_received(city: City, staff: Staff) -> None:
    with on(at(2026, 9, 24, 10, 0)):
        case = submitted_case(city)
    actions.do_deem_accept_due(D(2026, 10, 14))
    case = fresh(case)
    assert (case.state, case.accepted_on, case.deemed_accepted) == (
        "in_review",
        D(2026, 9, 24),
        True,
    )
    assert (case.due_date, case.legal_due_date) == (D(2026, 10, 22), D(2026, 10, 29))
    assert case.current_step is not None
    assert case.current_step.name == "审核"


def test_lights_in_sql_for_many_cases_match_the_pure_clock(city: City, staff: Staff) -> None:
    running = accepted_case(city, staff)
    stopped = accepted_case(city, staff)
    suspend(stopped, staff, D(2026, 10, 20))
    extended = accepted_case(city, staff)
    extend(extended, staff, D(2026, 10, 12), 3)
    decided = last_step_case(city, staff)
    with on(at(2026, 10, 21, 15, 0)):
        review.do_decide(decided, actor=staff.approver, outcome="approved", reason="")
    pending = _submitted(city)
    cases = [running, stopped, extended, decided, pending]
    for today in (D(2026, 10, 21), D(2026, 10, 22), D(2026, 10, 27), D(2026, 10, 28)):
        annotated = dict(with_light(Case.objects.all(), today).values_list("pk", "light"))
        expected = {}
        for case in cases:
            case = fresh(case)
            state = (
                clock.clock_state(schedule.case_clock(case), today) if case.accepted_on else None
            )
            expected[case.pk] = state.light if state else None
        assert annotated == expected, today


def _submitted(city: City) -> Case:
    with on(at(2026, 10, 20, 10, 0)):
        return submitted_case(city)


def test_today_must_be_a_date(city: City) -> None:
    with pytest.raises(TypeError):
        with_light(Case.objects.all(), at(2026, 10, 1))
    with pytest.raises(InvalidInput) as refused:
        filter_light(Case.objects.all(), "yellow", D(2026, 10, 1))
    assert list(refused.value.fields) == ["light"]


def test_items_without_review_steps_go_straight_to_the_decision(city: City) -> None:
    case, staff = acceptance_only_case(city)
    assert case.current_step is None
    with on(at(2026, 9, 24, 10, 0)):
        review.do_decide(case, actor=staff.approver, outcome="approved", reason="")
    assert fresh(case).state == "approved"
