"""Serving a case's materials and notices: who may download (404 for everyone else, the
login page for anonymous visitors), how the response is sent, and that every download is
audited and every refusal is not."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from wangban.accounts.choices import Role
from wangban.accounts.models import User
from wangban.accounts.tests.helpers import verified
from wangban.audit.models import AuditEvent
from wangban.cases import actions
from wangban.cases.documents import open_document, open_material, render_document
from wangban.cases.models import Case, CaseDocument, CaseMaterial
from wangban.cases.tests.helpers import PDF, at, item, submitted_case
from wangban.catalog.tests.helpers import CODE
from wangban.conftest import City, make_staff
from wangban.core.errors import NotFound

pytestmark = pytest.mark.django_db


def accepted_case(city: City) -> tuple[Case, User]:
    item(city)
    applicant = verified("zhang", 1, real_name="张三")
    with time_machine.travel(at(2026, 6, 1, 10, 0), tick=False):
        case = submitted_case(city, actor=applicant)
        actions.do_accept(case, actor=city.transport_clerk)
    return case, applicant


def material_url(case: Case, material: CaseMaterial, **query: str) -> str:
    url = reverse("portal:case-material", args=[case.pk, material.pk, material.file_name])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def document_url(case: Case, document: CaseDocument, **query: str) -> str:
    url = reverse("portal:case-document", args=[case.pk, document.pk, document.file_name])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def streamed(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def downloads(action: str) -> list[tuple[str, str]]:
    return list(
        AuditEvent.objects.filter(action=action)
        .order_by("id")
        .values_list("actor_username", "object_id")
    )


def test_the_routes_are_where_the_pages_link_to() -> None:
    assert reverse("portal:case-material", args=["abc", 7, "营业执照.pdf"]) == (
        "/cases/abc/materials/7/" + quote("营业执照.pdf")
    )
    assert reverse("portal:case-document", args=["abc", 8, "受理通知书.pdf"]) == (
        "/cases/abc/documents/8/" + quote("受理通知书.pdf")
    )


def test_who_may_download_a_material(city: City) -> None:
    case, applicant = accepted_case(city)
    material = CaseMaterial.objects.get(case=case, material_code="M01")
    other_applicant = verified("li", 2, real_name="李四")
    market_clerk = make_staff("market_clerk", city.market, Role.CLERK)
    expected = {
        applicant: 200,
        other_applicant: 404,
        city.transport_clerk: 200,
        market_clerk: 404,
        city.transport_admin: 200,  # the implementing department's staff
        city.market_admin: 404,
        city.supervisor: 200,  # reads every filed case
    }

    statuses = {
        user: signed_in(user).get(material_url(case, material)).status_code for user in expected
    }

    assert statuses == expected
    assert downloads("case.download_material") == [
        ("zhang", case.pk),
        ("transport_clerk", case.pk),
        ("transport_admin", case.pk),
        ("supervisor", case.pk),
    ]
    event = AuditEvent.objects.filter(action="case.download_material").first()
    assert event is not None
    assert event.after == {
        "material": material.pk,
        "material_code": "M01",
        "file_name": "M01.pdf",
        "sha256": material.sha256,
    }
    assert (event.object_type, event.channel) == ("cases.case", "web")


def test_who_may_download_a_notice(city: City) -> None:
    case, applicant = accepted_case(city)
    [document] = CaseDocument.objects.filter(case=case)
    render_document(document.pk)
    document.refresh_from_db()
    other_applicant = verified("li", 2, real_name="李四")
    market_clerk = make_staff("market_clerk", city.market, Role.CLERK)
    expected = {
        applicant: 200,
        other_applicant: 404,
        city.transport_clerk: 200,
        market_clerk: 404,
        city.supervisor: 200,
    }

    statuses = {
        user: signed_in(user).get(document_url(case, document)).status_code for user in expected
    }

    assert statuses == expected
    assert downloads("case.download_document") == [
        ("zhang", case.pk),
        ("transport_clerk", case.pk),
        ("supervisor", case.pk),
    ]
    event = AuditEvent.objects.filter(action="case.download_document").first()
    assert event is not None
    assert event.after == {
        "document": document.pk,
        "kind": "acceptance_notice",
        "title": "受理通知书",
        "sha256": document.sha256,
    }


def test_anonymous_visitors_are_sent_to_the_login_page(city: City) -> None:
    case, _ = accepted_case(city)
    material = CaseMaterial.objects.get(case=case, material_code="M01")
    [document] = CaseDocument.objects.filter(case=case)
    render_document(document.pk)

    for url in (material_url(case, material), document_url(case, document)):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('portal:login')}?next={quote(url)}"
    assert not AuditEvent.objects.filter(action__startswith="case.download_").exists()


def test_a_download_is_an_attachment_never_cached_nor_sniffed(city: City) -> None:
    case, applicant = accepted_case(city)
    material = CaseMaterial.objects.get(case=case, material_code="M01")

    response = signed_in(applicant).get(material_url(case, material))

    assert streamed(response) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="M01.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_inline_shows_it_framable_by_this_site_only(city: City) -> None:
    case, applicant = accepted_case(city)
    [document] = CaseDocument.objects.filter(case=case)
    render_document(document.pk)

    response = signed_in(applicant).get(document_url(case, document, inline="1"))

    assert response.status_code == 200
    assert streamed(response).startswith(b"%PDF-")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        "inline; filename*=utf-8''" + quote("受理通知书.pdf")
    )
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    policy = response["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in policy
    assert "frame-ancestors 'none'" not in policy
    assert "script-src 'self'" in policy  # the rest of the policy stays as it is
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    # the next page is back to the site's default
    page = signed_in(applicant).get(reverse("portal:messages"))
    assert page["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]


def test_a_notice_still_being_generated_is_not_found_with_a_note(city: City) -> None:
    case, applicant = accepted_case(city)
    [document] = CaseDocument.objects.filter(case=case)

    response = signed_in(applicant).get(document_url(case, document))

    assert response.status_code == 404
    assert "文书正在生成，请稍后刷新页面再下载。" in response.content.decode()
    with pytest.raises(NotFound) as error:
        open_document(case.pk, document.pk, applicant)
    assert error.value.code == "document_not_ready"
    assert not AuditEvent.objects.filter(action="case.download_document").exists()


def test_rows_of_another_case_and_paper_materials_are_not_found(city: City) -> None:
    case, applicant = accepted_case(city)
    other = submitted_case(city, actor=applicant)  # the same applicant sees both
    foreign = CaseMaterial.objects.get(case=other, material_code="M01")
    [document] = CaseDocument.objects.filter(case=case)
    render_document(document.pk)
    window = actions.do_create_case(
        actor=city.transport_clerk,
        item_code=CODE,
        form={"company": "某某运输有限公司", "vehicles": 3},
        channel="window",
        applicant=applicant,
    )
    paper = actions.do_mark_paper_material(
        window, actor=city.transport_clerk, material_code="M01", note="原件已核验"
    )

    for case_id, material_id in ((case.pk, foreign.pk), (window.pk, paper.pk), (case.pk, 999999)):
        with pytest.raises(NotFound) as error:
            open_material(case_id, material_id, applicant)
        assert error.value.code == "material_not_found"
    with pytest.raises(NotFound) as error:
        open_document(other.pk, document.pk, applicant)
    assert error.value.code == "document_not_found"
    with pytest.raises(NotFound) as error:
        open_document("no-such-case", document.pk, applicant)
    assert error.value.code == "case_not_found"
    client = signed_in(applicant)
    assert client.get(material_url(case, foreign)).status_code == 404
    assert client.get(document_url(other, document)).status_code == 404
    assert not AuditEvent.objects.filter(action__startswith="case.download_").exists()


def test_the_functions_give_the_file_its_name_and_type(city: City) -> None:
    case, applicant = accepted_case(city)
    material = CaseMaterial.objects.get(case=case, material_code="M02")
    [document] = CaseDocument.objects.filter(case=case)
    render_document(document.pk)

    stream, name, content_type = open_material(case.pk, material.pk, applicant)
    with stream:
        assert (stream.read(), name, content_type) == (PDF, "M02.pdf", "application/pdf")
    stream, name, content_type = open_document(case.pk, document.pk, city.supervisor)
    with stream:
        assert stream.read(5) == b"%PDF-"
    assert (name, content_type) == ("受理通知书.pdf", "application/pdf")
    assert downloads("case.download_material") == [("zhang", case.pk)]
    assert downloads("case.download_document") == [("supervisor", case.pk)]


def test_only_get_is_served(city: City) -> None:
    case, applicant = accepted_case(city)
    material = CaseMaterial.objects.get(case=case, material_code="M01")
    client = signed_in(applicant)
    client.handler.enforce_csrf_checks = False
    assert client.post(material_url(case, material)).status_code == 405
    assert not AuditEvent.objects.filter(action__startswith="case.download_").exists()
