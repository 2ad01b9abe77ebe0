"""The transition table as a function; every (state, action) pair through the real actions
is `test_review_transitions.py`."""

from __future__ import annotations

import pytest

from wangban.audit.models import AuditEvent
from wangban.cases import actions
from wangban.cases.choices import TRANSITIONS, CaseAction, CaseState, check_transition
from wangban.cases.models import Case, CaseEvent
from wangban.cases.tests.helpers import fresh, item, submitted_case
from wangban.conftest import City
from wangban.core.errors import Conflict


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


def trace(case: Case) -> tuple[str, int, int]:
    return (
        fresh(case).state,
        CaseEvent.objects.filter(case=case).count(),
        AuditEvent.objects.filter(object_id=case.pk).count(),
    )


def test_signing_in_twice_is_refused(city: City) -> None:
    item(city)
    case = submitted_case(city)
    actions.do_sign_in(case, actor=city.transport_clerk)
    before = trace(case)
    with pytest.raises(Conflict) as refused:
        actions.do_sign_in(case, actor=city.transport_clerk)
    assert refused.value.code == "already_signed_in"
    assert trace(case) == before
