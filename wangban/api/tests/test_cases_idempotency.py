"""`Idempotency-Key` on the case endpoints (API.md, Conventions): a retried create, upload or
transition does nothing twice — uploads too, whatever their size and multipart boundary."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import encode_multipart

from wangban.api.models import IdempotencyRecord
from wangban.api.tests.cases_helpers import CODE, FORM, PDF, applicant, client_for, error
from wangban.audit.models import AuditEvent
from wangban.cases.models import Case, CaseMaterial
from wangban.cases.tests.helpers import draft_case, item, submitted_case
from wangban.conftest import City

MB = 1024 * 1024


def big_pdf(size: int) -> bytes:
    return b"%PDF-1.4\n" + b"0" * (size - 9)


def upload(api: Any, case: Case, content: bytes, key: str, boundary: str = "b0undary") -> Any:
    """A multipart upload encoded here, so that a retry may use another boundary, as a real
    client's retry does."""
    file = SimpleUploadedFile("营业执照.pdf", content, content_type="application/pdf")
    body = encode_multipart(boundary, {"material_code": "M02", "file": file})
    return api.post(
        f"/api/v1/cases/{case.pk}/materials",
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def test_a_retried_create_returns_the_first_case(city: City) -> None:
    item(city)
    api = client_for(applicant())
    body = {"item_code": CODE, "form": FORM}
    first = api.post("/api/v1/cases", body, format="json", HTTP_IDEMPOTENCY_KEY="create-1")
    again = api.post("/api/v1/cases", body, format="json", HTTP_IDEMPOTENCY_KEY="create-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    # The whole first answer: the draft's address too.
    assert again["Location"] == first["Location"] == f"/api/v1/cases/{first.json()['id']}"
    assert Case.objects.count() == 1
    assert AuditEvent.objects.filter(action="case.create").count() == 1

    other = api.post(
        "/api/v1/cases",
        {"item_code": CODE, "form": {"company": "另一家公司"}},
        format="json",
        HTTP_IDEMPOTENCY_KEY="create-1",
    )
    assert other.status_code == 409
    assert error(other)["code"] == "idempotency_key_reused"
    assert Case.objects.count() == 1


def test_a_retried_upload_under_another_boundary_is_replayed(city: City) -> None:
    item(city)
    person = applicant()
    case = draft_case(city, actor=person)
    api = client_for(person)
    first = upload(api, case, PDF, "upload-1", boundary="first-boundary")
    again = upload(api, case, PDF, "upload-1", boundary="second-boundary")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert AuditEvent.objects.filter(action="case.attach_material").count() == 1

    changed = upload(api, case, PDF + b"%changed\n", "upload-1")
    assert (changed.status_code, error(changed)["code"]) == (409, "idempotency_key_reused")
    assert CaseMaterial.objects.get(case=case).size == len(PDF)


def test_a_15_mb_pdf_with_a_key_is_attached_once(city: City, settings: Any) -> None:
    """Larger than DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB): the key is computed over the parsed
    upload, never by reading the whole body into memory."""
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE < 15 * MB
    item(city)
    person = applicant()
    case = draft_case(city, actor=person)
    api = client_for(person)
    content = big_pdf(15 * MB)
    first = upload(api, case, content, "big-1")
    again = upload(api, case, content, "big-1")
    assert first.status_code == 201
    assert (first.json()["size"], first.json()["content_type"]) == (15 * MB, "application/pdf")
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert CaseMaterial.objects.filter(case=case).count() == 1
    assert AuditEvent.objects.filter(action="case.attach_material").count() == 1


@pytest.mark.parametrize("key", ["huge-1", None])
def test_a_file_above_the_20_mb_limit_is_413_with_or_without_a_key(
    city: City, key: str | None
) -> None:
    item(city)
    person = applicant()
    case = draft_case(city, actor=person)
    api = client_for(person)
    file = SimpleUploadedFile("扫描件.pdf", big_pdf(20 * MB + 1), content_type="application/pdf")
    headers: dict[str, Any] = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    response = api.post(
        f"/api/v1/cases/{case.pk}/materials", {"material_code": "M02", "file": file}, **headers
    )
    assert response.status_code == 413
    assert error(response) == {
        "code": "file_too_large",
        "message": "文件不能超过 20 MB。",
        "fields": {},
    }
    assert not CaseMaterial.objects.filter(case=case).exists()
    assert not AuditEvent.objects.filter(action="case.attach_material").exists()


def test_a_malformed_multipart_body_with_a_key_is_400(city: City) -> None:
    item(city)
    person = applicant()
    case = draft_case(city, actor=person)
    response = client_for(person).post(
        f"/api/v1/cases/{case.pk}/materials",
        b"--x\r\nnot a part",
        content_type="multipart/form-data",  # no boundary
        HTTP_IDEMPOTENCY_KEY="bad-1",
    )
    assert response.status_code == 400
    assert error(response)["code"] == "malformed_request"
    assert IdempotencyRecord.objects.count() == 0


def test_a_retried_acceptance_is_replayed_not_refused(city: City) -> None:
    item(city)
    case = submitted_case(city, actor=applicant())
    clerk = client_for(city.transport_clerk)
    path = f"/api/v1/cases/{case.pk}/transitions"
    first = clerk.post(path, {"action": "accept"}, format="json", HTTP_IDEMPOTENCY_KEY="acc-1")
    again = clerk.post(path, {"action": "accept"}, format="json", HTTP_IDEMPOTENCY_KEY="acc-1")
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    assert AuditEvent.objects.filter(action="case.accept").count() == 1
