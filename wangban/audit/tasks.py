"""Background tasks of the audit trail."""

from __future__ import annotations

from django_tasks import task

from wangban.audit.chain import chain_events


@task()
def chain_audit_events() -> int:
    """Link the events committed since the last run into their chains (enqueued after the
    commit by `wangban.audit.actions.record`); returns how many were linked."""
    return chain_events()
