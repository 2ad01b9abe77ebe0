"""Every (state, action) pair of the transition table, through the real actions."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine

from wangban.audit.models import AuditEvent
from wangban.cases import actions
from wangban.cases.choices import TRANSITIONS, CaseAction, CaseState, check_transition
from wangban.cases.models import Case, CaseEvent
from wangban.cases.tests.helpers import (
    at,
    attach_required,
    draft_case,
    fresh,
    item,
    pdf,
    submitted_case,
)
from wangban.conftest import City
from wangban.core.errors import Conflict

ISSUE_8_STATES = {"suspended", "approved", "denied", "completed"}


def test_the_table_holds_exactly_api_md_rows() -> None:
    assert {(s, a): t for (s, a), t in TRANSITIONS.items()} == {
        (None, "create"): "draft",
        ("draft", "submit"): "submitted",
        ("submitted", "sign_in"): "submitted",
        ("submitted", "request_correction"): "correction_requested",
        ("correction_requested", "resubmit"): "submitted",
        ("submitted", "accept"): "in_review",
        ("submitted", "deem_accept"): "in_review",
        ("submitted", "reject"): "rejected",
        ("correction_requested", "terminate"): "terminated",
        ("draft", "withdraw"): "withdrawn",
        ("submitted", "withdraw"): "withdrawn",
        ("correction_requested", "withdraw"): "withdrawn",
        ("in_review", "withdraw"): "withdrawn",
        ("suspended", "withdraw"): "withdrawn",
    }


@pytest.mark.parametrize("state", CaseState.values)
@pytest.mark.parametrize("action", CaseAction.values)
def test_check_transition_refuses_every_pair_not_in_the_table(state: str, action: str) -> None:
    target = TRANSITIONS.get((state, action))
    if target is None:
        with pytest.raises(Conflict) as refused:
            check_transition(state, action)
        assert refused.value.code == "invalid_transition"
        assert refused.value.status == 409
    else:
        assert check_transition(state, action) == target


def case_in(city: City, state: str) -> Case:
    """A case brought to `state` by the real actions (issue 8's states are set directly)."""
    with time_machine.travel(at(2026, 6, 1, 10, 0), tick=False):
        if state in {"draft", "withdrawn"}:
            # Registered at the window, so that the clerks see the draft (an online draft
            # is the applicant's alone: 404 to them).
            case = draft_case(
                city, actor=city.transport_clerk, channel="window", applicant=city.applicant
            )
            attach_required(case, city.transport_clerk)
            if state == "withdrawn":
                actions.do_withdraw(case, actor=city.applicant)
            return fresh(case)
        case = submitted_case(city)
        clerk = city.transport_clerk
        if state in {"correction_requested", "terminated"}:
            items = [{"material_code": "M01", "reason": "缺签字"}]
            actions.do_request_correction(case, actor=clerk, items=items)
            actions.do_attach_material(
                case, actor=city.applicant, material_code="M01", upload=pdf()
            )
        if state == "terminated":
            with time_machine.travel(at(2026, 6, 9, 9, 0), tick=False):
                actions.do_terminate(case, actor=clerk, reason="逾期未补正")
        if state == "rejected":
            actions.do_reject(case, actor=clerk, reason="不属于受理范围")
        if state in {"in_review", *ISSUE_8_STATES}:
            actions.do_accept(case, actor=clerk)
        if state in ISSUE_8_STATES:
            Case.objects.filter(pk=case.pk).update(state=state)
    case = fresh(case)
    assert case.state == state
    return case


def attempt(city: City, case: Case, action: str) -> Any:
    clerk, applicant = city.transport_clerk, city.applicant
    calls = {
        "submit": lambda: actions.do_submit(case, actor=applicant),
        "resubmit": lambda: actions.do_resubmit(case, actor=applicant),
        "withdraw": lambda: actions.do_withdraw(case, actor=applicant, reason="不再需要"),
        "sign_in": lambda: actions.do_sign_in(case, actor=clerk),
        "accept": lambda: actions.do_accept(case, actor=clerk),
        "reject": lambda: actions.do_reject(case, actor=clerk, reason="材料不符"),
        "terminate": lambda: actions.do_terminate(case, actor=clerk, reason="逾期未补正"),
        "request_correction": lambda: actions.do_request_correction(
            case,
            actor=clerk,
            items=[{"material_code": "M02", "reason": "不清晰"}],
            reason_for_second="再次告知",
        ),
    }
    return calls[action]()


def trace(case: Case) -> tuple[str, int, int]:
    return (
        fresh(case).state,
        CaseEvent.objects.filter(case=case).count(),
        AuditEvent.objects.filter(object_id=case.pk).count(),
    )


@pytest.mark.parametrize("state", CaseState.values)
@pytest.mark.parametrize(
    "action", [a for a in CaseAction.values if a not in {"create", "deem_accept"}]
)
def test_every_state_and_action(city: City, state: str, action: str) -> None:
    item(city)
    case = case_in(city, state)
    before = trace(case)
    target = TRANSITIONS.get((state, action))
    with time_machine.travel(at(2026, 7, 1, 10, 0), tick=False):
        if target is None:
            with pytest.raises(Conflict) as refused:
                attempt(city, case, action)
            assert refused.value.code == "invalid_transition"
            assert trace(case) == before
        else:
            attempt(city, case, action)
            after = trace(case)
            assert after[0] == target
            assert after[1] == before[1] + 1
            event = CaseEvent.objects.filter(case=case).latest("id")
            assert (event.action, event.from_state, event.to_state) == (action, state, target)


@pytest.mark.parametrize("state", CaseState.values)
def test_the_deemed_acceptance_job_touches_only_submitted_cases(city: City, state: str) -> None:
    item(city)
    case = case_in(city, state)
    accepted = actions.do_deem_accept_due(date(2026, 7, 1))
    expected = TRANSITIONS.get((state, "deem_accept"), state)
    assert fresh(case).state == expected
    assert accepted == ([case.pk] if state == "submitted" else [])


def test_signing_in_twice_is_refused(city: City) -> None:
    item(city)
    case = submitted_case(city)
    actions.do_sign_in(case, actor=city.transport_clerk)
    before = trace(case)
    with pytest.raises(Conflict) as refused:
        actions.do_sign_in(case, actor=city.transport_clerk)
    assert refused.value.code == "already_signed_in"
    assert trace(case) == before
