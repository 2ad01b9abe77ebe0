"""The printable guide: WeasyPrint with embedded Noto CJK fonts, extractable text, rendered
once per version and served from storage, and no network access while rendering."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client

from wangban.catalog import actions, queries
from wangban.catalog.tests.helpers import CODE, published_item
from wangban.conftest import City
from wangban.core.pdf import PdfFetchRefused, html_to_pdf, local_fetcher

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_storage(settings, tmp_path: Path) -> None:
    """Stored PDFs go to this test's own directory: nothing is shared between tests."""
    settings.MEDIA_ROOT = tmp_path


def pdf_fonts(data: bytes, tmp_path: Path) -> list[list[str]]:
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    lines = subprocess.run(
        ["pdffonts", str(path)], check=True, capture_output=True, text=True
    ).stdout.splitlines()[2:]
    return [line.split() for line in lines]


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def stored_guides() -> list[str]:
    version_dirs = default_storage.listdir("pdf/guides")[0]
    return [
        f"pdf/guides/{version}/{name}"
        for version in version_dirs
        for name in default_storage.listdir(f"pdf/guides/{version}")[1]
    ]


def test_guide_pdf_embeds_noto_cjk_and_its_text_is_extractable(
    city: City, client: Client, tmp_path: Path
) -> None:
    published_item(city)
    response = client.get(f"/items/{CODE}/guide.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        "inline; filename*=utf-8''%E9%81%93%E8%B7%AF%E8%BF%90%E8%BE%93%E7%BB%8F%E8%90%A5%E8%AE%B8"
        "%E5%8F%AF%E8%AF%81%E6%A0%B8%E5%8F%91-%E5%8A%9E%E4%BA%8B%E6%8C%87%E5%8D%97.pdf"
    )
    assert response["Cache-Control"] == "public, max-age=300"
    data = response.content
    assert data.startswith(b"%PDF-")
    fonts = pdf_fonts(data, tmp_path)
    assert fonts  # at least one font
    for font in fonts:
        # name, type…, emb, sub, uni, object, generation: embedded subsets of Noto CJK
        assert "Noto-Sans-CJK-SC" in font[0], font
        assert font[-5:-2] == ["yes", "yes", "yes"], font
    text = pdf_text(data, tmp_path)
    for phrase in (
        "道路运输经营许可证核发",
        "营业执照",
        "授权委托书",
        "法定办结时限：20 个工作日（《道路运输条例》第十一条）",
        "承诺办结时限：10 个工作日",
        "审核（审核人，5 个工作日）",
        "不收费",
        "第 1 页，共",
    ):
        assert phrase in text, phrase


def test_guide_is_rendered_once_and_served_from_storage(city: City, client: Client) -> None:
    version = published_item(city)
    first = client.get(f"/items/{CODE}/guide.pdf").content
    [name] = stored_guides()
    assert name.startswith(f"pdf/guides/{version.pk}/")
    with default_storage.open(name, "rb") as stored:
        assert stored.read() == first
    # What is served next is the stored file, not a new rendering.
    default_storage.delete(name)
    default_storage.save(name, ContentFile(b"%PDF-stored"))
    assert client.get(f"/items/{CODE}/guide.pdf").content == b"%PDF-stored"


def test_a_new_version_gets_its_own_pdf(city: City, client: Client, tmp_path: Path) -> None:
    first = published_item(city)
    client.get(f"/items/{CODE}/guide.pdf")
    adjust = actions.do_draft_item(
        actor=city.transport_admin,
        code=CODE,
        kind="adjust",
        content={**queries.content_of(first), "name": "道路货物运输经营许可"},
        change_reason="名称规范",
    )
    actions.do_submit_for_review(adjust, actor=city.transport_admin)
    actions.do_review(adjust, actor=city.centre_admin, approve=True)
    text = pdf_text(client.get(f"/items/{CODE}/guide.pdf").content, tmp_path)
    assert "道路货物运输经营许可" in text
    assert len(stored_guides()) == 2


def test_rendering_never_fetches_from_the_network() -> None:
    fetcher = local_fetcher()
    for url in (
        "https://example.com/logo.png",
        "http://127.0.0.1:8000/static/wangban/css/wangban.css",
        "file:///etc/passwd",
        "file:///static/../../etc/passwd",
        "file:///static/%2Fetc/passwd",
        "file:///static/portal/..%2F..%2Fsettings.py",
        "ftp://example.com/x",
    ):
        with pytest.raises(PdfFetchRefused):
            fetcher.fetch(url)
    css = fetcher.fetch("file:///static/portal/guide-print.css")
    assert css.content_type == "text/css"
    assert b".print-kicker" in css.read()
    # A document that asks for a remote image still renders, without it.
    data = html_to_pdf('<h1>标题</h1><img src="https://example.com/x.png" alt="">')
    assert data.startswith(b"%PDF-")
