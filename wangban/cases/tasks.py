"""Background tasks of cases."""

from __future__ import annotations

from django_tasks import task

from wangban.cases.documents import render_document


@task()
def render_case_document(document_id: int) -> str:
    """Render one written notice to PDF right after the commit of the step that issued it
    (enqueued by `documents.issue_documents`); a decision is sealed with the department's
    electronic seal over the final bytes (`documents.render_document`). Failures and
    documents whose task was lost are picked up by the periodic `render_documents` command;
    a document already ready, or held by another worker, is skipped."""
    return render_document(document_id)
