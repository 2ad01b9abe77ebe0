"""Schema-driven fuzzing of the case endpoints against real cases (issue 8: "schemathesis
over /api/schema/ as an applicant and as staff: no 5xx, responses match the schema"):
generated bodies and parameters on cases in every stage — the caller's draft and
submission, a case that is not theirs, cases in review at the first and at the last step,
suspended, decided and completed — sent with the tokens of the applicant, a clerk, a
handler, a reviewer and an approver, answer as documented (statuses, and for 2xx the
documented body) and never with a server error. Complements `test_schema_fuzz.py`, whose
caller has no cases. Example counts are capped so that this file runs in well under a
minute."""

from __future__ import annotations

import itertools

import pytest
import schemathesis
import time_machine
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.throttling import ScopedRateThrottle
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from config.wsgi import application
from wangban.accounts.models import ApiToken
from wangban.api.tests.cases_helpers import ACCEPTED_AT, applicant, at
from wangban.cases import actions, review
from wangban.cases.tests.helpers import draft_case, submitted_case
from wangban.cases.tests.review_helpers import review_item, review_staff
from wangban.conftest import City

pytestmark = pytest.mark.django_db


@pytest.fixture
def fuzzable(settings, monkeypatch):
    """As in test_schema_fuzz: no lockout, no rate limit, connections kept open."""
    settings.AXES_ENABLED = False
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": None, "public": None})
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.usefixtures("fuzzable")
def test_the_case_endpoints_answer_as_documented_on_real_cases(city: City) -> None:
    review_item(city)
    staff = review_staff(city)
    person = applicant()
    with time_machine.travel(ACCEPTED_AT, tick=False):
        ids = [
            draft_case(city, actor=person).pk,
            submitted_case(city, actor=person).pk,
            submitted_case(city, actor=applicant("other", 2)).pk,
        ]
        at_first_step = actions.do_accept(submitted_case(city, actor=person), actor=staff.clerk)
        ids.append(at_first_step.pk)
        stages = {
            name: submitted_case(city, actor=person) for name in ("last", "stop", "end", "done")
        }
        for case in stages.values():
            actions.do_accept(case, actor=staff.clerk)
        for case in (stages["last"], stages["end"], stages["done"]):
            review.do_approve_step(case, actor=staff.reviewer, opinion="同意")
            review.do_approve_step(case, actor=staff.second, opinion="同意")
        review.do_suspend(stages["stop"], actor=staff.handler, procedure="hearing", reason="听证")
        for case in (stages["end"], stages["done"]):
            review.do_decide(case, actor=staff.approver, outcome="approved", reason="符合")
        review.do_complete(stages["done"], actor=staff.clerk, delivery="pickup")
        ids.extend(case.pk for case in stages.values())
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    operations = [
        result.ok()  # type: ignore[union-attr]
        for result in schema.get_all_operations()
        if "/cases" in result.ok().path or "/progress" in result.ok().path  # type: ignore[union-attr]
    ]
    assert len(operations) == 8  # list, create, read, materials, submit, transitions,
    # documents and the progress query
    statuses: set[int] = set()
    users = [person, staff.clerk, staff.handler, staff.reviewer, staff.approver]

    def fuzz(operation, mode: GenerationMode) -> None:
        @given(
            case=operation.as_strategy(generation_mode=mode),
            case_id=st.sampled_from(ids),
            user=st.sampled_from(users),
        )
        @settings(
            # The transitions take fifteen bodies: more examples there.
            max_examples=60 if operation.path.endswith("/transitions") else 20,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def answers_as_documented(case, case_id: str, user) -> None:
            generated = (case.path_parameters or {}).get("id")
            # A real case instead of the generated id, unless the id is what negative data
            # made invalid (then it must stay so: refused as not found).
            if generated is not None and (
                mode == GenerationMode.POSITIVE or 1 <= len(str(generated)) <= 32
            ):
                case.path_parameters["id"] = case_id
            _, raw = ApiToken.issue(user)
            with time_machine.travel(at(2026, 9, 28, 10, 0), tick=False):
                response = case.call_and_validate(
                    headers={"Authorization": f"Bearer {raw}"},
                    excluded_checks=[positive_data_acceptance],
                )
            statuses.add(response.status_code)

        answers_as_documented()

    for operation, mode in itertools.product(operations, GenerationMode):
        fuzz(operation, mode)
    # The fuzzing reached the views: bodies refused, cases found and not found, lists read,
    # actions refused to the wrong person and in the wrong state.
    assert {200, 400, 403, 404, 409} <= statuses
