"""The written notices and decisions of a case (文书) as PDF, and serving a case's files.

Which step issues which document, and what it must say:

- `accept`, `deem_accept` → 受理通知书: 大安办法第二十条 (出具受理通知书并及时送达),
  乌海规范第十二条 (受理回执), 行政许可法第三十二条.
- `request_correction` → 补正告知书: 行政许可法第三十二条 (一次性告知), 淮安办法第十二条
  (注明告知日期、办理人姓名), 大安办法第十九条.
- `reject` → 不予受理决定书: 大安办法第二十一条 (说明具体理由), with the remedies of
  行政复议法第二十条 (sixty days) and 行政诉讼法第四十六条 (six months).
- `decide` → 准予行政许可决定书 or 不予行政许可决定书 (行政许可法第三十八条: a denial states
  its reasons and the applicant's right to 行政复议 or 行政诉讼, with the same remedies),
  sealed with the department's electronic seal (大安办法第二十六条; docs/seals.md).

A sealed kind is rendered once with the seal's visible mark — the seal's name and key id and
a QR code of its public verification page (`verification_url`, an opaque code drawn when the
row is written) — and then the final bytes are sealed (`certificates.sealing.seal_document`:
SM3 of the file, SM2 signature of the digest), so the stamp kept on the row is over exactly
the file stored and served. A department without an active seal leaves the document
`failed` with the reason; the backstop renders it once `manage.py create_seals` made one.

The issuing action calls `issue_documents` in its transaction: a `pending` row holding the
facts as they stand then (`facts`), and a render task enqueued after the commit (DESIGN.md
§5: documents are rendered by the task worker, not inside the transaction). The task
renders the kind's template with WeasyPrint (Noto CJK embedded, `core.pdf`), stores the PDF
by content (`core.files`, under `documents/`) and marks the row `ready`. A rendering holds
its row for a lease, so the task and the periodic `render_documents` command never render
one document at once; a document already `ready` is never rendered again. A failure marks it
`failed` with the error; `render_documents` tries `pending` and `failed` rows older than a
minute again, up to WANGBAN_DOCUMENT_MAX_ATTEMPTS times, after which the centre admin
retries it in the admin (`retry_document`).

To add a kind (issue 8's decisions): a `DocumentKind` value, a template under
`cases/documents/`, and a `Kind` in `KINDS` naming the actions that issue it and the facts
it keeps.

Files are served only through `open_material` and `open_document`: access is
`access.access_case` (404 otherwise), and every download is audited.
"""

from __future__ import annotations

import logging
import secrets
from base64 import b64encode
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from io import BytesIO
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from wangban.accounts.models import Person
from wangban.audit.actions import json_safe, record
from wangban.cases import clock
from wangban.cases.access import access_case
from wangban.cases.choices import CaseAction, DecisionOutcome, DocumentKind, DocumentState
from wangban.cases.models import (
    SYSTEM_ACTOR,
    Case,
    CaseDocument,
    CaseEvent,
    CaseMaterial,
    CorrectionNotice,
    ReplacedMaterial,
)
from wangban.cases.notifications import tell_applicant, your_application
from wangban.catalog.choices import LimitUnit
from wangban.certificates.queries import active_seal
from wangban.certificates.sealing import VerificationResult, seal_document, verify_stamp
from wangban.core import files, signing
from wangban.core.errors import Conflict, DomainError, NotFound
from wangban.core.links import public_url
from wangban.core.pdf import html_to_pdf

logger = logging.getLogger(__name__)

#: Stored PDFs live under this storage prefix, by SHA-256 (`core.files.store`).
STORAGE_PREFIX = "documents"
PDF_TYPES = {"application/pdf": "PDF"}
MAX_PDF_BYTES = 50 * 1024 * 1024
#: Rendering takes about a second; a worker that has not finished after this long died.
LEASE = timedelta(minutes=2)
#: The periodic command leaves younger documents to the task enqueued at the commit.
BACKSTOP_DELAY = timedelta(minutes=1)
DEFAULT_MAX_ATTEMPTS = 5
MAX_ERROR_CHARS = 1000

OPEN_STATES = (DocumentState.PENDING, DocumentState.FAILED)
NOT_READY_MESSAGE = "文书正在生成，请稍后刷新页面再下载。"
INTERRUPTED = "生成中断：处理该文书的进程未能完成（已用尽重试次数）。"


def max_attempts() -> int:
    return max(1, int(getattr(settings, "WANGBAN_DOCUMENT_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)))


# --- what each kind says --------------------------------------------------------------------


def chinese_date(value: date | str | None) -> str:
    """2026-06-01 → "2026年6月1日" (a date or its ISO text; "" for None)."""
    if not value:
        return ""
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day.year}年{day.month}月{day.day}日"


def limit_text(days: int, unit: str) -> str:
    """10, working_days → "10 个工作日"."""
    return f"{days} 个{LimitUnit(unit).label}"


def _applicant_facts(case: Case) -> dict[str, Any]:
    """Who applied, as the document names them: a person with the masked identity number
    (DESIGN.md §5: shown masked), or a legal person with its credit code and the agent who
    filed for it."""
    person = Person.objects.filter(user_id=case.applicant_id).first()
    user = case.applicant
    person_name = person.real_name if person else (user.get_full_name() or user.get_username())
    masked = person.id_number_masked if person else ""
    if case.on_behalf_of is None:
        return {"name": person_name, "id_label": "身份证号码", "id_number": masked}
    legal_person = case.on_behalf_of
    return {
        "name": legal_person.name,
        "id_label": "统一社会信用代码",
        "id_number": legal_person.credit_code,
        "representative": legal_person.representative_name,
        "agent": person_name,
        "agent_id_number": masked,
    }


def _common_facts(case: Case, event: CaseEvent) -> dict[str, Any]:
    return {
        "case_id": case.pk,
        "item_name": case.version.name,
        "item_code": case.item.code,
        "applicant": _applicant_facts(case),
        "received_on": case.received_on,
        "issued_on": timezone.localdate(event.at),
        "issuer": case.accepting_department.name,
        "department": case.department.name,
        "handler_name": event.actor_name,
    }


def _acceptance_facts(case: Case, event: CaseEvent) -> dict[str, Any]:
    """受理通知书: the receipt number, the acceptance day, the promised and statutory limits
    and the days they end on if nothing stops the clock (docs/case-clock.md)."""
    version = case.version
    accepted_on = case.accepted_on or timezone.localdate(event.at)
    promised = clock.Limit(version.promised_limit_days, version.promised_limit_unit)
    legal = clock.Limit(version.legal_limit_days, version.legal_limit_unit)
    return {
        "receipt_no": case.receipt_no,
        "accepted_on": accepted_on,
        "deemed": case.deemed_accepted,
        "promised_limit": limit_text(promised.days, promised.unit),
        "legal_limit": limit_text(legal.days, legal.unit),
        "promised_due_on": clock.period_end(accepted_on, promised),
        "legal_due_on": clock.period_end(accepted_on, legal),
    }


def _correction_facts(case: Case, event: CaseEvent) -> dict[str, Any]:
    """补正告知书: every material with its reason (一次性告知), the day, the handler's name,
    the answer due day, and for a further notice its stated reason. Issued by the department
    that asked (`CorrectionNotice.department`); during review (审查中补正) it also states the
    receipt number and the acceptance day, and the answer is handed in at the accepting
    department's window, which terminates the case if it does not come."""
    notice = _notice_of(event)
    if notice is None:
        raise ValueError(f"the event {event.pk} names no correction notice")
    sequence = CorrectionNotice.objects.filter(case_id=case.pk, pk__lte=notice.pk).count()
    issuer = notice.department or case.accepting_department
    return {
        "issuer": issuer.name,
        "accepting_department": case.accepting_department.name,
        "during_review": case.accepted_on is not None,
        "receipt_no": case.receipt_no,
        "accepted_on": case.accepted_on,
        "issued_on": notice.issued_on,
        "handler_name": notice.handler_name,
        "items": notice.items,
        "answer_due_on": notice.answer_due_on,
        "is_repeat": notice.is_repeat,
        "repeat_reason": notice.repeat_reason,
        "sequence": sequence,
    }


def _rejection_facts(case: Case, event: CaseEvent) -> dict[str, Any]:
    """不予受理决定书: the specific reasons (大安办法第二十一条)."""
    return {"reason": case.closing_reason}


def _decision_facts(case: Case, event: CaseEvent) -> dict[str, Any]:
    """准予/不予行政许可决定书 (行政许可法第三十八条): the receipt number, the acceptance and
    decision days, the outcome, the reasons (required for a denial) and the legal basis.
    Issued and sealed by the department that decides (the case's), even when another
    accepted the application on its behalf."""
    return {
        "issuer": case.department.name,
        "receipt_no": case.receipt_no,
        "accepted_on": case.accepted_on,
        "decided_on": case.decided_on or timezone.localdate(event.at),
        "outcome": (event.data or {}).get("outcome", ""),
        "reason": case.decision_reason,
        "legal_basis": case.decision_legal_basis,
    }


def _outcome_is(outcome: str) -> Callable[[Case, CaseEvent], bool]:
    def applies(case: Case, event: CaseEvent) -> bool:
        return bool((event.data or {}).get("outcome") == outcome)

    return applies


def _correction_title(facts: dict[str, Any]) -> str:
    label = DocumentKind.CORRECTION_NOTICE.label
    return f"{label}（第{facts['sequence']}次）" if facts["sequence"] > 1 else label


@dataclass(frozen=True)
class Kind:
    """A kind of document: the template that lays it out, the steps that issue it, the
    facts it keeps from the moment it is issued, and its title."""

    code: str
    template: str
    issued_by: tuple[str, ...]
    facts: Callable[[Case, CaseEvent], dict[str, Any]]
    title: Callable[[dict[str, Any]], str] | None = None
    #: Issued only when this holds (the decision's outcome picks one of the two kinds).
    applies: Callable[[Case, CaseEvent], bool] | None = None
    #: Sealed with the department's electronic seal and verifiable on the public page.
    sealed: bool = False

    def title_for(self, facts: dict[str, Any]) -> str:
        return self.title(facts) if self.title else str(DocumentKind(self.code).label)


KINDS: dict[str, Kind] = {
    kind.code: kind
    for kind in (
        Kind(
            DocumentKind.ACCEPTANCE_NOTICE,
            "cases/documents/acceptance_notice.html",
            (CaseAction.ACCEPT, CaseAction.DEEM_ACCEPT),
            _acceptance_facts,
        ),
        Kind(
            DocumentKind.CORRECTION_NOTICE,
            "cases/documents/correction_notice.html",
            (CaseAction.REQUEST_CORRECTION,),
            _correction_facts,
            _correction_title,
        ),
        Kind(
            DocumentKind.REJECTION_DECISION,
            "cases/documents/rejection_decision.html",
            (CaseAction.REJECT,),
            _rejection_facts,
        ),
        Kind(
            DocumentKind.APPROVAL_DECISION,
            "cases/documents/approval_decision.html",
            (CaseAction.DECIDE,),
            _decision_facts,
            applies=_outcome_is(DecisionOutcome.APPROVED),
            sealed=True,
        ),
        Kind(
            DocumentKind.DENIAL_DECISION,
            "cases/documents/denial_decision.html",
            (CaseAction.DECIDE,),
            _decision_facts,
            applies=_outcome_is(DecisionOutcome.DENIED),
            sealed=True,
        ),
    )
}

#: The kinds that carry the electronic seal (the decisions).
SEALED_KINDS = tuple(kind.code for kind in KINDS.values() if kind.sealed)


def kinds_issued_by(action: str) -> list[Kind]:
    return [kind for kind in KINDS.values() if action in kind.issued_by]


# --- sealing and verification ----------------------------------------------------------------

#: Verification codes: no 0/O, 1/I, so that one typed from paper is read right; 20 characters
#: of 32 symbols are 100 random bits (`secrets`), so codes cannot be guessed or enumerated.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 20


def new_verification_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def verification_url(code: str) -> str:
    """The absolute address of the public verification page (`portal:verify-document`),
    under WANGBAN_PUBLIC_URL (the portal's public origin), as printed in the QR code."""
    return public_url(reverse("portal:verify-document", args=[code]))


def qr_data_uri(text: str) -> str:
    """A QR code of `text` as an SVG `data:` URI (WeasyPrint fetches nothing else)."""
    import qrcode  # imported here: only the worker renders sealed documents
    from qrcode.image.svg import SvgPathImage

    image = qrcode.make(text, image_factory=SvgPathImage, border=1)
    return "data:image/svg+xml;base64," + b64encode(image.to_string()).decode()


def _seal_mark(case: Case, document: CaseDocument) -> dict[str, str]:
    """What the document shows of its seal: the department's seal in use now (its name and
    key id, in the 电子印章 box) and the verification code, address and QR code."""
    seal = active_seal(case.department)
    if seal is None:
        raise Conflict(
            f"{case.department.name}尚无在用的电子印章，决定书无法盖章；"
            "请中心管理员运行 manage.py create_seals 后等待重新生成。",
            code="no_active_seal",
        )
    url = verification_url(document.verification_code)
    return {
        "seal_name": seal.name,
        "key_id": seal.key_id,
        "code": document.verification_code,
        "url": url,
        "qr": qr_data_uri(url),
    }


def _notice_of(event: CaseEvent) -> CorrectionNotice | None:
    notice_id = (event.data or {}).get("notice")
    return CorrectionNotice.objects.filter(pk=notice_id).first() if notice_id else None


# --- issuing and rendering ------------------------------------------------------------------


def issue_documents(case: Case, event: CaseEvent) -> list[CaseDocument]:
    """Write the documents `event`'s step issues as `pending` rows, in the step's
    transaction, and enqueue their rendering after the commit. Called by the case actions
    (`actions._finish`); a step that issues none writes nothing."""
    documents = []
    for kind in kinds_issued_by(event.action):
        if kind.applies is not None and not kind.applies(case, event):
            continue
        facts = json_safe({**_common_facts(case, event), **kind.facts(case, event)})
        documents.append(
            CaseDocument.objects.create(
                case=case,
                kind=kind.code,
                title=kind.title_for(facts),
                event=event,
                notice=_notice_of(event) if kind.code == DocumentKind.CORRECTION_NOTICE else None,
                facts=facts,
                verification_code=new_verification_code() if kind.sealed else "",
            )
        )
    for document in documents:
        transaction.on_commit(partial(_enqueue, document.pk), robust=True)
    return documents


def _enqueue(document_id: int) -> None:
    """If the enqueue fails the row is still pending: `render_documents` renders it."""
    from wangban.cases.tasks import render_case_document  # the task module imports this one

    render_case_document.enqueue(document_id)


def _context(document: CaseDocument) -> dict[str, Any]:
    """The template's context: the stored facts, with dates written out in Chinese."""
    facts = dict(document.facts)
    dates = {
        name: chinese_date(facts.get(name))
        for name in (
            "received_on",
            "issued_on",
            "accepted_on",
            "promised_due_on",
            "legal_due_on",
            "answer_due_on",
            "decided_on",
        )
    }
    return {
        "document": document,
        "title": document.title,
        "facts": facts,
        "dates": dates,
        "system_actor": SYSTEM_ACTOR,
    }


DOCUMENT_STYLESHEET = """
.issuer { text-align: center; font-size: 15pt; letter-spacing: 2pt; margin: 0 0 2mm; }
h1 { text-align: center; letter-spacing: 4pt; margin-bottom: 2mm; }
.number { text-align: center; color: #4a4a4a; margin: 0 0 6mm; }
.addressee { margin: 0 0 2mm; }
p.body { text-indent: 2em; margin: 0 0 3mm; }
table.facts th { width: 32%; }
.remedy { border: 0.5pt solid #8a8d91; padding: 2mm 3mm; margin: 4mm 0; }
.signature { margin-top: 12mm; text-align: right; }
.signature p { margin: 0 0 1mm; }
.note { margin-top: 10mm; font-size: 9pt; color: #4a4a4a; }
.note { border-top: 0.5pt solid #c4c7cc; padding-top: 2mm; }
.seal { margin: 6mm 0 0 auto; width: 118mm; border: 1.5pt solid #b3261e; color: #b3261e; }
.seal { page-break-inside: avoid; }
table.seal td { border: none; padding: 1.5mm 2mm; vertical-align: middle; }
.seal td.seal-qr { width: 24mm; }
.seal img { width: 22mm; height: 22mm; }
.seal p { margin: 0 0 0.5mm; font-size: 9pt; }
.seal .seal-label { font-size: 12pt; letter-spacing: 3pt; font-weight: bold; }
.seal .seal-code { font-size: 7.5pt; color: #4a4a4a; word-break: break-all; }
"""


def render_pdf_of(document: CaseDocument, seal: dict[str, str] | None = None) -> bytes:
    """The PDF of a document, laid out from its kind's template and stored facts; `seal` is
    the visible seal mark of a sealed kind (`_seal_mark`)."""
    context = {**_context(document), "seal": seal}
    html = render_to_string(KINDS[document.kind].template, context)
    return html_to_pdf(html, stylesheets=(DOCUMENT_STYLESHEET,))


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    stamp: dict[str, Any]


def _render_and_seal(document: CaseDocument) -> Rendered:
    """Render; for a sealed kind, render once with the seal mark and sign the final bytes
    (the QR code is in the file before its digest is taken). The seal printed and the seal
    that signed are the same one; a rotation in between fails this attempt (retried)."""
    if not KINDS[document.kind].sealed:
        return Rendered(render_pdf_of(document), {})
    case = Case.objects.select_related("department").get(pk=document.case_id)
    mark = _seal_mark(case, document)
    pdf = render_pdf_of(document, mark)
    stamp = seal_document(case.department, pdf)
    if stamp.key_id != mark["key_id"]:
        raise Conflict("电子印章在生成过程中已轮换，将重新生成。", code="seal_rotated")
    return Rendered(
        pdf,
        {
            "seal_key_id": stamp.key_id,
            "seal_name": mark["seal_name"],
            "seal_digest": stamp.digest,
            "seal_signature": stamp.signature,
            "sealed_at": stamp.sealed_at,
        },
    )


def _error_text(exc: Exception) -> str:
    """A domain refusal (no active seal) in its own Chinese words, anything else as repr."""
    text = exc.message if isinstance(exc, DomainError) else repr(exc)
    return text[:MAX_ERROR_CHARS]


def _claim(document_id: int) -> CaseDocument | None:
    """Take the document for rendering if it is not ready, has attempts left and nobody
    holds it (one UPDATE: of two workers, one wins). Counts the attempt."""
    now = timezone.now()
    with transaction.atomic():
        taken = (
            CaseDocument.objects.filter(
                pk=document_id, state__in=OPEN_STATES, attempts__lt=max_attempts()
            )
            .filter(Q(attempted_at__isnull=True) | Q(attempted_at__lt=now - LEASE))
            .update(attempted_at=now, attempts=F("attempts") + 1)
        )
    if not taken:
        return None
    return CaseDocument.objects.get(pk=document_id)


def render_document(document_id: int) -> str:
    """Render one document if it is still to be rendered and nobody else holds it (the
    task's work, and the backstop's). Returns the new state, or "" when it was not taken
    (ready already, held by another worker, or out of attempts)."""
    document = _claim(document_id)
    if document is None:
        return ""
    mine = CaseDocument.objects.filter(
        pk=document.pk, state__in=OPEN_STATES, attempts=document.attempts
    )
    try:
        rendered = _render_and_seal(document)
        stored = files.store(
            BytesIO(rendered.pdf),
            prefix=STORAGE_PREFIX,
            max_bytes=MAX_PDF_BYTES,
            allowed=PDF_TYPES,
        )
    except Exception as exc:  # any failure: recorded, and retried by render_documents
        logger.exception("case document %s: rendering failed", document.pk)
        with transaction.atomic():
            mine.update(state=DocumentState.FAILED, error=_error_text(exc))
        return DocumentState.FAILED
    with transaction.atomic():
        done = mine.update(
            state=DocumentState.READY,
            blob=stored.blob,
            content_type=stored.content_type,
            size=stored.size,
            sha256=stored.sha256,
            rendered_at=timezone.now(),
            error="",
            **rendered.stamp,
        )
        if done and document.kind == DocumentKind.APPROVAL_DECISION:
            _tell_ready(document)
    return DocumentState.READY if done else ""


def _tell_ready(document: CaseDocument) -> None:
    """The approval decision can be downloaded, and the paper result picked up at the
    item's place (issue 8: 'ready for pickup'); once per document (its own key)."""
    case = Case.objects.select_related("version", "applicant", "on_behalf_of").get(
        pk=document.case_id
    )
    text = f"{your_application(case)}的{document.title}已生成，可登录下载并扫码验证电子印章"
    if case.delivery:  # the result was handed over already (a late rendering): no pickup
        title, text = "决定书已生成", f"{text}。"
    else:
        place = str((case.version.guide or {}).get("place") or "").strip()
        title = "决定书已生成，可以领取"
        text += f"；纸质结果可到{place or '办理窗口'}领取。"
    tell_applicant(
        case,
        event_type="case.decision_ready",
        title=title,
        text=text,
        key=f"case-document:{document.pk}:ready",
    )


def render_due(*, limit: int | None = None) -> Counter[str]:
    """The backstop (`manage.py render_documents`): render `pending` and `failed` documents
    created more than a minute ago that have attempts left and that no worker holds (a
    failed attempt holds its document for the lease, which spaces the retries), oldest
    first; returns how many ended in each state. A `pending` one out of attempts whose
    last worker died is marked `failed` first."""
    now = timezone.now()
    # A worker killed while it held a document (out of memory, a deploy) used the attempt
    # and left the row `pending`: once its lease is over with no attempt left, it has
    # failed, where staff see it and the centre admin may retry it.
    with transaction.atomic():
        CaseDocument.objects.filter(
            state=DocumentState.PENDING, attempts__gte=max_attempts(), attempted_at__lt=now - LEASE
        ).update(state=DocumentState.FAILED, error=INTERRUPTED)
    due = (
        CaseDocument.objects.filter(
            state__in=OPEN_STATES, created_at__lt=now - BACKSTOP_DELAY, attempts__lt=max_attempts()
        )
        .filter(Q(attempted_at__isnull=True) | Q(attempted_at__lt=now - LEASE))
        .order_by("created_at", "pk")
    )
    counts: Counter[str] = Counter()
    for document_id in list(due.values_list("pk", flat=True)[:limit]):
        counts[render_document(document_id) or "taken by another worker"] += 1
    return counts


def retry_document(
    document: CaseDocument, *, actor: Any, request: HttpRequest | None = None
) -> CaseDocument:
    """Give a document that failed every attempt a fresh set (the centre admin, after
    fixing the cause), audited as `case.retry_document`, and render it after the commit.
    Conflict when it is not failed."""
    with transaction.atomic():
        locked = CaseDocument.objects.select_for_update().get(pk=document.pk)
        if locked.state != DocumentState.FAILED:
            raise Conflict("只有生成失败的文书可以重新生成。", code="document_not_failed")
        before = {"state": locked.state, "attempts": locked.attempts, "error": locked.error[:200]}
        locked.state = DocumentState.PENDING
        locked.attempts = 0
        locked.attempted_at = None
        locked.save(update_fields=["state", "attempts", "attempted_at"])
        record(
            "case.retry_document",
            actor=actor,
            request=request,
            object_type="cases.case",
            object_id=locked.case_id,
            before=before,
            after={"document": locked.pk, "state": locked.state, "attempts": 0},
        )
        transaction.on_commit(partial(_enqueue, locked.pk), robust=True)
    return locked


# --- reading and serving ----------------------------------------------------------------------


def all_documents_of(case: Case) -> list[CaseDocument]:
    """Every document of the case, in any state, oldest first, for staff: one being
    rendered or one that failed is theirs to know of. The caller has checked access."""
    return list(CaseDocument.objects.filter(case_id=case.pk).order_by("created_at", "pk"))


def documents_of(case: Case) -> list[CaseDocument]:
    """The case's documents ready to read, oldest first. The caller has checked access."""
    return list(
        CaseDocument.objects.filter(case_id=case.pk, state=DocumentState.READY).order_by(
            "created_at", "pk"
        )
    )


def open_material(
    case_id: str,
    material_id: int,
    user: Any,
    request: HttpRequest | None = None,
    *,
    as_staff: bool = False,
) -> tuple[IO[bytes], str, str]:
    """A material's file for a user who may see the case: (binary file, file name, content
    type). NotFound (404) when the case is not visible (`access_case`; with `as_staff`, the
    workbench's, not seen as staff), the material is not this case's, or it was handed over
    on paper. Audited as `case.download_material`."""
    case = access_case(case_id, user, as_staff=as_staff)
    material = case.materials.filter(pk=material_id).first()
    if material is None or material.paper or not material.blob:
        raise NotFound("材料不存在，或没有电子文件。", code="material_not_found")
    return _open_material_file(case, material, user, request, {"material": material.pk})


def open_replaced_material(
    case_id: str,
    replaced_id: int,
    user: Any,
    request: HttpRequest | None = None,
    *,
    as_staff: bool = False,
) -> tuple[IO[bytes], str, str]:
    """The file a submitted material held before a correction replaced it
    (`ReplacedMaterial`), for a user who may see the case; as `open_material`, audited as
    `case.download_material` naming the replaced row."""
    case = access_case(case_id, user, as_staff=as_staff)
    replaced = case.replaced_materials.filter(pk=replaced_id).first()
    if replaced is None or replaced.paper or not replaced.blob:
        raise NotFound("材料不存在，或没有电子文件。", code="material_not_found")
    return _open_material_file(case, replaced, user, request, {"replaced_material": replaced.pk})


def _open_material_file(
    case: Case,
    material: CaseMaterial | ReplacedMaterial,
    user: Any,
    request: HttpRequest | None,
    which: dict[str, int],
) -> tuple[IO[bytes], str, str]:
    stream = files.open_blob(material.blob)
    try:
        with transaction.atomic():
            record(
                "case.download_material",
                actor=user,
                request=request,
                obj=case,
                after={
                    **which,
                    "material_code": material.material_code,
                    "file_name": material.file_name,
                    "sha256": material.sha256,
                },
            )
    except BaseException:
        stream.close()
        raise
    return stream, material.file_name, material.content_type


def open_document(
    case_id: str,
    document_id: int,
    user: Any,
    request: HttpRequest | None = None,
    *,
    as_staff: bool = False,
) -> tuple[IO[bytes], str, str]:
    """A document's PDF for a user who may see the case: (binary file, file name, content
    type). NotFound (404) when the case is not visible or the document is not this case's,
    and, with a message saying so, while it is still being generated. Audited as
    `case.download_document`."""
    case = access_case(case_id, user, as_staff=as_staff)
    document = CaseDocument.objects.filter(pk=document_id, case_id=case.pk).first()
    if document is None:
        raise NotFound("文书不存在。", code="document_not_found")
    if document.state != DocumentState.READY:
        raise NotFound(NOT_READY_MESSAGE, code="document_not_ready")
    stream = files.open_blob(document.blob)
    try:
        with transaction.atomic():
            record(
                "case.download_document",
                actor=user,
                request=request,
                obj=case,
                after={
                    "document": document.pk,
                    "kind": document.kind,
                    "title": document.title,
                    "sha256": document.sha256,
                },
            )
    except BaseException:
        stream.close()
        raise
    return stream, document.file_name, document.content_type


# --- public verification ----------------------------------------------------------------------


VALID_REASON = "验证通过：文件自加盖电子印章以来未被改动，签章有效。"
FILE_MISSING = "验证失败：存档的决定书文件缺失，请联系作出决定的机关。"
NOT_THE_FILE = "验证失败：文件与加盖电子印章的决定书不一致，可能已被改动或并非该决定书。"
NOT_THE_ISSUER = "验证失败：签章所用的印章不属于作出决定的机关。"


@dataclass(frozen=True)
class SealCheck:
    """The answer of the verification page: `valid` only when the SM3 digest of the file
    checked equals the stamp's digest *and* the stamp's SM2 signature verifies under its
    key id's public key (`verify_stamp`); `reason` says which, in Chinese."""

    valid: bool
    reason: str
    digest: str
    seal: VerificationResult


def sealed_document(code: str) -> CaseDocument | None:
    """The ready, sealed document whose verification code is `code` (case-insensitive as
    typed from paper), or None."""
    code = (code or "").strip().upper()
    if not code or len(code) > 32:
        return None
    return (
        CaseDocument.objects.select_related("case__department")
        .filter(verification_code=code, state=DocumentState.READY)
        .exclude(seal_signature="")
        .first()
    )


def check_seal(document: CaseDocument, data: bytes | None = None) -> SealCheck:
    """Check the stamp of a sealed document against `data` (a file someone holds), or
    against the file we store when `data` is None: the digest is recomputed from the bytes
    every time, so a stored file changed after sealing fails too."""
    if data is None:
        try:
            with files.open_blob(document.blob) as stream:
                data = bytes(stream.read())
        except OSError:  # the stored file is gone: nothing to vouch for
            logger.exception("case document %s: stored file missing", document.pk)
            result = verify_stamp(document.seal_key_id, document.seal_digest, "")
            return SealCheck(False, FILE_MISSING, "", result)
    digest = signing.sm3_hex(data)
    result = verify_stamp(document.seal_key_id, data, document.seal_signature)
    if digest != document.seal_digest:
        return SealCheck(False, NOT_THE_FILE, digest, result)
    if not result.valid:
        return SealCheck(False, f"验证失败：{result.reason}", digest, result)
    # A valid signature vouches only for the seal that made it: it must be the deciding
    # department's, or any department's key could stamp another's decision.
    if result.department_code != document.case.department.code:
        return SealCheck(False, NOT_THE_ISSUER, digest, result)
    reason = VALID_REASON
    if result.seal_retired_at is not None:
        retired_on = timezone.localdate(result.seal_retired_at)
        reason += f"（该印章已于 {retired_on:%Y-%m-%d} 停用，停用前加盖的文件仍然有效。）"
    return SealCheck(True, reason, digest, result)
