"""Browser journey through the public catalogue on a phone: search, the guide with its
flowchart and materials, the blank form download, the PDF guide, the elder-friendly mode,
and the electronic form with an error corrected."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from wangban.catalog import actions
from wangban.catalog.tests.helpers import CODE, draft, publish
from wangban.conftest import City, restore_migration_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _online_levels(transactional_db: None) -> None:
    restore_migration_data()


BLANK_FORM = b"%PDF-1.4\n% blank form\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def fits_the_screen(page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_visitor_finds_reads_downloads_and_checks_the_form(
    page, city: City, settings, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    version = draft(city)
    actions.do_attach_file(
        version,
        actor=city.transport_admin,
        kind="blank_form",
        material_code="M01",
        upload=SimpleUploadedFile("道路运输经营许可申请表.pdf", BLANK_FORM),
    )
    publish(city, version)

    # Search from the home page.
    page.goto("/")
    page.get_by_role("searchbox", name="我要办").fill("道路运输许可")
    page.get_by_role("button", name="搜索").click()
    page.wait_for_url("**/items/?q=*")
    assert page.get_by_role("heading", name="“道路运输许可”的搜索结果：共 1 项事项").is_visible()
    page.get_by_role("link", name="道路运输经营许可证核发").click()
    page.wait_for_url(f"**/items/{CODE}/")

    # The guide: heading, the flowchart as an image with its name, the materials.
    assert page.title() == "道路运输经营许可证核发 - 网办"
    chart = page.get_by_role("img", name="办理流程图：道路运输经营许可证核发")
    chart.scroll_into_view_if_needed()
    assert chart.is_visible()
    box = chart.bounding_box()
    assert box is not None
    assert box["width"] <= 390
    assert page.get_by_text("营业执照", exact=True).is_visible()
    assert page.get_by_text("非必需（情形：委托办理时）").is_visible()
    assert fits_the_screen(page)

    # The blank form downloads as it was uploaded.
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(r"^空白表格\s*：道路运输经营许可申请表$")).click()
    assert download.value.suggested_filename == "道路运输经营许可申请表.pdf"
    assert Path(download.value.path()).read_bytes() == BLANK_FORM

    # The printable guide is a PDF.
    pdf_link = page.get_by_role("link", name="打印办事指南（PDF）")
    href = pdf_link.get_attribute("href")
    assert href == f"/items/{CODE}/guide.pdf"
    pdf = page.request.get(href)
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF-")

    # The elder-friendly mode keeps the reader on this page, larger.
    page.get_by_role("button", name="长辈版").click()
    page.wait_for_url(f"**/items/{CODE}/")
    assert page.evaluate("document.body.classList.contains('elder')")
    assert fits_the_screen(page)

    # The electronic form: an error, the summary and the message beside the field, fixed.
    page.get_by_role("link", name="在线填写申请表").click()
    page.wait_for_url(f"**/items/{CODE}/form/")
    page.get_by_label("企业名称").fill("顺达运输有限公司")
    page.get_by_label("车辆数").fill("0")
    page.get_by_role("button", name="检查填写").click()
    summary = page.get_by_role("alert")
    assert summary.is_visible()
    assert page.title() == "错误：道路运输经营许可申请表 - 网办"
    summary.get_by_role("link", name="车辆数不能小于 1。").click()
    assert page.evaluate("document.activeElement.id") == "field-vehicles"
    assert page.locator("#field-vehicles-error").text_content() == "错误：车辆数不能小于 1。"
    assert page.get_by_label("企业名称").input_value() == "顺达运输有限公司"
    page.get_by_label("车辆数").fill("12")
    page.get_by_role("button", name="检查填写").click()
    page.get_by_role("heading", name="填写完整，检查通过").wait_for()
    assert page.get_by_role("heading", name="填写完整，检查通过").is_visible()
    assert page.get_by_role("alert").count() == 0
    assert fits_the_screen(page)

    # Back to normal size.
    page.get_by_role("button", name="退出长辈版").click()
    page.wait_for_url(f"**/items/{CODE}/form/")
    assert not page.evaluate("document.body.classList.contains('elder')")


def test_theme_tiles_lead_to_the_items(page, city: City) -> None:
    publish(city, draft(city, guide={"themes_legal_person": ["交通运输"]}))
    page.goto("/")
    page.get_by_role("link", name="法人办事").click()
    page.wait_for_url("**/themes/legal-person/")
    page.get_by_role("link", name="交通运输 1 项").click()
    page.wait_for_url("**/items/?theme=*")
    assert page.get_by_role("link", name="道路运输经营许可证核发").is_visible()
    assert fits_the_screen(page)
