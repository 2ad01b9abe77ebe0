"""Downloading a case's materials and written notices (DESIGN.md §2: never from a public
URL, only through a view that checks access and writes an audit event).

Who may read is `cases.access.access_case` (through `cases.documents.open_*`): the
applicant side, the accepting clerks, the implementing department's staff, supervisors;
everyone else gets 404. The portal and the workbench mount the same views; the workbench
passes `as_staff`, so there only who sees the case as staff may read (`access.sees_as_staff`:
a staff member who is only its applicant downloads from the portal, as they read it there).

By default the file is an attachment. `?inline=1` shows it in the browser instead (a PDF
in a frame of our own pages): only that response may be framed, and only by this site
(`X-Frame-Options: SAMEORIGIN`, CSP `frame-ancestors 'self'`; the site's default is
DENY / 'none'). Every response is `nosniff` and never cached (`private, no-store`).
The `name` in the URL is only for the browser: the stored file name is what is sent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO, Any

from csp.constants import SELF
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, HttpRequest, HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET

from wangban.accounts.middleware import login_url_for
from wangban.cases.documents import open_document, open_material, open_replaced_material
from wangban.core.errors import NotFound


def _serve(
    request: HttpRequest,
    opener: Callable[..., tuple[IO[bytes], str, str]],
    case_id: str,
    row_id: int,
    as_staff: bool,
) -> HttpResponseBase:
    if not request.user.is_authenticated:
        # The portal's login here, the workbench's where the workbench mounts these views.
        return redirect_to_login(request.get_full_path(), login_url_for(request, None))
    try:
        stream, file_name, content_type = opener(
            case_id, row_id, request.user, request, as_staff=as_staff
        )
    except NotFound as error:
        return render(
            request,
            "portal/case_files/not_found.html",
            {"message": error.message},
            status=404,
        )
    inline = request.GET.get("inline") == "1"
    response = FileResponse(
        stream, as_attachment=not inline, filename=file_name, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    if inline:
        # Framable by our own pages only, for this response only: what django-csp 4's
        # `csp_replace` decorator sets, decided per request; XFrameOptionsMiddleware
        # leaves a header the view set alone.
        response["X-Frame-Options"] = "SAMEORIGIN"
        replace: dict[str, Any] = {"frame-ancestors": [SELF]}
        response._csp_replace = replace  # type: ignore[attr-defined]
    return response


@require_GET
def case_material(
    request: HttpRequest, case_id: str, material_id: int, name: str, as_staff: bool = False
) -> HttpResponseBase:
    """`cases/<case_id>/materials/<material_id>/<name>`: a material's file. Signed in
    only (anonymous: to the login page)."""
    return _serve(request, open_material, case_id, material_id, as_staff)


@require_GET
def case_replaced_material(
    request: HttpRequest, case_id: str, replaced_id: int, name: str, as_staff: bool = False
) -> HttpResponseBase:
    """`cases/<case_id>/replaced-materials/<replaced_id>/<name>`: a material's file as it
    was before a correction replaced it."""
    return _serve(request, open_replaced_material, case_id, replaced_id, as_staff)


@require_GET
def case_document(
    request: HttpRequest, case_id: str, document_id: int, name: str, as_staff: bool = False
) -> HttpResponseBase:
    """`cases/<case_id>/documents/<document_id>/<name>`: a written notice's PDF (404 with
    a note while it is still being generated)."""
    return _serve(request, open_document, case_id, document_id, as_staff)
