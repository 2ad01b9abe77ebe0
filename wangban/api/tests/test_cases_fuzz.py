"""Schema-driven fuzzing of the case endpoints against real cases: generated bodies and
parameters on the caller's own draft and submission, a case that is not theirs, and an
accepted case, answer as documented (statuses, and for 2xx the documented body) and never
with a server error. Complements `test_schema_fuzz.py`, whose caller has no cases."""

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
from wangban.cases import actions
from wangban.cases.tests.helpers import draft_case, item, submitted_case
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
    item(city)
    person = applicant()
    with time_machine.travel(ACCEPTED_AT, tick=False):
        ids = [
            draft_case(city, actor=person).pk,
            submitted_case(city, actor=person).pk,
            submitted_case(city, actor=applicant("other", 2)).pk,
        ]
        accepted = submitted_case(city, actor=person)
        ids.append(actions.do_accept(accepted, actor=city.transport_clerk).pk)
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    operations = [
        result.ok()  # type: ignore[union-attr]
        for result in schema.get_all_operations()
        if "/cases" in result.ok().path or "/progress" in result.ok().path  # type: ignore[union-attr]
    ]
    assert len(operations) == 7
    statuses: set[int] = set()
    users = [person, city.transport_clerk]

    def fuzz(operation, mode: GenerationMode) -> None:
        @given(
            case=operation.as_strategy(generation_mode=mode),
            case_id=st.sampled_from(ids),
            user=st.sampled_from(users),
        )
        @settings(
            max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck)
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
    # The fuzzing reached the views: bodies refused, cases found and not found, lists read.
    assert {200, 400, 404} <= statuses
