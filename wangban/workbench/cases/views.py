"""受理 and 审批: the acceptance queue, the review queues (issue 8), the case page with the
actions allowed now — for accepted cases the steps, the clock, stops, extensions, the
decision and the review actions' forms —, the forms of the acceptance actions that need
input (一次性告知补正, 不予受理, 终止办理), window intake (窗口收件) and the list of cases
deemed accepted.

Anonymous visitors go to the workbench login, applicants' accounts get 403. Whether a case
can be seen is `wangban.cases.access.access_case` as staff (404 otherwise, also to a staff
member who is only the case's applicant side); every write is an action
of `wangban.cases.actions`, which checks who may do it (403) and when (409). A refusal
changes nothing: bad input is shown beside its field with an error summary (400, or 413/415
for files), a refusal of the user or of the state as a message on the case page (403, 409).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from wangban.accounts.choices import Role
from wangban.accounts.forms import add_domain_error
from wangban.accounts.roles import user_has_role
from wangban.cases import actions, queues, review
from wangban.cases.access import NOT_FOUND_MESSAGE, access_case, is_queue_clerk, may_act
from wangban.cases.choices import CaseAction, CaseState, Channel, DecisionOutcome
from wangban.cases.documents import all_documents_of
from wangban.cases.identity import do_reveal_applicant_id_number
from wangban.cases.models import Case
from wangban.cases.queries import replaced_materials, timeline
from wangban.core.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from wangban.portal.account.auth import workbench_login_required
from wangban.portal.schema_form import error_summary, parse_form, render_fields
from wangban.workbench.cases import present
from wangban.workbench.cases.forms import (
    DELIVERY_SORT_LABELS,
    MATERIAL_HINT,
    POOL,
    ApproveStepForm,
    CompleteForm,
    DecideForm,
    ExtendForm,
    IntakeForm,
    QueueFilterForm,
    ReasonForm,
    ReassignForm,
    ResumeForm,
    ReturnStepForm,
    ReviewFilterForm,
    ReviewForm,
    SuspendForm,
)
from wangban.workbench.catalog.access import requires
from wangban.workbench.catalog.editor import error_entries
from wangban.workbench.catalog.forms import UPLOAD_TYPES

PER_PAGE = 50
A = CaseAction
clerk_page = requires(Role.CLERK)
supervision_page = requires(Role.CLERK, Role.SUPERVISOR)


def _case_url(case: Case | str) -> str:
    return reverse("workbench:case", args=[case.pk if isinstance(case, Case) else case])


def visible_case(request: HttpRequest, case_id: str) -> Case:
    """The case if the user sees it as staff, else 404 (its existence does not leak). The
    page names staff (step holders, who stopped the clock, the history's actors); a staff
    member who sees a case only as its applicant side follows it in the portal, which names
    none, as staff who see a case only as staff get 404 there."""
    try:
        return access_case(case_id, request.user, as_staff=True)
    except NotFound:
        raise Http404(NOT_FOUND_MESSAGE) from None


# --- 受理队列 --------------------------------------------------------------------------------


def _wanted(form: QueueFilterForm) -> queues.QueueFilter:
    form.is_valid()  # an invalid filter is ignored
    data = getattr(form, "cleaned_data", {})
    return queues.QueueFilter(
        tab=data.get("tab") or queues.TO_SIGN,
        item=data.get("item") or "",
        channel=data.get("channel") or "",
        light=data.get("light") or "",
        sort=data.get("sort") or "due",
    )


def _query(wanted: queues.QueueFilter | queues.ReviewFilter, **changes: str) -> str:
    """The query string of a queue (acceptance or review) with `changes`, without empty
    values, the default sort or the page."""
    values = {**asdict(wanted), **changes}
    query = QueryDict(mutable=True)
    for key, value in values.items():
        if value and not (key == "sort" and value == "due"):
            query[key] = value
    return query.urlencode()


def _tabs(
    names: dict[str, str],
    counts: Mapping[str, int | None],
    wanted: queues.QueueFilter | queues.ReviewFilter,
) -> list[dict[str, Any]]:
    """The tab bar of a queue (`_queue_tabs.html`): each tab's name, count (None: shown
    without one), link under the same filters, and whether it is the one shown."""
    return [
        {
            "key": key,
            "label": label,
            "count": counts[key],
            "query": _query(wanted, tab=key),
            "current": key == wanted.tab,
        }
        for key, label in names.items()
    ]


def _row(case: Case) -> dict[str, Any]:
    annotated: Any = case
    if annotated.due_at is not None:
        due_label = "签收"
    elif case.state == CaseState.CORRECTION_REQUESTED:
        due_label = "补正"
    elif case.state == CaseState.SUBMITTED:
        due_label = "答复"
    else:  # a window draft; or a decided case, whose decision day the column shows
        due_label = ""
    return {
        "case": case,
        "light": annotated.light,
        "light_label": queues.LIGHT_LABELS.get(annotated.light, ""),
        "due_label": due_label,
        "due_on": annotated.due_on,
        "due_at": annotated.due_at,
        "received_at": annotated.received_at,
        "applicant": present.applicant_name(case),
        "channel": present.CHANNEL_LABELS.get(case.channel, case.channel),
        "state": present.STATE_LABELS.get(case.state, case.state),
        "signed": case.signed_in_at is not None,
    }


def _sort_link(wanted: queues.QueueFilter | queues.ReviewFilter, key: str) -> dict[str, str]:
    """A sortable column header: the link toggles between ascending and descending."""
    current = wanted.sort.lstrip("-") == key
    descending = wanted.sort == f"-{key}"
    target = key if (not current or descending) else f"-{key}"
    return {
        "query": _query(wanted, sort=target),
        "aria_sort": ("descending" if descending else "ascending") if current else "",
        "hint": "降序" if current and not descending else "升序",
    }


@clerk_page
def queue_page(request: HttpRequest) -> HttpResponse:
    """受理队列: the tabs with their counts, filters by item, channel and light, the rows of
    the tab sorted by the deadline that matters now (or by the received time), 50 a page;
    in 待送达 the decided cases whose result the clerk delivers, by the decision day."""
    user = request.user
    at = queues.now_for(user)
    scope = queues.queue_scope(user)
    form = QueueFilterForm(request.GET, items=queues.queue_items(scope))
    wanted = _wanted(form)
    delivering = wanted.tab == queues.TO_DELIVER
    if delivering:
        form.fields["sort"].choices = list(DELIVERY_SORT_LABELS.items())  # type: ignore[attr-defined]
    page = Paginator(queues.queue(scope, wanted, at), PER_PAGE).get_page(request.GET.get("page"))
    counts = queues.tab_counts(scope, wanted, at)
    tabs = _tabs(queues.TABS, counts, wanted)
    return render(
        request,
        "workbench/cases/queue.html",
        {
            "form": form,
            "wanted": wanted,
            "tab_label": queues.TABS[wanted.tab],
            "tabs": tabs,
            "page": page,
            "rows": [_row(case) for case in page],
            "query": _query(wanted),
            "sort_due": _sort_link(wanted, "due"),
            "sort_received": _sort_link(wanted, "received"),
            "due_heading": "决定日期" if delivering else "办理时限",
            "today": at.today,
        },
    )


@supervision_page
def deemed_page(request: HttpRequest) -> HttpResponse:
    """视为受理: cases accepted by law because no answer came in five working days
    (行政许可法第三十二条), for supervision and for the clerks whose queue they were in."""
    cases = queues.deemed_accepted_cases(request.user)
    page = Paginator(cases, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "workbench/cases/deemed.html", {"page": page, "query": ""})


@supervision_page
def repeat_notices_page(request: HttpRequest) -> HttpResponse:
    """再次补正告知: correction notices issued again on one application, against the
    one-time rule (一次性告知), with the reason stated for each, for supervision and for the
    clerks whose queue the cases are in."""
    notices = queues.repeat_correction_notices(request.user)
    page = Paginator(notices, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "workbench/cases/repeat_notices.html", {"page": page, "query": ""})


# --- The case page ---------------------------------------------------------------------------


def _back(user: Any, case: Case) -> tuple[str, str]:
    """The queue a case's pages lead back to: the one this user works it from (the review
    queue once accepted, for the holders of a review role; else the acceptance queue for a
    clerk), never one they may not open."""
    if case.accepted_on is not None and user_has_role(user, *queues.REVIEW_QUEUE_ROLES):
        return ("审批队列", reverse("workbench:cases-review"))
    if user_has_role(user, Role.CLERK):
        queue = reverse("workbench:cases-queue")
        if case.state in queues.DELIVERY_STATES:
            return ("受理队列 · 待送达", f"{queue}?tab={queues.TO_DELIVER}")
        return ("受理队列", queue)
    return ("工作台首页", reverse("workbench:home"))


def _case_context(
    request: HttpRequest,
    case: Case,
    *,
    refusal: str = "",
    summary: list[tuple[str, str]] | None = None,
    form_values: dict[str, Any] | None = None,
    form_errors: dict[str, list[str]] | None = None,
    material_errors: dict[str, dict[str, list[str]]] | None = None,
    revealed_id_number: str = "",
    review_form: ReviewForm | None = None,
    review_form_action: str = "",
    confirming: str = "",
    refused_text: str = "",
) -> dict[str, Any]:
    user = request.user
    at = queues.now_for(user)
    accepted = case.accepted_on is not None
    schema = case.version.form_schema
    editable = present.may_edit_materials(case, user)
    form_editable = editable and case.state == CaseState.DRAFT
    return {
        "case": case,
        "version": case.version,
        "state_label": present.STATE_LABELS.get(case.state, case.state),
        "state_class": present.STATE_CLASSES.get(case.state, "state-old"),
        "channel_label": present.CHANNEL_LABELS.get(case.channel, case.channel),
        "applicant": present.applicant_of(case),
        "may_reveal": is_queue_clerk(case, user) and not revealed_id_number,
        "revealed_id_number": revealed_id_number,
        "deadlines": present.deadlines(case, at),
        "form_rows": present.form_rows(schema, case.form),
        "form_editable": form_editable,
        "form_fields": render_fields(
            schema, form_values if form_values is not None else case.form, form_errors
        )
        if form_editable
        else "",
        "materials": present.material_views(case, editable=editable, errors=material_errors),
        "materials_editable": editable,
        "upload_types": UPLOAD_TYPES,
        "upload_hint": MATERIAL_HINT,
        "replaced_materials": replaced_materials(case, "workbench:case-replaced-material"),
        "documents": all_documents_of(case),
        "notices": list(case.correction_notices.order_by("issued_at", "pk")),
        "events": list(timeline(case).select_related("actor")),
        "buttons": present.action_buttons(case, present.allowed_actions(case, user, at)),
        "refusal": refusal,
        "summary": summary or [],
        "accepted": accepted,
        "back": _back(user, case),
        "clock": present.clock_view(case, at.today) if accepted else None,
        "steps": present.step_views(case, at.today) if accepted else [],
        "stops": list(case.clock_stops.select_related("started_by", "ended_by"))
        if accepted
        else [],
        "extensions": list(case.extensions.all()) if accepted else [],
        "procedure_labels": present.PROCEDURE_LABELS,
        "decision_label": present.decision_label(case) if case.decided_on else "",
        "review_panels": review_panels(case, user, review_form, review_form_action),
        "confirming": confirming,  # the decision (准予许可, 不予许可) asked to be confirmed
        "refused_text": refused_text,
    }


def render_case(
    request: HttpRequest, case: Case, *, status: int = 200, **extra: Any
) -> HttpResponse:
    return render(
        request, "workbench/cases/case.html", _case_context(request, case, **extra), status=status
    )


@workbench_login_required
def case_page(request: HttpRequest, case_id: str) -> HttpResponse:
    """One case: who applies for what, the deadlines with their lights, the form, the
    materials with previews, documents, correction notices, the history, and the actions
    this user may take now."""
    return render_case(request, visible_case(request, case_id))


def _refused(
    request: HttpRequest, case_id: str, error: DomainError, typed: str = ""
) -> HttpResponse:
    """A refusal of the user (403) or of the state (409): the case page, unchanged, with
    the message on top, and the text the user had `typed` (an opinion, a reason) to copy,
    since the form it came from may no longer be offered. A case the user may not see is
    404."""
    if isinstance(error, NotFound) and error.code == "case_not_found":
        raise Http404(NOT_FOUND_MESSAGE)
    case = visible_case(request, case_id)
    return render_case(
        request, case, status=error.status, refusal=error.message, refused_text=typed
    )


@workbench_login_required
@require_POST
def sign_in(request: HttpRequest, case_id: str) -> HttpResponse:
    """签收 (镇江办法第九条)."""
    try:
        actions.do_sign_in(case_id, actor=request.user, request=request)
    except DomainError as error:
        return _refused(request, case_id, error)
    messages.success(request, "已签收。请在预审答复时限内受理、一次性告知补正或不予受理。")
    return HttpResponseRedirect(_case_url(case_id))


@workbench_login_required
@require_POST
def accept(request: HttpRequest, case_id: str) -> HttpResponse:
    """受理: the receipt number (受理编号) is issued; the case goes to the back office."""
    try:
        case = actions.do_accept(case_id, actor=request.user, request=request)
    except DomainError as error:
        return _refused(request, case_id, error)
    messages.success(
        request, f"已受理，受理编号 {case.receipt_no}。受理通知书生成后可在“文书”中查看。"
    )
    return HttpResponseRedirect(_case_url(case))


def _require_offered(request: HttpRequest, case: Case, action: str) -> HttpResponse | None:
    """The page of an action that needs input: 403 for someone who may never do it here,
    else back to the case page with a message when the state does not allow it now."""
    if not may_act(case, request.user, action):
        raise PermissionDenied
    at = queues.now_for(request.user)
    if action in present.allowed_actions(case, request.user, at):
        return None
    if action == A.TERMINATE and case.state == CaseState.CORRECTION_REQUESTED:
        refusal = f"补正期限（{case.correction_due_on}）尚未届满，不能终止办理。"
    else:
        refusal = f"办件当前状态为“{present.STATE_LABELS[case.state]}”，不能{A(action).label}。"
    return render_case(request, case, status=409, refusal=refusal)


# --- 一次性告知补正 --------------------------------------------------------------------------

UNTICKED_REASON = "已填写补正原因，请勾选该材料，或清空原因。"
MISSING_REASON = "请写明需要补正的原因。"  # as `actions.do_request_correction` says it


def _correction_rows(
    case: Case, posted: Any = None, errors: dict[int, dict[str, list[str]]] | None = None
) -> list[dict[str, Any]]:
    errors = errors or {}
    picked = set(posted.getlist("materials")) if posted is not None else set()
    return [
        {
            "view": view,
            "checked": view.material.code in picked,
            "reason": (posted.get(f"reason-{view.index}", "") if posted is not None else ""),
            "errors": errors.get(view.index, {}),
            "check_id": f"correction-{view.index}",
            "reason_id": f"reason-{view.index}",
        }
        for view in present.material_views(case, editable=False)
    ]


def _render_correction(
    request: HttpRequest,
    case: Case,
    *,
    rows: list[dict[str, Any]],
    summary: list[tuple[str, str]] | None = None,
    items_error: list[str] | None = None,
    second_error: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    notices = list(case.correction_notices.order_by("issued_at", "pk"))
    return render(
        request,
        "workbench/cases/correction.html",
        {
            "case": case,
            "version": case.version,
            "back": _back(request.user, case),
            "rows": rows,
            "notices": notices,
            "repeat": bool(notices),
            "reason_for_second": request.POST.get("reason_for_second", ""),
            "summary": summary or [],
            "items_error": items_error or [],
            "second_error": second_error or [],
            "answer_days": actions.correction_answer_limit(case.version).days,
        },
        status=status,
    )


@workbench_login_required
@require_http_methods(["GET", "POST"])
def request_correction(request: HttpRequest, case_id: str) -> HttpResponse:
    """一次性告知补正 (行政许可法第三十二条, 淮安办法第十二条): every material of the item
    with a box to tick and the reason; all deficiencies in one notice. A second notice on
    the same application needs its reason and is recorded for supervision."""
    case = visible_case(request, case_id)
    refused = _require_offered(request, case, A.REQUEST_CORRECTION)
    if refused is not None:
        return refused
    if request.method == "GET":
        return _render_correction(request, case, rows=_correction_rows(case))
    rows = _correction_rows(case, request.POST)
    items: list[dict[str, str]] = []
    index_of: list[int] = []
    errors: dict[int, dict[str, list[str]]] = {}
    for row in rows:
        reason = row["reason"].strip()
        if row["checked"]:
            items.append({"material_code": row["view"].material.code, "reason": reason})
            index_of.append(row["view"].index)
        elif reason:  # typed, not ticked: ask rather than drop what the clerk wrote
            errors[row["view"].index] = {"check": [UNTICKED_REASON]}
    if errors:
        # Refused before the action; name the action's other refusal too (a ticked
        # material without its reason), so that every problem shows at once.
        for item, index in zip(items, index_of, strict=True):
            if not item["reason"]:
                errors[index] = {"reason": [MISSING_REASON]}
    try:
        if errors:
            raise InvalidInput("补正告知内容有误，请按提示修改。")
        notice = actions.do_request_correction(
            case_id,
            actor=request.user,
            items=items,
            reason_for_second=request.POST.get("reason_for_second"),
            request=request,
        )
    except InvalidInput as error:
        return _correction_errors(request, case, rows, index_of, errors, error)
    except DomainError as error:
        return _refused(request, case_id, error)
    due = f"{notice.answer_due_on:%Y-%m-%d}"
    messages.success(request, f"已一次性告知补正 {len(notice.items)} 项材料，补正期限至 {due}。")
    return HttpResponseRedirect(_case_url(case_id))


def _correction_errors(
    request: HttpRequest,
    case: Case,
    rows: list[dict[str, Any]],
    index_of: list[int],
    errors: dict[int, dict[str, list[str]]],
    error: InvalidInput,
) -> HttpResponse:
    """The action's messages beside the material they concern (`items[k].reason` is the
    k-th ticked material), the list's and the second notice's beside theirs."""
    items_error: list[str] = []
    second_error: list[str] = []
    for name, messages_ in error.fields.items():
        if name == "items":
            items_error += messages_
        elif name == "reason_for_second":
            second_error += messages_
        elif name.startswith("items[") and "]." in name:
            position, _, key = name[len("items[") :].partition("].")
            index = (
                index_of[int(position)]
                if position.isdigit() and int(position) < len(index_of)
                else 0
            )
            target = "reason" if key == "reason" else "check"
            errors.setdefault(index, {}).setdefault(target, []).extend(messages_)
    rows = _correction_rows(case, request.POST, errors)
    summary: list[tuple[str, str]] = [("#correction-0", text) for text in items_error]
    for row in rows:
        name = row["view"].material.name
        for text in row["errors"].get("check", []):
            summary.append((f"#{row['check_id']}", f"{name}：{text}"))
        for text in row["errors"].get("reason", []):
            summary.append((f"#{row['reason_id']}", f"{name}：{text}"))
    summary += [("#reason_for_second", text) for text in second_error]
    if not summary:
        summary = [("", error.message)]
    return _render_correction(
        request,
        case,
        rows=rows,
        summary=summary,
        items_error=items_error,
        second_error=second_error,
        status=400,
    )


# --- 不予受理, 终止办理 ----------------------------------------------------------------------

REASON_PAGES: dict[str, dict[str, str]] = {
    A.REJECT: {
        "title": "不予受理",
        "label": "不予受理的理由",
        "hint": "写明具体理由和依据；理由将写入不予受理决定书，告知申请人（大安办法第二十一条）。",
        "button": "确认不予受理",
        "done": "已决定不予受理，不予受理决定书生成后可在“文书”中查看。",
    },
    A.TERMINATE: {
        "title": "终止办理",
        "label": "终止办理的理由",
        "hint": "申请人逾期未补正材料；理由将告知申请人。",
        "button": "确认终止办理",
        "done": "已终止办理。",
    },
}


def _reason_page(request: HttpRequest, case_id: str, action: str) -> HttpResponse:
    case = visible_case(request, case_id)
    refused = _require_offered(request, case, action)
    if refused is not None:
        return refused
    texts = REASON_PAGES[action]
    form = ReasonForm(request.POST or None, label=texts["label"], hint=texts["hint"])
    status = 200
    if request.method == "POST" and form.is_valid():
        perform = actions.do_reject if action == A.REJECT else actions.do_terminate
        try:
            perform(
                case_id, actor=request.user, reason=form.cleaned_data["reason"], request=request
            )
        except InvalidInput as error:
            add_domain_error(form, error)
        except DomainError as error:
            return _refused(request, case_id, error)
        else:
            messages.success(request, texts["done"])
            return HttpResponseRedirect(_case_url(case_id))
    if form.errors:
        status = 400
    return render(
        request,
        "workbench/cases/reason.html",
        {
            "case": case,
            "version": case.version,
            "back": _back(request.user, case),
            "form": form,
            "texts": texts,
            "errors": error_entries(form),
            "action_url": reverse(
                "workbench:case-reject" if action == A.REJECT else "workbench:case-terminate",
                args=[case.pk],
            ),
        },
        status=status,
    )


@workbench_login_required
@require_http_methods(["GET", "POST"])
def reject(request: HttpRequest, case_id: str) -> HttpResponse:
    """不予受理 with the specific reason (行政许可法第三十二条, 大安办法第二十一条)."""
    return _reason_page(request, case_id, A.REJECT)


@workbench_login_required
@require_http_methods(["GET", "POST"])
def terminate(request: HttpRequest, case_id: str) -> HttpResponse:
    """终止办理, offered once the correction answer is overdue (淮安办法第十二条)."""
    return _reason_page(request, case_id, A.TERMINATE)


# --- The applicant's identity number ---------------------------------------------------------


@workbench_login_required
@require_POST
def reveal_id_number(request: HttpRequest, case_id: str) -> HttpResponse:
    """The applicant's full identity number, for a clerk of the accepting department who
    checks it against the card; shown on this response only (never in a URL), audited."""
    try:
        number = do_reveal_applicant_id_number(case_id, actor=request.user, request=request)
    except DomainError as error:
        return _refused(request, case_id, error)
    return render_case(request, visible_case(request, case_id), revealed_id_number=number)


# --- 窗口收件 --------------------------------------------------------------------------------


@clerk_page
@require_http_methods(["GET", "POST"])
def intake(request: HttpRequest) -> HttpResponse:
    """窗口收件 (大安办法第十七条, 一窗受理 乌海规范第十二条): choose a published item this
    window accepts and find the applicant; a window draft is created and the case page
    continues with the form, the materials and the submission."""
    versions = list(queues.intake_versions(request.user))
    items = [(v.item.code, f"{v.name}（{v.department.name}）") for v in versions]
    form = IntakeForm(request.POST or None, items=items)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            applicant = queues.find_applicant(data["applicant"])
            legal_person = queues.find_legal_person(data["credit_code"])
            case = actions.do_create_case(
                actor=request.user,
                item_code=data["item"],
                channel=Channel.WINDOW,
                applicant=applicant,
                on_behalf_of=legal_person,
                request=request,
            )
        except DomainError as error:
            add_domain_error(form, error, {"on_behalf_of": "credit_code"})
            status = error.status
        else:
            messages.success(
                request, "已登记窗口申请。请填写申请表，扫描上传或登记纸质材料，然后提交。"
            )
            return HttpResponseRedirect(_case_url(case))
    elif form.errors:
        status = 400
    return render(
        request,
        "workbench/cases/intake.html",
        {"form": form, "errors": error_entries(form), "has_items": bool(items)},
        status=status,
    )


@workbench_login_required
@require_POST
def save_form(request: HttpRequest, case_id: str) -> HttpResponse:
    """Save the form of a window draft (checked as a draft: required fields may wait)."""
    case = visible_case(request, case_id)
    values = parse_form(case.version.form_schema, request.POST)
    try:
        actions.do_update_form(case_id, actor=request.user, form=values, request=request)
    except InvalidInput as error:
        return _form_errors(request, case, error, values)
    except DomainError as error:
        return _refused(request, case_id, error)
    messages.success(request, "申请表已保存。")
    return HttpResponseRedirect(_case_url(case_id))


def _split_errors(
    error: DomainError,
) -> tuple[dict[str, list[str]], dict[str, dict[str, list[str]]], list[str]]:
    """An action's fields: `form.<name>` to the form, `materials.<code>` to the material,
    the rest to the summary."""
    form: dict[str, list[str]] = {}
    materials: dict[str, dict[str, list[str]]] = {}
    rest: list[str] = []
    for name, texts in error.fields.items():
        if name.startswith("form."):
            form.setdefault(name[len("form.") :], []).extend(texts)
        elif name == "form":
            form.setdefault("__all__", []).extend(texts)
        elif name.startswith("materials."):
            materials.setdefault(name[len("materials.") :], {}).setdefault("file", []).extend(texts)
        else:
            rest += texts
    return form, materials, rest


def _form_errors(
    request: HttpRequest, case: Case, error: DomainError, values: dict[str, Any] | None = None
) -> HttpResponse:
    form, materials, rest = _split_errors(error)
    schema = case.version.form_schema
    summary = [(f"#{field_id}", text) for field_id, text in error_summary(schema, form)]
    views = present.material_views(case, editable=False)
    for view in views:
        for text in materials.get(view.material.code, {}).get("file", []):
            summary.append((f"#{view.file_id}", text))
    summary += [("", text) for text in rest]
    if not summary:
        summary = [("", error.message)]
    return render_case(
        request,
        case,
        status=error.status,
        summary=summary,
        form_values=values,
        form_errors=form,
        material_errors=materials,
    )


@workbench_login_required
@require_POST
def attach(request: HttpRequest, case_id: str) -> HttpResponse:
    """Upload a scan for one material of a window draft or of a correction handed in at
    the window (checked by content and size: 415, 413)."""
    case = visible_case(request, case_id)
    code = request.POST.get("material", "")
    try:
        actions.do_attach_material(
            case_id,
            actor=request.user,
            material_code=code,
            upload=request.FILES.get("file"),
            request=request,
        )
    except DomainError as error:
        if isinstance(error, InvalidInput) or error.status in (413, 415):
            return _material_error(request, case, code, error)
        return _refused(request, case_id, error)
    messages.success(request, "材料已上传。")
    return HttpResponseRedirect(_case_url(case_id))


@workbench_login_required
@require_POST
def mark_paper(request: HttpRequest, case_id: str) -> HttpResponse:
    """A material handed over on paper at the window, with a note (大安办法第十七—十八条)."""
    case = visible_case(request, case_id)
    code = request.POST.get("material", "")
    try:
        actions.do_mark_paper_material(
            case_id,
            actor=request.user,
            material_code=code,
            note=request.POST.get("note", ""),
            request=request,
        )
    except InvalidInput as error:
        return _material_error(request, case, code, error, key="note")
    except DomainError as error:
        return _refused(request, case_id, error)
    messages.success(request, "已登记为纸质材料。")
    return HttpResponseRedirect(_case_url(case_id))


def _material_error(
    request: HttpRequest, case: Case, code: str, error: DomainError, key: str = "file"
) -> HttpResponse:
    views = {view.material.code: view for view in present.material_views(case, editable=False)}
    texts = [text for texts in error.fields.values() for text in texts] or [error.message]
    view = views.get(code)
    if view is None:
        return render_case(request, case, status=error.status, summary=[("", t) for t in texts])
    target = view.file_id if key == "file" else view.note_id
    return render_case(
        request,
        case,
        status=error.status,
        summary=[(f"#{target}", f"{view.material.name}：{text}") for text in texts],
        material_errors={code: {key: texts}},
    )


@workbench_login_required
@require_POST
def submit(request: HttpRequest, case_id: str) -> HttpResponse:
    """Submit a window draft, or hand in a correction at the window; the clerk signs for it
    at once (the action does)."""
    case = visible_case(request, case_id)
    perform = actions.do_submit if case.state == CaseState.DRAFT else actions.do_resubmit
    try:
        done = perform(case_id, actor=request.user, request=request)
    except InvalidInput as error:
        return _form_errors(request, case, error)
    except DomainError as error:
        return _refused(request, case_id, error)
    if done.accepted_on is not None:  # a correction asked during review: back in review
        text = f"补正材料已提交，恢复审查，承诺办结日期为 {done.due_date:%Y-%m-%d}。"
    else:
        what = "申请已提交" if case.state == CaseState.DRAFT else "补正材料已提交"
        text = f"{what}并已签收，请于 {done.reply_due_on:%Y-%m-%d} 前受理、补正或不予受理。"
    messages.success(request, text)
    return HttpResponseRedirect(_case_url(case_id))


# --- 审批队列 (issue 8) ----------------------------------------------------------------------

review_page = requires(*queues.REVIEW_QUEUE_ROLES)


def _review_wanted(form: ReviewFilterForm) -> queues.ReviewFilter:
    form.is_valid()  # an invalid filter is ignored
    data = getattr(form, "cleaned_data", {})
    return queues.ReviewFilter(
        tab=data.get("tab") or queues.TODO,
        item=data.get("item") or "",
        light=data.get("light") or "",
        step=data.get("step") or "",
        sort=data.get("sort") or "due",
    )


def _review_row(case: Case) -> dict[str, Any]:
    annotated: Any = case
    step = case.current_step if case.current_step and not case.current_step.finished_at else None
    step_view = present.StepView(step, annotated.step_light or "") if step else None
    return {
        "case": case,
        "light": annotated.light or "",
        "light_label": queues.LIGHT_LABELS.get(annotated.light or "", ""),
        "step": step_view,
        "applicant": present.applicant_name(case),
        "state": present.STATE_LABELS.get(case.state, case.state),
    }


@review_page
def review_queue_page(request: HttpRequest) -> HttpResponse:
    """审批队列: 待办 (the current step is in my queue), 停止计时, 即将到期 (blue), 已超期 (red),
    已办结; filters by item, light and step; sorted by the promised due date (or the step's),
    50 a page; the case's light and due date and the step's in every row."""
    user = request.user
    today = timezone.localdate()
    scope = queues.review_scope(user)
    form = ReviewFilterForm(
        request.GET, items=queues.review_items(user), steps=queues.review_steps(user)
    )
    wanted = _review_wanted(form)
    rows = queues.review_queue(scope, wanted, user, today)
    counts = queues.review_tab_counts(scope, wanted, user, today)
    # The page's ids first (filtered, sorted and skipped without the joins and the step-light
    # subquery a row needs), then those fifty rows with everything a row shows: a
    # department's tab holds thousands. An open tab's count is already in the tab bar.
    paginator = Paginator(rows.values_list("pk", flat=True), PER_PAGE)
    if counts[wanted.tab] is not None:
        paginator.__dict__["count"] = counts[wanted.tab]  # Paginator.count, known
    page = paginator.get_page(request.GET.get("page"))
    ids = list(page)
    cases = sorted(rows.filter(pk__in=ids), key=lambda case: ids.index(case.pk))
    tabs = _tabs(queues.REVIEW_TABS, counts, wanted)
    return render(
        request,
        "workbench/cases/review_queue.html",
        {
            "form": form,
            "wanted": wanted,
            "tab_label": queues.REVIEW_TABS[wanted.tab],
            "tabs": tabs,
            "page": page,
            "rows": [_review_row(case) for case in cases],
            "query": _query(wanted),
            "sort_due": _sort_link(wanted, "due"),
            "sort_step_due": _sort_link(wanted, "step_due"),
            "today": today,
        },
    )


# --- The review actions on the case page -----------------------------------------------------

REVIEW_FORMS: dict[str, type[ReviewForm]] = {
    A.APPROVE_STEP: ApproveStepForm,
    A.RETURN_STEP: ReturnStepForm,
    A.REASSIGN: ReassignForm,
    A.SUSPEND: SuspendForm,
    A.RESUME: ResumeForm,
    A.EXTEND: ExtendForm,
    A.DECIDE: DecideForm,
    A.COMPLETE: CompleteForm,
}
#: Each form's button and the message after it succeeded.
REVIEW_TEXTS: dict[str, tuple[str, str]] = {
    A.APPROVE_STEP: ("通过，转下一环节", "已通过本环节，转“{step}”办理。"),
    A.RETURN_STEP: ("退回上一环节", "已退回“{step}”重新办理。"),
    A.REASSIGN: ("改派", "已改派。"),
    A.SUSPEND: ("挂起（停止计时）", "已挂起，办理时限停止计算，已告知申请人。"),
    A.RESUME: ("恢复办理（恢复计时）", "已恢复办理，承诺办结日期为 {due}。"),
    A.EXTEND: ("延长办理期限", "已延长办理期限，承诺办结日期调整为 {due}。"),
    A.DECIDE: ("作出审批决定", "已作出{outcome}决定，决定书生成后可在“文书”中查看。"),
    A.COMPLETE: ("办结", "已办结：{delivery}。"),
}


def _review_form(
    case: Case, action: str, data: QueryDict | None = None, revision: int | None = None
) -> ReviewForm:
    kwargs: dict[str, Any] = {
        "prefix": action,
        "initial": {"step": case.current_step_id or "", "revision": revision},
    }
    if action == A.REASSIGN:
        step = case.current_step
        department = step.department.name if step else case.department.name
        kwargs["people"] = present.eligible_assignees(case)
        kwargs["pool"] = f"退回{department}队列"
    return REVIEW_FORMS[action](data, **kwargs)


def review_panels(
    case: Case, user: Any, bound: ReviewForm | None = None, bound_action: str = ""
) -> list[dict[str, Any]]:
    """The forms of the review actions `user` may take now; `bound` in place of the fresh
    form of `bound_action` (the one that came back with errors)."""
    panels = []
    actions_now = present.review_actions(case, user)
    revision = review.revision_of(case) if actions_now else None
    for action in actions_now:
        fresh = action != bound_action or bound is None
        form = _review_form(case, action, revision=revision) if fresh else bound
        button, _ = REVIEW_TEXTS[action]
        panels.append(
            {
                "action": action,
                "label": A(action).label,
                "form": form,
                "button": button,
                "url": reverse("workbench:case-review", args=[case.pk, action]),
            }
        )
    return panels


def _precheck(
    case: Case, user: Any, action: str, step: str, revision: int | None
) -> DomainError | None:
    """The refusals before the input, in the actions' order (403 and stale 409 as
    `review.require_may_act_on_step` orders them, then 409), so that bad input on a case
    one may not change is not reported as bad input."""
    seen = step if step and action != A.COMPLETE else None
    try:
        review.require_may_act_on_step(case, user, action, seen, revision)
    except (Conflict, Forbidden) as refusal:
        return refusal
    if action not in present.review_actions(case, user):
        state = present.STATE_LABELS.get(case.state, case.state)
        return Conflict(f"办件当前状态为“{state}”，不能{A(action).label}。", code="not_now")
    return None


def _perform(request: HttpRequest, case: Case, action: str, data: dict[str, Any]) -> Case:
    """The action with the form's values (every write is an action of `review`)."""
    common: dict[str, Any] = {
        "actor": request.user,
        "request": request,
        "revision": data.get("revision"),
    }
    if action != A.COMPLETE:
        common["step"] = data.get("step") or None
    if action == A.APPROVE_STEP:
        return review.do_approve_step(case.pk, opinion=data["opinion"], **common)
    if action == A.RETURN_STEP:
        return review.do_return_step(case.pk, reason=data["reason"], **common)
    if action == A.REASSIGN:
        if data["assignee"] == POOL:
            step = case.current_step
            code = step.department.code if step else case.department.code
            return review.do_reassign(case.pk, queue=code, **common)
        return review.do_reassign(case.pk, assignee=data["assignee"], **common)
    if action == A.SUSPEND:
        return review.do_suspend(
            case.pk, procedure=data["procedure"], reason=data["reason"], **common
        )
    if action == A.RESUME:
        return review.do_resume(case.pk, note=data["note"], **common)
    if action == A.EXTEND:
        return review.do_extend(
            case.pk, working_days=data["working_days"], reason=data["reason"], **common
        )
    if action == A.DECIDE:
        return review.do_decide(
            case.pk,
            outcome=data["outcome"],
            reason=data["reason"],
            legal_basis=data["legal_basis"],
            **common,
        )
    return review.do_complete(
        case.pk, delivery=data["delivery"], tracking_no=data["tracking_no"], **common
    )


def _done_message(action: str, case: Case) -> str:
    _, text = REVIEW_TEXTS[action]
    step = case.current_step
    return text.format(
        step=step.name if step else "",
        due=f"{case.due_date:%Y-%m-%d}" if case.due_date else "—",
        outcome=present.STATE_LABELS.get(case.state, ""),
        delivery=case.get_delivery_display(),
    )


#: The free texts of the review forms, which a refusal shows back to be copied.
TYPED_FIELDS = ("opinion", "reason", "legal_basis", "note")


def _typed_text(request: HttpRequest, action: str) -> str:
    return "\n".join(
        text for name in TYPED_FIELDS if (text := request.POST.get(f"{action}-{name}", "").strip())
    )


def _to_confirm(data: dict[str, Any]) -> bool:
    """A decision not confirmed yet that the action would take (else it answers the input's
    problems at once: no outcome, a denial without its reasons)."""
    outcome = data["outcome"]
    complete = outcome == DecisionOutcome.APPROVED or (
        outcome == DecisionOutcome.DENIED and data["reason"].strip()
    )
    return bool(complete) and data["confirmed"] != outcome


@workbench_login_required
@require_POST
def review_action(request: HttpRequest, case_id: str, action: str) -> HttpResponse:
    """One review action from its form on the case page: 404 for a case one may not see,
    409 `stale` when the page showed another current step, 403 for someone who may not do
    it, 409 when the state or the step does not allow it now, 400 with the messages beside
    the fields for bad input; every refusal changes nothing. A decision, which cannot be
    undone, is first shown to be confirmed (the same form, `confirmed` set)."""
    if action not in REVIEW_FORMS:
        raise Http404(NOT_FOUND_MESSAGE)
    case = visible_case(request, case_id)
    form = _review_form(case, action, request.POST)
    typed = _typed_text(request, action)
    seen_revision = request.POST.get(f"{action}-revision", "")
    whole = seen_revision.isascii() and seen_revision.isdigit() and len(seen_revision) <= 18
    revision = int(seen_revision) if whole else None  # else the form's own check (400)
    refusal = _precheck(
        case, request.user, action, request.POST.get(f"{action}-step", ""), revision
    )
    if refusal is not None:
        return _refused(request, case_id, refusal, typed)
    if action == A.DECIDE and form.is_valid() and _to_confirm(form.cleaned_data):
        # Irreversible: show what will be decided, with a button that confirms it.
        confirm = request.POST.copy()
        confirm[f"{action}-confirmed"] = form.cleaned_data["outcome"]
        return render_case(
            request,
            case,
            review_form=_review_form(case, action, confirm),
            review_form_action=action,
            confirming=DecisionOutcome(form.cleaned_data["outcome"]).label,
        )
    if form.is_valid():
        try:
            done = _perform(request, case, action, form.cleaned_data)
        except InvalidInput as error:
            add_domain_error(form, error, {"queue": "assignee"})
        except DomainError as error:
            return _refused(request, case_id, error, typed)
        else:
            messages.success(request, _done_message(action, done))
            return HttpResponseRedirect(_case_url(case_id))
    return render_case(
        request,
        case,
        status=400,
        summary=error_entries(form, prefix=f"{A(action).label}："),
        review_form=form,
        review_form_action=action,
    )
