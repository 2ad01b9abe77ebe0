"""The permission matrix of the acceptance pages: every page and action against every kind
of user — the accepting clerk, another department's clerk, the service centre's clerk with
and without an entrusting department, a handler, a supervisor, an applicant's account and an
anonymous visitor. A refusal changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from wangban.accounts.choices import Role
from wangban.accounts.models import User
from wangban.accounts.tests.helpers import verified
from wangban.audit.models import AuditEvent
from wangban.cases import actions
from wangban.cases.choices import Channel
from wangban.cases.documents import render_document
from wangban.cases.models import Case, CaseDocument
from wangban.cases.tests.helpers import (
    ENTRUSTED_CODE,
    FORM,
    at,
    entrusted_department,
    fresh,
    item,
    pdf,
    submitted_case,
)
from wangban.catalog.tests.helpers import CODE
from wangban.conftest import City, make_staff, with_verified_identity

MONDAY = at(2026, 11, 23, 9, 30)

# (method, path under the case, data)
CASE_VIEWS: list[tuple[str, str, dict[str, Any]]] = [
    ("get", "", {}),
    ("get", "correction/", {}),
    ("get", "reject/", {}),
    ("get", "terminate/", {}),
    ("post", "sign-in/", {}),
    ("post", "accept/", {}),
    ("post", "correction/", {"materials": ["M01"], "reason-0": "缺少签字"}),
    ("post", "reject/", {"reason": "不符合条件"}),
    ("post", "terminate/", {"reason": "逾期未补正"}),
    ("post", "id-number/", {}),
    ("post", "form/", {"company": "某某", "vehicles": "1"}),
    ("post", "attach/", {"material": "M01"}),
    ("post", "paper/", {"material": "M01", "note": "纸质"}),
    ("post", "submit/", {}),
]
PAGES = [
    "/workbench/cases/",
    "/workbench/cases/deemed/",
    "/workbench/cases/intake/",
    "/workbench/cases/repeat-notices/",
]


def snapshot(case: Case) -> tuple[Any, ...]:
    case = fresh(case)
    return (
        case.state,
        case.signed_in_at,
        case.receipt_no,
        case.form,
        case.events.count(),
        case.materials.count(),
        case.correction_notices.count(),
        AuditEvent.objects.exclude(action__in=["auth.login", "pii.view"]).count(),
    )


def request(client: Client, method: str, url: str, data: dict[str, Any]) -> int:
    with time_machine.travel(MONDAY, tick=False):
        if method == "get":
            return client.get(url).status_code
        if "material" in data and "note" not in data:
            data = {**data, "file": pdf()}
        return client.post(url, data).status_code


def as_user(client: Client, user: User | None) -> Client:
    client.logout()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def online_case(city: City) -> Case:
    item(city)
    applicant = verified("zhangsan", 7)
    with time_machine.travel(at(2026, 11, 20, 15, 0), tick=False):
        return submitted_case(city, actor=applicant)


def statuses(client: Client, user: User | None, case: Case) -> list[int]:
    as_user(client, user)
    before = snapshot(case)
    found = [
        request(client, method, f"/workbench/cases/{case.pk}/{path}", data)
        for method, path, data in CASE_VIEWS
    ]
    assert snapshot(case) == before, "a refusal changed the case"
    return found


def pages(client: Client) -> list[int]:
    """The queue, the deemed list and intake."""
    with time_machine.travel(MONDAY, tick=False):
        return [client.get(url).status_code for url in PAGES]


def test_anonymous_visitors_go_to_the_workbench_login(
    client: Client, city: City, online_case: Case
) -> None:
    for method, path, data in CASE_VIEWS:
        url = f"/workbench/cases/{online_case.pk}/{path}"
        with time_machine.travel(MONDAY, tick=False):
            response = getattr(client, method)(url, data)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/workbench/login/"), url
    for url in PAGES:
        response = client.get(url)
        assert response["Location"] == f"/workbench/login/?next={url}"


def test_an_applicants_account_has_no_workbench(client: Client, online_case: Case) -> None:
    applicant = online_case.applicant
    assert statuses(client, applicant, online_case) == [403] * len(CASE_VIEWS)
    assert pages(client) == [403, 403, 403, 403]


def test_another_departments_clerk_gets_404_and_an_empty_queue(
    client: Client, city: City, online_case: Case
) -> None:
    market_clerk = make_staff("market_clerk", city.market, Role.CLERK)
    assert statuses(client, market_clerk, online_case) == [404] * len(CASE_VIEWS)
    with time_machine.travel(MONDAY, tick=False):
        html = client.get("/workbench/cases/").content.decode()
    assert online_case.pk not in html
    assert "没有符合条件的办件。" in html


def test_another_departments_answer_after_the_five_days_deems_nothing(
    client: Client, city: City, online_case: Case
) -> None:
    """Submitted on Friday 11-20: the law accepts it after 11-27. A clerk who may not see the
    case answers on 12-01: 404, and the case stays as it was (the periodic job, or a request
    of someone who may see the case, records the deemed acceptance)."""
    as_user(client, make_staff("market_clerk", city.market, Role.CLERK))
    answers = [(path, data) for method, path, data in CASE_VIEWS[4:8]]
    assert [path for path, _ in answers] == ["sign-in/", "accept/", "correction/", "reject/"]
    before = snapshot(online_case)
    with time_machine.travel(at(2026, 12, 1, 10, 0), tick=False):
        found = [
            client.post(f"/workbench/cases/{online_case.pk}/{path}", data).status_code
            for path, data in answers
        ]
    assert found == [404] * 4
    assert snapshot(online_case) == before
    assert not fresh(online_case).deemed_accepted


def test_a_handler_sees_a_submitted_case_but_may_not_accept(
    client: Client, city: City, online_case: Case
) -> None:
    handler = make_staff("transport_handler", city.transport, Role.HANDLER)
    assert statuses(client, handler, online_case) == [200] + [403] * (len(CASE_VIEWS) - 1)
    with time_machine.travel(MONDAY, tick=False):
        html = client.get(f"/workbench/cases/{online_case.pk}/").content.decode()
    assert "您现在不能对该办件进行操作。" in html
    assert "accept/" not in html
    assert "查看完整号码" not in html
    assert pages(client) == [403, 403, 403, 403]
    # A window draft is not filed yet: not the handler's to see.
    with time_machine.travel(MONDAY, tick=False):
        draft = actions.do_create_case(
            actor=city.transport_clerk,
            item_code=CODE,
            channel=Channel.WINDOW,
            applicant=online_case.applicant,
        )
    assert statuses(client, handler, draft) == [404] * len(CASE_VIEWS)


def test_a_supervisor_reads_only(client: Client, city: City, online_case: Case) -> None:
    assert statuses(client, city.supervisor, online_case) == [200] + [403] * (len(CASE_VIEWS) - 1)
    with time_machine.travel(MONDAY, tick=False):
        html = client.get(f"/workbench/cases/{online_case.pk}/").content.decode()
    assert "您现在不能对该办件进行操作。" in html
    assert pages(client) == [403, 200, 403, 200]


def test_the_accepting_clerks_refusals(client: Client, city: City, online_case: Case) -> None:
    """The accepting clerk may open every page; what the state does not allow is 409, what
    is not theirs to do is 403 (the applicant's form and materials of an online case)."""
    expected = {
        ("get", ""): 200,
        ("get", "correction/"): 200,
        ("get", "reject/"): 200,
        ("get", "terminate/"): 409,  # no correction pending
        ("post", "terminate/"): 409,
        ("post", "form/"): 403,  # an online case's form is the applicant's
        ("post", "submit/"): 403,
        ("post", "id-number/"): 200,  # shown on the page, audited as pii.view
        ("post", "attach/"): 403,  # an online case's files are the applicant's
        # a paper mark is the clerk's, but materials are locked once submitted
        ("post", "paper/"): 409,
    }
    as_user(client, city.transport_clerk)
    before = snapshot(online_case)
    found = {
        (method, path): request(client, method, f"/workbench/cases/{online_case.pk}/{path}", data)
        for method, path, data in CASE_VIEWS
        if (method, path) in expected
    }
    assert found == expected
    assert snapshot(online_case) == before
    assert pages(client) == [200, 200, 200, 200]


def test_the_centre_clerk_accepts_for_a_department_that_entrusts_it(
    client: Client, city: City
) -> None:
    item(city)
    entrusted_department(city)
    centre_clerk = make_staff("centre_clerk", city.centre, Role.CLERK)
    with time_machine.travel(at(2026, 11, 20, 15, 0), tick=False):
        entrusted = submitted_case(city, ENTRUSTED_CODE)
        own = submitted_case(city)
    as_user(client, centre_clerk)
    with time_machine.travel(MONDAY, tick=False):
        queue = client.get("/workbench/cases/").content.decode()
        page = client.get(f"/workbench/cases/{entrusted.pk}/").content.decode()
        response = client.post(f"/workbench/cases/{entrusted.pk}/accept/")
    assert entrusted.pk in queue
    assert own.pk not in queue
    assert "市政务服务中心（一窗受理）" in page
    assert response.status_code == 302
    accepted = fresh(entrusted)
    assert (accepted.state, accepted.accepted_by) == ("in_review", centre_clerk)
    assert accepted.receipt_no == "D03-20261123-00001"  # numbered by the implementing department
    # A department that accepts its own: 404 for the centre.
    assert statuses(client, centre_clerk, own) == [404] * len(CASE_VIEWS)


def test_the_centre_clerk_registers_window_applications_for_the_entrusting_department(
    client: Client, city: City
) -> None:
    item(city)
    entrusted_department(city)
    centre_clerk = make_staff("centre_clerk", city.centre, Role.CLERK)
    verified("zhangsan", 7)
    as_user(client, centre_clerk)
    with time_machine.travel(MONDAY, tick=False):
        html = client.get("/workbench/cases/intake/").content.decode()
        refused = client.post("/workbench/cases/intake/", {"item": CODE, "applicant": "zhangsan"})
        done = client.post(
            "/workbench/cases/intake/", {"item": ENTRUSTED_CODE, "applicant": "zhangsan"}
        )
    assert f'value="{ENTRUSTED_CODE}"' in html
    assert f'value="{CODE}"' not in html
    assert refused.status_code == 400
    assert done.status_code == 302
    case = Case.objects.get()
    assert (case.item.code, case.accepting_department, case.created_by) == (
        ENTRUSTED_CODE,
        city.centre,
        centre_clerk,
    )


def test_a_clerk_may_not_decide_their_own_application(client: Client, city: City) -> None:
    """回避: a clerk who applied online themselves gets no buttons and 403 on every
    clerk's action."""
    item(city)
    with_verified_identity(city.transport_clerk, "110101199003070054")
    with time_machine.travel(at(2026, 11, 20, 15, 0), tick=False):
        own = submitted_case(city, actor=city.transport_clerk, form=dict(FORM))
    as_user(client, city.transport_clerk)
    before = snapshot(own)
    with time_machine.travel(MONDAY, tick=False):
        html = client.get(f"/workbench/cases/{own.pk}/").content.decode()
        codes = [
            client.post(f"/workbench/cases/{own.pk}/{path}", data).status_code
            for path, data in [
                ("sign-in/", {}),
                ("accept/", {}),
                ("reject/", {"reason": "x"}),
                ("correction/", {"materials": ["M01"], "reason-0": "x"}),
            ]
        ]
    assert "您现在不能对该办件进行操作。" in html
    assert codes == [403, 403, 403, 403]
    assert snapshot(own) == before


def test_staff_who_apply_as_citizens_follow_their_case_in_the_portal_not_the_workbench(
    client: Client, city: City
) -> None:
    """The workbench's case page names staff (step holders, who stopped the clock, event
    actors), the applicant's side names none: a staff member who sees a case only as its
    applicant (here a transport handler applying to another department's item) gets 404 for
    it in the workbench, pages, actions and downloads alike, and follows it in the portal;
    as staff they still work their department's cases in the workbench."""
    item(city)
    entrusted_department(city)
    centre_clerk = make_staff("centre_clerk", city.centre, Role.CLERK)
    handler = with_verified_identity(
        make_staff("transport_handler", city.transport, Role.HANDLER), "110101199003070054"
    )
    with time_machine.travel(at(2026, 11, 20, 15, 0), tick=False):
        own = submitted_case(city, ENTRUSTED_CODE, actor=handler)
        actions.do_accept(own, actor=centre_clerk)
        draft = actions.do_create_case(actor=handler, item_code=ENTRUSTED_CODE, form=dict(FORM))
        work = submitted_case(city, actor=verified("zhangsan", 7))
        actions.do_accept(work, actor=city.transport_clerk)
    for case in (own, work):
        render_document(CaseDocument.objects.get(case=case).pk)

    def files(case: Case, side: str) -> list[str]:
        material = case.materials.get(material_code="M01")
        document = CaseDocument.objects.get(case=case)
        return [
            reverse(f"{side}:case-material", args=[case.pk, material.pk, material.file_name]),
            reverse(f"{side}:case-document", args=[case.pk, document.pk, document.file_name]),
        ]

    as_user(client, handler)
    audited = AuditEvent.objects.filter(action__startswith="case.download").count()
    with time_machine.travel(MONDAY, tick=False):
        workbench = [client.get(url).status_code for url in [_page(own), *files(own, "workbench")]]
        saved = client.post(
            f"/workbench/cases/{draft.pk}/form/", {"company": "改了", "vehicles": "2"}
        )
        assert AuditEvent.objects.filter(action__startswith="case.download").count() == audited
        portal = [
            client.get(url).status_code
            for url in [reverse("portal:case", args=[own.pk]), *files(own, "portal")]
        ]
        at_work = [client.get(url).status_code for url in [_page(work), *files(work, "workbench")]]
        portal_of_work = client.get(reverse("portal:case", args=[work.pk])).status_code
    assert workbench == [404, 404, 404]
    assert saved.status_code == 404
    assert fresh(draft).form == FORM
    assert portal == [200, 200, 200]
    assert at_work == [200, 200, 200]
    assert portal_of_work == 404


def _page(case: Case) -> str:
    return reverse("workbench:case", args=[case.pk])


def test_a_clerk_who_is_only_the_applicant_of_a_draft_cannot_reveal_its_id_number_there(
    client: Client, city: City
) -> None:
    """A clerk of the accepting department who files their own online application sees its
    draft only as its applicant: the workbench's case page is 404 to them, and so is its
    reveal-identity action, which unmasks and audits nothing (it unmasked, audited a
    `pii.view`, then answered 404)."""
    item(city)
    clerk = with_verified_identity(city.transport_clerk, "110101199003070054")
    with time_machine.travel(at(2026, 11, 20, 15, 0), tick=False):
        draft = actions.do_create_case(actor=clerk, item_code=CODE, form=dict(FORM))
    assert draft.channel == Channel.ONLINE
    as_user(client, clerk)
    viewed = AuditEvent.objects.filter(action="pii.view").count()
    with time_machine.travel(MONDAY, tick=False):
        page = client.get(_page(draft))
        revealed = client.post(f"/workbench/cases/{draft.pk}/id-number/")
    assert page.status_code == 404
    assert revealed.status_code == 404
    assert "110101199003070054" not in revealed.content.decode()
    assert AuditEvent.objects.filter(action="pii.view").count() == viewed
