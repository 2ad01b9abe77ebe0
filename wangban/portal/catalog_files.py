"""Downloading the files of a guide: blank forms, filled-in samples, result samples."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest

from wangban.catalog.access import can_see_version
from wangban.catalog.models import CatalogFile
from wangban.core.files import open_blob


def catalog_file(request: HttpRequest, file_id: int, name: str) -> FileResponse:
    """Public for versions that have been in effect; drafts only for their editors (404 to
    everyone else, so a draft's existence does not leak)."""
    file = (
        CatalogFile.objects.select_related("version__item__department")
        .filter(pk=file_id, name=name)
        .first()
    )
    if file is None or not can_see_version(request.user, file.version):
        raise Http404("文件不存在。")
    return FileResponse(
        open_blob(file.blob), as_attachment=True, filename=file.name, content_type=file.content_type
    )
