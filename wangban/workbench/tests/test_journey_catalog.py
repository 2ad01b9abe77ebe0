"""Browser journey (phone-sized, strict CSP): a department admin drafts a new item with two
materials (one with a blank form), two steps and an electronic form, fixes the problem
shown beside a field, and submits it; the centre admin signs in with the second factor and
approves it; the item is published with its history."""

from __future__ import annotations

import json
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from wangban.accounts.tests.helpers import totp_code, totp_device
from wangban.catalog.models import CatalogFile, ItemVersion
from wangban.catalog.tests.helpers import FORM
from wangban.conftest import City

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
CODE = "D01-XK-0001"


def sign_in(page, username: str) -> None:
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("staff-password-123")
    page.get_by_role("button", name="登录").click()


def test_a_new_item_from_draft_to_publication(page, city: City) -> None:
    # The department admin drafts.
    page.goto("/workbench/catalog/")
    assert page.url.endswith("/workbench/login/?next=/workbench/catalog/")
    sign_in(page, "transport_admin")
    page.wait_for_url("**/workbench/catalog/")
    page.get_by_role("link", name="新增事项").click()
    page.wait_for_url("**/workbench/catalog/new/")

    page.get_by_label("实施编码").fill(CODE)
    page.get_by_label("事项名称").fill("道路货物运输经营许可")
    page.get_by_label("事项类型").select_option("01")
    page.get_by_label("办件类型").select_option("2")
    page.get_by_label("企业法人").check()
    page.get_by_label("法定办结时限").fill("20")
    page.get_by_label("承诺办结时限").fill("30")  # above the statutory limit
    page.locator("#id_handling_forms_1").check()  # 网上办理
    page.get_by_label("法律依据").fill("《中华人民共和国道路运输条例》第二十四条")

    page.locator("#id_materials-0-code").fill("M01")
    page.locator("#id_materials-0-name").fill("道路货物运输经营申请表")
    page.locator("#id_materials-0-material_type").select_option("form")
    page.set_input_files(
        "#id_materials-0-blank_form",
        files=[{"name": "申请表.pdf", "mimeType": "application/pdf", "buffer": PDF}],
    )
    page.get_by_role("button", name="添加一行 材料").click()
    page.locator("#id_materials-1-code").fill("M02")
    page.locator("#id_materials-1-name").fill("营业执照")
    page.locator("#id_materials-1-material_type").select_option("certificate")

    page.locator("#id_steps-0-name").fill("受理")
    page.locator("#id_steps-0-role").select_option("clerk")
    page.locator("#id_steps-0-budget_days").fill("1")
    page.get_by_role("button", name="添加一行 环节").click()
    page.locator("#id_steps-1-name").fill("审批")
    page.locator("#id_steps-1-role").select_option("approver")
    page.locator("#id_steps-1-budget_days").fill("9")
    page.locator("#id_fees-0-name").fill("不收费")

    page.get_by_label("电子表单（JSON Schema）").fill(json.dumps(FORM, ensure_ascii=False))
    expect(page.locator("#schema-status")).to_have_text(
        "JSON 格式正确，共 2 个字段；提交审核时再检查是否符合 JSON Schema。"
    )
    expect(page.locator("#schema-preview-fields li")).to_have_text(
        ["企业名称 · string · 必填", "车辆数 · integer · 必填"]
    )
    page.get_by_role("button", name="保存并提交审核").click()

    # Saved, but not yet submittable: the problem is in the summary and beside the field.
    page.wait_for_url("**/workbench/catalog/new/")
    assert page.get_by_text("草稿已保存，但还不能提交审核").is_visible()
    summary = page.get_by_role("alert")
    assert "承诺办结时限（30）不能超过法定办结时限（20）。" in summary.inner_text()
    summary.get_by_role("link", name="承诺办结时限（30）不能超过法定办结时限（20）。").click()
    assert page.evaluate("document.activeElement.id") == "id_promised_limit_days"
    assert page.locator("#id_promised_limit_days_error").text_content() == (
        "错误：承诺办结时限（30）不能超过法定办结时限（20）。"
    )
    assert page.get_by_role("link", name="申请表.pdf").is_visible()  # the upload was kept
    page.get_by_label("承诺办结时限").fill("10")
    page.get_by_role("button", name="保存并提交审核").click()

    page.wait_for_url(f"**/workbench/catalog/items/{CODE}/")
    assert page.get_by_text("第 1 版已提交审核，请等待政务服务中心审核。").is_visible()
    version = ItemVersion.objects.get(item__code=CODE)
    assert (version.state, version.promised_limit_days) == ("in_review", 10)
    assert [m.code for m in version.materials.all()] == ["M01", "M02"]
    assert [s.name for s in version.steps.all()] == ["受理", "审批"]
    files = CatalogFile.objects.filter(version=version)
    assert list(files.values_list("material__code", "name")) == [("M01", "申请表.pdf")]
    assert version.form_schema == FORM

    # The centre admin signs in with the second factor and approves.
    device = totp_device(city.centre_admin)
    page.context.clear_cookies()
    page.goto("/workbench/catalog/review/")
    sign_in(page, "centre_admin")
    page.wait_for_url("**/workbench/login/otp/")
    page.get_by_label("动态验证码").fill(totp_code(device))
    page.get_by_role("button", name="验证").click()
    page.wait_for_url("**/workbench/catalog/review/")
    page.get_by_role("link", name="审核 道路货物运输经营许可").click()
    page.wait_for_url(re.compile(rf"/workbench/catalog/items/{CODE}/v1/review/$"))
    assert page.get_by_label("生效日期").input_value() == timezone.localdate().isoformat()
    page.get_by_label("审核意见").fill("合法性审查通过")
    page.get_by_role("button", name="审核通过").click()
    page.wait_for_url("**/workbench/catalog/review/")
    assert page.get_by_text(f"{CODE} 第 1 版审核通过，已发布。").is_visible()
    assert page.get_by_text("没有待审核的事项。").is_visible()

    # Published, with its history.
    page.goto(f"/workbench/catalog/items/{CODE}/")
    today = timezone.localdate().isoformat()
    assert page.get_by_text(f"现行第 1 版，{today} 起施行。").is_visible()
    history = page.locator(".versions").inner_text()
    for line in ("起草事项", "上传指南文件", "空白表格：申请表.pdf（材料 M01）", "提交事项审核"):
        assert line in history, line
    assert "发布事项" in history
    assert "合法性审查通过" in history
    assert page.get_by_role("link", name="申请表.pdf").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # The supervision figures draw their chart under the same CSP.
    page.goto("/workbench/catalog/figures/")
    assert page.get_by_role("cell", name="100.0%").first.is_visible()
    page.locator("#catalog-figures-chart svg").wait_for()
