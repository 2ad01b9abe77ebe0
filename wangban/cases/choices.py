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
    """The actions of API.md: applying and acceptance (issue 7), review and decision
    (issue 8), and `reschedule`, the system's record of due dates moved by a holiday change."""

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
    REASSIGN = "reassign", "转办改派"
    APPROVE_STEP = "approve_step", "审查通过"
    RETURN_STEP = "return_step", "退回上一环节"
    SUSPEND = "suspend", "挂起（特别程序）"
    RESUME = "resume", "恢复办理"
    EXTEND = "extend", "延长办理期限"
    DECIDE = "decide", "作出审批决定"
    COMPLETE = "complete", "办结送达"
    RESCHEDULE = "reschedule", "节假日调整办结期限"


class Channel(models.TextChoices):
    """Where the application came in (API.md: `channel`)."""

    ONLINE = "online", "网上办事大厅"
    WINDOW = "window", "窗口"
    KIOSK = "kiosk", "自助终端"
    MOBILE = "mobile", "移动端"
    API = "api", "接口"


class DecisionOutcome(models.TextChoices):
    """`decide`'s `outcome` (API.md): 准予许可 or 不予许可 (行政许可法第三十八条)."""

    APPROVED = "approved", "准予许可"
    DENIED = "denied", "不予许可"


class Delivery(models.TextChoices):
    """How the result reaches the applicant (`complete`'s `delivery`, 大安办法第二十七条)."""

    PICKUP = "pickup", "窗口领取"
    MAIL = "mail", "邮寄送达"
    ONLINE = "online", "网上送达"


class StopKind(models.TextChoices):
    """Why the approval clock stops (DESIGN.md §5): a correction during review (审查中补正)
    or a special procedure (特别程序, `procedure` one of catalog's SpecialProcedure codes)."""

    CORRECTION = "correction", "审查中补正"
    SPECIAL_PROCEDURE = "special_procedure", "特别程序"


class StepOutcome(models.TextChoices):
    """How a visit of an approval step ended."""

    ACCEPT = "accept", "受理"  # a leading clerk step (受理), done by the acceptance itself
    APPROVE = "approve", "通过"
    RETURN = "return", "退回"
    DECIDE = "decide", "作出决定"
    CLOSED = "closed", "办件终结"  # withdrawn or terminated while the step was open


class Light(models.TextChoices):
    """The light of a case or a step (大安办法第三十一条); values of `clock.GREEN` etc."""

    GREEN = "green", "绿灯"
    BLUE = "blue", "蓝灯"
    RED = "red", "红灯"


S = CaseState
A = CaseAction

#: The one transition table: (state, action) → the new state. `create` has no state before
#: it (None). Everything not listed is refused with `Conflict("invalid_transition")`.
#: Two actions have a second possible target, chosen by the action (API.md): `decide` leads
#: to `approved` or `denied` by its outcome (DECISION_STATES), and `resubmit` returns to the
#: state the correction came from — `submitted`, or `in_review` for a correction requested
#: during review (RESUBMIT_DURING_REVIEW).
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
    # Review and decision (issue 8).
    (S.IN_REVIEW, A.REQUEST_CORRECTION): S.CORRECTION_REQUESTED,  # the clock stops
    (S.SUBMITTED, A.REASSIGN): S.SUBMITTED,
    (S.IN_REVIEW, A.REASSIGN): S.IN_REVIEW,
    (S.IN_REVIEW, A.APPROVE_STEP): S.IN_REVIEW,
    (S.IN_REVIEW, A.RETURN_STEP): S.IN_REVIEW,
    (S.IN_REVIEW, A.SUSPEND): S.SUSPENDED,
    (S.SUSPENDED, A.RESUME): S.IN_REVIEW,
    (S.IN_REVIEW, A.EXTEND): S.IN_REVIEW,
    (S.IN_REVIEW, A.DECIDE): S.APPROVED,  # or denied: DECISION_STATES
    (S.APPROVED, A.COMPLETE): S.COMPLETED,
    (S.DENIED, A.COMPLETE): S.COMPLETED,
    # The system's record of a holiday change: the state stays.
    (S.SUBMITTED, A.RESCHEDULE): S.SUBMITTED,  # its reply and deemed-acceptance days
    (S.IN_REVIEW, A.RESCHEDULE): S.IN_REVIEW,
    (S.SUSPENDED, A.RESCHEDULE): S.SUSPENDED,
    (S.CORRECTION_REQUESTED, A.RESCHEDULE): S.CORRECTION_REQUESTED,
}

#: `decide`: the outcome's state.
DECISION_STATES = {DecisionOutcome.APPROVED: S.APPROVED, DecisionOutcome.DENIED: S.DENIED}
#: `resubmit` of a correction requested during review: back to review, the clock runs again.
RESUBMIT_DURING_REVIEW = S.IN_REVIEW

#: States in which an accepted case's approval clock is open (running or stopped).
CLOCK_STATES = (S.IN_REVIEW, S.SUSPENDED, S.CORRECTION_REQUESTED)

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
    APPROVAL_DECISION = "approval_decision", "准予行政许可决定书"
    DENIAL_DECISION = "denial_decision", "不予行政许可决定书"


class DocumentState(models.TextChoices):
    """A document is written as a pending row with the action and rendered to PDF by the
    task worker right after the commit (DESIGN.md §5: not inside the transaction)."""

    PENDING = "pending", "生成中"
    READY = "ready", "已生成"
    FAILED = "failed", "生成失败"
