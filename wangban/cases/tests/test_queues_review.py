"""The review queues (审批队列, issue 8) in `wangban.cases.queues`: which tab holds a case
for whom, the lights in SQL with today passed in, filters and sorting. On the 2026
calendar: accepted Thu 09-24 with P = 15 (due Thu 10-22, blue from Mon 10-19)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from wangban.accounts.choices import Role
from wangban.accounts.models import RoleGrant
from wangban.cases import access, queues, review
from wangban.cases.tests.helpers import at
from wangban.cases.tests.review_helpers import (
    ACCEPTED_AT,
    acceptance_only_case,
    accepted_case,
    last_step_case,
    on,
    review_item,
    review_staff,
)
from wangban.catalog.choices import VersionState
from wangban.catalog.models import ItemVersion
from wangban.conftest import City, make_staff

pytestmark = pytest.mark.django_db


def tab_of(user, tab: str, today: date, **wanted: str) -> list[str]:
    scope = queues.review_scope(user)
    rows = queues.review_queue(scope, queues.ReviewFilter(tab=tab, **wanted), user, today)
    return [case.pk for case in rows]


def test_todo_is_the_pool_of_my_role_or_what_is_assigned_to_me(city: City) -> None:
    review_item(city)
    staff = review_staff(city)
    two = make_staff("reviewer_two", city.transport, Role.REVIEWER)
    pooled = accepted_case(city, staff)
    named = accepted_case(city, staff)
    with on(ACCEPTED_AT):
        review.do_reassign(named, actor=staff.admin, assignee="reviewer_two")
    today = date(2026, 9, 25)
    assert tab_of(staff.reviewer, queues.TODO, today) == [pooled.pk]
    assert sorted(tab_of(two, queues.TODO, today)) == sorted([pooled.pk, named.pk])
    # Other roles of the same department: not their step.
    assert tab_of(staff.second, queues.TODO, today) == []
    assert tab_of(staff.approver, queues.TODO, today) == []
    # A reviewer of another department sees nothing at all.
    market = make_staff("market_reviewer", city.market, Role.REVIEWER)
    assert queues.review_scope(market).count() == 0


def test_a_case_without_review_steps_is_to_do_for_the_approvers_who_decide_it(
    city: City,
) -> None:
    case, staff = acceptance_only_case(city)
    assert case.current_step is None
    assert case.state == "in_review"
    today = date(2026, 9, 25)
    assert tab_of(staff.approver, queues.TODO, today) == [case.pk]
    counts = queues.review_tab_counts(
        queues.review_scope(staff.approver), queues.ReviewFilter(), staff.approver, today
    )
    assert counts[queues.TODO] == 1
    # Nobody else works it: not the reviewers of the department, nor another approver.
    assert tab_of(staff.reviewer, queues.TODO, today) == []
    assert tab_of(staff.second, queues.TODO, today) == []
    market = make_staff("market_approver", city.market, Role.APPROVER)
    assert tab_of(market, queues.TODO, today) == []
    # Decided, it leaves the tab for 已办结.
    with on(ACCEPTED_AT):
        review.do_decide(case, actor=staff.approver, outcome="approved", reason="符合条件")
    assert tab_of(staff.approver, queues.TODO, today) == []
    assert tab_of(staff.approver, queues.DONE, today) == [case.pk]


def test_the_same_role_in_another_department_is_not_my_pool(city: City) -> None:
    review_item(city)
    staff = review_staff(city)
    case = accepted_case(city, staff)
    # A handler of transport who is a reviewer only in the market department.
    user = make_staff("mixed", city.transport, Role.HANDLER)
    RoleGrant.objects.create(user=user, department=city.market, role=Role.REVIEWER)
    assert case.pk in queues.review_scope(user).values_list("pk", flat=True)
    assert tab_of(user, queues.TODO, date(2026, 9, 25)) == []


def test_lights_tabs_and_counts_follow_today(city: City) -> None:
    review_item(city)
    staff = review_staff(city)
    case = accepted_case(city, staff)
    decided = last_step_case(city, staff)
    with on(ACCEPTED_AT):
        review.do_decide(decided, actor=staff.approver, outcome="approved", reason="符合条件")
    user = staff.reviewer
    scope = queues.review_scope(user)
    counts = {
        day: queues.review_tab_counts(scope, queues.ReviewFilter(), user, day)
        for day in (date(2026, 10, 16), date(2026, 10, 19), date(2026, 10, 22), date(2026, 10, 23))
    }
    assert counts[date(2026, 10, 16)] == {
        "todo": 1,
        "stopped": 0,
        "due_soon": 0,
        "overdue": 0,
        "done": None,  # 已办结 shows no count: it grows without end
    }
    assert counts[date(2026, 10, 19)]["due_soon"] == 1  # blue from Mon 10-19
    assert counts[date(2026, 10, 22)]["due_soon"] == 1  # the due day is still blue
    assert (counts[date(2026, 10, 23)]["due_soon"], counts[date(2026, 10, 23)]["overdue"]) == (0, 1)
    rows: list[Any] = list(
        queues.review_queue(scope, queues.ReviewFilter(), user, date(2026, 10, 23))
    )
    assert [(row.pk, row.light, row.step_light) for row in rows] == [(case.pk, "red", "red")]
    with pytest.raises(TypeError):
        tab_of(user, queues.TODO, at(2026, 10, 23))  # a datetime is not a day


def test_a_stopped_case_keeps_its_light_and_sits_in_its_tab(city: City) -> None:
    review_item(city)
    staff = review_staff(city)
    case = accepted_case(city, staff)
    with on(at(2026, 10, 20, 10, 0)):  # blue when stopped
        review.do_suspend(case, actor=staff.handler, procedure="hearing", reason="听证")
    user = staff.handler
    today = date(2026, 11, 2)  # long after the due date: the frozen light stays blue
    assert tab_of(user, queues.STOPPED, today) == [case.pk]
    assert tab_of(user, queues.DUE_SOON, today) == [case.pk]
    assert tab_of(user, queues.REVIEW_OVERDUE, today) == []
    assert tab_of(user, queues.TODO, today) == []


def test_filters_and_sorting(city: City) -> None:
    review_item(city)
    staff = review_staff(city)
    early = accepted_case(city, staff)
    late = accepted_case(city, staff, at(2026, 10, 9, 10, 0))
    last = last_step_case(city, staff, at(2026, 9, 28, 10, 0))
    user = staff.admin  # sees the department's cases in every tab but 待办
    today = date(2026, 10, 12)
    assert tab_of(user, queues.TODO, today) == []
    scope = queues.review_scope(user)
    everything = scope.filter(decided_on__isnull=True)
    assert queues.review_steps(user) == sorted(["审核", "复核", "审批"])  # not 受理
    due = queues.review_queue(everything, queues.ReviewFilter(tab=queues.DUE_SOON), user, today)
    assert list(due) == []
    ascending = [
        case.pk
        for case in queues.review_queue(
            scope, queues.ReviewFilter(tab=queues.TODO), staff.reviewer, today
        )
    ]
    assert ascending == [early.pk, late.pk]
    descending = [
        case.pk
        for case in queues.review_queue(
            scope, queues.ReviewFilter(tab=queues.TODO, sort="-due"), staff.reviewer, today
        )
    ]
    assert descending == [late.pk, early.pk]
    assert tab_of(staff.reviewer, queues.TODO, today, step="审批") == []
    assert tab_of(staff.approver, queues.TODO, today, step="审批") == [last.pk]
    assert tab_of(staff.reviewer, queues.TODO, today, item="nope") == []
    assert tab_of(staff.reviewer, queues.TODO, today, light="green") == [early.pk, late.pk]


def test_the_item_filter_lists_the_items_of_my_departments_and_those_i_co_handle(
    city: City,
) -> None:
    version = review_item(
        city,
        steps=[
            {"name": "受理", "role": "clerk", "budget_days": 1},
            {"name": "联合审查", "role": "reviewer", "budget_days": 4, "department": "D02"},
            {"name": "审批", "role": "approver", "budget_days": 5},
        ],
    )
    staff = review_staff(city)
    listed = [(version.item.code, version.name)]
    # From the catalogue, before any case exists: the filter does not read the cases.
    assert queues.review_items(staff.reviewer) == listed
    assert queues.review_items(make_staff("market_reviewer", city.market, Role.REVIEWER)) == listed
    assert queues.review_items(make_staff("market_clerk", city.market, Role.CLERK)) == []
    assert queues.review_items(city.supervisor) == []
    assert queues.review_steps(staff.reviewer) == sorted(["联合审查", "审批"])
    assert queues.review_steps(city.supervisor) == []
    # Handed to another department (下放): the versions its cases were filed under stay
    # with the department that implements them.
    item = version.item
    item.department = city.market
    item.save(update_fields=["department"])
    assert queues.review_items(staff.reviewer) == listed


def test_a_version_never_published_is_not_in_the_filters(city: City) -> None:
    version = review_item(city)
    staff = review_staff(city)
    ItemVersion.objects.filter(pk=version.pk).update(state=VersionState.DRAFT)
    assert queues.review_items(staff.reviewer) == []
    assert queues.review_steps(staff.reviewer) == []


def test_the_open_clock_condition_writes_its_states_into_the_sql() -> None:
    # Sent as parameters, the states would leave PostgreSQL unable to use the partial
    # indexes on open cases in a prepared statement's generic plan.
    from wangban.cases.models import Case
    from wangban.cases.queries import OPEN_CLOCK, among_constants

    sql, params = Case.objects.filter(OPEN_CLOCK).query.sql_with_params()
    assert "IN ('in_review', 'suspended', 'correction_requested')" in sql
    assert "in_review" not in [str(param) for param in params]
    with pytest.raises(ValueError, match="plain code"):
        among_constants("state", ["in_review'; DROP TABLE cases_case; --"])


def test_a_reviewer_s_own_application_elsewhere_is_not_in_their_queues(city: City) -> None:
    from wangban.cases import actions
    from wangban.cases.tests.helpers import submitted_case
    from wangban.conftest import with_verified_identity

    review_item(city)
    staff = review_staff(city)
    # A reviewer of the market department applies, as a citizen, for a transport item.
    market_reviewer = with_verified_identity(
        make_staff("market_reviewer", city.market, Role.REVIEWER), "11010519491231002X"
    )
    with on(ACCEPTED_AT):
        case = submitted_case(city, actor=market_reviewer)
        actions.do_accept(case, actor=staff.clerk)
    # They see it, as its applicant, but it is no work of theirs.
    assert case.pk in access.cases_visible_to(market_reviewer).values_list("pk", flat=True)
    assert queues.review_scope(market_reviewer).count() == 0
    for tab in queues.REVIEW_TABS:
        assert tab_of(market_reviewer, tab, date(2026, 10, 20)) == []
    # The transport department's staff still have it.
    assert tab_of(staff.reviewer, queues.TODO, date(2026, 10, 20)) == [case.pk]


def test_a_reviewer_s_own_application_to_their_own_department_is_not_their_work(
    city: City,
) -> None:
    from wangban.cases import actions
    from wangban.cases.access import may_act
    from wangban.cases.tests.helpers import submitted_case
    from wangban.conftest import with_verified_identity

    review_item(city)
    staff = review_staff(city)
    own = with_verified_identity(
        make_staff("own_reviewer", city.transport, Role.REVIEWER), "11010519491231002X"
    )
    with on(ACCEPTED_AT):
        case = submitted_case(city, actor=own)
        actions.do_accept(case, actor=staff.clerk)
    assert not may_act(case, own, "approve_step")  # 回避
    assert queues.review_scope(own).count() == 0
    assert tab_of(own, queues.TODO, date(2026, 9, 25)) == []
    # Their colleague has it.
    assert tab_of(staff.reviewer, queues.TODO, date(2026, 9, 25)) == [case.pk]


def test_what_a_reviewer_sees_only_as_a_window_clerk_is_not_in_their_review_queues(
    city: City,
) -> None:
    """A centre window clerk who also reviews for the transport department sees the cases the
    centre accepts for another department (一窗受理), but those are no review work of theirs:
    neither in a tab nor in a count of the review queue. Nor is every filed case for a
    supervisor who also holds a review role."""
    from wangban.cases import actions
    from wangban.cases.tests.helpers import ENTRUSTED_CODE, entrusted_department, submitted_case

    review_item(city)
    staff = review_staff(city)
    entrusted_department(city)
    centre_clerk = make_staff("centre_clerk", city.centre, Role.CLERK)
    RoleGrant.objects.create(user=centre_clerk, department=city.transport, role=Role.REVIEWER)
    RoleGrant.objects.create(user=city.supervisor, department=city.transport, role=Role.HANDLER)
    own = accepted_case(city, staff)
    with on(ACCEPTED_AT):
        civil = submitted_case(city, ENTRUSTED_CODE)
        actions.do_accept(civil, actor=centre_clerk)
    today = date(2026, 12, 21)  # both overdue
    for user in (centre_clerk, city.supervisor):
        assert civil.pk in access.cases_visible_to(user).values_list("pk", flat=True)
        assert tab_of(user, queues.REVIEW_OVERDUE, today) == [own.pk]
        counts = queues.review_tab_counts(
            queues.review_scope(user), queues.ReviewFilter(), user, today
        )
        assert counts[queues.REVIEW_OVERDUE] == 1
