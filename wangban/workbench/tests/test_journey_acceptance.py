"""Browser journeys of a window clerk (phone-sized, strict CSP), on Monday 2026-11-23:

- acceptance: the clerk signs in with the second factor, finds Friday afternoon's online
  submission in 待签收 with its blue light, opens it, previews the PDF material, issues one
  correction notice naming two materials; after the applicant has resubmitted, accepts it
  and reads the receipt number;
- window intake: the clerk registers a walk-in application, fills in the form, uploads one
  material, marks the other as handed over on paper, and submits it (signed for at once).
"""

from __future__ import annotations

import io
import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from playwright.sync_api import expect

from wangban.accounts.tests.helpers import register, resident_id, totp_code, totp_device, verified
from wangban.cases import actions
from wangban.cases.models import Case, CaseMaterial, CorrectionNotice
from wangban.cases.tests.helpers import FORM, at, item
from wangban.catalog.tests.helpers import CODE
from wangban.conftest import City
from wangban.core.pdf import html_to_pdf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FRIDAY = at(2026, 11, 20, 15, 0)
MONDAY = at(2026, 11, 23, 9, 30)


def png_bytes(colour: str = "white") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1, 1), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def post(page, button, message: str) -> None:
    """Click a form's button and wait for the message of the page it leads to (the case
    page again: its URL alone does not say the new page has loaded)."""
    button.click()
    expect(page.locator(".messages")).to_contain_text(message)
    page.wait_for_load_state("load")  # the previews too, before the next click


def sign_in(page, username: str) -> None:
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("staff-password-123")
    page.get_by_role("button", name="登录").click()


def test_a_clerk_signs_corrects_and_accepts(page, city: City) -> None:
    item(city)
    applicant = verified("zhangsan", 7)
    application = html_to_pdf("<h1>道路运输经营许可申请表</h1><p>某某运输有限公司</p>")
    with time_machine.travel(FRIDAY, tick=False):
        case = actions.do_create_case(actor=applicant, item_code=CODE, form=dict(FORM))
        for code, file in (
            ("M01", upload("申请表.pdf", application, "application/pdf")),
            ("M02", upload("营业执照.png", png_bytes(), "image/png")),
        ):
            actions.do_attach_material(case, actor=applicant, material_code=code, upload=file)
        actions.do_submit(case, actor=applicant)
    device = totp_device(city.transport_clerk)

    with time_machine.travel(MONDAY, tick=True):
        # Signed in with the second factor, straight to the queue.
        page.goto("/workbench/cases/")
        assert page.url.endswith("/workbench/login/?next=/workbench/cases/")
        sign_in(page, "transport_clerk")
        page.wait_for_url("**/workbench/login/otp/")
        page.get_by_label("动态验证码").fill(totp_code(device))
        page.get_by_role("button", name="验证").click()
        page.wait_for_url("**/workbench/cases/")
        assert (
            page.get_by_role("link", name=re.compile("^待签收 1")).get_attribute("aria-current")
            == "page"
        )
        row = page.locator("tbody tr").filter(has_text="张三")
        assert row.locator(".light").inner_text() == "蓝灯"
        assert "签收 2026-11-23 10:30" in row.inner_text()
        assert no_sideways_scroll(page)

        # The case, with the PDF in a frame and the scan as an image.
        materials: list = []
        page.on("response", lambda r: materials.append(r) if "/materials/" in r.url else None)
        row.get_by_role("link", name="道路运输经营许可证核发").click()
        page.wait_for_url(f"**/workbench/cases/{case.pk}/")
        page.wait_for_load_state("networkidle")
        frame = page.locator("iframe[title='道路运输经营许可申请表（申请表.pdf）预览']")
        assert frame.is_visible()
        # The frame loaded the PDF (Chromium hands it to its viewer, so the headers are
        # read again through the page's own session).
        source = frame.get_attribute("src")
        assert source.endswith("?inline=1")
        loaded = [r for r in materials if r.url.endswith(source)]
        assert loaded
        assert {r.status for r in loaded} == {200}
        served = page.request.get(source)
        assert (served.status, served.headers["content-type"]) == (200, "application/pdf")
        assert served.headers["x-frame-options"] == "SAMEORIGIN"
        assert served.body() == application
        image = page.get_by_role("img", name="营业执照：营业执照.png")
        assert image.evaluate("img => img.complete && img.naturalWidth === 1")
        assert "签收时限 2026-11-23 10:30 蓝灯" in " ".join(
            page.locator("#deadlines-title + .table-wrap tbody tr").first.inner_text().split()
        )
        assert no_sideways_scroll(page)

        # One notice, every deficiency at once.
        page.get_by_role("link", name="一次性告知补正").click()
        page.wait_for_url(f"**/workbench/cases/{case.pk}/correction/")
        page.get_by_role("checkbox", name="道路运输经营许可申请表").check()
        page.get_by_role("textbox", name=re.compile(r"^补正原因\s*：道路运输经营许可申请表$")).fill(
            "申请表缺少法定代表人签字"
        )
        page.get_by_role("checkbox", name="营业执照").check()
        page.get_by_role("textbox", name=re.compile(r"^补正原因\s*：营业执照$")).fill(
            "营业执照已过期"
        )
        page.get_by_role("button", name="发出补正告知").click()
        page.wait_for_url(f"**/workbench/cases/{case.pk}/")
        assert page.get_by_text("已一次性告知补正 2 项材料，补正期限至 2026-11-30。").is_visible()
        notice = CorrectionNotice.objects.get(case=case)
        assert [entry["material_code"] for entry in notice.items] == ["M01", "M02"]
        assert notice.handler == city.transport_clerk

        # The applicant hands in both and resubmits.
        actions.do_attach_material(
            case,
            actor=applicant,
            material_code="M01",
            upload=upload("申请表（签字）.pdf", application + b"\n", "application/pdf"),
        )
        actions.do_attach_material(
            case,
            actor=applicant,
            material_code="M02",
            upload=upload("营业执照（新）.png", png_bytes("black"), "image/png"),
        )
        actions.do_resubmit(case, actor=applicant)

        page.goto("/workbench/cases/")  # a resubmission is signed for again
        page.get_by_role("link", name="道路运输经营许可证核发").click()
        page.wait_for_url(f"**/workbench/cases/{case.pk}/")
        assert page.locator("dd", has_text="（第 2 次提交）").is_visible()
        post(
            page,
            page.get_by_role("button", name="受理", exact=True),
            "已受理，受理编号 D01-20261123-00001。",
        )
        assert page.locator(".receipt-no").inner_text() == "D01-20261123-00001"
        assert page.get_by_text("您现在不能对该办件进行操作。").is_visible()
    assert Case.objects.get(pk=case.pk).state == "in_review"


def test_a_clerk_registers_a_walk_in_application(page, city: City) -> None:
    item(city)
    applicant = register("zhangsan", 7)
    scan = html_to_pdf("<h1>道路运输经营许可申请表</h1>")
    with time_machine.travel(MONDAY, tick=True):
        page.goto("/workbench/cases/intake/")
        sign_in(page, "transport_clerk")
        page.wait_for_url("**/workbench/cases/intake/")
        page.get_by_label("申请事项").select_option(CODE)
        page.get_by_label("申请人", exact=True).fill(resident_id(7))
        page.get_by_role("button", name="登记申请").click()
        page.wait_for_url(re.compile(r"/workbench/cases/[0-9a-f]{20}/$"))
        case = Case.objects.get()
        assert (case.channel, case.applicant, case.state) == ("window", applicant, "draft")
        assert page.get_by_text("已登记窗口申请。").is_visible()

        page.get_by_label("企业名称").fill("某某运输有限公司")
        page.get_by_label("车辆数").fill("3")
        post(page, page.get_by_role("button", name="保存申请表"), "申请表已保存。")

        page.locator("#material-0-file").set_input_files(
            files=[{"name": "申请表扫描件.pdf", "mimeType": "application/pdf", "buffer": scan}]
        )
        post(
            page,
            page.get_by_role("button", name=re.compile(r"^上传\s*道路运输经营许可申请表$")),
            "材料已上传。",
        )
        assert page.locator(
            "iframe[title='道路运输经营许可申请表（申请表扫描件.pdf）预览']"
        ).count()

        page.get_by_role("textbox", name=re.compile(r"^纸质材料说明（选填）\s*：营业执照$")).fill(
            "原件核验，复印件留存"
        )
        post(
            page,
            page.get_by_role("button", name=re.compile(r"^登记为纸质材料\s*：营业执照$")),
            "已登记为纸质材料。",
        )
        assert page.get_by_text("纸质材料，已在窗口收取：原件核验，复印件留存").is_visible()

        post(
            page,
            page.get_by_role("button", name="提交申请"),
            "申请已提交并已签收，请于 2026-11-24 前受理、补正或不予受理。",
        )
        assert page.get_by_role("button", name="受理", exact=True).is_visible()
        assert no_sideways_scroll(page)
    case = Case.objects.get()
    assert (case.state, case.form, case.signed_in_by) == (
        "submitted",
        {"company": "某某运输有限公司", "vehicles": 3},
        city.transport_clerk,
    )
    assert list(
        CaseMaterial.objects.filter(case=case).values_list("material_code", "paper", "file_name")
    ) == [("M01", False, "申请表扫描件.pdf"), ("M02", True, "")]


def test_a_supervisor_finds_a_repeat_correction_notice(page, city: City) -> None:
    """The supervisor opens 再次补正告知 from the workbench's menu, reads the second notice
    with its reason, and follows it to the case."""
    item(city)
    applicant = verified("zhangsan", 7)
    clerk = city.transport_clerk
    with time_machine.travel(FRIDAY, tick=False):
        case = actions.do_create_case(actor=applicant, item_code=CODE, form=dict(FORM))
        for code in ("M01", "M02"):
            file = upload(f"{code}.pdf", html_to_pdf(f"<p>{code}</p>"), "application/pdf")
            actions.do_attach_material(case, actor=applicant, material_code=code, upload=file)
        actions.do_submit(case, actor=applicant)
    with time_machine.travel(MONDAY, tick=False):
        first = [{"material_code": "M01", "reason": "缺少签字"}]
        actions.do_request_correction(case, actor=clerk, items=first)
        again = upload("M01.pdf", html_to_pdf("<p>签字</p>"), "application/pdf")
        actions.do_attach_material(case, actor=applicant, material_code="M01", upload=again)
        actions.do_resubmit(case, actor=applicant)
        actions.do_request_correction(
            case,
            actor=clerk,
            items=[{"material_code": "M02", "reason": "仍不清晰"}],
            reason_for_second="补正后的扫描件仍无法辨认",
        )

    with time_machine.travel(MONDAY, tick=True):
        page.goto("/workbench/")
        sign_in(page, "supervisor")
        page.wait_for_url("**/workbench/")
        page.get_by_role("navigation").get_by_role("link", name="再次补正告知").click()
        page.wait_for_url("**/workbench/cases/repeat-notices/")
        assert page.get_by_role("heading", level=1).inner_text() == "再次补正告知"
        table = page.get_by_role("table")
        assert "共 1 份" in table.locator("caption").inner_text()
        row = table.locator("tbody tr")
        assert row.count() == 1
        assert "补正后的扫描件仍无法辨认" in row.inner_text()
        assert "营业执照" in row.inner_text()
        assert no_sideways_scroll(page)
        row.get_by_role("link", name="道路运输经营许可证核发").click()
        page.wait_for_url(f"**/workbench/cases/{case.pk}/")
        assert page.get_by_text("您现在不能对该办件进行操作。").is_visible()
