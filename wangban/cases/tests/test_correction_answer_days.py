"""The applicant's time to answer a correction notice is the item's own 补正期限 when its
catalogue entry sets one, else WANGBAN_CORRECTION_ANSWER_WORKING_DAYS (issue 7: "within the
item's answer time (configurable)"), counted in working days on the holiday calendar."""

from __future__ import annotations

from datetime import date

import time_machine
from django.test import override_settings

from wangban.cases import actions, clock
from wangban.cases.models import Case, CorrectionNotice
from wangban.cases.tests.helpers import at, fresh, submitted_case
from wangban.catalog import actions as catalog_actions
from wangban.catalog import queries
from wangban.catalog.tests.helpers import CODE, publish, published_item
from wangban.conftest import City

ITEMS = [{"material_code": "M01", "reason": "申请表缺少法定代表人签字"}]


def correction_on_national_day_eve(city: City) -> tuple[Case, CorrectionNotice]:
    """A notice issued on Wednesday 2026-09-30, the last working day before National Day
    (10-01 to 10-07 off, Saturday 10-10 a make-up working day)."""
    with time_machine.travel(at(2026, 9, 30, 10, 0), tick=False):
        case = submitted_case(city)
        notice = actions.do_request_correction(case, actor=city.transport_clerk, items=ITEMS)
    return fresh(case), notice


def test_the_items_own_answer_time_counts_across_national_day(city: City) -> None:
    published_item(city, correction_answer_days=10)

    case, notice = correction_on_national_day_eve(city)

    # 10-08 Thu (1), 10-09 Fri (2), 10-10 Sat make-up (3), 10-12…10-16 (4–8), 10-19 (9),
    # 10-20 Tue (10).
    assert (case.correction_due_on, notice.answer_due_on) == (date(2026, 10, 20),) * 2
    assert clock.add_working_days(date(2026, 9, 30), 10) == date(2026, 10, 20)


def test_without_it_the_setting_applies(city: City) -> None:
    published_item(city)

    case, notice = correction_on_national_day_eve(city)

    # Default 5: 10-08, 10-09, 10-10 (make-up Saturday), 10-12, 10-13.
    assert (case.correction_due_on, notice.answer_due_on) == (date(2026, 10, 13),) * 2


@override_settings(WANGBAN_CORRECTION_ANSWER_WORKING_DAYS=2)
def test_the_item_wins_over_the_setting(city: City) -> None:
    published_item(city, correction_answer_days=10)
    case, _ = correction_on_national_day_eve(city)
    assert case.correction_due_on == date(2026, 10, 20)


@override_settings(WANGBAN_CORRECTION_ANSWER_WORKING_DAYS=2)
def test_the_setting_applies_to_an_item_without_its_own(city: City) -> None:
    published_item(city)
    case, _ = correction_on_national_day_eve(city)
    assert case.correction_due_on == date(2026, 10, 9)


def test_a_case_keeps_the_answer_time_of_its_own_version(city: City) -> None:
    """A case is filed under the version published when it was created; an adjustment
    published later does not change its 补正期限."""
    published_item(city, correction_answer_days=10)
    with time_machine.travel(at(2026, 9, 29, 10, 0), tick=False):
        case = submitted_case(city)
        adjustment = catalog_actions.do_draft_item(
            actor=city.transport_admin,
            code=CODE,
            kind="adjust",
            change_reason="补正期限改为 20 个工作日",
        )
        content = {**queries.content_of(adjustment), "correction_answer_days": 20}
        adjustment = catalog_actions.do_update_draft(
            adjustment, actor=city.transport_admin, content=content
        )
        publish(city, adjustment)
    assert queries.published_version(CODE).correction_answer_days == 20

    with time_machine.travel(at(2026, 9, 30, 10, 0), tick=False):
        actions.do_request_correction(case, actor=city.transport_clerk, items=ITEMS)

    assert fresh(case).correction_due_on == date(2026, 10, 20)


def test_the_limit_of_a_version(city: City) -> None:
    version = published_item(city, correction_answer_days=10)
    assert actions.correction_answer_limit(version) == clock.Limit(10, clock.WORKING_DAYS)
    version.correction_answer_days = None
    assert actions.correction_answer_limit(version) == clock.Limit(5, clock.WORKING_DAYS)
    assert actions.correction_answer_limit() == clock.Limit(5, clock.WORKING_DAYS)
