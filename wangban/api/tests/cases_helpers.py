"""Building the world of the case API tests: a published item, a verified applicant, staff,
and API clients that sign in with a bearer token as an integrating system does. Cases are
built through the real actions (`wangban.cases.tests.helpers`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.utils import timezone
from rest_framework.test import APIClient

from wangban.accounts.models import AgentGrant, ApiToken, LegalPerson, User
from wangban.accounts.tests.helpers import resident_id, verified
from wangban.audit.models import AuditEvent
from wangban.cases.models import Case, CaseEvent, CaseMaterial, CorrectionNotice
from wangban.cases.tests.helpers import FORM, PDF, at
from wangban.catalog.tests.helpers import CODE
from wangban.notify.models import Message

__all__ = ["CODE", "FORM", "PDF", "at"]

#: The applicant's identity number (`verified("applicant", 1)`), and a company's credit code.
APPLICANT_ID_NUMBER = resident_id(1)
CREDIT_CODE = "91110000600037341L"
#: Thursday 2026-09-24, 10:00 in Beijing: the item's 10 working days from that day run past
#: 中秋节 (09-25) and the 国庆节 week to Thursday 10-15 (the make-up Saturday 10-10 counts);
#: its 20 statutory working days end on Thursday 10-29.
ACCEPTED_AT = at(2026, 9, 24, 10, 0)


def client_for(user: User) -> APIClient:
    """An API client with a fresh bearer token of `user`."""
    _, raw = ApiToken.issue(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def applicant(username: str = "applicant", serial: int = 1) -> User:
    """An identity-verified natural person (实名认证), as issue 7 asks of online applicants."""
    return verified(username, serial)


def company(owner: User) -> LegalPerson:
    return LegalPerson.objects.create(
        name="某某运输有限公司",
        credit_code=CREDIT_CODE,
        representative_name="张三",
        owner=owner,
    )


def grant(legal_person: LegalPerson, agent: User, **overrides: Any) -> AgentGrant:
    today = timezone.localdate()
    values: dict[str, Any] = {
        "all_items": False,
        "item_codes": [CODE],
        "valid_from": today - timedelta(days=1),
        "valid_to": today + timedelta(days=30),
    }
    values.update(overrides)
    return AgentGrant.objects.create(
        legal_person=legal_person, agent=agent, granted_by=legal_person.owner, **values
    )


def snapshot(case: Case) -> dict[str, Any]:
    """Everything a refused request must leave as it was: the case row, its materials,
    events, notices, audit events and messages."""
    row = Case.objects.filter(pk=case.pk).values().get()
    return {
        "case": row,
        "materials": list(CaseMaterial.objects.filter(case=case).order_by("pk").values()),
        "events": list(CaseEvent.objects.filter(case=case).order_by("pk").values()),
        "notices": list(CorrectionNotice.objects.filter(case=case).order_by("pk").values()),
        "audit": AuditEvent.objects.count(),
        "messages": Message.objects.count(),
    }


def error(response: Any) -> dict[str, Any]:
    body: dict[str, Any] = response.json()["error"]
    return body


@contextmanager
def unchanged(case: Case) -> Iterator[None]:
    before = snapshot(case)
    yield
    assert snapshot(case) == before
