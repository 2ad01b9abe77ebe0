"""Review and decision (审查与决定, issue 8): every write to a case after its acceptance.

The conventions of `wangban.cases.actions`: each action runs in one transaction and, in
this order, locks the case row and checks that the user may see it (404), that the case is
still the one the user saw (409 `stale`, when the caller passes the `step` it saw), that the
user may do this (403), the transition (409 `invalid_transition`) and the action's own
conditions (409), then the input (400, Chinese messages per field); it saves with
`update_fields`, appends a `CaseEvent` and an audit event (`case.*`) and puts the
applicant's SMS into the notify outbox — all in the same transaction, so a refused action
changes nothing. Two staff acting on one case at once queue on the row lock: the second
sees the first's result and is refused (409) rather than acting on what is gone.

The rules: 行政许可法第三十四—三十八条 (review, decision in writing with reasons), 第四十二条
(extension by ten working days with the approval of the head of the authority, the
applicant told), 第四十五条 (hearings, tests, expert reviews are not counted);
淮安办法第十二条 (审查中补正 does not count), 第十三条 (multi-step approval, special
procedures and extensions); 大安办法第二十四条 (挂起暂停), 第二十六条 (the decision ends the
clock), 第二十七条 (delivery: pickup, mail, online), 第三十条 (extension), 第三十一条 (lights);
镇江办法第七—十条 (转办改派 when someone is absent).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils import timezone

from wangban.accounts.choices import Role
from wangban.accounts.roles import user_has_role
from wangban.audit.actions import record
from wangban.cases import schedule
from wangban.cases.access import (
    action_transaction,
    is_own_application,
    is_queue_clerk,
    is_reviewer_of,
    lock_case,
    require_may_act,
)
from wangban.cases.actions import (
    _audit_channel,
    _finish,
    _require_text,
    _text,
    _value,
    require_correction_overdue,
)
from wangban.cases.choices import (
    DECISION_STATES,
    RESUBMIT_DURING_REVIEW,
    CaseAction,
    CaseState,
    DecisionOutcome,
    Delivery,
    DocumentKind,
    DocumentState,
    StepOutcome,
    StopKind,
    check_transition,
)
from wangban.cases.documents import SEALED_KINDS
from wangban.cases.models import Case, CaseEvent, CaseStep, CorrectionNotice, actor_name
from wangban.cases.notifications import your_application
from wangban.catalog.choices import SpecialProcedure
from wangban.catalog.models import WorkflowStep
from wangban.core.errors import Conflict, InvalidInput

#: The longest single extension accepted as input (a typo guard, not a rule): beyond the
#: statutory extension it is still recorded, as a violation.
MAX_EXTENSION_WORKING_DAYS = 60
TRACKING_NO_MAX_LENGTH = 64


# --- helpers -----------------------------------------------------------------------------


STALE_MESSAGE = "办件已被他人办理，当前环节已变化，请刷新后重试。"
CHANGED_MESSAGE = "办件在您查看之后已被他人办理或变更，请刷新后重试。"
#: What the review actions say of a missing opinion or reason (the API's schema marks these
#: texts required with the same words).
NEEDS_OPINION = "请填写审查意见。"
NEEDS_RETURN_REASON = "请写明退回的理由。"
NEEDS_SUSPEND_REASON = "请写明挂起的理由。"
NEEDS_EXTEND_REASON = "请写明延长办理期限的理由。"


def revision_of(case: Case) -> int:
    """The case's revision (API.md `revision`): how many events it has. Every change of a
    case is an event, so a client that saw another number saw another case."""
    return CaseEvent.objects.filter(case_id=case.pk).count()


def require_may_act_on_step(
    case: Case, actor: Any, action: str, step: Any, revision: int | None = None
) -> None:
    """403 when `actor` may not take `action` now, 409 `stale` when they saw another current
    step (`step`) or another revision of the case (`revision`; None when not given), in
    API.md's order (403 before 409), except for the case's own staff: their right may have
    moved on with the step since they read it (a colleague passed it on), so they learn
    that the case changed, not that it is not theirs."""
    stale = ""
    if step is not None and str(step) != str(case.current_step_id):
        stale = STALE_MESSAGE
    elif revision is not None and revision != revision_of(case):
        stale = CHANGED_MESSAGE
    if stale and (is_queue_clerk(case, actor) or is_reviewer_of(case, actor)):
        raise Conflict(stale, code="stale")
    require_may_act(case, actor, action)
    if stale:
        raise Conflict(stale, code="stale")


def _begin(
    case: Case | str,
    actor: Any,
    action: str,
    step: int | str | None = None,
    revision: int | None = None,
) -> tuple[Case, str]:
    """Lock and check: 404, 403 and 409 `stale` (`require_may_act_on_step`), 409
    `invalid_transition`. Returns the case and the table's new state."""
    locked = lock_case(case, actor)
    require_may_act_on_step(locked, actor, action, step, revision)
    return locked, check_transition(locked.state, action)


def _current_step(case: Case) -> CaseStep:
    step = case.current_step
    if step is None or step.finished_at is not None:
        raise Conflict("办件当前没有待办理的审批环节。", code="no_current_step")
    return step


def _passing_on(case: Case) -> tuple[CaseStep, WorkflowStep]:
    """The open step and the one it passes on to; the last step decides instead."""
    current = _current_step(case)
    following = _next_step(case, current)
    if following is None:
        raise Conflict(
            f"“{current.name}”是最后一个环节，请作出审批决定。", code="last_step_decides"
        )
    return current, following


def _returning(case: Case) -> tuple[CaseStep, WorkflowStep]:
    """The open step and the one it goes back to (not the acceptance)."""
    current = _current_step(case)
    previous = _previous_step(case, current)
    if previous is None:
        raise Conflict(f"“{current.name}”之前没有可退回的环节。", code="no_previous_step")
    return current, previous


def _deciding_step(case: Case) -> CaseStep | None:
    """The step that decides: the last one, or none for an item whose only step is 受理."""
    current = case.current_step
    if current is not None and current.finished_at is not None:
        current = None
    if current is not None and _next_step(case, current) is not None:
        raise Conflict(
            f"办件尚在“{current.name}”环节，只有最后一个环节才能作出审批决定。",
            code="not_last_step",
        )
    return current


#: The actions' own conditions on the case as it is, which no input changes (409).
_PRECONDITIONS: dict[str, Callable[[Case], object]] = {
    CaseAction.APPROVE_STEP: _passing_on,
    CaseAction.RETURN_STEP: _returning,
    CaseAction.DECIDE: _deciding_step,
    CaseAction.TERMINATE: require_correction_overdue,
}


def require_possible(case: Case, action: str) -> None:
    """The action's own conditions (`_PRECONDITIONS`), checked before the input (400), as
    API.md orders them, by callers that validate the input apart (the API's transitions)."""
    check = _PRECONDITIONS.get(action)
    if check is not None:
        check(case)


def _next_step(case: Case, step: CaseStep) -> WorkflowStep | None:
    return next((ws for ws in schedule.workflow(case) if ws.order > step.order), None)


def _previous_step(case: Case, step: CaseStep) -> WorkflowStep | None:
    """The step before `step`, unless that is the acceptance (受理) done at acceptance."""
    accepted = set(case.steps.filter(outcome=StepOutcome.ACCEPT).values_list("order", flat=True))
    earlier = [ws for ws in schedule.workflow(case) if ws.order < step.order]
    if not earlier or earlier[-1].order in accepted:
        return None
    return earlier[-1]


def _iso(day: date | None) -> str | None:
    """A date for a timeline event's JSON data."""
    return day.isoformat() if day else None


def _working_days(value: Any) -> int:
    """A whole number of working days, 1 … MAX_EXTENSION_WORKING_DAYS, or 400."""
    message = f"请填写延长的工作日数（1—{MAX_EXTENSION_WORKING_DAYS} 的整数）。"
    if isinstance(value, bool):
        raise InvalidInput(fields={"working_days": [message]})
    if isinstance(value, str):
        text = value.strip()
        if not (text.isascii() and text.isdigit()) or len(text) > 3:
            raise InvalidInput(fields={"working_days": [message]})
        value = int(text)
    if not isinstance(value, int) or not 1 <= value <= MAX_EXTENSION_WORKING_DAYS:
        raise InvalidInput(fields={"working_days": [message]})
    return value


# --- steps ---------------------------------------------------------------------------------


def do_approve_step(
    case: Case | str,
    *,
    actor: Any,
    opinion: str,
    step: int | str | None = None,
    revision: int | None = None,
    request: HttpRequest | None = None,
) -> Case:
    """Pass the current step on to the next with the holder's opinion (审查意见; 淮安办法第十三条:
    承办、审核、审批). The last step does not pass on: it decides (`do_decide`)."""
    with action_transaction(case):
        locked, target = _begin(case, actor, CaseAction.APPROVE_STEP, step, revision)
        current, following = _passing_on(locked)
        text = _require_text(opinion, "opinion", NEEDS_OPINION)
        now = timezone.now()
        cal = schedule.current_calendar()
        schedule.close_step(
            locked,
            current,
            actor=actor,
            now=now,
            outcome=StepOutcome.APPROVE,
            opinion=text,
            cal=cal,
        )
        locked.current_step = schedule.open_step(locked, following, now, cal)
        _finish(
            locked,
            CaseAction.APPROVE_STEP,
            target,
            actor=actor,
            fields=["current_step"],
            request=request,
            note=text,
            data={"from_step": current.name, "to_step": following.name},
        )
        return locked


def do_return_step(
    case: Case | str,
    *,
    actor: Any,
    reason: str,
    step: int | str | None = None,
    revision: int | None = None,
    request: HttpRequest | None = None,
) -> Case:
    """Send the case back one step with the reason (退回, 镇江办法第八条: 退回须说明理由). The
    previous step is visited again (a new visit with its own budget), for the step's named
    person or its department's pool; the acceptance step cannot be returned to."""
    with action_transaction(case):
        locked, target = _begin(case, actor, CaseAction.RETURN_STEP, step, revision)
        current, previous = _returning(locked)
        text = _require_text(reason, "reason", NEEDS_RETURN_REASON)
        now = timezone.now()
        cal = schedule.current_calendar()
        schedule.close_step(
            locked, current, actor=actor, now=now, outcome=StepOutcome.RETURN, opinion=text, cal=cal
        )
        locked.current_step = schedule.open_step(locked, previous, now, cal)
        _finish(
            locked,
            CaseAction.RETURN_STEP,
            target,
            actor=actor,
            fields=["current_step"],
            request=request,
            note=text,
            data={"from_step": current.name, "to_step": previous.name},
        )
        return locked


def _staff_holding(username: Any, role: str, department_id: int) -> Any:
    """The active user `username` if they hold `role` in the department, else 400."""
    name = _text(username, "assignee")
    user = get_user_model().objects.filter(username=name, is_active=True).first() if name else None
    if user is None or not user_has_role(user, role, department=department_id):
        raise InvalidInput(
            fields={"assignee": [f"“{name}”不是本环节部门中承担“{Role(role).label}”的工作人员。"]}
        )
    return user


def do_reassign(
    case: Case | str,
    *,
    actor: Any,
    assignee: str | None = None,
    queue: str | None = None,
    step: int | str | None = None,
    revision: int | None = None,
    request: HttpRequest | None = None,
) -> Case:
    """转办改派 (镇江办法第七条): hand the current work to another person when someone is
    absent, or back to the department's pool. Before acceptance the work is the pre-review,
    for a clerk of the accepting department; in review it is the current step, for a holder
    of its role in its department. `assignee` is a user name; `queue` is the code of the
    department whose pool takes it (the accepting department, or the step's). The step keeps
    its budget and due date."""
    with action_transaction(case):
        locked, target = _begin(case, actor, CaseAction.REASSIGN, step, revision)
        if locked.state == CaseState.SUBMITTED:
            department, role, current = locked.accepting_department, str(Role.CLERK), None
            holder_id = locked.intake_assignee_id
        else:
            current = _current_step(locked)
            department, role = current.department, current.role
            holder_id = current.assignee_id
        if bool(assignee) == bool(queue):
            raise InvalidInput(
                fields={"assignee": ["请指定一名工作人员，或退回部门队列（二选一）。"]}
            )
        person = None
        if assignee:
            person = _staff_holding(assignee, role, department.pk)
            if is_own_application(locked, person):
                raise InvalidInput(
                    fields={"assignee": ["该工作人员是本申请的申请人一方，应当回避。"]}
                )
            if person.pk == holder_id:
                raise InvalidInput(fields={"assignee": ["该工作已分派给此人。"]})
        else:
            if str(queue).strip() != department.code:
                raise InvalidInput(fields={"queue": [f"只能退回“{department.name}”的队列。"]})
            if holder_id is None:
                raise InvalidInput(fields={"queue": ["该工作已在部门队列中。"]})
        holder = get_user_model().objects.filter(pk=holder_id).first() if holder_id else None
        data: dict[str, Any] = {
            "from": holder.get_username() if holder else department.code,
            "to": person.get_username() if person else department.code,
        }
        if current is None:
            locked.intake_assignee = person
            fields = ["intake_assignee"]
        else:
            current.assignee = person
            current.save(update_fields=["assignee"])
            fields = []
            data["step"] = current.name
        # The timeline is the applicant's too: it names no staff member (the audit does).
        note = "已改派经办人" if person else f"转由{department.name}办理"
        _finish(
            locked,
            CaseAction.REASSIGN,
            target,
            actor=actor,
            fields=fields,
            request=request,
            note=note,
            data=data,
        )
        return locked


# --- the clock ---------------------------------------------------------------------------


def do_suspend(
    case: Case | str,
    *,
    actor: Any,
    procedure: str,
    reason: str,
    step: int | str | None = None,
    revision: int | None = None,
    request: HttpRequest | None = None,
) -> Case:
    """Suspend for a special procedure (特别程序: 现场勘查、检验、检测、检疫、专家评审、听证、
    公示; 行政许可法第四十五条, 大安办法第二十四条 挂起暂停): the clock stops today, the
    applicant is told the procedure and the reason. `procedure` is one of API.md's codes;
    one the item's guide does not declare is allowed and marked as such."""
    with action_transaction(case):
        locked, target = _begin(case, actor, CaseAction.SUSPEND, step, revision)
        problems: dict[str, list[str]] = {}
        if procedure not in SpecialProcedure.values:
            problems["procedure"] = [
                "请选择特别程序：现场勘查、检验、检测、检疫、专家评审、听证、公示或其他。"
            ]
        text = _text(reason, "reason")
        if not text:
            problems["reason"] = [NEEDS_SUSPEND_REASON]
        if problems:
            raise InvalidInput(fields=problems)
        declared = {
            entry.get("procedure")
            for entry in locked.version.special_procedures or []
            if isinstance(entry, dict)
        }
        fields = schedule.stop_clock(
            locked,
            actor=actor,
            now=timezone.now(),
            kind=StopKind.SPECIAL_PROCEDURE,
            reason=text,
            procedure=procedure,
        )
        label = SpecialProcedure(procedure).label
        # "需进行其他" is no Chinese: the applicant is told of a special procedure.
        doing = "需履行特别程序" if procedure == SpecialProcedure.OTHER else f"需进行{label}"
        event = _finish(
            locked,
            CaseAction.SUSPEND,
            target,
            actor=actor,
            fields=fields,
            request=request,
            note=f"{label}：{text}",
            data={"procedure": procedure, "declared": procedure in declared},
        )
        schedule.tell_applicant(
            locked,
            event,
            f"{your_application(locked)}{doing}，办理时限暂停计算。原因：{text}",
        )
        return locked


def do_resume(
    case: Case | str,
    *,
    actor: Any,
    note: str = "",
    step: int | str | None = None,
    revision: int | None = None,
    request: HttpRequest | None = None,
) -> Case:
    """End the special procedure: the clock runs again from today, which counts
    (DESIGN.md §5), and the applicant is told the new due date."""
    with action_transaction(case):
        locked, target = _begin(case, actor, CaseAction.RESUME, step, revision)
        text = _text(note, "note")
        fields = schedule.restart_clock(
            locked, actor=actor, now=timezone.now(), action=CaseAction.RESUME, note=text
        )
        event = _finish(
            locked,
            CaseAction.RESUME,
            target,
            actor=actor,
            fields=fields,
            request=request,
            note=text,
            data={"due_date": _iso(locked.due_date)},
        )
        schedule.tell_applicant(
            locked,
            event,
            f"{your_application(locked)}已恢复办理，承诺办结日期为{locked.due_date}。",
        )
        return locked


def do_extend(
    case: Case | str,
    *,
    actor: Any,
    working_days: Any,
    reason: str,
    step: int | str | None = None,
    revision: int | None = None,
    request: HttpRequest | None = None,
) -> Case:
    """延长办理期限 with the approver's approval and the reason (行政许可法第四十二条, 淮安办法
    第十三条, 大安办法第三十条): the working days are added to both the promised and the
    statutory limit, and the applicant is told. Extensions beyond the statutory extension
    (10 working days, or the item's legal basis) are recorded all the same, flagged as a
    violation (`extension_exceeds_statutory`) for supervision."""
    with action_transaction(case):
        locked, target = _begin(case, actor, CaseAction.EXTEND, step, revision)
        problems: dict[str, list[str]] = {}
        days = 0
        try:
            days = _working_days(working_days)
        except InvalidInput as error:
            problems.update(error.fields)
        text = _text(reason, "reason")
        if not text:
            problems["reason"] = [NEEDS_EXTEND_REASON]
        if problems:
            raise InvalidInput(fields=problems)
        now = timezone.now()
        extension = schedule.add_extension(
            locked, actor=actor, now=now, working_days=days, reason=text
        )
        fields = schedule.store_clock(locked, timezone.localdate(now))
        data: dict[str, Any] = {
            "working_days": days,
            "due_date": _iso(locked.due_date),
            "legal_due_date": _iso(locked.legal_due_date),
            "statutory_limit": extension.statutory_limit,
            "exceeds_statutory": extension.exceeds_statutory,
        }
        if extension.exceeds_statutory:
            data["violation"] = "extension_exceeds_statutory"
        event = _finish(
            locked,
            CaseAction.EXTEND,
            target,
            actor=actor,
            fields=fields,
            request=request,
            note=text,
            data=data,
        )
        schedule.tell_applicant(
            locked,
            event,
            f"{your_application(locked)}经批准延长办理期限{days}个工作日，"
            f"承诺办结日期调整为{locked.due_date}。理由：{text}",
        )
        return locked


# --- correction during review ----------------------------------------------------------------


def resubmit_during_review(
    case: Case, *, actor: Any, notice: CorrectionNotice | None, request: HttpRequest | None
) -> Case:
    """The correction of a case in review is handed in (`do_resubmit` calls this with the
    case locked and checked): back to review, the clock runs again from today, which counts
    (DESIGN.md §5); the acceptance stays."""
    now = timezone.now()
    case.submission += 1
    if notice is not None:
        notice.answered_at = now
        notice.save(update_fields=["answered_at"])
    case.correction_due_on = None
    fields = ["submission", "correction_due_on"]
    fields += schedule.restart_clock(case, actor=actor, now=now, action=CaseAction.RESUBMIT)
    # As `actions._finish`, but with this message instead of the pre-acceptance one (there
    # is no acceptance reply to announce: the case is accepted already).
    from_state = case.state
    case.state = RESUBMIT_DURING_REVIEW
    case.save(update_fields=[*fields, "state"])
    event = CaseEvent.objects.create(
        case=case,
        at=now,
        actor=actor,
        actor_name=actor_name(actor),
        action=CaseAction.RESUBMIT,
        from_state=from_state,
        to_state=case.state,
        data={"notice": notice.pk if notice else None, "due_date": _iso(case.due_date)},
    )
    record(
        "case.resubmit",
        actor=actor,
        request=request,
        obj=case,
        channel=_audit_channel(case, actor),
        before={"state": from_state},
        after={"state": case.state, **{name: _value(case, name) for name in fields}},
    )
    schedule.tell_applicant(
        case,
        event,
        f"{your_application(case)}补正材料已收到，恢复审查，承诺办结日期为{case.due_date}。",
    )
    return case


# --- decision and delivery ------------------------------------------------------------------


def do_decide(
    case: Case | str,
    *,
    actor: Any,
    outcome: str,
    reason: str = "",
    legal_basis: str = "",
    step: int | str | None = None,
    revision: int | None = None,
    request: HttpRequest | None = None,
) -> Case:
    """作出准予或不予许可的决定 at the last step (行政许可法第三十八条: 不予许可应当说明理由，
    并告知申请人享有依法申请行政复议或者提起行政诉讼的权利). `decided_on` is today and the
    clock stops for good (大安办法第二十六条); a denial needs its reasons; the legal basis is
    the item's unless one is given. The decision document (准予/不予许可决定书) is rendered
    and sealed by the task worker after the commit, not in this transaction."""
    with action_transaction(case):
        locked, _ = _begin(case, actor, CaseAction.DECIDE, step, revision)
        current = _deciding_step(locked)
        problems: dict[str, list[str]] = {}
        if outcome not in DecisionOutcome.values:
            problems["outcome"] = ["请选择审批决定：准予许可或不予许可。"]
        text = _text(reason, "reason")
        if outcome == DecisionOutcome.DENIED and not text:
            problems["reason"] = ["不予许可须说明理由（行政许可法第三十八条）。"]
        basis = _text(legal_basis, "legal_basis") or locked.version.legal_basis.strip()
        if not basis:
            problems["legal_basis"] = ["请写明作出决定的法律依据。"]
        if problems:
            raise InvalidInput(fields=problems)
        now = timezone.now()
        locked.decided_on = timezone.localdate(now)
        locked.decided_by = actor
        locked.decision_reason = text
        locked.decision_legal_basis = basis
        if current is not None:
            schedule.close_step(
                locked, current, actor=actor, now=now, outcome=StepOutcome.DECIDE, opinion=text
            )
        locked.current_step = None
        fields = schedule.store_clock(locked, locked.decided_on)
        on_time = locked.due_date is None or locked.decided_on <= locked.due_date
        label = DecisionOutcome(outcome).label
        event = _finish(
            locked,
            CaseAction.DECIDE,
            DECISION_STATES[DecisionOutcome(outcome)],
            actor=actor,
            fields=[
                "decided_on",
                "decided_by",
                "decision_reason",
                "decision_legal_basis",
                "current_step",
                *fields,
            ],
            request=request,
            note=text,
            data={"outcome": outcome, "on_time": on_time, "legal_basis": basis},
        )
        if outcome == DecisionOutcome.DENIED:  # nothing to pick up: the reasons and remedies
            then = f"理由及救济途径请登录查看{DocumentKind.DENIAL_DECISION.label}。"
        else:
            place = str((locked.version.guide or {}).get("place") or "").strip()
            then = "请登录查看决定书。" + (f"纸质结果可到{place}领取。" if place else "")
        schedule.tell_applicant(
            locked,
            event,
            f"{your_application(locked)}已于{locked.decided_on}作出{label}决定，{then}",
        )
        return locked


def _online_delivery_problem(case: Case) -> str:
    """Why the result cannot be delivered online yet, or "". Online delivery hands the
    applicant the sealed decision (乌海规范第十六条: 办事结果电子化后推送), so that file must
    exist: rendered and sealed, not merely on its way (a rendering may yet fail, say for
    want of a seal)."""
    states = set(case.documents.filter(kind__in=SEALED_KINDS).values_list("state", flat=True))
    if DocumentState.READY in states:
        return ""
    if DocumentState.FAILED in states:
        return "决定书生成失败，不能网上送达；请先重新生成决定书，或选择其他送达方式。"
    return "决定书尚未生成并加盖电子印章，暂不能网上送达；请稍后再试，或选择其他送达方式。"


def require_deliverable(case: Case, delivery: Any) -> None:
    """Conflict (409 decision_not_ready) when the result is to be delivered online and the
    sealed decision is not there yet: the case's state, checked before the rest of the input
    (400), by the action and by the API before it checks the body."""
    not_yet = _online_delivery_problem(case) if delivery == Delivery.ONLINE else ""
    if not_yet:
        raise Conflict(not_yet, code="decision_not_ready")


def do_complete(
    case: Case | str,
    *,
    actor: Any,
    delivery: str,
    tracking_no: str | None = None,
    revision: int | None = None,
    request: HttpRequest | None = None,
) -> Case:
    """办结: the clerk records how the result reached the applicant (大安办法第二十七条 送达;
    乌海规范第十六条): picked up at the window, mailed with the tracking number, or delivered
    online. Closes the case."""
    with action_transaction(case):
        locked, target = _begin(case, actor, CaseAction.COMPLETE, revision=revision)
        require_deliverable(locked, delivery)
        problems: dict[str, list[str]] = {}
        if delivery not in Delivery.values:
            problems["delivery"] = ["请选择送达方式：窗口领取、邮寄送达或网上送达。"]
        number = _text(tracking_no, "tracking_no")
        if delivery == Delivery.MAIL and not number:
            problems["tracking_no"] = ["邮寄送达须填写快递单号。"]
        elif number and delivery != Delivery.MAIL:
            problems["tracking_no"] = ["只有邮寄送达需要填写快递单号。"]
        elif len(number) > TRACKING_NO_MAX_LENGTH:
            problems["tracking_no"] = [f"快递单号不能超过 {TRACKING_NO_MAX_LENGTH} 个字符。"]
        if problems:
            raise InvalidInput(fields=problems)
        locked.delivery = delivery
        locked.tracking_no = number
        locked.closed_at = timezone.now()
        event = _finish(
            locked,
            CaseAction.COMPLETE,
            target,
            actor=actor,
            fields=["delivery", "tracking_no", "closed_at"],
            request=request,
            note=Delivery(delivery).label,
            data={"delivery": delivery, "tracking_no": number},
        )
        how = {
            Delivery.PICKUP: "办理结果已在窗口领取",
            Delivery.MAIL: f"办理结果已邮寄，快递单号 {number}",
            Delivery.ONLINE: "办理结果已网上送达，请登录查看",
        }[Delivery(delivery)]
        text = f"{your_application(locked)}{how}，办件已办结。"
        schedule.tell_applicant(locked, event, text)
        return locked
