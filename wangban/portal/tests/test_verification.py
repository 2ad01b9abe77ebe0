"""The public verification page of a sealed decision (`/verify/<code>/`): no sign-in, the
check recomputed from the stored file, only masked personal data; the upload check accepts
exactly the sealed file; bad input and too many attempts are refused with nothing changed;
and the applicant's case page shows the decision with its download and verification link,
which nobody else may download."""

from __future__ import annotations

import html as html_lib
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from wangban.accounts.tests.helpers import verified
from wangban.audit.models import AuditEvent
from wangban.cases import review
from wangban.cases.models import CaseDocument
from wangban.cases.tests.decision_helpers import (
    APPROVAL_REASON,
    DENIAL_REASON,
    decided_case,
    decision_of,
    rendered_decision,
    review_world,
    stored_bytes,
    tamper_stored_file,
    transport_seal,
)
from wangban.cases.tests.review_helpers import Staff
from wangban.conftest import APPLICANT_ID_NUMBER, City
from wangban.portal import verification

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_media_and_fresh_limits(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path
    cache.clear()  # the per-address counters


@pytest.fixture
def staff(city: City) -> Staff:
    staff = review_world(city)
    transport_seal(city)
    return staff


def page(document: CaseDocument) -> str:
    return reverse("portal:verify-document", args=[document.verification_code])


def upload(client: Client, document: CaseDocument, data: bytes, name: str = "决定书.pdf"):
    return client.post(page(document), {"document": SimpleUploadedFile(name, data)})


# --- the page -------------------------------------------------------------------------------


def test_anyone_sees_the_check_pass_with_only_masked_data(city: City, staff: Staff) -> None:
    document = rendered_decision(city, staff)
    response = Client().get(page(document))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<strong class="verify-result verify-valid" id="verify-result">验证通过</strong>' in html
    assert "验证通过：文件自加盖电子印章以来未被改动，签章有效。" in html
    assert '<dd id="verify-kind">准予行政许可决定书</dd>' in html
    assert '<dd id="verify-department">市交通运输局</dd>' in html
    assert "<dd>2026年10月9日</dd>" in html
    assert '<dd id="verify-applicant">张*</dd>' in html
    assert "<dd>市交通运输局行政审批专用章</dd>" in html
    assert f"<code>{document.seal_key_id}</code>" in html
    assert document.seal_digest in html
    # Nothing else about the applicant or the case.
    receipt_no = document.case.receipt_no
    assert receipt_no
    for private in ("张三", APPLICANT_ID_NUMBER, "4477", receipt_no, APPROVAL_REASON):
        assert private not in html


def test_the_code_is_read_as_typed_from_paper(city: City, staff: Staff) -> None:
    document = rendered_decision(city, staff)
    lower = reverse("portal:verify-document", args=[document.verification_code.lower()])
    assert "验证通过" in Client().get(lower).content.decode()


def test_a_stored_file_changed_after_sealing_shows_the_failure(city: City, staff: Staff) -> None:
    document = rendered_decision(city, staff)
    tamper_stored_file(document)
    html = Client().get(page(document)).content.decode()
    assert 'id="verify-result">验证失败</strong>' in html
    assert "验证失败：文件与加盖电子印章的决定书不一致，可能已被改动或并非该决定书。" in html


def test_a_denial_verifies_too(city: City, staff: Staff) -> None:
    document = rendered_decision(city, staff, "denied")
    html = Client().get(page(document)).content.decode()
    assert '<dd id="verify-kind">不予行政许可决定书</dd>' in html
    assert 'id="verify-result">验证通过</strong>' in html
    assert DENIAL_REASON not in html


@pytest.mark.parametrize("code", ["NOSUCHCODE234567ABCD", "x" * 40])
def test_an_unknown_code_is_404(city: City, staff: Staff, code: str) -> None:
    rendered_decision(city, staff)
    response = Client().get(reverse("portal:verify-document", args=[code]))
    assert response.status_code == 404
    assert "没有找到该决定书。请核对二维码或验证地址是否完整。" in response.content.decode()


def test_a_decision_not_yet_sealed_is_404(city: City, staff: Staff) -> None:
    document = decision_of(decided_case(city, staff))
    assert Client().get(page(document)).status_code == 404


def test_too_many_views_from_one_address_are_429(city: City, staff: Staff, settings) -> None:
    settings.WANGBAN_VERIFY_VIEWS_PER_HOUR = 2
    document = rendered_decision(city, staff)
    client = Client()
    assert [client.get(page(document)).status_code for _ in range(3)] == [200, 200, 429]
    assert "验证过于频繁，请一小时后再试。" in client.get(page(document)).content.decode()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl")
def test_the_page_gives_what_openssl_needs_to_check_the_download(
    city: City, staff: Staff, tmp_path: Path
) -> None:
    """docs/seals.md §5 with the downloaded file and what the page shows, nothing else."""
    document = rendered_decision(city, staff)
    page_html = Client().get(page(document)).content.decode()
    signature = re.search(r'id="verify-signature">([0-9a-f]+)<', page_html)
    pem = re.search(r'id="verify-public-key">([^<]+)</pre>', page_html)
    assert signature is not None
    assert pem is not None
    (tmp_path / "decision.pdf").write_bytes(stored_bytes(document))
    (tmp_path / "seal.pem").write_text(html_lib.unescape(pem.group(1)))
    (tmp_path / "signature.der").write_bytes(bytes.fromhex(signature.group(1)))

    def run(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["openssl", *arguments], cwd=tmp_path, capture_output=True, text=True, check=False
        )

    digest = run("dgst", "-sm3", "-r", "decision.pdf").stdout.split()[0]
    assert digest == document.seal_digest
    (tmp_path / "digest.bin").write_bytes(bytes.fromhex(digest))
    checked = run(
        "pkeyutl", "-verify", "-pubin", "-inkey", "seal.pem", "-rawin", "-digest", "sm3",
        "-pkeyopt", "distid:1234567812345678", "-in", "digest.bin", "-sigfile", "signature.der",
    )  # fmt: skip
    assert "Signature Verified Successfully" in checked.stdout


# --- the upload check --------------------------------------------------------------------------


def test_the_exact_file_passes_the_upload_check(city: City, staff: Staff) -> None:
    document = rendered_decision(city, staff)
    response = upload(Client(), document, stored_bytes(document))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>验证通过</strong>：上传的文件就是加盖电子印章的决定书原件。" in html
    assert f'上传文件的 SM3 摘要：<code class="digest">{document.seal_digest}</code>' in html


def test_a_modified_file_fails_the_upload_check(city: City, staff: Staff) -> None:
    document = rendered_decision(city, staff)
    data = stored_bytes(document).replace(b"%%EOF", b"%%EOF\n% appended\n")
    response = upload(Client(), document, data)
    assert response.status_code == 200
    html = response.content.decode()
    # The verdict is said once, then the reason (it read 验证失败：验证失败：…).
    assert "<strong>验证失败</strong>：文件与加盖电子印章的决定书不一致" in html
    assert "验证失败：验证失败" not in html


def test_another_sealed_decision_fails_the_upload_check(city: City, staff: Staff) -> None:
    document = rendered_decision(city, staff)
    other = rendered_decision(city, staff, "denied")
    html = upload(Client(), document, stored_bytes(other)).content.decode()
    assert "<strong>验证失败</strong>" in html


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        (b"GIF89a not a pdf", 415, "请上传 PDF 格式的决定书文件。"),
        (b"%PDF-" + b"0" * 200, 413, "文件过大：决定书 PDF 不超过 10 MB。"),
    ],
)
def test_bad_uploads_are_refused_with_the_reason(
    city: City, staff: Staff, monkeypatch, data: bytes, status: int, message: str
) -> None:
    monkeypatch.setattr(verification, "MAX_UPLOAD_BYTES", 100)
    document = rendered_decision(city, staff)
    before = (CaseDocument.objects.get(pk=document.pk).seal_digest, AuditEvent.objects.count())
    response = upload(Client(), document, data)
    assert response.status_code == status
    html = response.content.decode()
    assert f'<li><a href="#id_document">{message}</a></li>' in html
    assert (CaseDocument.objects.get(pk=document.pk).seal_digest, AuditEvent.objects.count()) == (
        before
    )


def test_a_missing_file_is_400(city: City, staff: Staff) -> None:
    document = rendered_decision(city, staff)
    response = Client().post(page(document), {})
    assert response.status_code == 400
    html = response.content.decode()
    assert '<a href="#id_document">请选择要核对的决定书 PDF 文件。</a>' in html


def test_too_many_upload_checks_from_one_address_are_429(
    city: City, staff: Staff, settings
) -> None:
    settings.WANGBAN_VERIFY_CHECKS_PER_HOUR = 1
    document = rendered_decision(city, staff)
    client = Client()
    data = stored_bytes(document)
    assert upload(client, document, data).status_code == 200
    refused = upload(client, document, data)
    assert refused.status_code == 429
    html = refused.content.decode()
    assert "验证过于频繁，请一小时后再试。" in html
    assert "上传的文件就是" not in html


def test_the_upload_check_needs_the_csrf_token(city: City, staff: Staff) -> None:
    document = rendered_decision(city, staff)
    client = Client(enforce_csrf_checks=True)
    response = upload(client, document, stored_bytes(document))
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("欧阳娜娜", "欧***"),
        ("某某运输有限公司", "某某******"),
        ("王", "王"),
        ("", ""),
    ],
)
def test_names_are_masked(name: str, masked: str) -> None:
    assert verification.mask_name(name) == masked


# --- the applicant's case page -------------------------------------------------------------------


def test_the_case_page_shows_the_decision_its_download_and_verification_link(
    city: City, staff: Staff
) -> None:
    document = rendered_decision(city, staff)
    case = document.case
    client = Client()
    client.force_login(city.applicant)
    html = client.get(reverse("portal:case", args=[case.pk])).content.decode()
    assert '<dd class="emphasis" id="decision-outcome">准予许可</dd>' in html
    assert "<dt>决定日期</dt><dd>2026年10月9日</dd>" in html
    assert f"<dd>{APPROVAL_REASON}</dd>" in html
    download = reverse("portal:case-document", args=[case.pk, document.pk, document.file_name])
    assert f'<a href="{download}" id="decision-download">' in html
    assert f'<a href="{page(document)}" id="decision-verify">验证决定书的电子印章</a>' in html
    # The timeline names the review actions in Chinese.
    for label in ("审查通过", "作出审批决定"):
        assert f"<strong>{label}</strong>" in html
    response = client.get(download)
    assert response.status_code == 200
    assert response.getvalue() == stored_bytes(document)


def test_a_denial_on_the_case_page_names_the_reasons_and_remedies(city: City, staff: Staff) -> None:
    document = rendered_decision(city, staff, "denied")
    client = Client()
    client.force_login(city.applicant)
    html = client.get(reverse("portal:case", args=[document.case_id])).content.decode()
    assert '<dd class="emphasis" id="decision-outcome">不予许可</dd>' in html
    assert f"<dt>不予许可的理由</dt><dd>{DENIAL_REASON}</dd>" in html
    assert "六十日内依法申请行政复议" in html


def test_a_completed_case_page_says_how_the_result_was_delivered(city: City, staff: Staff) -> None:
    """The workbench and the API show the delivery and its tracking number; the applicant,
    who waits for the parcel, saw only 邮寄送达 in the timeline."""
    document = rendered_decision(city, staff)
    review.do_complete(
        document.case, actor=staff.clerk, delivery="mail", tracking_no="SF1234567890"
    )
    client = Client()
    client.force_login(city.applicant)
    html = client.get(reverse("portal:case", args=[document.case_id])).content.decode()
    assert "<dt>送达</dt><dd>邮寄送达，快递单号 SF1234567890</dd>" in html


def test_while_the_decision_is_rendered_the_page_says_so(city: City, staff: Staff) -> None:
    case = decided_case(city, staff)
    client = Client()
    client.force_login(city.applicant)
    html = client.get(reverse("portal:case", args=[case.pk])).content.decode()
    assert "决定书正在生成并加盖电子印章，请稍后刷新页面再下载。" in html
    assert 'id="decision-download"' not in html


def test_only_the_applicant_side_may_download_the_decision(city: City, staff: Staff) -> None:
    document = rendered_decision(city, staff)
    download = reverse(
        "portal:case-document", args=[document.case_id, document.pk, document.file_name]
    )
    audits = AuditEvent.objects.filter(action="case.download_document").count()
    other = Client()
    other.force_login(verified("lisi", 4, real_name="李四"))
    assert other.get(download).status_code == 404
    anonymous = Client().get(download)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("portal:login"))
    assert AuditEvent.objects.filter(action="case.download_document").count() == audits
