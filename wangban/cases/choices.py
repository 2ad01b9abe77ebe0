"""Codes of a case (办件): states, actions, channels, and the one transition table.

The values are the API's (API.md "Cases"): integrators rely on them, so they are added to,
never renamed.
"""

from __future__ import annotations

from django.db import models

from wangban.core.errors import Conflict


class CaseState(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "已提交"
    CORRECTION_REQUESTED = "correction_requested", "待补正"
    REJECTED = "rejected", "不予受理"
    TERMINATED = "terminated", "已终止"
    IN_REVIEW = "in_review", "审查中"
    SUSPENDED = "suspended", "已挂起"
    APPROVED = "approved", "准予许可"
    DENIED = "denied", "不予许可"
    COMPLETED = "completed", "已办结"
    WITHDRAWN = "withdrawn", "已撤回"


class CaseAction(models.TextChoices):
    """The actions of issue 7 (申请与受理). Issue 8 adds the approval actions of API.md."""

    CREATE = "create", "创建申请"
    SUBMIT = "submit", "提交申请"
    SIGN_IN = "sign_in", "签收"
    REQUEST_CORRECTION = "request_correction", "一次性告知补正"
    RESUBMIT = "resubmit", "补正后重新提交"
    ACCEPT = "accept", "受理"
    DEEM_ACCEPT = "deem_accept", "视为受理"
    REJECT = "reject", "不予受理"
    TERMINATE = "terminate", "终止办理"
    WITHDRAW = "withdraw", "撤回申请"


class Channel(models.TextChoices):
    """Where the application came in (API.md: `channel`)."""

    ONLINE = "online", "网上办事大厅"
    WINDOW = "window", "窗口"
    KIOSK = "kiosk", "自助终端"
    MOBILE = "mobile", "移动端"
    API = "api", "接口"


S = CaseState
A = CaseAction

#: The one transition table: (state, action) → the new state. `create` has no state before
#: it (None). Everything not listed is refused with `Conflict("invalid_transition")`.
TRANSITIONS: dict[tuple[str | None, str], str] = {
    (None, A.CREATE): S.DRAFT,
    (S.DRAFT, A.SUBMIT): S.SUBMITTED,
    (S.SUBMITTED, A.SIGN_IN): S.SUBMITTED,  # recorded; the state does not change
    (S.SUBMITTED, A.REQUEST_CORRECTION): S.CORRECTION_REQUESTED,
    (S.CORRECTION_REQUESTED, A.RESUBMIT): S.SUBMITTED,
    (S.SUBMITTED, A.ACCEPT): S.IN_REVIEW,
    (S.SUBMITTED, A.DEEM_ACCEPT): S.IN_REVIEW,
    (S.SUBMITTED, A.REJECT): S.REJECTED,
    (S.CORRECTION_REQUESTED, A.TERMINATE): S.TERMINATED,  # only once the answer is overdue
    (S.DRAFT, A.WITHDRAW): S.WITHDRAWN,
    (S.SUBMITTED, A.WITHDRAW): S.WITHDRAWN,
    (S.CORRECTION_REQUESTED, A.WITHDRAW): S.WITHDRAWN,
    (S.IN_REVIEW, A.WITHDRAW): S.WITHDRAWN,
    (S.SUSPENDED, A.WITHDRAW): S.WITHDRAWN,
}

#: States in which the applicant may still change materials.
EDITABLE_STATES = (S.DRAFT, S.CORRECTION_REQUESTED)


def check_transition(state: str | None, action: str) -> str:
    """The state `action` leads to from `state`, or Conflict `invalid_transition` (409)."""
    target = TRANSITIONS.get((state, action))
    if target is not None:
        return target
    label = CaseState(state).label if state else "（尚未创建）"
    raise Conflict(
        f"办件当前状态为“{label}”，不能{CaseAction(action).label}。",
        code="invalid_transition",
    )


class DocumentKind(models.TextChoices):
    """The written notices and decisions of a case (文书). Each kind has its template and
    the action that issues it in `documents.KINDS`; issue 8 adds the decision documents."""

    ACCEPTANCE_NOTICE = "acceptance_notice", "受理通知书"
    CORRECTION_NOTICE = "correction_notice", "补正告知书"
    REJECTION_DECISION = "rejection_decision", "不予受理决定书"


class DocumentState(models.TextChoices):
    """A document is written as a pending row with the action and rendered to PDF by the
    task worker right after the commit (DESIGN.md §5: not inside the transaction)."""

    PENDING = "pending", "生成中"
    READY = "ready", "已生成"
    FAILED = "failed", "生成失败"
