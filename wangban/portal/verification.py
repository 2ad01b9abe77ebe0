"""`/verify/<code>/`: the public verification page of a sealed decision document (决定书
电子印章验证; docs/seals.md, docs/cases.md "Decision documents and verification").

Anyone holding a decision — the applicant, a bank, another department (乌海规范第十四条:
electronic material bearing an electronic seal is a valid basis for other services) — opens
the address printed under the document's QR code. No sign-in: the code is opaque and random
(`documents.new_verification_code`), and the page shows only what the document itself says
publicly — its kind, the issuing department, the decision day, the seal's name and key id —
and the applicant's name masked. It recomputes the check every time from the stored file
(`documents.check_seal`: SM3 of the file equals the stamp's digest, and the SM2 signature
verifies under the key id's public key), and offers a form to upload a PDF and check that it
is exactly the sealed document. Verification costs CPU, so both are limited per client
address (`portal.cases.ratelimit`, 429 beyond it)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from wangban.accounts.forms import BaseForm
from wangban.cases.documents import SealCheck, check_seal, chinese_date, sealed_document
from wangban.cases.models import CaseDocument
from wangban.certificates.queries import seal_by_key_id
from wangban.portal.cases import ratelimit

#: Views and upload checks one client address may make per hour (settings override them).
DEFAULT_VIEWS_PER_HOUR = 120
DEFAULT_CHECKS_PER_HOUR = 30
#: A decision is a few hundred kilobytes; anything much larger is not one of ours.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
TOO_MANY = "验证过于频繁，请一小时后再试。"
NOT_FOUND = "没有找到该决定书。请核对二维码或验证地址是否完整。"
NOT_PDF = "请上传 PDF 格式的决定书文件。"
TOO_LARGE = "文件过大：决定书 PDF 不超过 10 MB。"


def views_per_hour() -> int:
    return int(getattr(settings, "WANGBAN_VERIFY_VIEWS_PER_HOUR", DEFAULT_VIEWS_PER_HOUR))


def checks_per_hour() -> int:
    return int(getattr(settings, "WANGBAN_VERIFY_CHECKS_PER_HOUR", DEFAULT_CHECKS_PER_HOUR))


class UploadForm(BaseForm):
    document = forms.FileField(
        label="决定书文件（PDF）",
        help_text="选择您持有的决定书 PDF，核对它是否就是加盖电子印章的原件。",
        widget=forms.FileInput(attrs={"accept": "application/pdf,.pdf"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["document"].error_messages["required"] = "请选择要核对的决定书 PDF 文件。"


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***, a company's name keeps its first two characters; the
    page shows no personal data beyond this."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    keep = 2 if len(name) > 6 else 1
    return name[:keep] + "*" * min(len(name) - keep, 8)


def _facts(document: CaseDocument) -> dict[str, Any]:
    facts = document.facts or {}
    seal = seal_by_key_id(document.seal_key_id)
    return {
        "kind": document.get_kind_display(),
        "item_name": facts.get("item_name", ""),
        "department": facts.get("issuer") or document.case.department.name,
        "decided_on": chinese_date(facts.get("decided_on")),
        "applicant": mask_name(str((facts.get("applicant") or {}).get("name", ""))),
        # The name of the seal whose key signed, not the one written on the row.
        "seal_name": seal.name if seal is not None else document.seal_name,
        "key_id": document.seal_key_id,
        "digest": document.seal_digest,
        # For checking with OpenSSL (docs/seals.md §5): public, like the document itself.
        "signature": document.seal_signature,
        "public_key_pem": seal.public_key_pem if seal is not None else "",
    }


def _upload_problem(upload: Any) -> tuple[str, int]:
    """(message, status) when the upload is not a PDF we could check, else ("", 200)."""
    if upload.size > MAX_UPLOAD_BYTES:
        return TOO_LARGE, 413
    head = upload.read(5)
    upload.seek(0)
    if head != b"%PDF-":
        return NOT_PDF, 415
    return "", 200


@require_http_methods(["GET", "POST"])
def verify_document(request: HttpRequest, code: str) -> HttpResponse:
    template = "portal/verification/verify.html"
    context: dict[str, Any] = {"code": code, "message": "", "upload_check": None}
    if not ratelimit.allow(request, "verify-view", limit=views_per_hour(), seconds=3600):
        context["message"] = TOO_MANY
        return render(request, template, context, status=429)
    document = sealed_document(code)
    if document is None:
        context["message"] = NOT_FOUND
        return render(request, template, context, status=404)
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    context.update(
        document=_facts(document),
        check=check_seal(document),
        form=form,
        code=document.verification_code,
    )
    status = 200
    if request.method == "POST":
        if not ratelimit.allow(request, "verify-upload", limit=checks_per_hour(), seconds=3600):
            context["message"] = TOO_MANY
            return render(request, template, context, status=429)
        if not form.is_valid():
            return render(request, template, context, status=400)
        upload = form.cleaned_data["document"]
        problem, status = _upload_problem(upload)
        if problem:
            form.add_error("document", problem)
            return render(request, template, context, status=status)
        checked: SealCheck = check_seal(document, upload.read())
        context["upload_check"] = checked
    return render(request, template, context, status=status)
