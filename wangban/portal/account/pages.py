"""我的账户: the applicant's own details, real-name verification, and the legal persons they
hold with their agents (经办人)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wangban.accounts import actions
from wangban.accounts.choices import RealNameLevel
from wangban.accounts.forms import AgentGrantForm, LegalPersonForm, add_domain_error
from wangban.accounts.models import AgentGrant, LegalPerson, Person
from wangban.accounts.verifiers import get_verifier
from wangban.core.errors import DomainError

LOGIN = "portal:login"


def _user_id(request: HttpRequest) -> int:
    return int(request.user.pk or 0)  # views below require a signed-in user


def _person(request: HttpRequest) -> Person | None:
    return Person.objects.filter(user_id=_user_id(request)).first()


def _own_legal_person(request: HttpRequest, legal_person_id: int) -> LegalPerson:
    """The legal person if the signed-in user holds its account; 404 otherwise (whether it
    exists is nobody else's business)."""
    owner_id = _user_id(request)
    legal_person = LegalPerson.objects.filter(pk=legal_person_id, owner_id=owner_id).first()
    if legal_person is None:
        raise Http404("法人不存在")
    return legal_person


def grant_state(grant: AgentGrant, today: Any) -> str:
    if grant.revoked_at is not None:
        return "已撤销"
    if today < grant.valid_from:
        return "未生效"
    if today > grant.valid_to:
        return "已过期"
    return "有效"


def _account_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    person = _person(request)
    today = timezone.localdate()
    verifier = get_verifier()
    acting_for = (
        AgentGrant.objects.in_force(today)
        .filter(agent_id=_user_id(request))
        .select_related("legal_person")
        .order_by("legal_person__name", "pk")
    )
    return {
        "person": person,
        "verified": person is not None
        and person.real_name_level >= RealNameLevel.IDENTITY_VERIFIED,
        "verifier": verifier,
        "legal_persons": LegalPerson.objects.filter(owner_id=_user_id(request)).order_by("name"),
        "acting_for": acting_for,
        **extra,
    }


@login_required(login_url=LOGIN)
@require_GET
def account(request: HttpRequest) -> HttpResponse:
    """`/account/`: identity number masked, real-name level, verification."""
    return render(request, "portal/account/account.html", _account_context(request))


@login_required(login_url=LOGIN)
@require_POST
def reveal_id_number(request: HttpRequest) -> HttpResponse:
    """Shows the full identity number on this one response (audited, never cached)."""
    person = _person(request)
    if person is None:
        raise Http404("没有实名信息")
    number = actions.do_reveal_id_number(person, actor=request.user, request=request)  # type: ignore[arg-type]
    return render(
        request, "portal/account/account.html", _account_context(request, revealed_id=number)
    )


@login_required(login_url=LOGIN)
@require_POST
def verify_identity(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    if person is None:
        raise Http404("没有实名信息")
    try:
        actions.do_verify_identity(person, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "实名认证成功。")
    return redirect("portal:account")


@login_required(login_url=LOGIN)
@require_http_methods(["GET", "POST"])
def legal_person_create(request: HttpRequest) -> HttpResponse:
    """`/account/legal-persons/new/`: a verified person registers the company they hold."""
    form = LegalPersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            legal_person = actions.do_register_legal_person(
                owner=request.user,  # type: ignore[arg-type]
                **form.cleaned_data,
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"已登记法人：{legal_person.name}。")
            return redirect("portal:legal-person", legal_person_id=legal_person.pk)
    context = _account_context(request, form=form)
    return render(request, "portal/account/legal_person_form.html", context)


@login_required(login_url=LOGIN)
@require_GET
def legal_person_detail(request: HttpRequest, legal_person_id: int) -> HttpResponse:
    """The legal person and every agent grant it made, newest first."""
    legal_person = _own_legal_person(request, legal_person_id)
    today = timezone.localdate()
    grants = [
        (grant, grant_state(grant, today))
        for grant in legal_person.agent_grants.select_related("agent").order_by("-pk")
    ]
    context = {"legal_person": legal_person, "grants": grants}
    return render(request, "portal/account/legal_person.html", context)


@login_required(login_url=LOGIN)
@require_http_methods(["GET", "POST"])
def agent_grant_create(request: HttpRequest, legal_person_id: int) -> HttpResponse:
    legal_person = _own_legal_person(request, legal_person_id)
    form = AgentGrantForm(request.POST or None, initial={"valid_from": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.do_grant_agent(
                legal_person,
                actor=request.user,  # type: ignore[arg-type]
                agent_username=data["agent_username"],
                valid_from=data["valid_from"],
                valid_to=data["valid_to"],
                all_items=data["all_items"],
                item_codes=form.item_code_list(),
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"已授权经办人 {data['agent_username']}。")
            return redirect("portal:legal-person", legal_person_id=legal_person.pk)
    context = {"legal_person": legal_person, "form": form}
    return render(request, "portal/account/agent_grant_form.html", context)


@login_required(login_url=LOGIN)
@require_POST
def agent_grant_revoke(request: HttpRequest, legal_person_id: int, grant_id: int) -> HttpResponse:
    legal_person = _own_legal_person(request, legal_person_id)
    grant = AgentGrant.objects.filter(pk=grant_id, legal_person=legal_person).first()
    if grant is None:
        raise Http404("授权不存在")
    try:
        actions.do_revoke_agent(grant, actor=request.user)  # type: ignore[arg-type]
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"已撤销对 {grant.agent.username} 的授权。")
    return redirect("portal:legal-person", legal_person_id=legal_person.pk)
