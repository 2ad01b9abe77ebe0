"""The catalogue's staff pages: the permission matrix, every action through the pages, the
errors beside their fields, and the query counts of the lists."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.admin.sites import site as admin_site
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from wangban.accounts.choices import Level, Role
from wangban.accounts.models import Department, User
from wangban.accounts.roles import user_has_role
from wangban.accounts.tests.helpers import force_login_verified
from wangban.audit.models import AuditEvent
from wangban.catalog import actions
from wangban.catalog.models import (
    CatalogFile,
    ItemChange,
    ItemVersion,
    Material,
    OnlineServiceLevel,
    ServiceItem,
    WorkflowStep,
)
from wangban.catalog.queries import content_of
from wangban.catalog.tests.helpers import FORM, draft, item_content, published_item
from wangban.conftest import City

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def as_user(client: Client, user: User | None) -> Client:
    """Sign in; centre admins must have given their second factor (TOTP)."""
    if user is not None and user_has_role(user, Role.CENTRE_ADMIN):
        force_login_verified(client, user)
    elif user is not None:
        client.force_login(user)
    return client


def submitted(city: City, code: str) -> ItemVersion:
    return actions.do_submit_for_review(draft(city, code), actor=city.transport_admin)


def market_item(city: City, code: str = "M-1") -> ItemVersion:
    version = actions.do_draft_item(
        actor=city.market_admin, code=code, department=city.market, content=item_content()
    )
    version = actions.do_submit_for_review(version, actor=city.market_admin)
    return actions.do_review(version, actor=city.centre_admin, approve=True)


@pytest.fixture
def catalogue(city: City) -> City:
    """T-1 published, T-2 a new draft, T-3 in review (transport); M-1 published (market)."""
    published_item(city, "T-1")
    draft(city, "T-2")
    submitted(city, "T-3")
    market_item(city)
    return city


# --- The editor's POST, written the way the page writes it ------------------------------

ITEM_FIELDS: dict[str, Any] = {
    "name": "道路运输经营许可证核发",
    "type": "01",
    "case_type": "2",
    "legal_limit_days": "20",
    "legal_limit_unit": "working_days",
    "legal_limit_note": "",
    "promised_limit_days": "10",
    "promised_limit_unit": "working_days",
    "promised_limit_note": "",
    "warning_threshold_days": "",
    "service_objects": ["2", "5"],
    "handling_forms": ["1", "2"],
    "online_depth": ["1", "2", "3", "4"],
    "online_service_level": "4",
    "entrusted_department": "",
    "visits_required": "1",
    "visits_note": "领取许可证",
    "legal_basis": "《中华人民共和国道路运输条例》第十条",
    "acceptance_conditions": "有与其经营业务相适应并经检测合格的车辆。",
    "form_schema": json.dumps(FORM, ensure_ascii=False),
    "guide_place": "市政务服务中心二楼",
    "guide_consultation_phone": "0813-12345",
    "guide_supports_appointment": "yes",
    "guide_themes_legal_person": "设立变更、准营准办",
}
MATERIALS = [
    {"code": "M01", "name": "道路运输经营许可申请表", "required": True, "material_type": "form"},
    {"code": "M02", "name": "授权委托书", "required": False, "condition": "委托办理时"},
]
STEPS = [
    {"name": "受理", "role": "clerk", "budget_days": "1", "assignment": "pool"},
    {"name": "审批", "role": "approver", "budget_days": "5", "assignment": "pool"},
]
FEES = [{"name": "不收费"}]
ROW_DEFAULTS: dict[str, dict[str, Any]] = {
    "materials": {
        "required": True,
        "material_type": "other",
        "form": "electronic",
        "source_channel": "applicant",
        "originals": "0",
        "copies": "0",
    },
    "steps": {"assignment": "pool"},
    "fees": {},
    "special_procedures": {},
}


def editor_post(
    *,
    materials: list[dict[str, Any]] = MATERIALS,
    steps: list[dict[str, Any]] = STEPS,
    fees: list[dict[str, Any]] = FEES,
    procedures: list[dict[str, Any]] = (),  # type: ignore[assignment]
    initial: int = 0,
    **fields: Any,
) -> dict[str, Any]:
    """The POST of the editor: the item's fields, then each list's management form and rows
    (booleans as a checked box or nothing)."""
    data: dict[str, Any] = {**ITEM_FIELDS, **fields}
    lists = {"materials": materials, "steps": steps, "fees": fees, "special_procedures": procedures}
    for key, rows in lists.items():
        data[f"{key}-TOTAL_FORMS"] = str(len(rows))
        data[f"{key}-INITIAL_FORMS"] = str(min(initial, len(rows)))
        data[f"{key}-MIN_NUM_FORMS"] = "0"
        data[f"{key}-MAX_NUM_FORMS"] = "200"
        for index, row in enumerate(rows):
            for name, value in {**ROW_DEFAULTS[key], "position": str(index + 1), **row}.items():
                if value is True:
                    data[f"{key}-{index}-{name}"] = "on"
                elif value is not False:
                    data[f"{key}-{index}-{name}"] = value
    return {name: value for name, value in data.items() if value is not None}


def new_item_post(city: City, code: str = "T-9", **fields: Any) -> dict[str, Any]:
    return editor_post(code=code, basic_code="000138001000", department=city.transport.pk, **fields)


# --- Who may open what ------------------------------------------------------------------

PAGES = {
    "list": ("get", "/workbench/catalog/"),
    "new": ("get", "/workbench/catalog/new/"),
    "review-queue": ("get", "/workbench/catalog/review/"),
    "figures": ("get", "/workbench/catalog/figures/"),
    "item-transport": ("get", "/workbench/catalog/items/T-1/"),
    "item-market": ("get", "/workbench/catalog/items/M-1/"),
    "edit-transport": ("get", "/workbench/catalog/items/T-2/v1/edit/"),
    "review-transport": ("get", "/workbench/catalog/items/T-3/v1/review/"),
    # POSTs that are refused by their form (nothing changes) where they are allowed.
    "post-new": ("post", "/workbench/catalog/new/"),
    "post-edit-transport": ("post", "/workbench/catalog/items/T-2/v1/edit/"),
    "post-adjust-transport": ("post", "/workbench/catalog/items/T-1/draft/adjust/"),
    "post-adjust-market": ("post", "/workbench/catalog/items/M-1/draft/adjust/"),
    "post-review-transport": ("post", "/workbench/catalog/items/T-3/v1/review/"),
    "post-submit-market": ("post", "/workbench/catalog/items/M-1/v1/submit/"),
    "post-discard-market": ("post", "/workbench/catalog/items/M-1/v1/discard/"),
}
NOBODY = dict.fromkeys(PAGES, 403)
MATRIX: dict[str, dict[str, int]] = {
    "anonymous": dict.fromkeys(PAGES, 302),
    "applicant": NOBODY,
    "transport_clerk": NOBODY,
    "supervisor": {**NOBODY, "figures": 200},
    "transport_admin": {
        **dict.fromkeys(PAGES, 200),
        "review-queue": 403,
        "item-market": 404,
        "review-transport": 403,
        "post-adjust-market": 404,
        "post-review-transport": 403,
        "post-submit-market": 404,
        "post-discard-market": 404,
    },
    "market_admin": {
        **dict.fromkeys(PAGES, 200),
        "review-queue": 403,
        "item-transport": 404,
        "edit-transport": 404,
        "review-transport": 403,
        "post-edit-transport": 404,
        "post-adjust-transport": 404,
        "post-review-transport": 403,
        # Its own published version: the action refuses (409) and the page says why.
        "post-submit-market": 302,
        "post-discard-market": 302,
    },
    "centre_admin": {
        **dict.fromkeys(PAGES, 200),
        "new": 403,
        "post-new": 403,
        "edit-transport": 403,
        "post-edit-transport": 403,
        "post-adjust-transport": 403,
        "post-adjust-market": 403,
        "post-submit-market": 403,
        "post-discard-market": 403,
    },
}


def _snapshot() -> tuple[Any, ...]:
    return (
        list(ItemVersion.objects.order_by("pk").values_list("pk", "state", "name")),
        ServiceItem.objects.count(),
        AuditEvent.objects.filter(action__startswith="item.").count(),
    )


@pytest.mark.parametrize("caller", list(MATRIX))
def test_permission_matrix(client: Client, catalogue: City, caller: str) -> None:
    city = catalogue
    user = None if caller == "anonymous" else getattr(city, caller)
    as_user(client, user)
    before = _snapshot()
    for name, (method, url) in PAGES.items():
        response = client.get(url) if method == "get" else client.post(url, {"decision": "return"})
        assert response.status_code == MATRIX[caller][name], (caller, name, response.status_code)
    assert _snapshot() == before


def test_anonymous_is_sent_to_the_workbench_login(client: Client, catalogue: City) -> None:
    response = client.get("/workbench/catalog/items/T-1/")
    assert response["Location"] == "/workbench/login/?next=/workbench/catalog/items/T-1/"


def test_unknown_items_and_versions_are_404(client: Client, catalogue: City) -> None:
    as_user(client, catalogue.transport_admin)
    assert client.get("/workbench/catalog/items/NOPE/").status_code == 404
    assert client.get("/workbench/catalog/items/T-2/v7/edit/").status_code == 404
    assert client.post("/workbench/catalog/items/T-1/draft/rename/").status_code == 404


def test_sections_appear_for_the_roles_that_may_open_them(client: Client, catalogue: City) -> None:
    def links(user: User) -> list[str]:
        html = as_user(Client(), user).get("/workbench/").content.decode()
        return [label for label in ("事项管理", "事项审核", "事项监督") if f">{label}</a>" in html]

    assert links(catalogue.transport_admin) == ["事项管理", "事项监督"]
    assert links(catalogue.centre_admin) == ["事项管理", "事项审核", "事项监督"]
    assert links(catalogue.supervisor) == ["事项监督"]
    assert links(catalogue.transport_clerk) == []


# --- Drafting a new item ----------------------------------------------------------------


def test_a_new_item_through_the_editor(client: Client, city: City) -> None:
    as_user(client, city.transport_admin)
    page = client.get("/workbench/catalog/new/").content.decode()
    assert '<option value="D01" selected>' not in page  # departments are chosen by pk
    assert f'<option value="{city.transport.pk}" selected>市交通运输局</option>' in page
    assert (
        "市市场监督管理局</option>" not in page.split('id="id_department"')[1].split("</select>")[0]
    )

    response = client.post("/workbench/catalog/new/", new_item_post(city))

    version = ItemVersion.objects.get(item__code="T-9")
    assert response.status_code == 302
    assert response["Location"] == "/workbench/catalog/items/T-9/"
    assert (version.state, version.number, version.change_kind) == ("draft", 1, "new")
    assert version.item.basic_code == "000138001000"
    content = content_of(version)
    assert [(m["code"], m["required"], m["condition"]) for m in content["materials"]] == [
        ("M01", True, ""),
        ("M02", False, "委托办理时"),
    ]
    assert content["materials"][0]["material_type"] == "form"
    assert [(s["order"], s["name"], s["role"], s["budget_days"]) for s in content["steps"]] == [
        (1, "受理", "clerk", 1),
        (2, "审批", "approver", 5),
    ]
    assert content["fees"] == [{"name": "不收费", "standard": "", "basis": "", "reducible": False}]
    assert content["form_schema"] == FORM
    assert content["guide"] == {
        "place": "市政务服务中心二楼",
        "consultation_phone": "0813-12345",
        "supports_appointment": True,
        "themes_legal_person": ["设立变更", "准营准办"],
    }
    assert content["online_service_level"] == "4"
    assert content["service_objects"] == ["2", "5"]
    assert list(
        AuditEvent.objects.filter(action__startswith="item.").values_list("action", flat=True)
    ) == ["item.draft"]
    follow = client.get(response["Location"]).content.decode()
    assert "草稿已保存。" in follow
    assert "编辑草稿" in follow


def test_errors_are_shown_beside_their_fields_and_nothing_is_saved(
    client: Client, city: City
) -> None:
    as_user(client, city.transport_admin)
    data = new_item_post(
        city,
        materials=[
            {"code": "M01", "name": "申请表"},
            {"code": "M01", "name": "授权委托书", "required": False},
        ],
        steps=[{"name": "受理", "role": "clerk", "budget_days": "一天"}],
        legal_limit_days="",
        form_schema='{"type": "object",',
    )
    response = client.post("/workbench/catalog/new/", data)

    html = response.content.decode()
    assert response.status_code == 200
    assert not ServiceItem.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="item.").exists()
    summary = html.split('class="error-summary"')[1].split("</div>")[0]
    assert '<a href="#id_legal_limit_days">请填写法定办结时限。</a>' in summary
    assert (
        '<a href="#id_form_schema">电子表单（JSON Schema）：电子表单不是有效的 JSON：'
        "第 1 行第 19 列附近有语法错误。</a>"
    ) in summary
    assert '<a href="#id_materials-1-code">材料 2 · 材料编码“M01”重复。</a>' in summary
    assert (
        '<a href="#id_materials-1-condition">'
        "材料 2 · 提交情形：非必要材料须写明在什么情形下提交。</a>"
    ) in summary
    assert '<a href="#id_steps-0-budget_days">环节 1 · 环节时限（工作日）应为整数。</a>' in summary
    # The same messages beside the fields, each described by its error.
    assert (
        '<p class="error-message" id="id_materials-1-code_error"><span class="visually-hidden">'
        "错误：</span>材料编码“M01”重复。</p>"
    ) in html
    assert 'aria-describedby="id_materials-1-code_error"' in html
    assert 'id="id_steps-0-budget_days_error"' in html
    # Once only: the domain does not add 请填写 to a field that did not parse.
    assert html.count("请填写法定办结时限。") == 2  # in the summary and beside the field
    # What was typed is kept.
    assert 'value="授权委托书"' in html


def test_a_duplicate_item_code_is_refused_beside_the_code(client: Client, catalogue: City) -> None:
    as_user(client, catalogue.transport_admin)
    before = _snapshot()
    response = client.post("/workbench/catalog/new/", new_item_post(catalogue, code="T-1"))
    assert '<a href="#id_code">实施编码“T-1”已存在。</a>' in response.content.decode()
    assert _snapshot() == before


def test_rows_are_reordered_removed_and_checked_in_the_editor(client: Client, city: City) -> None:
    draft(city, "T-2")
    as_user(client, city.transport_admin)
    materials: list[dict[str, Any]] = [
        {"code": "M01", "name": "申请表", "position": "3"},
        {"code": "M02", "name": "营业执照", "position": "1"},
        {"code": "M03", "name": "授权委托书", "remove": True},
        {"code": "M04", "name": "车辆清单", "position": "2"},
        {},  # the blank row left as it came
    ]
    steps = [
        {"name": "受理", "role": "clerk", "budget_days": "1", "assignment": "person"},
        {"name": "审批", "role": "approver", "budget_days": "5"},
    ]
    data = editor_post(initial=3, materials=materials, steps=steps)
    data["steps-0-assignee"] = "nobody"
    response = client.post(edit_url("T-2"), data)
    assert '<a href="#id_steps-0-assignee">环节 1 · 指定人员（用户名）：' in (
        response.content.decode()
    )
    assert "指定人员分派须填写一个存在的用户名。" in response.content.decode()
    assert [m.code for m in Material.objects.order_by("order")] == ["M01", "M02", "M03"]

    data["steps-0-assignee"] = "transport_clerk"
    assert client.post(edit_url("T-2"), data).status_code == 302
    version = ItemVersion.objects.get()
    assert [m.code for m in version.materials.order_by("order")] == ["M02", "M04", "M01"]
    step = version.steps.get(order=1)
    assert (step.assignment, step.assignee) == ("person", city.transport_clerk)
    event = AuditEvent.objects.get(action="item.update_draft")
    # What the page changed besides the rows: the fields ITEM_FIELDS sets differently.
    assert sorted(event.after or {}) == [
        "guide",
        "legal_limit_note",
        "materials",
        "special_procedures",
        "steps",
    ]


# --- Files ------------------------------------------------------------------------------


def edit_url(code: str, number: int = 1) -> str:
    return f"/workbench/catalog/items/{code}/v{number}/edit/"


def test_upload_a_blank_form_with_the_draft(client: Client, city: City) -> None:
    as_user(client, city.transport_admin)
    data = new_item_post(city)
    data["materials-0-blank_form"] = SimpleUploadedFile("申请表.pdf", PDF)
    data["result_sample"] = SimpleUploadedFile("许可证样本.pdf", PDF)
    response = client.post("/workbench/catalog/new/", data)

    assert response.status_code == 302
    version = ItemVersion.objects.get(item__code="T-9")
    files = sorted(
        CatalogFile.objects.filter(version=version).values_list(
            "kind", "material__code", "name", "content_type", "size"
        )
    )
    assert files == [
        ("blank_form", "M01", "申请表.pdf", "application/pdf", len(PDF)),
        ("result_sample", None, "许可证样本.pdf", "application/pdf", len(PDF)),
    ]
    page = client.get(edit_url("T-9")).content.decode()
    assert "空白表格：<a href=" in page
    assert ">申请表.pdf</a>" in page

    # Removing it through the same editor; keeping the other.
    data = editor_post(initial=2)
    data["materials-0-remove_blank_form"] = "on"
    assert client.post(edit_url("T-9"), data).status_code == 302
    assert list(CatalogFile.objects.values_list("kind", flat=True)) == ["result_sample"]
    assert AuditEvent.objects.filter(action="item.remove_file").count() == 1


def test_an_exe_renamed_pdf_is_refused_and_nothing_is_saved(client: Client, city: City) -> None:
    version = draft(city, "T-2")
    as_user(client, city.transport_admin)
    data = editor_post(initial=2, name="新名称")
    data["materials-1-blank_form"] = SimpleUploadedFile("表格.pdf", EXE)
    response = client.post(edit_url("T-2"), data)

    html = response.content.decode()
    message = (
        "不支持该文件类型（按文件内容识别），"
        "请上传 PDF、JPEG 图片、PNG 图片、Word 文档、Excel 表格。"
    )
    assert response.status_code == 200
    assert f'<a href="#id_materials-1-blank_form">材料 2 · 上传空白表格：{message}</a>' in html
    assert (
        f'id="id_materials-1-blank_form_error"><span class="visually-hidden">错误：</span>{message}'
        in html
    )
    version.refresh_from_db()
    assert version.name == "道路运输经营许可证核发"
    assert not CatalogFile.objects.exists()
    assert not AuditEvent.objects.filter(action="item.update_draft").exists()


# --- Submission, review, publication ----------------------------------------------------


def test_submission_problems_are_shown_in_the_editor(client: Client, city: City) -> None:
    version = actions.do_draft_item(
        actor=city.transport_admin,
        code="T-2",
        department=city.transport,
        content=item_content(steps=[], promised_limit_days=30, form_schema={"type": "array"}),
    )
    as_user(client, city.transport_admin)
    response = client.post("/workbench/catalog/items/T-2/v1/submit/")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<a href="#steps-section">审批流程：审批流程至少需要一个环节。</a>' in html
    assert (
        '<a href="#id_promised_limit_days">承诺办结时限（30）不能超过法定办结时限（20）。</a>'
    ) in html
    assert (
        '<a href="#id_form_schema">电子表单（JSON Schema）：电子表单的根类型应为 object。</a>'
        in html
    )
    assert 'id="id_promised_limit_days_error"' in html
    version.refresh_from_db()
    assert version.state == "draft"


def test_save_and_submit_then_return_then_approve_now(client: Client, city: City) -> None:
    as_user(client, city.transport_admin)
    data = new_item_post(city, then="submit")
    response = client.post("/workbench/catalog/new/", data)
    assert response.status_code == 302
    version = ItemVersion.objects.get(item__code="T-9")
    assert (version.state, version.warning_threshold_days) == ("in_review", 2)
    # The department cannot edit it while in review.
    response = client.get(edit_url("T-9"))
    assert response["Location"] == "/workbench/catalog/items/T-9/"
    assert "第 1 版待审核，只有草稿可以修改。" in client.get(response["Location"]).content.decode()

    reviewer = as_user(Client(), city.centre_admin)
    queue = reviewer.get("/workbench/catalog/review/").content.decode()
    assert 'href="/workbench/catalog/items/T-9/v1/review/"' in queue
    review_url = "/workbench/catalog/items/T-9/v1/review/"
    response = reviewer.post(review_url, {"decision": "return", "return-note": " "})
    assert response.status_code == 200
    assert '<a href="#id_return-note">请填写退回原因。</a>' in response.content.decode()
    response = reviewer.post(review_url, {"decision": "return", "return-note": "法律依据条款有误"})
    assert response["Location"] == "/workbench/catalog/review/"
    version.refresh_from_db()
    assert (version.state, version.review_note) == ("draft", "法律依据条款有误")
    assert (
        "中心退回意见：法律依据条款有误"
        in client.get("/workbench/catalog/items/T-9/").content.decode()
    )

    assert client.post("/workbench/catalog/items/T-9/v1/submit/").status_code == 302
    today = timezone.localdate()
    response = reviewer.post(
        review_url,
        {"decision": "approve", "approve-effective_on": today.isoformat(), "approve-note": "同意"},
    )
    assert response.status_code == 302
    version.refresh_from_db()
    assert (version.state, version.effective_on, version.reviewed_by) == (
        "published",
        today,
        city.centre_admin,
    )
    assert ItemChange.objects.get().event == "published"
    page = client.get("/workbench/catalog/items/T-9/").content.decode()
    assert f"现行第 1 版，{today:%Y-%m-%d} 起施行。" in page
    for line in (
        "起草事项",
        "提交事项审核",
        "退回事项草稿",
        "退回原因：法律依据条款有误",
        "发布事项",
    ):
        assert line in page


def test_approve_with_a_future_date_waits_as_scheduled(client: Client, city: City) -> None:
    submitted(city, "T-3")
    reviewer = as_user(client, city.centre_admin)
    later = timezone.localdate() + timedelta(days=10)
    response = reviewer.post(
        "/workbench/catalog/items/T-3/v1/review/",
        {"decision": "approve", "approve-effective_on": later.isoformat()},
    )
    assert response.status_code == 302
    assert (
        f"T-3 第 1 版审核通过，将于 {later:%Y-%m-%d} 生效。"
        in reviewer.get(response["Location"]).content.decode()
    )
    version = ItemVersion.objects.get(item__code="T-3")
    assert (version.state, version.effective_on) == ("scheduled", later)
    listing = reviewer.get("/workbench/catalog/?state=scheduled").content.decode()
    assert '<span class="state state-scheduled">待生效</span> 第 1 版（新增）' in listing
    item = reviewer.get("/workbench/catalog/items/T-3/").content.decode()
    assert f"已审核通过，将于 {later:%Y-%m-%d} 生效" in item


def test_an_effective_date_in_the_past_is_refused_beside_the_date(
    client: Client, city: City
) -> None:
    submitted(city, "T-3")
    reviewer = as_user(client, city.centre_admin)
    yesterday = timezone.localdate() - timedelta(days=1)
    response = reviewer.post(
        "/workbench/catalog/items/T-3/v1/review/",
        {"decision": "approve", "approve-effective_on": yesterday.isoformat()},
    )
    assert '<a href="#id_approve-effective_on">生效日期不能早于今天。</a>' in (
        response.content.decode()
    )
    assert ItemVersion.objects.get(item__code="T-3").state == "in_review"


# --- New versions of a published item ---------------------------------------------------


def test_adjust_then_edit_shows_what_changed(client: Client, city: City) -> None:
    published_item(city, "T-1")
    as_user(client, city.transport_admin)
    response = client.post(
        "/workbench/catalog/items/T-1/draft/adjust/", {"adjust-change_reason": ""}
    )
    assert response.status_code == 200
    assert '<a href="#id_adjust-change_reason">请填写变更原因。</a>' in (response.content.decode())
    assert ItemVersion.objects.count() == 1

    response = client.post(
        "/workbench/catalog/items/T-1/draft/adjust/", {"adjust-change_reason": "压缩承诺时限"}
    )
    assert response["Location"] == edit_url("T-1", 2)
    page = client.get(edit_url("T-1", 2)).content.decode()
    assert "压缩承诺时限</textarea>" in page  # the reason is edited with the draft
    materials: list[dict[str, Any]] = [
        {"code": "M01", "name": "道路运输经营许可申请表", "material_type": "form"},
        {"code": "M03", "name": "授权委托书", "required": False, "condition": "委托办理时"},
    ]
    steps = [
        {"name": "受理", "role": "clerk", "budget_days": "1"},
        {"name": "审核", "role": "reviewer", "budget_days": "3"},
        {"name": "审批", "role": "approver", "budget_days": "4"},
    ]
    data = editor_post(
        initial=3,
        materials=materials,
        steps=steps,
        promised_limit_days="8",
        change_reason="压缩承诺时限，精简材料",
    )
    response = client.post(edit_url("T-1", 2), data)
    assert response.status_code == 302, response.context["summary"]
    version = ItemVersion.objects.get(item__code="T-1", number=2)
    assert (version.change_reason, version.promised_limit_days) == ("压缩承诺时限，精简材料", 8)
    page = client.get("/workbench/catalog/items/T-1/").content.decode()
    for line in (
        "承诺办结时限：10 → 8",
        "删除材料 M02（营业执照）",
        "修改环节 2（审核）：时限 5 → 3",
        "修改事项草稿",
    ):
        assert line in page, line


def test_cancel_an_item_through_the_pages(client: Client, city: City) -> None:
    published_item(city, "T-1")
    as_user(client, city.transport_admin)
    response = client.post(
        "/workbench/catalog/items/T-1/draft/cancel/", {"cancel-change_reason": "法规废止"}
    )
    assert response["Location"] == "/workbench/catalog/items/T-1/"
    assert client.post("/workbench/catalog/items/T-1/v2/submit/").status_code == 302
    reviewer = as_user(Client(), city.centre_admin)
    page = reviewer.get("/workbench/catalog/items/T-1/v2/review/").content.decode()
    assert "本版本取消该事项" in page
    reviewer.post(
        "/workbench/catalog/items/T-1/v2/review/",
        {"decision": "approve", "approve-effective_on": timezone.localdate().isoformat()},
    )
    assert list(ItemVersion.objects.order_by("number").values_list("state", flat=True)) == [
        "superseded",
        "cancelled",
    ]
    listing = client.get("/workbench/catalog/?state=cancelled").content.decode()
    assert "事项：共 1 项" in listing


def test_delegate_to_a_lower_level_department(client: Client, city: City) -> None:
    county = Department.objects.create(code="D11", name="某县交通运输局", level=Level.COUNTY)
    published_item(city, "T-1")
    as_user(client, city.transport_admin)
    page = client.get("/workbench/catalog/items/T-1/").content.decode()
    options = page.split('id="id_delegate-department"')[1].split("</select>")[0]
    assert f'<option value="{county.pk}">某县交通运输局</option>' in options
    assert "市市场监督管理局" not in options  # the same level

    response = client.post(
        "/workbench/catalog/items/T-1/draft/delegate/",
        {"delegate-change_reason": "下放县级", "delegate-department": city.market.pk},
    )
    assert "承接事项的下级部门的选项无效，请从列表中选择。" in response.content.decode()
    response = client.post(
        "/workbench/catalog/items/T-1/draft/delegate/",
        {"delegate-change_reason": "下放县级", "delegate-department": county.pk},
    )
    assert response.status_code == 302
    version = ItemVersion.objects.get(number=2)
    assert (version.change_kind, version.department) == ("delegate", county)
    assert "下放至：某县交通运输局" in client.get("/workbench/catalog/items/T-1/").content.decode()


def test_a_page_without_lower_departments_offers_no_delegation(client: Client, city: City) -> None:
    published_item(city, "T-1")
    page = as_user(client, city.transport_admin).get("/workbench/catalog/items/T-1/")
    html = page.content.decode()
    assert "起草调整事项" in html
    assert "起草取消事项" in html
    assert "起草下放事项" not in html


def test_discard_a_new_item(client: Client, city: City) -> None:
    draft(city, "T-2")
    as_user(client, city.transport_admin)
    response = client.post("/workbench/catalog/items/T-2/v1/discard/")
    assert response["Location"] == "/workbench/catalog/"
    assert not ServiceItem.objects.exists()
    assert "已删除第 1 版草稿。" in client.get("/workbench/catalog/").content.decode()


def test_discard_an_adjustment_keeps_the_item(client: Client, city: City) -> None:
    published_item(city, "T-1")
    actions.do_draft_item(
        actor=city.transport_admin, code="T-1", kind="adjust", change_reason="试调整"
    )
    as_user(client, city.transport_admin)
    response = client.post("/workbench/catalog/items/T-1/v2/discard/")
    assert response["Location"] == "/workbench/catalog/items/T-1/"
    assert list(ItemVersion.objects.values_list("number", "state")) == [(1, "published")]


def test_discarding_a_version_in_review_is_refused_with_its_reason(
    client: Client, city: City
) -> None:
    submitted(city, "T-3")
    as_user(client, city.transport_admin)
    response = client.post("/workbench/catalog/items/T-3/v1/discard/", follow=True)
    assert "只能删除草稿；待审核的版本请先由中心退回。" in response.content.decode()
    assert ItemVersion.objects.get().state == "in_review"


# --- Lists and their cost ---------------------------------------------------------------


def test_the_list_filters_on_the_server(client: Client, catalogue: City) -> None:
    actions.do_draft_item(
        actor=catalogue.transport_admin,
        code="T-4",
        department=catalogue.transport,
        content=item_content(name="出租汽车驾驶员从业资格证核发", type="20"),
    )
    as_user(client, catalogue.centre_admin)

    def codes(query: str) -> list[str]:
        response = client.get(f"/workbench/catalog/?{query}")
        return [row["item"].code for row in response.context["rows"]]

    assert codes("") == ["M-1", "T-1", "T-2", "T-3", "T-4"]
    assert codes("department=D02") == ["M-1"]
    assert codes("state=published") == ["M-1", "T-1"]
    assert codes("state=draft") == ["T-2", "T-4"]
    assert codes("state=in_review") == ["T-3"]
    assert codes("type=20") == ["T-4"]
    assert codes("q=出租") == ["T-4"]
    assert codes("q=t-3") == ["T-3"]
    assert codes("state=bogus") == ["M-1", "T-1", "T-2", "T-3", "T-4"]
    transport = as_user(Client(), catalogue.transport_admin)
    response = transport.get("/workbench/catalog/")
    assert [row["item"].code for row in response.context["rows"]] == ["T-1", "T-2", "T-3", "T-4"]
    assert "department" not in response.context["form"].fields


def test_the_list_paginates(client: Client, city: City) -> None:
    for n in range(52):
        draft(city, f"T-{n:02d}")
    as_user(client, city.transport_admin)
    first = client.get("/workbench/catalog/?state=draft")
    second = client.get("/workbench/catalog/?state=draft&page=2")
    assert len(first.context["rows"]) == 50
    assert [row["item"].code for row in second.context["rows"]] == ["T-50", "T-51"]
    assert 'href="?state=draft&amp;page=2">下一页</a>' in first.content.decode()


def count_queries(client: Client, url: str) -> int:
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_the_list_costs_the_same_queries_for_many_items(client: Client, city: City) -> None:
    as_user(client, city.centre_admin)
    draft(city, "T-1")
    few = count_queries(client, "/workbench/catalog/")
    for n in range(2, 12):
        published_item(city, f"T-{n}")
    market_item(city)
    many = count_queries(client, "/workbench/catalog/")
    assert few == many == 7


def test_the_item_page_costs_the_same_queries_for_a_long_history(
    client: Client, city: City
) -> None:
    as_user(client, city.transport_admin)
    published_item(city, "T-1")
    few = count_queries(client, "/workbench/catalog/items/T-1/")
    for reason in ("第一次调整", "第二次调整", "第三次调整"):
        version = actions.do_draft_item(
            actor=city.transport_admin, code="T-1", kind="adjust", change_reason=reason
        )
        actions.do_update_draft(
            version,
            actor=city.transport_admin,
            content=item_content(name=f"道路运输经营许可证核发（{reason}）"),
        )
        actions.do_submit_for_review(version, actor=city.transport_admin)
        actions.do_review(version, actor=city.centre_admin, approve=True)
    many = count_queries(client, "/workbench/catalog/items/T-1/")
    assert few == many == 13


def test_the_review_queue_lists_the_oldest_submission_first(client: Client, city: City) -> None:
    submitted(city, "T-3")
    submitted(city, "T-1")
    version = market_item(city, "M-1")
    adjust = actions.do_draft_item(
        actor=city.market_admin, code="M-1", kind="adjust", change_reason="调整收费"
    )
    actions.do_submit_for_review(adjust, actor=city.market_admin)
    assert version.state == "published"
    response = as_user(client, city.centre_admin).get("/workbench/catalog/review/")
    rows = [(v.item.code, v.number, v.change_kind) for v in response.context["page"]]
    assert rows == [("T-3", 1, "new"), ("T-1", 1, "new"), ("M-1", 2, "adjust")]
    assert "调整收费" in response.content.decode()


def test_the_review_queue_costs_the_same_queries_for_many_versions(
    client: Client, city: City
) -> None:
    as_user(client, city.centre_admin)
    submitted(city, "T-1")
    few = count_queries(client, "/workbench/catalog/review/")
    for n in range(2, 8):
        submitted(city, f"T-{n}")
    market = actions.do_draft_item(
        actor=city.market_admin, code="M-1", department=city.market, content=item_content()
    )
    actions.do_submit_for_review(market, actor=city.market_admin)
    many = count_queries(client, "/workbench/catalog/review/")
    assert few == many == 6


# --- Figures ------------------------------------------------------------------------------


def test_the_figures_page(client: Client, catalogue: City) -> None:
    page = as_user(client, catalogue.supervisor).get("/workbench/catalog/figures/")
    html = page.content.decode()
    departments = [
        (d.code, d.published, str(d.online_rate)) for d in page.context["figures"].departments
    ]
    assert departments == [("D01", 1, "100.0%"), ("D02", 1, "100.0%")]
    assert '<th scope="row" data-label="实施部门">合计</th>' in html
    assert 'id="catalog-figures-data"' in html
    assert "受理时间、监督投诉电话、审批结果名称" in html
    # A department admin reads their own department only.
    own = as_user(Client(), catalogue.market_admin).get("/workbench/catalog/figures/")
    assert [d.code for d in own.context["figures"].departments] == ["D02"]
    assert [item.code for item, _ in own.context["rows"]] == ["M-1"]
    assert own.context["rows"][0][1] == "/workbench/catalog/items/M-1/"
    # Filtering the incomplete items by department.
    filtered = client.get("/workbench/catalog/figures/?department=D02")
    assert [item.code for item, _ in filtered.context["rows"]] == ["M-1"]


def test_the_figures_page_costs_the_same_queries_for_more_departments(
    client: Client, city: City
) -> None:
    as_user(client, city.supervisor)
    published_item(city, "T-1")
    few = count_queries(client, "/workbench/catalog/figures/")
    for n in range(5):
        published_item(city, f"T-{n + 2}")
        market_item(city, f"M-{n}")
    many = count_queries(client, "/workbench/catalog/figures/")
    assert few == many == 6


# --- The admin ----------------------------------------------------------------------------


def test_the_admin_keeps_levels_and_shows_versions_read_only(rf: Any, city: City) -> None:
    assert OnlineServiceLevel in admin_site._registry
    for model in (ItemVersion, ServiceItem):
        model_admin = admin_site._registry[model]
        request = rf.get("/admin/")
        request.user = User(is_superuser=True, is_staff=True)
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)
    assert Material not in admin_site._registry
    assert WorkflowStep not in admin_site._registry


def test_save_and_submit_keeps_the_draft_when_it_cannot_go_to_review(
    client: Client, city: City
) -> None:
    as_user(client, city.transport_admin)
    data = new_item_post(city, promised_limit_days="30", then="submit")
    data["materials-0-blank_form"] = SimpleUploadedFile("申请表.pdf", PDF)
    response = client.post("/workbench/catalog/new/", data)

    html = response.content.decode()
    assert response.status_code == 200
    assert "草稿已保存，但还不能提交审核，请修改以下问题后再提交。" in html
    assert (
        '<a href="#id_promised_limit_days">承诺办结时限（30）不能超过法定办结时限（20）。</a>'
        in html
    )
    assert 'action="/workbench/catalog/items/T-9/v1/edit/"' in html  # the form now edits it
    version = ItemVersion.objects.get(item__code="T-9")
    assert (version.state, version.promised_limit_days) == ("draft", 30)
    assert CatalogFile.objects.get().name == "申请表.pdf"
    assert 'value="30"' in html


def test_the_centre_keeps_online_levels_in_the_admin_audited(client: Client, db: None) -> None:
    admin = User.objects.create_superuser("root", password="a-long-admin-password")
    client.force_login(admin)
    assert client.get("/admin/catalog/onlineservicelevel/").status_code == 200
    response = client.post(
        "/admin/catalog/onlineservicelevel/add/",
        {"code": "5", "label": "五级", "description": "", "order": "5", "sign_in_hours": "2"},
    )
    assert response.status_code == 302
    level = OnlineServiceLevel.objects.get(code="5")
    response = client.post(
        "/admin/catalog/onlineservicelevel/5/change/",
        {"label": "五级（全程网办）", "description": "", "order": "5", "sign_in_hours": "2"},
    )
    assert response.status_code == 302
    events = AuditEvent.objects.filter(action="catalog.level_save").order_by("id")
    assert [(e.object_id, e.before, e.after) for e in events] == [
        (
            "5",
            None,
            {
                "code": "5",
                "label": "五级",
                "description": "",
                "order": 5,
                "sign_in_hours": 2,
                "reply_working_days": None,
            },
        ),
        ("5", {"label": "五级"}, {"label": "五级（全程网办）"}),
    ]
    client.post("/admin/catalog/onlineservicelevel/5/delete/", {"post": "yes"})
    assert not OnlineServiceLevel.objects.filter(pk=level.pk).exists()
    deleted = AuditEvent.objects.get(action="catalog.level_delete")
    assert deleted.before is not None
    assert deleted.before["label"] == "五级（全程网办）"
