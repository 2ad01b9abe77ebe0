"""Printable documents (guides now; notices, decisions and certificates later) as PDF.

WeasyPrint lays out an ordinary Django template with the base print stylesheet below: A4,
the document's title in the page header, page numbers in the footer, and Debian's Noto CJK
fonts found through fontconfig (package `fonts-noto-cjk`), embedded as subsets so the PDF
shows and searches the same on any reader (ReportLab's STSong-Light is not embedded, which
is why it is not used). About 100 ms per page: cache what never changes (`stored_pdf`) or
render in the task worker.

Rendering never reaches the network: `LocalFetcher` refuses every URL except the project's
own static files and `data:` URIs, so a template (or a value a department typed into one)
cannot make the server fetch anything.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.loader import render_to_string

# Relative URLs in a document resolve against this base; `LocalFetcher` maps the paths under
# STATIC_URL to static files and refuses every other path.
BASE_URL = "file:///"

BASE_STYLESHEET = """
@page {
  size: A4;
  margin: 22mm 18mm 20mm 18mm;
  @top-center {
    content: string(document-title);
    font-size: 9pt;
    color: #4a4a4a;
    border-bottom: 0.5pt solid #c4c7cc;
    padding-bottom: 2mm;
    width: 100%;
  }
  @bottom-center {
    content: "第 " counter(page) " 页，共 " counter(pages) " 页";
    font-size: 9pt;
    color: #4a4a4a;
  }
}
html {
  font-family: "Noto Sans CJK SC", "Noto Serif CJK SC", sans-serif;
  font-size: 10.5pt;
  line-height: 1.6;
  color: #1b1b1b;
}
h1 { string-set: document-title content(); font-size: 18pt; margin: 0 0 4mm; }
h2 { font-size: 13pt; margin: 6mm 0 2mm; break-after: avoid; }
h3 { font-size: 11pt; margin: 4mm 0 1mm; break-after: avoid; }
p, li { orphans: 2; widows: 2; }
table { border-collapse: collapse; width: 100%; margin: 2mm 0 4mm; }
th, td { border: 0.5pt solid #8a8d91; padding: 1.5mm 2mm; text-align: left; vertical-align: top; }
th { background: #f3f5f8; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
a { color: inherit; text-decoration: none; }
"""


class PdfFetchRefused(ValueError):
    """A document asked for a resource that is not one of our static files."""


def _static_bytes(name: str) -> bytes:
    """A static file by its name under STATIC_URL: the collected copy (hashed names in
    production) or, before `collectstatic`, the app's own file."""
    if staticfiles_storage.exists(name):
        with staticfiles_storage.open(name) as stream:
            return bytes(stream.read())
    found = finders.find(name)
    if not found or isinstance(found, list):
        raise PdfFetchRefused(f"没有这个静态文件：{name}")
    return Path(found).read_bytes()


def local_fetcher() -> Any:
    """WeasyPrint's URL fetcher for our documents: the project's static files (paths under
    STATIC_URL, resolved against BASE_URL) and `data:` URIs, nothing else."""
    # Imported late: WeasyPrint pulls in Pango and fontconfig, which only PDF work needs.
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class LocalFetcher(URLFetcher):
        """Serves static files and `data:` URIs; refuses http(s), other file paths and
        every other scheme."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            parts = urlsplit(url)
            if parts.scheme == "data":
                return super().fetch(url, headers)
            static_prefix = "/" + settings.STATIC_URL.strip("/") + "/"
            if parts.scheme == "file" and not parts.netloc and parts.path.startswith(static_prefix):
                name = unquote(parts.path.removeprefix(static_prefix))
                if Path(name).is_absolute() or ".." in Path(name).parts:
                    raise PdfFetchRefused(f"拒绝读取：{url}")
                content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
                return URLFetcherResponse(url, _static_bytes(name), {"Content-Type": content_type})
            raise PdfFetchRefused(f"生成 PDF 时不访问外部资源：{url}")

    return LocalFetcher()


def html_to_pdf(html: str, *, stylesheets: tuple[str, ...] = ()) -> bytes:
    """The PDF of an HTML document, laid out with the base print stylesheet and then
    `stylesheets` (CSS text)."""
    from weasyprint import CSS, HTML

    # WeasyPrint announces every step of every document at INFO: not worth a log line.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    fetcher = local_fetcher()
    styles = [CSS(string=css, url_fetcher=fetcher) for css in (BASE_STYLESHEET, *stylesheets)]
    output = BytesIO()
    HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).write_pdf(output, stylesheets=styles)
    return output.getvalue()


def render_pdf(template_name: str, context: dict[str, Any]) -> bytes:
    """Render a Django template to PDF. The template is a whole HTML document; its first
    `<h1>` is the title in every page's header and its `<title>` the PDF's metadata title.
    It may link stylesheets and images under `{% static %}`, nothing else."""
    return html_to_pdf(render_to_string(template_name, context))


def stored_pdf(name: str, build: Callable[[], bytes]) -> bytes:
    """The PDF stored under `name` (Django's default storage), built and stored the first
    time. For documents that never change once made: name them by what they show (e.g. a
    version id and a digest of its content), and the cache can never be stale."""
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as stream:
            return bytes(stream.read())
    data = build()
    saved = default_storage.save(name, ContentFile(data))
    if saved != name:  # a concurrent request stored the same document first
        default_storage.delete(saved)
    return data


def cached_render_pdf(template_name: str, context: dict[str, Any], *, key: str) -> bytes:
    """`render_pdf`, rendered once and served from storage afterwards: for documents whose
    content never changes (a published version's guide, a signed decision). The stored name
    is `pdf/<key>/<SHA-256 of the HTML>.pdf`: the HTML is cheap to render and names exactly
    what the PDF shows, so a change of content or template makes a new file, never a stale
    one."""
    html = render_to_string(template_name, context)
    digest = hashlib.sha256(html.encode()).hexdigest()
    return stored_pdf(f"pdf/{key}/{digest}.pdf", lambda: html_to_pdf(html))
