"""我的办件 and a case's own pages: the list, the case with its timeline and documents,
correct and resubmit (补正, 行政许可法第三十二条 一次性告知), and withdraw (撤回申请).

Every page shows a case only to its applicant side (`helpers.applicant_case`: 404 for
anyone else); every change is an action; a refused action changes nothing and the page
says why in Chinese."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from wangban.accounts.forms import add_domain_error
from wangban.cases import actions
from wangban.cases.choices import CaseAction, CaseState
from wangban.cases.models import Case
from wangban.cases.queries import replaced_materials, timeline
from wangban.core.errors import Conflict, DomainError, Forbidden, InvalidInput
from wangban.core.files import human_size
from wangban.portal.cases import helpers
from wangban.portal.cases.apply import attach_from_post
from wangban.portal.cases.forms import WithdrawForm
from wangban.portal.cases.helpers import case_page

LOGIN = "portal:login"
PAGE_SIZE = 20


@login_required(login_url=LOGIN)
@require_safe
def my_cases(request: HttpRequest) -> HttpResponse:
    """`/cases/`: the user's applications, newest first, twenty a page, filtered by state
    group (进行中、已办结、草稿). The number of queries does not grow with the page."""
    group = request.GET.get("state", "").strip()
    errors: list[tuple[str, str]] = []
    cases = helpers.my_cases(request.user)
    if group and group not in helpers.STATE_GROUPS:
        errors.append(("filter-state", "请从列出的办件状态中选择。"))
        cases = cases.none()
    elif group:
        cases = cases.filter(state__in=helpers.STATE_GROUPS[group][1])
    cases = cases.select_related("version", "on_behalf_of").order_by("-created_at", "-pk")
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": [_row(case) for case in page],
        "groups": [(key, label) for key, (label, _) in helpers.STATE_GROUPS.items()],
        "chosen": group,
        "chosen_label": helpers.STATE_GROUPS[group][0] if group in helpers.STATE_GROUPS else "",
        "error_links": errors,
        "query": f"state={group}" if group in helpers.STATE_GROUPS else "",
    }
    return render(request, "portal/cases/my_cases.html", context, status=400 if errors else 200)


def _row(case: Case) -> dict[str, Any]:
    """What a line of 我的办件 shows; the link of a draft continues the application."""
    if case.state == CaseState.DRAFT:
        url, link = reverse("portal:case-apply-form", args=[case.pk]), "继续填写"
    else:
        url, link = reverse("portal:case", args=[case.pk]), "查看"
    return {
        "case": case,
        "name": case.version.name,
        "for": case.on_behalf_of.name if case.on_behalf_of else "",
        "state": case.get_state_display(),
        "created": helpers.day(timezone.localdate(case.created_at)),
        "submitted": helpers.day(case.received_on),
        "url": url,
        "link": link,
    }


@case_page
@require_safe
def case_detail(request: HttpRequest, case_id: str) -> HttpResponse:
    """`/cases/<id>/`: the state, the dates that matter now, the correction notice while
    one is awaited, the documents, the materials, the timeline, and what the user may do."""
    case = helpers.applicant_case(request, case_id)
    today = timezone.localdate()
    notice = helpers.latest_notice(case) if case.state == CaseState.CORRECTION_REQUESTED else None
    context = {
        "case": case,
        "facts": helpers.key_facts(case, today),
        "notice": notice,
        "overdue": helpers.correction_overdue(case, today),
        "documents": helpers.documents(case),
        "rows": [row for row in helpers.material_rows(case) if row.attached is not None],
        # What a correction replaced stays on record, for the applicant too (补正前的材料).
        "replaced": replaced_materials(case, "portal:case-replaced-material"),
        "events": [
            {
                "at": timezone.localtime(event.at),
                "action": event.get_action_display(),
                "state": event.get_to_state_display(),
                "note": event.note,
            }
            for event in timeline(case)
        ],
        "may_continue": case.state == CaseState.DRAFT,
        "may_correct": helpers.may_now(case, request.user, CaseAction.RESUBMIT),
        "may_withdraw": helpers.may_now(case, request.user, CaseAction.WITHDRAW),
        "closed": case.state in (CaseState.REJECTED, CaseState.TERMINATED, CaseState.WITHDRAWN),
    }
    return render(request, "portal/cases/case.html", context)


def _correct_context(
    case: Case, rows: list[helpers.MaterialRow], top_errors: list[tuple[str, str]]
) -> dict[str, Any]:
    notice = helpers.latest_notice(case)
    reasons = {item["material_code"]: item["reason"] for item in (notice.items if notice else [])}
    errors = list(top_errors)
    errors += [(row.file_id, message) for row in rows for message in row.errors or []]
    return {
        "case": case,
        "notice": notice,
        "rows": [(row, reasons.get(row.material.code, "")) for row in rows],
        "remaining": [row for row in rows if not row.replaced],
        "overdue": helpers.correction_overdue(case, timezone.localdate()),
        "due": helpers.day(case.correction_due_on),
        "error_links": errors,
        "max_size": human_size(actions.material_max_bytes()),
    }


def _notice_rows(case: Case) -> list[helpers.MaterialRow]:
    notice = helpers.latest_notice(case)
    codes = [item["material_code"] for item in (notice.items if notice else [])]
    return helpers.material_rows(case, codes=codes)


@case_page
@require_http_methods(["GET", "POST"])
def correct(request: HttpRequest, case_id: str) -> HttpResponse:
    """`/cases/<id>/correct/`: replace exactly the materials the correction notice names,
    then hand the correction in (`do_resubmit`). After the due day the page says that the
    department may end the application; until it does, the correction can still be
    handed in (the action allows it)."""
    case = helpers.applicant_case(request, case_id)
    if not helpers.may_now(case, request.user, CaseAction.RESUBMIT):
        return helpers.refused(
            request,
            case,
            title="无需补正",
            message=f"该申请当前状态为“{case.get_state_display()}”，不需要补正材料。",
            status=409,
        )
    rows = _notice_rows(case)
    template = "portal/cases/correct.html"
    if request.method == "GET":
        return render(request, template, _correct_context(case, rows, []))
    if request.POST.get("action") == "resubmit":
        try:
            case = actions.do_resubmit(case, actor=request.user, request=request)
        except InvalidInput as error:
            for row in rows:
                row.errors = error.fields.get(f"materials.{row.material.code}")
            top = [] if any(row.errors for row in rows) else [("", error.message)]
            return render(request, template, _correct_context(case, rows, top), status=400)
        except (Conflict, Forbidden) as error:
            return helpers.refused(
                request, case, title="不能提交补正", message=error.message, status=error.status
            )
        if case.accepted_on is not None:  # a correction asked during review
            text = f"补正材料已提交，恢复审查，承诺办结日期为{helpers.day(case.due_date)}。"
        else:
            text = f"补正材料已提交，我们将于{helpers.day(case.reply_due_on)}前答复是否受理。"
        messages.success(request, text)
        return redirect("portal:case", case_id=case.pk)
    result = attach_from_post(request, case, rows)
    if result.refusal is not None:
        return helpers.refused(
            request,
            case,
            title="不能更换材料",
            message=result.refusal.message,
            status=result.status,
        )
    if not result.name:
        return render(
            request, template, _correct_context(case, rows, result.top), status=result.status
        )
    messages.success(request, f"已更换“{result.name}”。")
    return redirect("portal:case-correct", case_id=case.pk)


@case_page
@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest, case_id: str) -> HttpResponse:
    """`/cases/<id>/withdraw/`: confirm with a reason (required once the application is
    filed, API.md `withdraw`) and withdraw (`do_withdraw`)."""
    case = helpers.applicant_case(request, case_id)
    if not helpers.may_now(case, request.user, CaseAction.WITHDRAW):
        return helpers.refused(
            request,
            case,
            title="不能撤回",
            message=f"该申请当前状态为“{case.get_state_display()}”，不能撤回。",
            status=409,
        )
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                actions.do_withdraw(
                    case, actor=request.user, reason=form.cleaned_data["reason"], request=request
                )
            except (Conflict, Forbidden) as error:
                return helpers.refused(
                    request, case, title="不能撤回", message=error.message, status=error.status
                )
            except DomainError as error:
                add_domain_error(form, error)
                status = error.status
            else:
                messages.success(request, "申请已撤回。")
                return redirect("portal:case", case_id=case.pk)
        else:
            status = 400
    context = {"case": case, "form": form, "reason_required": case.state != CaseState.DRAFT}
    return render(request, "portal/cases/withdraw.html", context, status=status)
