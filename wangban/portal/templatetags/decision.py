"""`{% decision_of case as decision %}`: what the applicant's case page shows of the
decision (行政许可法第三十八条、第三十九条) — the outcome, the day, the reasons and legal
basis, the sealed decision document to download and its public verification page. The view
that renders the page has already checked access (`access_case`)."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from wangban.cases.choices import CaseState, DocumentKind, DocumentState
from wangban.cases.documents import SEALED_KINDS
from wangban.cases.models import Case, CaseDocument

register = template.Library()

OUTCOMES = {CaseState.APPROVED: "准予许可", CaseState.DENIED: "不予许可"}


@register.simple_tag
def decision_of(case: Case) -> dict[str, Any] | None:
    """None before the decision; otherwise the outcome, the day, the reasons, and the
    decision document once it is rendered and sealed (`pending` until then)."""
    if case.decided_on is None:
        return None
    document = (
        CaseDocument.objects.filter(case_id=case.pk, kind__in=SEALED_KINDS)
        .order_by("-created_at", "-pk")
        .first()
    )
    ready = document is not None and document.state == DocumentState.READY
    outcome = OUTCOMES.get(CaseState(case.state), "")
    if not outcome and document is not None:  # completed: the document's kind says which
        outcome = "准予许可" if document.kind == DocumentKind.APPROVAL_DECISION else "不予许可"
    return {
        "outcome": outcome,
        "decided_on": case.decided_on,
        "reason": case.decision_reason,
        "legal_basis": case.decision_legal_basis,
        "pending": document is not None and not ready,
        "title": document.title if document else "",
        "url": (
            reverse("portal:case-document", args=[case.pk, document.pk, document.file_name])
            if document is not None and ready
            else ""
        ),
        "verify_url": (
            reverse("portal:verify-document", args=[document.verification_code])
            if document is not None and ready
            else ""
        ),
    }
