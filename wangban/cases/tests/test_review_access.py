"""The permission matrix of the review actions (API.md "who"): who may not see the case
gets 404, who may see it but not do this gets 403, and nothing changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from wangban.accounts.choices import Role
from wangban.accounts.models import User
from wangban.cases import actions, review
from wangban.cases.models import Case
from wangban.cases.tests.helpers import submitted_case
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
from wangban.conftest import City, make_staff, with_verified_identity
from wangban.core.errors import Forbidden, NotFound

Call = Callable[[Case, Any], Any]

#: Each review action as API.md's "who" would call it; the case is brought to where the
#: action is allowed (审核 for approve/return is at 复核 so that it can go back).
CALLS: dict[str, tuple[str, Call]] = {
    "approve_step": ("at_first", lambda c, u: review.do_approve_step(c, actor=u, opinion="同意")),
    "return_step": ("at_last", lambda c, u: review.do_return_step(c, actor=u, reason="再核")),
    "reassign": ("at_first", lambda c, u: review.do_reassign(c, actor=u, assignee="reviewer_two")),
    "suspend": (
        "at_first",
        lambda c, u: review.do_suspend(c, actor=u, procedure="site_survey", reason="勘查"),
    ),
    "extend": (
        "at_first",
        lambda c, u: review.do_extend(c, actor=u, working_days=2, reason="情况复杂"),
    ),
    "decide": (
        "at_last",
        lambda c, u: review.do_decide(c, actor=u, outcome="approved", reason="符合条件"),
    ),
    "complete": ("decided", lambda c, u: review.do_complete(c, actor=u, delivery="pickup")),
    "resume": ("suspended", lambda c, u: review.do_resume(c, actor=u, note="")),
}

#: (action, who, outcome): "ok", 403 or 404.
MATRIX = [
    ("approve_step", "reviewer", "ok"),
    ("approve_step", "second", 403),  # not the current step's role
    ("approve_step", "handler", 403),
    ("approve_step", "approver", 403),
    ("approve_step", "clerk", 403),
    ("approve_step", "applicant", 403),
    ("approve_step", "supervisor", 403),
    ("approve_step", "market_reviewer", 404),
    ("return_step", "approver", "ok"),
    ("return_step", "reviewer", 403),
    ("reassign", "admin", "ok"),
    ("reassign", "approver", "ok"),
    ("reassign", "reviewer", 403),
    ("reassign", "clerk", 403),
    ("reassign", "applicant", 403),
    ("reassign", "market_admin", 404),
    ("suspend", "handler", "ok"),
    ("suspend", "reviewer", "ok"),  # the current step's role
    ("suspend", "second", 403),
    ("suspend", "clerk", 403),
    ("suspend", "applicant", 403),
    ("resume", "handler", "ok"),
    ("resume", "applicant", 403),
    ("extend", "approver", "ok"),
    ("extend", "reviewer", 403),
    ("extend", "admin", 403),
    ("extend", "applicant", 403),
    ("decide", "approver", "ok"),
    ("decide", "clerk", 403),  # a clerk deciding
    ("decide", "second", 403),
    ("decide", "admin", 403),
    ("decide", "applicant", 403),  # an applicant acting as staff
    ("decide", "supervisor", 403),
    ("decide", "market_reviewer", 404),  # a reviewer of another department
    ("decide", "market_approver", 404),
    ("complete", "clerk", "ok"),
    ("complete", "approver", 403),
    ("complete", "applicant", 403),
    ("complete", "market_clerk", 404),
]


@pytest.fixture
def staff(city: City) -> Staff:
    review_item(city)
    return review_staff(city)


def people(city: City, staff: Staff) -> dict[str, User]:
    make_staff("reviewer_two", city.transport, Role.REVIEWER)
    return {
        "clerk": staff.clerk,
        "handler": staff.handler,
        "reviewer": staff.reviewer,
        "second": staff.second,
        "approver": staff.approver,
        "admin": staff.admin,
        "applicant": city.applicant,
        "supervisor": city.supervisor,
        "market_admin": city.market_admin,
        "market_reviewer": make_staff("market_reviewer", city.market, Role.REVIEWER),
        "market_approver": make_staff("market_approver", city.market, Role.APPROVER),
        "market_clerk": make_staff("market_clerk", city.market, Role.CLERK),
    }


def prepared(city: City, staff: Staff, where: str) -> Case:
    if where == "at_first":
        return accepted_case(city, staff)
    case = last_step_case(city, staff)
    with on(ACCEPTED_AT):
        if where == "decided":
            review.do_decide(case, actor=staff.approver, outcome="approved", reason="")
        if where == "suspended":
            review.do_suspend(case, actor=staff.handler, procedure="hearing", reason="听证")
    return case


@pytest.mark.parametrize(("action", "who", "expected"), MATRIX)
def test_the_permission_matrix(
    city: City, staff: Staff, action: str, who: str, expected: Any
) -> None:
    user = people(city, staff)[who]
    where, call = CALLS[action]
    case = prepared(city, staff, where)
    before = trace(case)
    with on(ACCEPTED_AT):
        if expected == "ok":
            call(case, user)
            assert trace(case) != before
            return
        error = {403: Forbidden, 404: NotFound}[expected]
        with pytest.raises(error) as refused:
            call(case, user)
    assert refused.value.status == expected
    assert trace(case) == before


def test_nobody_decides_their_own_application(city: City, staff: Staff) -> None:
    """回避: an approver who applied as a citizen may not decide on it."""
    with_verified_identity(staff.approver, "110101199003070054")
    with on(ACCEPTED_AT):
        case = submitted_case(city, actor=staff.approver)
        actions.do_accept(case, actor=staff.clerk)
        review.do_approve_step(case, actor=staff.reviewer, opinion="同意")
        review.do_approve_step(case, actor=staff.second, opinion="同意")
        before = trace(case)
        with pytest.raises(Forbidden):
            review.do_decide(case, actor=staff.approver, outcome="approved", reason="")
        with pytest.raises(Forbidden):
            review.do_extend(case, actor=staff.approver, working_days=1, reason="x")
    assert trace(case) == before
