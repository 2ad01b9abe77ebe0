"""事项监督: 网上事项公开率 and guide completeness per department (definitions in
`wangban.catalog.figures`), with the incomplete items and what each lacks. Supervisors and
centre admins read every department; a department admin reads their own."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode

from wangban.catalog.access import can_review_items
from wangban.catalog.figures import REQUIRED_ELEMENTS, catalogue_figures
from wangban.workbench.catalog.access import figure_departments, figures_page

PER_PAGE = 50


def _link(code: str, *, manages: bool) -> str:
    try:
        return reverse("workbench:catalog-item" if manages else "portal:item", args=[code])
    except NoReverseMatch:
        return ""


@figures_page
def figures(request: HttpRequest) -> HttpResponse:
    scope = figure_departments(request.user)
    data = catalogue_figures(scope)
    codes = {d.code for d in data.departments}
    selected = request.GET.get("department", "")
    incomplete = [i for i in data.incomplete if not selected or i.department_code == selected]
    page = Paginator(incomplete, PER_PAGE).get_page(request.GET.get("page"))
    # Items link to their workbench page for people who may manage them (centre admins;
    # department admins see their own only), to the public guide for supervisors.
    manages = can_review_items(request.user) or scope is not None
    links = {item.code: _link(item.code, manages=manages) for item in page}
    chart = {
        "departments": [d.name for d in data.departments],
        "online": [d.online_rate.percent for d in data.departments],
        "complete": [d.completeness.percent for d in data.departments],
    }
    return render(
        request,
        "workbench/catalog/figures.html",
        {
            "figures": data,
            "page": page,
            "rows": [(item, links[item.code]) for item in page],
            "selected": selected if selected in codes else "",
            "query": urlencode({"department": selected}) if selected in codes else "",
            "required": list(REQUIRED_ELEMENTS.values()),
            "chart": chart,
        },
    )
