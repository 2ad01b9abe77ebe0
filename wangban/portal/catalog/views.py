"""The public catalogue (事项目录): browse and search, themes for persons and legal persons,
the guide of an item, its printable PDF and its electronic form. Only published versions
are ever shown: drafts, versions in review or scheduled, and cancelled items are 404."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods, require_safe

from wangban.accounts.models import Department
from wangban.catalog.choices import CaseType, ItemType, ServiceObject, VersionState
from wangban.catalog.models import ItemVersion
from wangban.catalog.queries import published_version
from wangban.catalog.search import catalogue_query, themes_in_use
from wangban.core.errors import InvalidInput, NotFound
from wangban.core.pdf import cached_render_pdf
from wangban.portal import schema_form
from wangban.portal.catalog.guide import form_properties, guide_context, limit_text

PAGE_SIZE = 20
# The query parameters of /items/ and the names `catalogue_query` reports problems under.
FILTERS = {
    "q": "q",
    "type": "item_type",
    "department": "department",
    "object": "service_object",
    "theme": "theme",
}
AUDIENCES = {
    "person": ("个人办事", "按主题查找自然人办理的事项。"),
    "legal-person": ("法人办事", "按主题查找企业和其他组织办理的事项。"),
}
GUIDE_PDF_TEMPLATE = "portal/print/guide.html"


def _published(code: str) -> ItemVersion:
    try:
        return published_version(code)
    except NotFound as error:
        raise Http404(error.message) from error


def _result(version: ItemVersion) -> dict[str, Any]:
    """What a search result shows of an item."""
    level = version.online_service_level
    return {
        "code": version.item.code,
        "name": version.name,
        "department": version.department.name,
        "type": version.get_item_type_display(),
        "promised": limit_text(version.promised_limit_days, version.promised_limit_unit),
        "immediate": version.case_type == CaseType.IMMEDIATE,
        "visits": version.visits_required,
        "online_level": level.label if level else "",
    }


def _filter_options() -> dict[str, Any]:
    departments = (
        Department.objects.filter(item_versions__state=VersionState.PUBLISHED)
        .distinct()
        .order_by("code")
        .values_list("code", "name")
    )
    return {
        "types": ItemType.choices,
        "objects": ServiceObject.choices,
        "departments": list(departments),
        "themes": themes_in_use(),
    }


@require_safe
def item_list(request: HttpRequest) -> HttpResponse:
    """`/items/`: search (`q`) and filters (type, department, service object, theme),
    twenty items a page. The number of queries does not grow with the page."""
    chosen = {param: request.GET.get(param, "").strip() for param in FILTERS}
    errors: dict[str, list[str]] = {}
    page = None
    try:
        versions = catalogue_query(**{FILTERS[param]: value for param, value in chosen.items()})
    except InvalidInput as error:
        errors = error.fields or {"q": [error.message]}
    else:
        # The list shows no materials, steps or files: drop their prefetches.
        page = Paginator(versions.prefetch_related(None), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "chosen": chosen,
        "errors": errors,
        "error_links": [
            (f"filter-{param}", message) for param in FILTERS for message in errors.get(param, [])
        ],
        "page": page,
        "results": [_result(version) for version in page] if page is not None else [],
        "query": query.urlencode(),
        "filtered": any(chosen.values()),
        **_filter_options(),
    }
    return render(request, "portal/catalog/list.html", context, status=400 if errors else 200)


@require_safe
def theme_list(request: HttpRequest, audience: str) -> HttpResponse:
    """`/themes/person/` and `/themes/legal-person/`: tiles of the themes in use, each with
    how many items it has, linking to the list filtered by that theme."""
    if audience not in AUDIENCES:
        raise Http404("页面不存在。")
    title, lead = AUDIENCES[audience]
    themes = themes_in_use()["person" if audience == "person" else "legal_person"]
    context = {"title": title, "lead": lead, "audience": audience, "themes": themes}
    return render(request, "portal/catalog/themes.html", context)


@require_safe
def item_detail(request: HttpRequest, code: str) -> HttpResponse:
    """`/items/<code>/`: the whole guide of the published version."""
    version = _published(code)
    return render(request, "portal/catalog/detail.html", guide_context(version))


@require_safe
def guide_pdf(request: HttpRequest, code: str) -> HttpResponse:
    """`/items/<code>/guide.pdf`: the printable guide. A published version never changes,
    so its PDF is rendered once and served from storage afterwards."""
    version = _published(code)
    pdf = cached_render_pdf(GUIDE_PDF_TEMPLATE, guide_context(version), key=f"guides/{version.pk}")
    response = HttpResponse(pdf, content_type="application/pdf")
    disposition = content_disposition_header(False, f"{version.name}-办事指南.pdf")
    response["Content-Disposition"] = disposition or "inline"
    patch_cache_control(response, public=True, max_age=300)
    return response


@require_http_methods(["GET", "POST"])
def item_form(request: HttpRequest, code: str) -> HttpResponse:
    """`/items/<code>/form/`: fill in the item's electronic form and check it (检查填写).
    Nothing is stored: applying online (issue 7) will start from this form."""
    version = _published(code)
    schema = version.form_schema
    data: dict[str, Any] | None = None
    errors: dict[str, list[str]] = {}
    complete = False
    if request.method == "POST":
        data = schema_form.parse_form(schema, request.POST)
        errors = schema_form.validate(schema, data)
        complete = not errors
    context = {
        "item": {"code": version.item.code, "name": version.name},
        "schema_title": schema.get("title", "") if isinstance(schema, dict) else "",
        "has_form": bool(form_properties(schema)),
        "fields": schema_form.render_fields(schema, data, errors),
        "error_links": schema_form.error_summary(schema, errors),
        "complete": complete,
        "answers": _answers(schema, data) if complete and data is not None else [],
    }
    # Errors re-render the form with 200, as every form of the portal does: the summary and
    # the messages beside the fields say what is wrong.
    return render(request, "portal/catalog/form.html", context)


def _answers(schema: Any, data: dict[str, Any]) -> list[tuple[str, str]]:
    """The checked answers as (label, text), for the confirmation."""
    answers = []
    for form_field in schema_form.build_fields(schema, data):
        if form_field.widget == "checkbox":
            text = "是" if form_field.checked else "否"
        elif form_field.options:
            text = "、".join(o.label for o in form_field.options if o.selected)
        else:
            text = form_field.value
        if text:
            answers.append((form_field.label, text))
    return answers
