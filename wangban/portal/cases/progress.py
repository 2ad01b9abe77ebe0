"""`/progress/`: the public progress query (办件进度查询, 大安办法第二十九条: 申请人可以通过
受理编号查询办理进度). Anyone may ask, with the receipt number *and* the applicant's identity
number (居民身份证号码, or the legal person's 统一社会信用代码): a POST form, so that the
number never travels in an address; 404 unless both match, with the same words whichever
one was wrong; a limited number of queries per client address (429 beyond it). Only the
public progress is shown (`wangban.cases.progress.public_progress`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from wangban.cases.progress import find_case_for_progress, public_progress
from wangban.portal.cases import ratelimit
from wangban.portal.cases.forms import ProgressForm

#: Queries one client address may make per hour; WANGBAN_PROGRESS_QUERIES_PER_HOUR
#: overrides it. Enough for a family checking a few applications, too few to guess.
DEFAULT_QUERIES_PER_HOUR = 30
NOT_FOUND = "没有找到该办件。请核对受理编号和证件号码：两项都须与申请时一致。"
TOO_MANY = "查询过于频繁，请一小时后再试。"


def queries_per_hour() -> int:
    return int(getattr(settings, "WANGBAN_PROGRESS_QUERIES_PER_HOUR", DEFAULT_QUERIES_PER_HOUR))


def _lookup(receipt_no: str, id_number: str) -> dict[str, Any] | None:
    """The public progress of the case both numbers identify, else None."""
    case = find_case_for_progress(receipt_no, id_number)
    return None if case is None else public_progress(case)


@require_http_methods(["GET", "POST"])
def progress(request: HttpRequest) -> HttpResponse:
    form = ProgressForm(request.POST if request.method == "POST" else None)
    context: dict[str, Any] = {"form": form, "result": None, "message": ""}
    status = 200
    if request.method == "POST":
        if not ratelimit.allow(request, "progress", limit=queries_per_hour(), seconds=3600):
            context["message"] = TOO_MANY
            status = 429
        elif not form.is_valid():
            status = 400
        else:
            data = form.cleaned_data
            context["result"] = _lookup(data["receipt_no"].strip(), data["id_number"].strip())
            if context["result"] is None:
                context["message"] = NOT_FOUND
                status = 404
    return render(request, "portal/cases/progress.html", context, status=status)
