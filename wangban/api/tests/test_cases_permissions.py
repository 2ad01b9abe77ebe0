"""The permission matrix of the case endpoints: 401 without credentials, 404 for a case the
caller may not see (exactly as for one that does not exist), 403 for one they may see but
not change this way (API.md). `wangban.cases.access` decides; a refusal changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from wangban.accounts.choices import Role
from wangban.accounts.models import User
from wangban.api.tests.cases_helpers import (
    PDF,
    applicant,
    client_for,
    company,
    error,
    grant,
    unchanged,
)
from wangban.cases import actions
from wangban.cases.models import Case, CaseMaterial, ReplacedMaterial
from wangban.cases.tests.helpers import (
    ENTRUSTED_CODE,
    attach_required,
    draft_case,
    entrusted_department,
    item,
    submitted_case,
)
from wangban.catalog.tests.helpers import CODE
from wangban.conftest import City, make_staff

NOT_FOUND = {"code": "case_not_found", "message": "办件不存在，或您无权查看。", "fields": {}}


@dataclass
class World:
    users: dict[str, User | None]
    cases: dict[str, Case]


@pytest.fixture
def world(city: City) -> World:
    item(city)
    entrusted_department(city)
    person = applicant()
    users: dict[str, User | None] = {
        "applicant": person,
        "other_applicant": applicant("other", 2),
        "clerk": city.transport_clerk,
        "other_clerk": make_staff("market_clerk", city.market, Role.CLERK),
        "centre_clerk": make_staff("centre_clerk", city.centre, Role.CLERK),
        "handler": make_staff("transport_handler", city.transport, Role.HANDLER),
        "civil_admin": User.objects.get(username="civil_admin"),
        "supervisor": city.supervisor,
        "anonymous": None,
    }
    draft = draft_case(city, actor=person)
    attach_required(draft, person)  # complete: its owner may submit it
    cases = {
        "draft": draft,
        "submitted": submitted_case(city, actor=person),
        "entrusted": submitted_case(city, ENTRUSTED_CODE, actor=person),
    }
    return World(users, cases)


def client(user: User | None) -> APIClient:
    return APIClient() if user is None else client_for(user)


def request(api: APIClient, what: str, case: Case) -> Any:
    base = f"/api/v1/cases/{case.pk}"
    if what == "read":
        return api.get(base)
    if what == "upload":
        file = SimpleUploadedFile("M01.pdf", PDF, content_type="application/pdf")
        return api.post(f"{base}/materials", {"material_code": "M01", "file": file})
    if what == "submit":
        return api.post(f"{base}/submit")
    body = {"action": what, "reason": "不再需要"} if what == "withdraw" else {"action": what}
    return api.post(f"{base}/transitions", body, format="json")


MATRIX = [
    # The applicant side: its own cases, the applicant's actions only.
    ("applicant", "read", "submitted", 200),
    ("applicant", "upload", "draft", 201),
    ("applicant", "submit", "draft", 200),
    ("applicant", "withdraw", "submitted", 200),
    ("applicant", "accept", "submitted", 403),  # an applicant accepting
    ("applicant", "sign_in", "submitted", 403),
    # Another applicant: nothing of someone else's exists.
    ("other_applicant", "read", "submitted", 404),
    ("other_applicant", "upload", "draft", 404),
    ("other_applicant", "submit", "draft", 404),
    ("other_applicant", "withdraw", "submitted", 404),
    # The accepting department's clerk: the queue, the clerk's actions; no online drafts.
    ("clerk", "read", "submitted", 200),
    ("clerk", "accept", "submitted", 200),
    ("clerk", "withdraw", "submitted", 403),
    ("clerk", "read", "draft", 404),
    ("clerk", "upload", "draft", 404),
    ("clerk", "submit", "draft", 404),
    # Another department's clerk.
    ("other_clerk", "read", "submitted", 404),
    ("other_clerk", "accept", "submitted", 404),
    # 一窗受理: the centre's clerks accept for a department that entrusts acceptance, and only
    # for it; the department itself reviews but does not accept.
    ("centre_clerk", "read", "submitted", 404),
    ("centre_clerk", "accept", "submitted", 404),
    ("centre_clerk", "read", "entrusted", 200),
    ("centre_clerk", "accept", "entrusted", 200),
    ("clerk", "read", "entrusted", 404),
    ("civil_admin", "read", "entrusted", 200),
    ("civil_admin", "accept", "entrusted", 403),
    # A reviewer of the department sees the case; acceptance is a clerk's.
    ("handler", "read", "submitted", 200),
    ("handler", "accept", "submitted", 403),
    # Supervisors read every filed case and write none.
    ("supervisor", "read", "submitted", 200),
    ("supervisor", "accept", "submitted", 403),
    ("supervisor", "withdraw", "submitted", 403),
    ("supervisor", "read", "draft", 404),
    # Nobody without credentials.
    ("anonymous", "read", "submitted", 401),
    ("anonymous", "upload", "draft", 401),
    ("anonymous", "submit", "draft", 401),
    ("anonymous", "accept", "submitted", 401),
]


@pytest.mark.parametrize(("who", "what", "which", "status"), MATRIX)
def test_the_permission_matrix(world: World, who: str, what: str, which: str, status: int) -> None:
    case = world.cases[which]
    api = client(world.users[who])
    if status < 300:
        assert request(api, what, case).status_code == status
        return
    with unchanged(case):
        response = request(api, what, case)
    assert response.status_code == status
    if status == 404:
        assert error(response) == NOT_FOUND
    if status == 401:
        assert error(response)["code"] == "not_authenticated"


def test_a_case_that_does_not_exist_reads_as_one_not_visible(world: World) -> None:
    api = client_for(world.users["applicant"])  # type: ignore[arg-type]
    for path in ["/api/v1/cases/0123456789abcdef0123", "/api/v1/cases/" + "a" * 200]:
        assert api.get(path).status_code == 404
        assert error(api.get(path)) == NOT_FOUND
    response = api.post("/api/v1/cases/0123456789abcdef0123/transitions", {"action": "withdraw"})
    assert (response.status_code, error(response)) == (404, NOT_FOUND)


def test_the_list_needs_credentials(world: World) -> None:
    response = APIClient().get("/api/v1/cases")
    assert response.status_code == 401
    assert error(response)["code"] == "not_authenticated"


def test_an_agent_acts_only_inside_the_grant(city: City) -> None:
    item(city)
    owner = applicant()
    agent = applicant("agent", 2)
    legal_person = company(owner)
    in_force = grant(legal_person, agent)
    case = submitted_case(city, actor=agent, on_behalf_of=legal_person)
    api = client_for(agent)
    assert api.get(f"/api/v1/cases/{case.pk}").status_code == 200

    # A grant for other items only: no new application for this one.
    in_force.item_codes = ["OTHER-ITEM"]
    in_force.save()
    refused = api.post(
        "/api/v1/cases",
        {"item_code": CODE, "on_behalf_of": str(legal_person.pk)},
        format="json",
    )
    assert refused.status_code == 403
    assert error(refused) == {
        "code": "agent_not_authorised",
        "message": "您没有代某某运输有限公司办理该事项的有效授权。",
        "fields": {},
    }
    assert Case.objects.count() == 1

    # A grant that has ended: the agent no longer sees the case they filed; the owner does.
    in_force.item_codes = [CODE]
    in_force.valid_to = timezone.localdate() - timedelta(days=1)
    in_force.save()
    with unchanged(case):
        assert api.get(f"/api/v1/cases/{case.pk}").status_code == 404
        withdraw = api.post(
            f"/api/v1/cases/{case.pk}/transitions",
            {"action": "withdraw", "reason": "x"},
            format="json",
        )
    assert (withdraw.status_code, error(withdraw)) == (404, NOT_FOUND)
    assert api.get("/api/v1/cases").json()["count"] == 0
    assert client_for(owner).get(f"/api/v1/cases/{case.pk}").status_code == 200


def test_a_stranger_cannot_file_for_a_legal_person(city: City) -> None:
    item(city)
    legal_person = company(applicant())
    stranger = applicant("stranger", 3)
    response = client_for(stranger).post(
        "/api/v1/cases",
        {"item_code": CODE, "on_behalf_of": str(legal_person.pk)},
        format="json",
    )
    assert response.status_code == 403
    assert error(response)["code"] == "agent_not_authorised"
    assert Case.objects.count() == 0


def test_the_accepting_clerk_uploads_to_a_window_case_and_another_clerk_cannot(
    city: City,
) -> None:
    """大安办法第十七—十八条: the window clerk digitises what the applicant hands over."""
    item(city)
    person = applicant()
    window = draft_case(city, actor=city.transport_clerk, channel="window", applicant=person)

    def upload(user: User) -> Any:
        file = SimpleUploadedFile("M01.pdf", PDF, content_type="application/pdf")
        return client_for(user).post(
            f"/api/v1/cases/{window.pk}/materials", {"material_code": "M01", "file": file}
        )

    market_clerk = make_staff("market_clerk", city.market, Role.CLERK)
    with unchanged(window):
        refused = upload(market_clerk)
    assert (refused.status_code, error(refused)) == (404, NOT_FOUND)
    assert upload(city.transport_clerk).status_code == 201
    assert upload(person).status_code == 201  # and the applicant, whose case it is


def test_the_clerk_cannot_replace_the_files_of_an_online_application(city: City) -> None:
    """Only a window application's files are the accepting clerk's to digitise; an online
    applicant answers a correction with files of their own."""
    item(city)
    person = applicant()
    case = submitted_case(city, actor=person)
    actions.do_request_correction(
        case, actor=city.transport_clerk, items=[{"material_code": "M01", "reason": "缺少签字"}]
    )
    file = SimpleUploadedFile("clerk.pdf", PDF + b"%clerk\n", content_type="application/pdf")
    with unchanged(case):
        refused = client_for(city.transport_clerk).post(
            f"/api/v1/cases/{case.pk}/materials", {"material_code": "M01", "file": file}
        )
    assert refused.status_code == 403
    assert not ReplacedMaterial.objects.exists()
    assert CaseMaterial.objects.get(case=case, material_code="M01").attached_by == person
