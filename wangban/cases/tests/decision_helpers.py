"""Decided cases built through the real actions, their sealed decision documents rendered
as the worker does (synchronously), and reading the PDFs back."""

from __future__ import annotations

import subprocess
from pathlib import Path

from django.core.files.storage import default_storage

from wangban.accounts.models import User
from wangban.cases import review
from wangban.cases.documents import render_document
from wangban.cases.models import Case, CaseDocument
from wangban.cases.tests.helpers import at, fresh
from wangban.cases.tests.review_helpers import Staff, last_step_case, on, review_item, review_staff
from wangban.certificates import actions as seal_actions
from wangban.certificates.models import Seal
from wangban.conftest import City
from wangban.core.files import open_blob

DECIDED_AT = at(2026, 10, 9, 15, 0)  # Fri, 11 working days after the acceptance
APPROVAL_REASON = "申请材料齐全，经营条件符合要求。"
DENIAL_REASON = "停车场地面积不足，不符合道路运输经营许可条件。"
LEGAL_BASIS = "《中华人民共和国道路运输条例》第二十二条"


def review_world(city: City) -> Staff:
    """The review item and its staff; the applicant has a phone (SMS) and an inbox."""
    review_item(city)
    User.objects.filter(pk=city.applicant.pk).update(phone="13800138000")
    return review_staff(city)


def transport_seal(city: City) -> Seal:
    return seal_actions.do_create_seal(city.transport, actor=city.centre_admin)


def decided_case(city: City, staff: Staff, outcome: str = "approved") -> Case:
    """A case accepted on 2026-09-24, walked to its last step and decided on 2026-10-09."""
    case = last_step_case(city, staff)
    reason = APPROVAL_REASON if outcome == "approved" else DENIAL_REASON
    with on(DECIDED_AT):
        review.do_decide(
            case, actor=staff.approver, outcome=outcome, reason=reason, legal_basis=LEGAL_BASIS
        )
    return fresh(case)


def decision_of(case: Case) -> CaseDocument:
    return CaseDocument.objects.get(case=case, kind__in=("approval_decision", "denial_decision"))


def rendered_decision(city: City, staff: Staff, outcome: str = "approved") -> CaseDocument:
    """A decided case whose decision the worker rendered and sealed."""
    case = decided_case(city, staff, outcome)
    document = decision_of(case)
    assert render_document(document.pk) == "ready"
    document.refresh_from_db()
    return document


def stored_bytes(document: CaseDocument) -> bytes:
    with open_blob(document.blob) as stream:
        return bytes(stream.read())


def tamper_stored_file(document: CaseDocument) -> None:
    """Change one byte of the stored file in place, as someone with disk access might."""
    path = Path(default_storage.path(document.blob))
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def pdf_text(data: bytes) -> str:
    """The text pdftotext reads, whitespace removed (lines wrap anywhere)."""
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True
    )
    return "".join(out.stdout.decode().split())


def pdf_fonts(data: bytes, tmp_path: Path) -> list[tuple[str, str]]:
    """(font name without the subset tag, embedded yes/no) of every font, via pdffonts."""
    path = tmp_path / "decision.pdf"
    path.write_bytes(data)
    lines = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, check=True, text=True
    ).stdout.splitlines()[2:]
    return [(line.split()[0].split("+", 1)[-1], line.split()[-5]) for line in lines]
