"""Review-stage state built through the real actions: an item with four steps, its staff,
and cases accepted on a given day (the 2026 calendar of DESIGN.md's worked examples)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import time_machine

from wangban.accounts.choices import Role
from wangban.accounts.models import User
from wangban.audit.models import AuditEvent
from wangban.cases import actions, review
from wangban.cases.models import Case, CaseEvent, CaseExtension, CaseStep, ClockStop
from wangban.cases.tests.helpers import at, fresh, submitted_case
from wangban.catalog import actions as catalog_actions
from wangban.catalog.models import ItemVersion
from wangban.catalog.tests.helpers import item_content, publish, published_item
from wangban.conftest import City, make_staff
from wangban.notify.models import Message

#: P = 15, L = 20, warning 3 (DESIGN.md §5's worked examples); the steps' budgets add up to P.
REVIEW_ITEM = {
    "promised_limit_days": 15,
    "legal_limit_days": 20,
    "warning_threshold_days": 3,
    "steps": [
        {"name": "受理", "role": "clerk", "budget_days": 1},
        {"name": "审核", "role": "reviewer", "budget_days": 5},
        {"name": "复核", "role": "second_reviewer", "budget_days": 4},
        {"name": "审批", "role": "approver", "budget_days": 5},
    ],
}

#: P = 10 calendar days (自然日), L = 30 calendar days; one approval step.
CALENDAR_ITEM = {
    "promised_limit_days": 10,
    "promised_limit_unit": "calendar_days",
    "legal_limit_days": 30,
    "legal_limit_unit": "calendar_days",
    "warning_threshold_days": 1,
    "case_type": "2",
    "steps": [{"name": "审批", "role": "approver", "budget_days": 7}],
}

#: Thu 2026-09-24, 10:00 Beijing: acceptance day A of the worked examples.
ACCEPTED_AT = at(2026, 9, 24, 10, 0)


@dataclass
class Staff:
    clerk: User
    handler: User
    reviewer: User
    second: User
    approver: User
    admin: User


def review_item(city: City, **overrides: Any) -> ItemVersion:
    return published_item(city, **{**REVIEW_ITEM, **overrides})


def review_staff(city: City) -> Staff:
    return Staff(
        clerk=city.transport_clerk,
        handler=make_staff("transport_handler", city.transport, Role.HANDLER),
        reviewer=make_staff("transport_reviewer", city.transport, Role.REVIEWER),
        second=make_staff("transport_second", city.transport, Role.SECOND_REVIEWER),
        approver=make_staff("transport_approver", city.transport, Role.APPROVER),
        admin=city.transport_admin,
    )


def on(moment: datetime) -> Any:
    """Travel to `moment` (time stands still)."""
    return time_machine.travel(moment, tick=False)


def accepted_case(city: City, staff: Staff, when: datetime = ACCEPTED_AT) -> Case:
    """A case submitted and accepted at `when`."""
    with on(when):
        case = submitted_case(city)
        actions.do_accept(case, actor=staff.clerk)
    return fresh(case)


def acceptance_only_case(city: City, when: datetime = ACCEPTED_AT) -> tuple[Case, Staff]:
    """A case of an item whose only step is 受理, accepted: in review without a step, it
    waits for the approver's direct decision."""
    version = catalog_actions.do_draft_item(
        actor=city.transport_admin,
        code="ONLY-ACCEPTANCE",
        department=city.transport,
        content=item_content(steps=[{"name": "受理", "role": "clerk", "budget_days": 1}]),
    )
    publish(city, version)
    staff = review_staff(city)
    with on(when):
        case = submitted_case(city, "ONLY-ACCEPTANCE")
        actions.do_accept(case, actor=staff.clerk)
    return fresh(case), staff


def last_step_case(city: City, staff: Staff, when: datetime = ACCEPTED_AT) -> Case:
    """An accepted case passed on to its last step (审批) the same day."""
    case = accepted_case(city, staff, when)
    with on(when):
        review.do_approve_step(case, actor=staff.reviewer, opinion="材料齐全，符合条件。")
        review.do_approve_step(case, actor=staff.second, opinion="同意。")
    return fresh(case)


def trace(case: Case) -> tuple[Any, ...]:
    """Everything an action may change: a refused action leaves it as it was."""
    row = Case.objects.filter(pk=case.pk).values().get()
    return (
        row,
        list(CaseEvent.objects.filter(case=case).values_list("id", flat=True)),
        AuditEvent.objects.filter(object_id=case.pk).count(),
        list(CaseStep.objects.filter(case=case).values()),
        list(ClockStop.objects.filter(case=case).values()),
        CaseExtension.objects.filter(case=case).count(),
        Message.objects.count(),
    )
