"""The permission matrix of every case page of the portal: who gets the page (200), who is
sent to log in (302), and for whom the case does not exist (404): another applicant, an agent
whose grant does not cover the item, and staff — the accepting clerk and the supervisor may
read the case in the workbench, but the portal's pages are the applicant side's alone.
A refused write changes nothing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from wangban.accounts import actions as account_actions
from wangban.accounts.models import User
from wangban.accounts.tests.helpers import verified
from wangban.cases.models import Case, CaseEvent, CaseMaterial
from wangban.catalog.tests.helpers import CODE
from wangban.conftest import City
from wangban.portal.tests.cases_world import (
    World,
    build_world,
    corrected,
    draft,
    pdf,
    submitted,
)

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "owner", "agent", "other", "agent_outside", "clerk", "supervisor"]
NOT_MINE = {"other": 404, "agent_outside": 404, "clerk": 404, "supervisor": 404}


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


class Cases:
    """A draft, a submitted and a corrected case of the company, filed by its owner."""

    def __init__(self, world: World) -> None:
        self.draft = draft(world.owner, on_behalf_of=world.company)
        self.submitted = submitted(world.owner, on_behalf_of=world.company)
        self.corrected = corrected(world, on_behalf_of=world.company)


@pytest.fixture
def world(city: City) -> World:
    return build_world(city)


@pytest.fixture
def agent(world: World) -> User:
    """An agent whose grant covers this item."""
    user = verified("zhaoliu", 6, real_name="赵六")
    today = timezone.localdate()
    account_actions.do_grant_agent(
        world.company,
        actor=world.owner,
        agent_username="zhaoliu",
        valid_from=today,
        valid_to=today + timedelta(days=30),
        item_codes=[CODE],
    )
    return user


def user_for(role: str, world: World, agent: User) -> User | None:
    return {
        "anonymous": None,
        "owner": world.owner,
        "agent": agent,
        "other": world.other,
        "agent_outside": world.agent,
        "clerk": world.clerk,
        "supervisor": world.city.supervisor,
    }[role]


# (url template, {role: status}); the template's {draft}, {submitted}, {corrected} are ids.
PAGES: dict[str, tuple[str, dict[str, int]]] = {
    "my-cases": ("/cases/", {"owner": 200, "agent": 200, "other": 200, "clerk": 200}),
    "apply-start": (f"/items/{CODE}/apply/", {"owner": 200, "other": 200, "clerk": 200}),
    "form": ("/cases/{draft}/apply/form/", {"owner": 200, "agent": 200, **NOT_MINE}),
    "materials": ("/cases/{draft}/apply/materials/", {"owner": 200, "agent": 200, **NOT_MINE}),
    "check": ("/cases/{draft}/apply/check/", {"owner": 200, "agent": 200, **NOT_MINE}),
    "submitted": ("/cases/{submitted}/apply/submitted/", {"owner": 200, **NOT_MINE}),
    "case": ("/cases/{submitted}/", {"owner": 200, "agent": 200, **NOT_MINE}),
    "draft-case": ("/cases/{draft}/", {"owner": 200, "agent": 200, **NOT_MINE}),
    "correct": ("/cases/{corrected}/correct/", {"owner": 200, "agent": 200, **NOT_MINE}),
    "withdraw": ("/cases/{submitted}/withdraw/", {"owner": 200, "agent": 200, **NOT_MINE}),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", list(PAGES))
def test_page_permissions(world: World, agent: User, client: Client, page: str, role: str) -> None:
    cases = Cases(world)
    template, expected = PAGES[page]
    url = template.format(
        draft=cases.draft.pk, submitted=cases.submitted.pk, corrected=cases.corrected.pk
    )
    user = user_for(role, world, agent)
    if user is not None:
        client.force_login(user)
    response = client.get(url)
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")
        return
    assert response.status_code == expected.get(role, 200), (page, role)
    if response.status_code == 404:
        assert "办件不存在，或您无权查看。" in response.content.decode()


def test_the_progress_query_is_public(client: Client) -> None:
    response = client.get("/progress/")
    assert response.status_code == 200
    assert "<h1>办件进度查询</h1>" in response.content.decode()


def test_unknown_case_ids_are_404(world: World, client: Client) -> None:
    client.force_login(world.owner)
    for url in ("/cases/0000/", "/cases/0000/apply/form/", "/cases/0000/withdraw/"):
        assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("role", ["other", "agent_outside", "clerk", "supervisor"])
def test_writes_by_others_are_404_and_change_nothing(
    world: World, agent: User, client: Client, role: str
) -> None:
    cases = Cases(world)
    user = user_for(role, world, agent)
    assert user is not None
    client.force_login(user)
    events = CaseEvent.objects.count()
    materials = list(CaseMaterial.objects.values_list("pk", "sha256"))
    posts = [
        (f"/cases/{cases.draft.pk}/apply/form/", {"company": "别人的", "action": "save"}),
        (
            f"/cases/{cases.draft.pk}/apply/materials/",
            {"material_code": "M01", "action": "upload", "file": pdf()},
        ),
        (f"/cases/{cases.draft.pk}/apply/check/", {}),
        (f"/cases/{cases.submitted.pk}/withdraw/", {"reason": "别人的撤回"}),
        (
            f"/cases/{cases.corrected.pk}/correct/",
            {"material_code": "M01", "action": "upload", "file": pdf()},
        ),
        (f"/cases/{cases.corrected.pk}/correct/", {"action": "resubmit"}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    assert CaseEvent.objects.count() == events
    assert list(CaseMaterial.objects.values_list("pk", "sha256")) == materials
    assert Case.objects.get(pk=cases.draft.pk).form["company"] == "某某运输有限公司"
    assert Case.objects.get(pk=cases.submitted.pk).state == "submitted"
    assert Case.objects.get(pk=cases.corrected.pk).state == "correction_requested"


def test_an_agent_whose_grant_ended_loses_the_case(
    world: World, agent: User, client: Client
) -> None:
    cases = Cases(world)
    grant = world.company.agent_grants.get(agent=agent)
    account_actions.do_revoke_agent(grant, actor=world.owner)
    client.force_login(agent)
    assert client.get(f"/cases/{cases.submitted.pk}/").status_code == 404
    assert "共 0 件" in client.get("/cases/").content.decode()


def test_an_agent_applies_for_the_company_within_the_grant(
    world: World, agent: User, client: Client
) -> None:
    client.force_login(agent)
    text = client.get(f"/items/{CODE}/apply/").content.decode()
    assert "顺达运输有限公司（统一社会信用代码 91350100M000100Y43）" in text
    response = client.post(f"/items/{CODE}/apply/", {"applicant": f"lp-{world.company.pk}"})
    assert response.status_code == 302
    case = Case.objects.get(applicant=agent)
    assert case.on_behalf_of == world.company
    # The owner sees it in 我的办件 too: it is the company's application.
    client.force_login(world.owner)
    assert f"/cases/{case.pk}/apply/form/" in client.get("/cases/").content.decode()
