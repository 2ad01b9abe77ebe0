"""Browser journey on a phone: sign in, open an item, apply with the form and the materials
(a small PDF uploaded), see what is missing, submit; the clerk asks for a correction (the
real action), the applicant replaces the named materials and resubmits; the clerk accepts
(the real action), the applicant sees the state and the receipt number and downloads the
acceptance notice. No page scrolls sideways, in the elder-friendly mode either."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wangban.accounts.tests.helpers import PASSWORD
from wangban.cases import actions, documents
from wangban.cases.models import Case, CaseDocument
from wangban.cases.tests.helpers import PDF
from wangban.catalog.tests.helpers import CODE
from wangban.conftest import City
from wangban.portal.tests.cases_world import CORRECTION, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fits_the_screen(page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def upload(page, material: str, path: Path) -> None:
    label = re.compile(f"^(上传文件|换一个文件)\\s*：{material}$")
    page.get_by_label(label).set_input_files(str(path))
    # The material's name is visually hidden text: screen readers hear "上传：营业执照".
    page.get_by_role("button", name=re.compile(f"^上传\\s*：{material}$")).click()
    page.wait_for_load_state()


def test_apply_correct_resubmit_and_be_accepted(page, city: City, settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    world = build_world(city)
    scan = tmp_path / "营业执照.pdf"
    scan.write_bytes(PDF)
    form_pdf = tmp_path / "申请表.pdf"
    form_pdf.write_bytes(PDF + b"% signed\n")

    # Sign in and open the item.
    page.goto("/login/")
    page.get_by_label("用户名", exact=True).fill("zhang")
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url("**/account/")
    page.goto(f"/items/{CODE}/")
    page.get_by_role("link", name="在线申请").click()
    page.wait_for_url(f"**/items/{CODE}/apply/")
    assert page.get_by_text("第 1 步，共 4 步").is_visible()
    assert fits_the_screen(page)

    # Step 1: who applies.
    page.get_by_label("本人（张三）").check()
    page.get_by_role("button", name="开始申请").click()
    page.wait_for_url("**/apply/form/")
    case = Case.objects.get()

    # Step 2: the form.
    assert page.get_by_text("第 2 步，共 4 步").is_visible()
    page.get_by_label("企业名称").fill("顺达运输有限公司")
    assert fits_the_screen(page)
    page.get_by_label("车辆数").fill("3")
    page.get_by_role("button", name="下一步").click()
    page.wait_for_url("**/apply/materials/")

    # Step 3: materials; one uploaded, then the check page shows what is missing.
    assert page.get_by_text("第 3 步，共 4 步").is_visible()
    assert page.get_by_role("heading", name="还缺 2 项必需材料").is_visible()
    upload(page, "道路运输经营许可申请表", form_pdf)
    assert page.get_by_text("已提交“道路运输经营许可申请表”。").is_visible()
    assert page.get_by_role("heading", name="还缺 1 项必需材料").is_visible()
    assert fits_the_screen(page)
    page.get_by_role("link", name="下一步：核对并提交").click()
    page.wait_for_url("**/apply/check/")
    assert page.get_by_role("heading", name="提交前还需补充 1 项").is_visible()
    page.get_by_role("link", name="请上传“营业执照”。").click()
    page.wait_for_url("**/apply/materials/#material-2-file")
    upload(page, "营业执照", scan)
    assert page.get_by_text("必需材料已齐全。").is_visible()
    page.get_by_role("link", name="下一步：核对并提交").click()

    # Step 4: check and submit.
    page.wait_for_url("**/apply/check/")
    assert page.get_by_text("第 4 步，共 4 步").is_visible()
    assert page.get_by_text("顺达运输有限公司", exact=True).is_visible()
    assert fits_the_screen(page)
    page.get_by_role("button", name="确认提交").click()
    page.wait_for_url("**/apply/submitted/")
    assert page.get_by_role("heading", name="申请已提交").is_visible()
    assert fits_the_screen(page)
    assert Case.objects.get().state == "submitted"

    # The clerk asks for a correction of both materials at once.
    actions.do_request_correction(case, actor=world.clerk, items=CORRECTION)
    page.get_by_role("link", name="查看办件").click()
    page.wait_for_url(f"**/cases/{case.pk}/")
    assert page.locator("#case-state").inner_text() == "待补正"
    notice = page.get_by_role("region", name="补正告知")
    assert notice.get_by_text("申请表缺少法定代表人签字").is_visible()
    assert notice.get_by_text("营业执照复印件不清晰").is_visible()
    assert fits_the_screen(page)
    page.get_by_role("link", name="补正材料").click()
    page.wait_for_url(f"**/cases/{case.pk}/correct/")
    assert page.get_by_role("heading", name="还有 2 项材料未更换").is_visible()
    upload(page, "道路运输经营许可申请表", form_pdf)
    upload(page, "营业执照", scan)
    assert page.get_by_text("全部材料已更换。").is_visible()
    assert fits_the_screen(page)
    page.get_by_role("button", name="提交补正材料").click()
    page.wait_for_url(f"**/cases/{case.pk}/")
    assert page.locator("#case-state").inner_text() == "已提交"
    assert page.get_by_text("补正材料已提交").is_visible()
    # The files the correction replaced stay on record, and download as they were.
    replaced = page.get_by_role("list", name="补正前的材料")
    assert replaced.get_by_role("listitem").count() == 2
    assert replaced.get_by_text("营业执照（第 1 次提交）").is_visible()
    assert fits_the_screen(page)
    with page.expect_download() as download:
        replaced.get_by_role("link", name="申请表.pdf").click()
    assert Path(download.value.path()).read_bytes() == PDF + b"% signed\n"

    # Accepted: the state, the receipt number and the acceptance notice.
    case = actions.do_accept(case, actor=world.clerk)
    document = CaseDocument.objects.get(case=case, kind="acceptance_notice")
    assert documents.render_document(document.pk) == "ready"
    page.reload()
    assert page.locator("#case-state").inner_text() == "审查中"
    assert page.get_by_text(case.receipt_no or "-", exact=True).is_visible()
    assert fits_the_screen(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="受理通知书（PDF）").click()
    assert download.value.suggested_filename == "受理通知书.pdf"
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF-")

    # The elder-friendly mode: larger type, still no sideways scrolling.
    page.get_by_role("button", name="长辈版").click()
    page.wait_for_url(f"**/cases/{case.pk}/")
    assert page.evaluate("document.body.classList.contains('elder')")
    assert fits_the_screen(page)

    # 我的办件 lists it with the receipt number.
    page.get_by_role("link", name="我的办件").first.click()
    page.wait_for_url("**/cases/")
    assert page.get_by_role("cell", name=case.receipt_no or "-").is_visible()
    assert fits_the_screen(page)
