"""事项管理: the list of items, an item's page with its history and the actions allowed now,
the editor of drafts, and the centre's review queue and review.

Department admins keep their department's items; centre admins see every item and review.
Anonymous visitors go to the login page, other staff get 403, an item outside the caller's
scope is 404 (`wangban.workbench.catalog.access`). Every write is an action of
`wangban.catalog.actions`; a refusal is shown beside the field it names.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_http_methods, require_POST

from wangban.accounts.choices import Role
from wangban.accounts.forms import add_domain_error
from wangban.accounts.models import User
from wangban.accounts.roles import departments_where
from wangban.audit.models import AuditEvent
from wangban.catalog import actions
from wangban.catalog.access import can_edit_items, can_review_items
from wangban.catalog.choices import PENDING_STATES, ChangeKind, ItemType, VersionState
from wangban.catalog.content import clean_content, form_schema_problems
from wangban.catalog.models import ItemVersion, OnlineServiceLevel, ServiceItem
from wangban.catalog.queries import content_of, item_history, item_to_api, published_items
from wangban.core.errors import DomainError, InvalidInput
from wangban.workbench.catalog.access import (
    catalogue_page,
    drafting_departments,
    editable_item,
    listed_departments,
    review_page,
    visible_item,
)
from wangban.workbench.catalog.changes import change_lines, event_view
from wangban.workbench.catalog.editor import (
    Editor,
    FieldRefusal,
    error_entries,
    lower_departments,
)
from wangban.workbench.catalog.forms import (
    ROWS,
    ApproveForm,
    DraftChangeForm,
    ItemFilterForm,
    ReturnForm,
)
from wangban.workbench.catalog.present import STATE_CLASSES, summarise

PER_PAGE = 50
VERSION_TYPE = "catalog.itemversion"
STATE_LABELS = dict(VersionState.choices)
KIND_LABELS = dict(ChangeKind.choices)
TYPE_LABELS = dict(ItemType.choices)
# The forms that start a new version of a published item, by change kind.
DRAFT_KINDS = {
    ChangeKind.ADJUST: "调整事项",
    ChangeKind.CANCEL: "取消事项",
    ChangeKind.DELEGATE: "下放事项",
}


def _item_url(item: ServiceItem) -> str:
    return reverse("workbench:catalog-item", args=[item.code])


# --- 事项管理: the list ------------------------------------------------------------------


def listed_items(department_ids: list[int]) -> QuerySet[Any]:
    """The items of the departments `department_ids`, each with the facts of its published,
    pending and latest versions in subqueries (one query for a page, whatever its length)."""
    versions = ItemVersion.objects.filter(item=OuterRef("pk"))
    published = versions.filter(state=VersionState.PUBLISHED)
    pending = versions.filter(state__in=PENDING_STATES)
    latest = versions.order_by("-number")
    return (
        ServiceItem.objects.filter(department_id__in=department_ids)
        .select_related("department")
        .annotate(
            published_number=Subquery(published.values("number")[:1]),
            published_on=Subquery(published.values("effective_on")[:1]),
            pending_number=Subquery(pending.values("number")[:1]),
            pending_state=Subquery(pending.values("state")[:1]),
            pending_kind=Subquery(pending.values("change_kind")[:1]),
            latest_state=Subquery(latest.values("state")[:1]),
            display_name=Coalesce(
                Subquery(published.values("name")[:1]), Subquery(latest.values("name")[:1])
            ),
            display_type=Coalesce(
                Subquery(published.values("item_type")[:1]),
                Subquery(latest.values("item_type")[:1]),
            ),
        )
        .order_by("code")
    )


def _filter_items(items: QuerySet[Any], data: dict[str, Any]) -> QuerySet[Any]:
    text = (data.get("q") or "").strip()
    if text:
        named = ItemVersion.objects.filter(item=OuterRef("pk"), name__icontains=text)
        items = items.filter(Q(code__icontains=text) | Exists(named))
    state = data.get("state")
    if state == "published":
        items = items.filter(published_number__isnull=False)
    elif state == "cancelled":
        items = items.filter(latest_state=VersionState.CANCELLED)
    elif state:
        items = items.filter(pending_state=state)
    if data.get("type"):
        items = items.filter(display_type=data["type"])
    if data.get("department"):
        items = items.filter(department__code=data["department"])
    return items


@catalogue_page
def item_list(request: HttpRequest) -> HttpResponse:
    """事项管理: code, name, type, published version and pending state, 50 a page."""
    departments = list(listed_departments(request.user))
    form = ItemFilterForm(request.GET, departments=departments)
    items = listed_items([department.pk for department in departments])
    form.is_valid()  # an invalid filter is shown and ignored
    items = _filter_items(items, getattr(form, "cleaned_data", {}))
    page = Paginator(items, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    rows = [
        {
            "item": item,
            "type": TYPE_LABELS.get(item.display_type, item.display_type),
            "pending": STATE_LABELS.get(item.pending_state, ""),
            "pending_class": STATE_CLASSES.get(item.pending_state, ""),
            "kind": KIND_LABELS.get(item.pending_kind, ""),
        }
        for item in page
    ]
    return render(
        request,
        "workbench/catalog/list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
            "may_draft": bool(departments_where(request.user, Role.DEPT_ADMIN)),
        },
    )


# --- The item's page -------------------------------------------------------------------


def _history(versions: list[ItemVersion]) -> dict[int, list[Any]]:
    """The audit events of every version (one query), told in Chinese, oldest first."""
    events = AuditEvent.objects.filter(
        object_type=VERSION_TYPE, object_id__in=[str(v.pk) for v in versions]
    ).order_by("at", "id")
    history: dict[int, list[Any]] = {v.pk: [] for v in versions}
    for event in events:
        history[int(event.object_id)].append(event_view(event))
    return history


def _public_url(item: ServiceItem) -> str:
    """The item's page on the portal, the guide every channel publishes."""
    try:
        return reverse("portal:item", args=[item.code])
    except NoReverseMatch:
        return ""


def _item_context(request: HttpRequest, item: ServiceItem, **extra: Any) -> dict[str, Any]:
    user = request.user
    versions = list(item_history(item).select_related("department"))
    for version in versions:
        version.state_class = STATE_CLASSES.get(version.state, "")  # type: ignore[attr-defined]
    published = next((v for v in versions if v.state == VersionState.PUBLISHED), None)
    pending = next((v for v in versions if v.state in PENDING_STATES), None)
    shown = published or pending or (versions[-1] if versions else None)
    summary = None
    if shown is not None:
        summary = _summary(_full_version(shown.pk))
    may_edit = can_edit_items(user, item.department)
    draft_forms = {}
    if may_edit and published is not None and pending is None:
        lower = lower_departments(item.department)
        kinds = [k for k in DRAFT_KINDS if k != ChangeKind.DELEGATE or lower.exists()]
        draft_forms = {
            kind: extra.pop(f"{kind}_form", None)
            or DraftChangeForm(prefix=kind, lower=lower if kind == ChangeKind.DELEGATE else None)
            for kind in kinds
        }
    history = _history(versions)
    return {
        "item": item,
        "versions": [(v, history[v.pk]) for v in reversed(versions)],
        "published": published,
        "pending": pending,
        "shown": shown,
        "summary": summary,
        "may_edit": may_edit,
        "may_review": can_review_items(user),
        "public_url": _public_url(item) if published else "",
        "draft_forms": [
            (kind, DRAFT_KINDS[kind], form, error_entries(form) if form.is_bound else [])
            for kind, form in draft_forms.items()
        ],
        **extra,
    }


@catalogue_page
def item_page(request: HttpRequest, code: str) -> HttpResponse:
    """An item: what it says now, every version with who did what and why, the actions
    allowed now."""
    item = visible_item(request.user, code)
    return render(request, "workbench/catalog/item.html", _item_context(request, item))


def _full_version(pk: int) -> ItemVersion:
    """A version with everything its representation reads."""
    return (
        ItemVersion.objects.select_related(
            "item", "department", "online_service_level", "entrusted_department"
        )
        .prefetch_related("materials", "steps__assignee", "steps__department", "files")
        .get(pk=pk)
    )


def _summary(version: ItemVersion) -> Any:
    levels = dict(OnlineServiceLevel.objects.values_list("code", "label"))
    return summarise(item_to_api(version), levels)


def _version(item: ServiceItem, number: int) -> ItemVersion:
    version = (
        ItemVersion.objects.select_related("item__department", "department")
        .filter(item=item, number=number)
        .first()
    )
    if version is None:
        raise Http404("版本不存在。")
    return version


@catalogue_page
@require_POST
def start_draft(request: HttpRequest, code: str, kind: str) -> HttpResponse:
    """Draft a new version of a published item: adjust, cancel or delegate (with a reason)."""
    item = editable_item(request.user, code)
    if kind not in DRAFT_KINDS:
        raise Http404
    lower = lower_departments(item.department) if kind == ChangeKind.DELEGATE else None
    form = DraftChangeForm(request.POST, prefix=kind, lower=lower)
    if form.is_valid():
        try:
            version = actions.do_draft_item(
                actor=request.user,
                code=item.code,
                kind=kind,
                department=form.cleaned_data.get("department"),
                change_reason=form.cleaned_data["change_reason"],
                request=request,
            )
        except InvalidInput as error:
            add_domain_error(form, error)
        except DomainError as error:
            messages.error(request, error.message)
            return HttpResponseRedirect(_item_url(item))
        else:
            messages.success(
                request, f"已起草第 {version.number} 版（{KIND_LABELS[kind]}），请检查后提交审核。"
            )
            if kind == ChangeKind.ADJUST:
                return HttpResponseRedirect(
                    reverse("workbench:catalog-edit", args=[item.code, version.number])
                )
            return HttpResponseRedirect(_item_url(item))
    context = _item_context(request, item, **{f"{kind}_form": form, "open_form": kind})
    return render(request, "workbench/catalog/item.html", context)


# --- The editor ------------------------------------------------------------------------


def _render_editor(
    request: HttpRequest,
    editor: Editor,
    *,
    item: ServiceItem | None,
    version: ItemVersion | None,
) -> HttpResponse:
    editor.attach_current_files(version)
    departments = (
        [item.department_id] if item else list(departments_where(request.user, Role.DEPT_ADMIN))
    )
    staff = User.objects.filter(department_id__in=departments, is_active=True).order_by("username")
    schema_problems = []
    if version is not None and version.form_schema and not editor.item_form["form_schema"].errors:
        schema_problems = form_schema_problems(version.form_schema)
    return render(
        request,
        "workbench/catalog/editor.html",
        {
            "editor": editor,
            "form": editor.item_form,
            "lists": [
                (key, list_label, editor.lists[key], editor.section_errors[key], row_label)
                for key, (_, row_label, list_label) in ROWS.items()
            ],
            "summary": editor.summary() if editor.has_errors() else [],
            "item": item,
            "version": version,
            "staff": staff.values_list("username", "real_name"),
            "schema_problems": schema_problems,
        },
    )


def _save_editor(
    request: HttpRequest, editor: Editor, *, item: ServiceItem | None, version: ItemVersion | None
) -> HttpResponse:
    """Save what the editor holds, or show it again with every problem beside its field.
    "保存并提交审核" then submits; when the saved draft cannot go to review yet, the editor
    shows why, beside the fields concerned."""
    if not editor.is_valid():
        # Still ask the catalogue's rules about what did parse, so that every problem
        # shows at once (一次性告知), not one round at a time.
        try:
            clean_content(editor.content())
        except InvalidInput as error:
            editor.show(error)
        return _render_editor(request, editor, item=item, version=version)
    try:
        saved = editor.save(request, version=version)
    except FieldRefusal as refusal:
        refusal.form.add_error(refusal.field, refusal.error.message)
    except InvalidInput as error:
        editor.show(error)
    except DomainError as error:  # the state changed meanwhile (409), or access (403)
        messages.error(request, error.message)
        return HttpResponseRedirect(_item_url(item) if item else reverse("workbench:catalog-items"))
    else:
        if request.POST.get("then") == "submit":
            return _submit(request, saved, saved_now=True)
        messages.success(request, "草稿已保存。")
        return HttpResponseRedirect(_item_url(saved.item))
    return _render_editor(request, editor, item=item, version=version)


def _submit(request: HttpRequest, version: ItemVersion, *, saved_now: bool = False) -> HttpResponse:
    """Submit a saved draft; its problems are shown in the editor beside their fields."""
    item = version.item
    try:
        actions.do_submit_for_review(version, actor=request.user, request=request)
    except InvalidInput as error:
        editor = Editor.build(version=version)
        editor.show(error)
        if saved_now:
            messages.warning(request, "草稿已保存，但还不能提交审核，请修改以下问题后再提交。")
        return _render_editor(request, editor, item=item, version=version)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"第 {version.number} 版已提交审核，请等待政务服务中心审核。")
    return HttpResponseRedirect(_item_url(item))


@catalogue_page
@require_http_methods(["GET", "POST"])
def new_item(request: HttpRequest) -> HttpResponse:
    """新增事项: a department admin drafts a new item of their department."""
    departments = drafting_departments(request.user)
    if not departments.exists():
        raise PermissionDenied
    editor = Editor.build(version=None, departments=departments, request=request)
    if request.method == "POST":
        return _save_editor(request, editor, item=None, version=None)
    return _render_editor(request, editor, item=None, version=None)


@catalogue_page
@require_http_methods(["GET", "POST"])
def edit_draft(request: HttpRequest, code: str, number: int) -> HttpResponse:
    """编辑草稿: a draft's fields, materials and their files, steps and electronic form."""
    item = editable_item(request.user, code)
    version = _version(item, number)
    if version.state != VersionState.DRAFT:
        messages.error(
            request,
            f"第 {version.number} 版{STATE_LABELS[version.state]}，只有草稿可以修改。",
        )
        return HttpResponseRedirect(_item_url(item))
    editor = Editor.build(version=version, request=request)
    if request.method == "POST":
        return _save_editor(request, editor, item=item, version=version)
    return _render_editor(request, editor, item=item, version=version)


@catalogue_page
@require_POST
def submit_draft(request: HttpRequest, code: str, number: int) -> HttpResponse:
    """提交审核. Problems (no steps, promised above statutory, a bad form…) are shown in the
    editor, beside the fields they concern."""
    item = editable_item(request.user, code)
    return _submit(request, _version(item, number))


@catalogue_page
@require_POST
def discard_draft(request: HttpRequest, code: str, number: int) -> HttpResponse:
    """删除草稿; a new item whose only version it was leaves the list."""
    item = editable_item(request.user, code)
    version = _version(item, number)
    try:
        actions.do_discard_draft(version, actor=request.user, request=request)
    except DomainError as error:
        messages.error(request, error.message)
        return HttpResponseRedirect(_item_url(item))
    messages.success(request, f"已删除第 {version.number} 版草稿。")
    if ServiceItem.objects.filter(pk=item.pk).exists():
        return HttpResponseRedirect(_item_url(item))
    return HttpResponseRedirect(reverse("workbench:catalog-items"))


# --- 审核: the queue and the review ----------------------------------------------------


@review_page
def review_queue(request: HttpRequest) -> HttpResponse:
    """审核队列: versions in review across departments, oldest submission first."""
    versions = (
        ItemVersion.objects.filter(state=VersionState.IN_REVIEW)
        .select_related("item__department", "department", "created_by")
        .order_by(F("submitted_at").asc(nulls_first=True), "pk")
    )
    page = Paginator(versions, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "workbench/catalog/review_queue.html",
        {"page": page, "query": ""},
    )


def _review_context(item: ServiceItem, version: ItemVersion, **forms: Any) -> dict[str, Any]:
    published = (
        published_items().filter(item=item).exclude(pk=version.pk).first()
        if version.change_kind != ChangeKind.NEW
        else None
    )
    full = _full_version(version.pk)
    approve_form = forms.get("approve_form") or ApproveForm(prefix="approve")
    return_form = forms.get("return_form") or ReturnForm(prefix="return")
    changes = change_lines(content_of(published), content_of(full)) if published else []
    if published is not None and published.department_id != full.department_id:
        changes.insert(0, f"实施部门：{published.department.name} → {full.department.name}")
    return {
        "item": item,
        "version": full,
        "published": published,
        "summary": _summary(full),
        "changes": changes,
        "approve_form": approve_form,
        "return_form": return_form,
        "approve_errors": error_entries(approve_form) if approve_form.is_bound else [],
        "return_errors": error_entries(return_form) if return_form.is_bound else [],
    }


@review_page
@require_http_methods(["GET", "POST"])
def review(request: HttpRequest, code: str, number: int) -> HttpResponse:
    """法制审核: the version in review beside the published one; approve with an effective
    date (today: published now; later: 待生效), or return it with the reason."""
    item = visible_item(request.user, code)
    version = _version(item, number)
    if version.state != VersionState.IN_REVIEW:
        state = STATE_LABELS[version.state]
        messages.error(request, f"第 {version.number} 版{state}，不在审核中。")
        return HttpResponseRedirect(_item_url(item))
    forms: dict[str, Any] = {}
    if request.method == "POST":
        approve = request.POST.get("decision") == "approve"
        form: Any = (
            ApproveForm(request.POST, prefix="approve")
            if approve
            else ReturnForm(request.POST, prefix="return")
        )
        forms["approve_form" if approve else "return_form"] = form
        if form.is_valid():
            try:
                reviewed = actions.do_review(
                    version,
                    actor=request.user,
                    approve=approve,
                    effective_on=form.cleaned_data.get("effective_on"),
                    note=form.cleaned_data["note"],
                    request=request,
                )
            except InvalidInput as error:
                add_domain_error(form, error)
            except DomainError as error:
                messages.error(request, error.message)
                return HttpResponseRedirect(_item_url(item))
            else:
                messages.success(request, _review_message(reviewed))
                return HttpResponseRedirect(reverse("workbench:catalog-review-queue"))
    context = _review_context(item, version, **forms)
    return render(request, "workbench/catalog/review.html", context)


def _review_message(version: ItemVersion) -> str:
    name = f"{version.item.code} 第 {version.number} 版"
    if version.state == VersionState.SCHEDULED:
        return f"{name}审核通过，将于 {version.effective_on:%Y-%m-%d} 生效。"
    if version.state == VersionState.DRAFT:
        return f"{name}已退回部门修改。"
    if version.state == VersionState.CANCELLED:
        return f"{name}审核通过，事项已取消。"
    return f"{name}审核通过，已发布。"
