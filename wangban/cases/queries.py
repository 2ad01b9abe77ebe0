"""Read helpers for cases; who may see what is `wangban.cases.access`."""

from __future__ import annotations

from django.db.models import QuerySet

from wangban.cases.models import Case, CaseEvent, CaseMaterial


def timeline(case: Case) -> QuerySet[CaseEvent]:
    """The case's events, oldest first (API.md `events[]`)."""
    return CaseEvent.objects.filter(case=case).order_by("id")


def reusable_materials(case: Case) -> QuerySet[CaseMaterial]:
    """Files of the same applicant's (and legal person's) earlier cases that `case` may
    reuse with `do_attach_material(..., reuse=id)`, newest first."""
    return (
        CaseMaterial.objects.filter(
            case__applicant_id=case.applicant_id,
            case__on_behalf_of_id=case.on_behalf_of_id,
            paper=False,
        )
        .exclude(case=case)
        .select_related("case")
        .order_by("-attached_at")
    )
