"""The permission matrix of every sign-in and account page (portal and workbench): who gets
the page (200), who is sent to log in or on (302), who may not (403), and for whom the
object does not exist (404: applicant B cannot see or revoke applicant A's grants)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from wangban.accounts import actions
from wangban.accounts.models import AgentGrant, LegalPerson, User
from wangban.accounts.tests.helpers import verified
from wangban.conftest import City

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "owner", "other", "staff"]


@dataclass
class World:
    owner: User
    other: User
    staff: User
    company: LegalPerson
    grant: AgentGrant


@pytest.fixture
def world(city: City) -> World:
    owner = verified("owner", 1)
    other = verified("other", 2)
    company = actions.do_register_legal_person(
        owner=owner,
        name="榕城测试有限公司",
        credit_code="91350100M000100Y43",
        representative_name="王",
    )
    today = timezone.localdate()
    grant = actions.do_grant_agent(
        company,
        actor=owner,
        agent_username="other",
        valid_from=today,
        valid_to=today + timedelta(days=10),
        all_items=True,
    )
    return World(owner, other, city.transport_clerk, company, grant)


# (method, url template, {role: status}); 302s of the anonymous go to the area's login.
PAGES: dict[str, tuple[str, str, dict[str, int]]] = {
    "login": ("get", "/login/", {"anonymous": 200, "owner": 302, "other": 302, "staff": 302}),
    "register": ("get", "/register/", {"anonymous": 200, "owner": 302, "other": 302, "staff": 302}),
    "logout": ("post", "/logout/", {"anonymous": 302, "owner": 302, "other": 302, "staff": 302}),
    "account": ("get", "/account/", {"anonymous": 302, "owner": 200, "other": 200, "staff": 200}),
    "reveal-id": (
        "post",
        "/account/reveal-id/",
        {"anonymous": 302, "owner": 200, "other": 200, "staff": 404},
    ),
    "verify": (
        "post",
        "/account/verify/",
        {"anonymous": 302, "owner": 302, "other": 302, "staff": 404},
    ),
    "password-change": (
        "get",
        "/account/password/",
        {"anonymous": 302, "owner": 200, "other": 200, "staff": 200},
    ),
    "password-reset": (
        "get",
        "/account/password/reset/",
        {"anonymous": 200, "owner": 200, "other": 200, "staff": 200},
    ),
    "password-reset-code": (
        "get",
        "/account/password/reset/code/",
        {"anonymous": 302, "owner": 302, "other": 302, "staff": 302},
    ),
    "legal-person-create": (
        "get",
        "/account/legal-persons/new/",
        {"anonymous": 302, "owner": 200, "other": 200, "staff": 200},
    ),
    "legal-person": (
        "get",
        "/account/legal-persons/{company}/",
        {"anonymous": 302, "owner": 200, "other": 404, "staff": 404},
    ),
    "agent-grant-create": (
        "get",
        "/account/legal-persons/{company}/agents/new/",
        {"anonymous": 302, "owner": 200, "other": 404, "staff": 404},
    ),
    "agent-grant-create-post": (
        "post",
        "/account/legal-persons/{company}/agents/new/",
        {"anonymous": 302, "owner": 200, "other": 404, "staff": 404},
    ),
    "agent-grant-revoke": (
        "post",
        "/account/legal-persons/{company}/agents/{grant}/revoke/",
        {"anonymous": 302, "owner": 302, "other": 404, "staff": 404},
    ),
    "workbench-home": (
        "get",
        "/workbench/",
        {"anonymous": 302, "owner": 403, "other": 403, "staff": 200},
    ),
    "workbench-login": (
        "get",
        "/workbench/login/",
        {"anonymous": 200, "owner": 200, "other": 200, "staff": 200},
    ),
    "workbench-login-otp": (
        "get",
        "/workbench/login/otp/",
        {"anonymous": 302, "owner": 302, "other": 302, "staff": 302},
    ),
    "workbench-otp-enrol": (
        "get",
        "/workbench/otp/",
        {"anonymous": 302, "owner": 403, "other": 403, "staff": 200},
    ),
    "workbench-password-change": (
        "get",
        "/workbench/password/",
        {"anonymous": 302, "owner": 403, "other": 403, "staff": 200},
    ),
    "workbench-password-reset": (
        "get",
        "/workbench/password/reset/",
        {"anonymous": 200, "owner": 200, "other": 200, "staff": 200},
    ),
    "workbench-password-reset-code": (
        "get",
        "/workbench/password/reset/code/",
        {"anonymous": 302, "owner": 302, "other": 302, "staff": 302},
    ),
}

# Pages that send the anonymous to log in (the others are public or go elsewhere).
LOGIN_REQUIRED = sorted(
    name
    for name, (_, _, expected) in PAGES.items()
    if expected["anonymous"] == 302
    and name not in {"logout", "password-reset-code", "workbench-password-reset-code"}
    and name != "workbench-login-otp"
)


def client_for(role: str, world: World) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(getattr(world, role))
    return client


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", PAGES)
def test_permission_matrix(world: World, name: str, role: str) -> None:
    method, template, expected = PAGES[name]
    url = template.format(company=world.company.pk, grant=world.grant.pk)
    response = getattr(client_for(role, world), method)(url)
    assert response.status_code == expected[role], (name, role, response.status_code)


@pytest.mark.parametrize("name", LOGIN_REQUIRED)
def test_the_anonymous_are_sent_to_the_login_of_the_area(world: World, name: str) -> None:
    method, template, _ = PAGES[name]
    url = template.format(company=world.company.pk, grant=world.grant.pk)
    response = getattr(Client(), method)(url)
    login = "/workbench/login/" if url.startswith("/workbench/") else "/login/"
    assert response["Location"] == f"{login}?next={url}"


def test_other_cannot_revoke_the_owners_grant(world: World) -> None:
    client = client_for("other", world)
    url = f"/account/legal-persons/{world.company.pk}/agents/{world.grant.pk}/revoke/"
    assert client.post(url).status_code == 404
    world.grant.refresh_from_db()
    assert world.grant.revoked_at is None


def test_a_grant_is_revoked_only_through_its_own_legal_person(world: World) -> None:
    """A grant id under another legal person's URL is not found, even for an owner."""
    theirs = actions.do_register_legal_person(
        owner=world.other,
        name="另一家公司",
        credit_code="91110000MA0000001L",
        representative_name="李",
    )
    client = client_for("other", world)
    url = f"/account/legal-persons/{theirs.pk}/agents/{world.grant.pk}/revoke/"
    assert client.post(url).status_code == 404
    world.grant.refresh_from_db()
    assert world.grant.revoked_at is None


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/account/reveal-id/"),
        ("get", "/account/verify/"),
        ("get", "/account/legal-persons/{company}/agents/{grant}/revoke/"),
        ("get", "/logout/"),
    ],
)
def test_writes_need_post(world: World, method: str, url: str) -> None:
    client = client_for("owner", world)
    path = url.format(company=world.company.pk, grant=world.grant.pk)
    assert getattr(client, method)(path).status_code == 405


def test_every_form_has_the_csrf_token(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.owner)
    response = client.post("/account/reveal-id/")
    assert response.status_code == 403
    page = client.get("/account/").content.decode()
    assert page.count('name="csrfmiddlewaretoken"') >= 3  # elder switch, reveal, logout
