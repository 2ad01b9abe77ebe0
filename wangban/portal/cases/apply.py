"""Applying online (网上申请), one task per page (GOV.UK pattern), four steps:

1. `items/<code>/apply/` — what is needed, and who applies (oneself or a legal person the
   user holds or is authorised for, 乌海规范第八条); creates the draft (`do_create_case`).
2. `cases/<id>/apply/form/` — the item's electronic form (`do_update_form`), checked
   against its JSON Schema with the errors beside the fields.
3. `cases/<id>/apply/materials/` — each material: upload or reuse a file of an earlier
   case (`do_attach_material`), with what is still missing.
4. `cases/<id>/apply/check/` — check everything, see what is missing, submit (`do_submit`);
   then a confirmation with the reply date (淮安办法第十二条: 一个工作日内答复).

Only a draft can be changed; on any other state the pages say so (409) and change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from wangban.accounts.access import may_act_for
from wangban.accounts.choices import RealNameLevel
from wangban.accounts.forms import add_domain_error
from wangban.accounts.models import AgentGrant, LegalPerson, Person
from wangban.cases import actions
from wangban.cases.choices import CaseState, Channel
from wangban.cases.models import Case
from wangban.cases.queries import reusable_materials
from wangban.catalog.choices import OnlineDepth
from wangban.catalog.models import ItemVersion
from wangban.catalog.queries import published_version
from wangban.core.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from wangban.core.files import human_size
from wangban.portal import schema_form
from wangban.portal.cases import helpers
from wangban.portal.cases.forms import SELF, ApplicantForm, legal_person_choice
from wangban.portal.cases.helpers import case_page
from wangban.portal.catalog.guide import guide_context

LOGIN = "portal:login"
#: How many earlier files the reuse list offers (newest first, one per content).
REUSE_CHOICES = 20


def offers_online_application(version: ItemVersion) -> bool:
    """Applying online needs an item whose 网上办理深度 includes 收件 (receiving applications
    online); items handled only at the hall say so in their guide instead."""
    return OnlineDepth.RECEIPT in (version.online_depth or [])


def _person(user: Any) -> Person | None:
    return Person.objects.filter(user_id=int(user.pk or 0)).first()


def _is_verified(person: Person | None) -> bool:
    """Issue 7: an identity-verified applicant applies online (an agent is verified before a
    grant is made, `do_grant_agent`)."""
    return person is not None and person.real_name_level >= RealNameLevel.IDENTITY_VERIFIED


def _legal_persons(user: Any, code: str) -> list[LegalPerson]:
    """The legal persons `user` may apply for with this item: those they hold and those
    with a grant in force for it, as `accounts.access.may_act_for` decides."""
    today = timezone.localdate()
    granted = AgentGrant.objects.in_force(today).filter(agent_id=user.pk).values("legal_person")
    candidates = LegalPerson.objects.filter(owner_id=user.pk) | LegalPerson.objects.filter(
        pk__in=granted
    )
    return [lp for lp in candidates.distinct().order_by("name") if may_act_for(user, lp, code)]


def _applicant_choices(
    user: Any, person: Person | None, legal_persons: list[LegalPerson]
) -> list[tuple[str, str]]:
    name = person.real_name if person else user.get_username()
    choices = [(SELF, f"本人（{name}）")]
    choices += [
        (legal_person_choice(lp.pk), f"{lp.name}（统一社会信用代码 {lp.credit_code}）")
        for lp in legal_persons
    ]
    return choices


@login_required(login_url=LOGIN)
@require_http_methods(["GET", "POST"])
def apply_start(request: HttpRequest, code: str) -> HttpResponse:
    """Step 1: what the application needs, and who applies. Creates the draft."""
    try:
        version = published_version(code)
    except NotFound as error:
        raise Http404(error.message) from error
    guide = guide_context(version)
    person = _person(request.user)
    context: dict[str, Any] = {
        "item": guide["item"],
        "limits": guide["limits"],
        "materials": guide["materials"],
        "steps": helpers.apply_steps(1),
        "step_caption": helpers.step_caption(1),
        "online": offers_online_application(version),
        "verified": _is_verified(person),
        "has_person": person is not None,
        "max_size": human_size(actions.material_max_bytes()),
        "drafts": helpers.my_cases(request.user)
        .filter(item=version.item, state=CaseState.DRAFT)
        .select_related("on_behalf_of")
        .order_by("-created_at")[:5],
    }
    if not (context["online"] and context["verified"]):
        # Nothing to choose: the page explains why (and how to verify) and creates nothing.
        status = 200 if request.method == "GET" else 403
        return render(request, "portal/cases/apply_start.html", context, status=status)
    legal_persons = _legal_persons(request.user, code)
    form = ApplicantForm(
        request.POST if request.method == "POST" else None,
        choices=_applicant_choices(request.user, person, legal_persons),
    )
    context["form"] = form
    status = 200
    if request.method == "POST":
        if form.is_valid():
            chosen = form.cleaned_data["applicant"]
            by_choice = {legal_person_choice(lp.pk): lp for lp in legal_persons}
            try:
                case = actions.do_create_case(
                    actor=request.user,
                    item_code=code,
                    on_behalf_of=by_choice.get(chosen),
                    channel=Channel.ONLINE,
                    request=request,
                )
            except DomainError as error:
                add_domain_error(form, error, {"on_behalf_of": "applicant"})
                status = error.status
            else:
                return redirect("portal:case-apply-form", case_id=case.pk)
        else:
            status = 400
    # Radios have no one id: the summary links to the first option (GOV.UK).
    context["error_links"] = [
        ("id_applicant_0", str(message))
        for message in [*form.non_field_errors(), *form.errors.get("applicant", [])]
    ]
    return render(request, "portal/cases/apply_start.html", context, status=status)


def _draft_or_refusal(request: HttpRequest, case: Case) -> HttpResponse | None:
    """The page that says a filed application can no longer be changed here (409)."""
    if case.state == CaseState.DRAFT:
        return None
    return helpers.refused(
        request,
        case,
        title="申请表和材料不能再修改",
        message=(f"该申请当前状态为“{case.get_state_display()}”，申请表和材料已不能在这里修改。"),
        status=409,
    )


def _form_context(case: Case, data: Any, errors: dict[str, list[str]]) -> dict[str, Any]:
    schema = case.version.form_schema
    return {
        "case": case,
        "steps": helpers.apply_steps(2),
        "step_caption": helpers.step_caption(2),
        "schema_title": schema.get("title", "") if isinstance(schema, dict) else "",
        "has_form": bool(schema_form.build_fields(schema)),
        "fields": schema_form.render_fields(schema, data, errors),
        "error_links": schema_form.error_summary(schema, errors),
    }


@case_page
@require_http_methods(["GET", "POST"])
def apply_form(request: HttpRequest, case_id: str) -> HttpResponse:
    """Step 2: fill in the form. 保存草稿 saves what is there (required fields may wait);
    下一步 needs the whole form valid, then goes on to the materials. A refused form is
    shown again with the errors and saves nothing."""
    case = helpers.applicant_case(request, case_id)
    if refusal := _draft_or_refusal(request, case):
        return refusal
    schema = case.version.form_schema
    if request.method == "GET":
        return render(request, "portal/cases/apply_form.html", _form_context(case, case.form, {}))
    data = schema_form.parse_form(schema, request.POST)
    going_on = request.POST.get("action") != "save"
    errors = schema_form.validate(schema, data) if going_on else {}
    if not errors:
        try:
            actions.do_update_form(case, actor=request.user, form=data, request=request)
        except InvalidInput as error:
            errors = helpers.form_errors(error.fields) or {schema_form.NON_FIELD: [error.message]}
        except (Conflict, Forbidden) as error:
            return helpers.refused(
                request, case, title="不能修改申请表", message=error.message, status=error.status
            )
    if errors:
        context = _form_context(case, data, errors)
        return render(request, "portal/cases/apply_form.html", context, status=400)
    if going_on:
        return redirect("portal:case-apply-materials", case_id=case.pk)
    messages.success(request, "草稿已保存。您可以稍后在“我的办件”中继续填写。")
    return redirect("portal:case-apply-form", case_id=case.pk)


def _reuse_options(case: Case, user: Any) -> list[tuple[int, str]]:
    """Files of the applicant's earlier cases that `user` still holds, newest first, each
    content once."""
    options: list[tuple[int, str]] = []
    seen: set[str] = set()
    for row in reusable_materials(case, user)[: REUSE_CHOICES * 3]:
        if row.sha256 in seen:
            continue
        seen.add(row.sha256)
        when = helpers.day(timezone.localdate(row.attached_at))
        options.append((row.pk, f"{row.file_name}（{row.material_name}，{when}）"))
        if len(options) == REUSE_CHOICES:
            break
    return options


def materials_context(
    case: Case,
    user: Any,
    *,
    rows: list[helpers.MaterialRow] | None = None,
    top_errors: list[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    rows = rows if rows is not None else helpers.material_rows(case)
    missing = [row for row in rows if row.material.required and row.attached is None]
    errors = list(top_errors or [])
    errors += [(row.file_id, message) for row in rows for message in row.errors or []]
    return {
        "case": case,
        "steps": helpers.apply_steps(3),
        "step_caption": helpers.step_caption(3),
        "rows": rows,
        "missing": missing,
        "reuse_options": _reuse_options(case, user),
        "error_links": errors,
        "max_size": human_size(actions.material_max_bytes()),
    }


@dataclass
class Attached:
    """What came of a posted file: the material's name, or the refusal's status with the
    summary's (target, message) pairs for errors that belong to no material shown (a
    material's own errors are put on its row), or a refusal of the whole page (409/403)."""

    name: str = ""
    status: int = 200
    top: list[tuple[str, str]] = field(default_factory=list)
    refusal: DomainError | None = None


def attach_from_post(request: HttpRequest, case: Case, rows: list[helpers.MaterialRow]) -> Attached:
    """Attach the posted file (or reuse an earlier one) to the posted material."""
    code = request.POST.get("material_code", "")
    row = next((r for r in rows if r.material.code == code), None)
    reuse: int | None = None
    upload = None
    if request.POST.get("action") == "reuse":
        text = request.POST.get("reuse", "")
        if not (text.isascii() and text.isdigit()):
            message = "请选择要使用的文件。"
            if row is None:
                return Attached(status=400, top=[(rows[0].file_id if rows else "", message)])
            row.errors = [message]
            return Attached(status=400)
        reuse = int(text)
    else:
        upload = request.FILES.get("file")
    try:
        actions.do_attach_material(
            case,
            actor=request.user,
            material_code=code,
            upload=upload,
            reuse=reuse,
            request=request,
        )
    except (Conflict, Forbidden) as error:
        return Attached(status=error.status, refusal=error)
    except DomainError as error:
        if row is None or "material_code" in error.fields:
            wrong = error.fields.get("material_code") or [error.message]
            first = rows[0].file_id if rows else ""
            return Attached(status=error.status, top=[(first, message) for message in wrong])
        own = [message for key in ("file", "reuse") for message in error.fields.get(key, [])]
        row.errors = own or [error.message]
        return Attached(status=error.status)
    return Attached(name=row.material.name if row else code)


@case_page
@require_http_methods(["GET", "POST"])
def apply_materials(request: HttpRequest, case_id: str) -> HttpResponse:
    """Step 3: every material of the item, what is attached, upload or reuse."""
    case = helpers.applicant_case(request, case_id)
    if refusal := _draft_or_refusal(request, case):
        return refusal
    if request.method == "GET":
        return render(
            request, "portal/cases/apply_materials.html", materials_context(case, request.user)
        )
    rows = helpers.material_rows(case)
    result = attach_from_post(request, case, rows)
    if result.refusal is not None:
        return helpers.refused(
            request,
            case,
            title="不能更改材料",
            message=result.refusal.message,
            status=result.status,
        )
    if not result.name:
        context = materials_context(case, request.user, rows=rows, top_errors=result.top)
        return render(request, "portal/cases/apply_materials.html", context, status=result.status)
    messages.success(request, f"已提交“{result.name}”。")
    anchor = next(
        (r.anchor for r in rows if r.material.code == request.POST.get("material_code")), ""
    )
    url = reverse("portal:case-apply-materials", args=[case.pk])
    return redirect(f"{url}#{anchor}" if anchor else url)


def check_context(case: Case, *, refused_message: str = "") -> dict[str, Any]:
    schema = case.version.form_schema
    form_url = reverse("portal:case-apply-form", args=[case.pk])
    answers = [
        (label, text, f"{form_url}#{field_id}")
        for label, text, field_id in schema_form.answers(schema, case.form)
    ]
    return {
        "case": case,
        "steps": helpers.apply_steps(4),
        "step_caption": helpers.step_caption(4),
        "answers": answers,
        "has_form": bool(schema_form.build_fields(schema)),
        "rows": helpers.material_rows(case),
        "missing": helpers.missing_items(case),
        "refused_message": refused_message,
    }


@case_page
@require_http_methods(["GET", "POST"])
def apply_check(request: HttpRequest, case_id: str) -> HttpResponse:
    """Step 4: the form and the materials with change links, what is still missing, and
    the submit button."""
    case = helpers.applicant_case(request, case_id)
    if refusal := _draft_or_refusal(request, case):
        return refusal
    if request.method == "GET":
        return render(request, "portal/cases/apply_check.html", check_context(case))
    try:
        actions.do_submit(case, actor=request.user, request=request)
    except InvalidInput as error:
        context = check_context(case, refused_message=error.message)
        return render(request, "portal/cases/apply_check.html", context, status=400)
    except (Conflict, Forbidden) as error:
        return helpers.refused(
            request, case, title="不能提交", message=error.message, status=error.status
        )
    return redirect("portal:case-submitted", case_id=case.pk)


@case_page
@require_safe
def apply_submitted(request: HttpRequest, case_id: str) -> HttpResponse:
    """The confirmation after submission: what happens next and by when."""
    case = helpers.applicant_case(request, case_id)
    if case.state != CaseState.SUBMITTED:
        return redirect("portal:case", case_id=case.pk)
    context = {"case": case, "reply_due_on": helpers.day(case.reply_due_on)}
    return render(request, "portal/cases/apply_submitted.html", context)
