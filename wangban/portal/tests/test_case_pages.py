"""The applicant's case pages: apply in four steps (who applies, the form, the materials,
check and submit), 我的办件, the case with its timeline and notices, correct and resubmit,
withdraw. Each page's happy path, its refusals (wrong state 409, bad input 400/413/415),
and that a refusal changed nothing."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wangban.accounts.models import AgentGrant
from wangban.accounts.tests.helpers import register, resident_id, verified
from wangban.audit.models import AuditEvent
from wangban.cases import actions, documents
from wangban.cases.models import Case, CaseDocument, CaseEvent, CaseMaterial
from wangban.cases.tests.helpers import FORM, at
from wangban.catalog.tests.helpers import CODE, published_item
from wangban.conftest import City, with_verified_identity
from wangban.portal.tests.cases_world import (
    EXE,
    World,
    accepted,
    attach,
    build_world,
    corrected,
    draft,
    page_text,
    pdf,
    signed_in,
    submitted,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def world(city: City) -> World:
    return build_world(city)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


# --- Step 1: who applies ---------------------------------------------------------------------


def test_apply_start_says_what_is_needed_and_who_may_apply(world: World, client: Client) -> None:
    response = signed_in(client, world.owner).get(f"/items/{CODE}/apply/")
    html = response.content.decode()
    text = page_text(response)
    assert response.status_code == 200
    assert "第 1 步，共 4 步" in text
    assert "<h1>在线申请：道路运输经营许可证核发</h1>" in html
    assert "承诺办结时限：10 个工作日" in text
    assert "道路运输经营许可申请表 必需" in text
    assert "授权委托书 非必需 （委托办理时）" in text
    assert "每个文件不超过 20 MB" in text
    assert "本人（张三）" in text
    assert "顺达运输有限公司（统一社会信用代码 91350100M000100Y43）" in text


def test_apply_for_oneself_creates_an_online_draft(world: World, client: Client) -> None:
    response = signed_in(client, world.owner).post(f"/items/{CODE}/apply/", {"applicant": "self"})
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.pk}/apply/form/"
    assert (case.state, case.channel, case.applicant, case.on_behalf_of) == (
        "draft",
        "online",
        world.owner,
        None,
    )
    assert AuditEvent.objects.filter(action="case.create", object_id=case.pk).count() == 1


def test_apply_for_the_company_one_holds(world: World, client: Client) -> None:
    choice = f"lp-{world.company.pk}"
    response = signed_in(client, world.owner).post(f"/items/{CODE}/apply/", {"applicant": choice})
    case = Case.objects.get()
    assert response.status_code == 302
    assert case.on_behalf_of == world.company


def test_an_agent_outside_the_grant_is_offered_only_oneself(world: World, client: Client) -> None:
    signed_in(client, world.agent)
    text = page_text(client.get(f"/items/{CODE}/apply/"))
    assert "本人（王五）" in text
    assert "顺达运输有限公司" not in text
    response = client.post(f"/items/{CODE}/apply/", {"applicant": f"lp-{world.company.pk}"})
    assert response.status_code == 400
    assert "请从列出的申请人中选择。" in page_text(response)
    assert Case.objects.count() == 0


def test_apply_start_without_a_choice_names_the_field(world: World, client: Client) -> None:
    response = signed_in(client, world.owner).post(f"/items/{CODE}/apply/", {})
    html = response.content.decode()
    assert response.status_code == 400
    assert '<a href="#id_applicant_0">请选择由谁申请。</a>' in html
    assert 'id="id_applicant_error"' in html
    assert Case.objects.count() == 0


def test_an_unverified_applicant_is_sent_to_verify_first(city: City, client: Client) -> None:
    published_item(city)
    user = register("newcomer", 5, real_name="赵六")
    signed_in(client, user)
    response = client.get(f"/items/{CODE}/apply/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "请先完成实名认证" in html
    assert 'action="/account/verify/"' in html
    assert 'name="applicant"' not in html
    refused = client.post(f"/items/{CODE}/apply/", {"applicant": "self"})
    assert refused.status_code == 403
    assert Case.objects.count() == 0


def test_items_not_applied_for_online_say_so(city: City, client: Client) -> None:
    published_item(city, online_depth=["1"])
    signed_in(client, verified("zhaoliu", 6))
    response = client.get(f"/items/{CODE}/apply/")
    assert "本事项暂不支持网上申请" in page_text(response)
    assert client.post(f"/items/{CODE}/apply/", {"applicant": "self"}).status_code == 403
    assert Case.objects.count() == 0
    guide = client.get(f"/items/{CODE}/").content.decode()
    assert "在线申请</a>" not in guide


def test_the_guide_links_to_applying_online(world: World, client: Client) -> None:
    html = client.get(f"/items/{CODE}/").content.decode()
    assert f'<a class="button" href="/items/{CODE}/apply/">在线申请</a>' in html


def test_unknown_items_are_404(world: World, client: Client) -> None:
    assert signed_in(client, world.owner).get("/items/NOPE/apply/").status_code == 404


# --- Step 2: the form ------------------------------------------------------------------------


def test_the_form_step_shows_the_saved_answers(world: World, client: Client) -> None:
    case = draft(world.owner)
    response = signed_in(client, world.owner).get(f"/cases/{case.pk}/apply/form/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "第 2 步，共 4 步" in page_text(response)
    assert '<li class="step-current" aria-current="step">填写申请表</li>' in html
    assert 'value="某某运输有限公司"' in html
    assert 'name="action" value="save">保存草稿</button>' in html


def test_save_draft_keeps_an_incomplete_form(world: World, client: Client) -> None:
    case = draft(world.owner, form={})
    response = signed_in(client, world.owner).post(
        f"/cases/{case.pk}/apply/form/", {"company": "顺达运输", "action": "save"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.pk}/apply/form/"
    assert messages_of(response) == ["草稿已保存。您可以稍后在“我的办件”中继续填写。"]
    assert fresh(case).form == {"company": "顺达运输"}


def test_next_needs_the_whole_form_and_saves_nothing_until_then(
    world: World, client: Client
) -> None:
    case = draft(world.owner, form={})
    response = signed_in(client, world.owner).post(
        f"/cases/{case.pk}/apply/form/", {"company": "顺达运输", "action": "next"}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "<title>错误：填写申请表：道路运输经营许可证核发 - 网办</title>" in html
    assert '<a href="#field-vehicles">请填写车辆数。</a>' in html
    assert (
        '<p class="error-message" id="field-vehicles-error"><span class="visually-hidden">错误：'
        "</span>请填写车辆数。</p>"
    ) in html
    assert 'value="顺达运输"' in html  # what was typed is kept on the page
    assert fresh(case).form == {}


def test_next_with_a_valid_form_saves_and_goes_on(world: World, client: Client) -> None:
    case = draft(world.owner, form={})
    response = signed_in(client, world.owner).post(
        f"/cases/{case.pk}/apply/form/", {"company": "顺达运输", "vehicles": "4", "action": "next"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.pk}/apply/materials/"
    assert fresh(case).form == {"company": "顺达运输", "vehicles": 4}
    assert AuditEvent.objects.filter(action="case.update_form").count() == 1


def test_a_form_failing_its_schema_is_refused_even_as_a_draft(world: World, client: Client) -> None:
    case = draft(world.owner)
    response = signed_in(client, world.owner).post(
        f"/cases/{case.pk}/apply/form/", {"company": "顺达", "vehicles": "0", "action": "save"}
    )
    assert response.status_code == 400
    assert '<a href="#field-vehicles">车辆数不能小于 1。</a>' in response.content.decode()
    assert fresh(case).form == FORM
    assert AuditEvent.objects.filter(action="case.update_form").count() == 0


def test_a_submitted_form_cannot_be_edited(world: World, client: Client) -> None:
    case = submitted(world.owner)
    signed_in(client, world.owner)
    page = client.get(f"/cases/{case.pk}/apply/form/")
    assert page.status_code == 409
    assert "该申请当前状态为“已提交”，申请表和材料已不能在这里修改。" in page_text(page)
    response = client.post(
        f"/cases/{case.pk}/apply/form/", {"company": "改过的", "vehicles": "9", "action": "next"}
    )
    assert response.status_code == 409
    assert "没有做任何更改。" in page_text(response)
    assert fresh(case).form == FORM
    for step in ("materials", "check"):
        assert client.get(f"/cases/{case.pk}/apply/{step}/").status_code == 409
    upload = client.post(
        f"/cases/{case.pk}/apply/materials/",
        {"material_code": "M01", "action": "upload", "file": pdf("新.pdf")},
    )
    assert upload.status_code == 409
    assert CaseMaterial.objects.get(case=case, material_code="M01").file_name == "M01.pdf"
    assert client.post(f"/cases/{case.pk}/apply/check/").status_code == 409
    assert CaseEvent.objects.filter(case=case, action="submit").count() == 1


# --- Step 3: materials -----------------------------------------------------------------------


def test_the_materials_step_lists_each_material_and_what_is_missing(
    world: World, client: Client
) -> None:
    case = draft(world.owner)
    attach(case, world.owner, "M01")
    response = signed_in(client, world.owner).get(f"/cases/{case.pk}/apply/materials/")
    html = response.content.decode()
    text = page_text(response)
    assert response.status_code == 200
    assert "第 3 步，共 4 步" in text
    assert "还缺 1 项必需材料" in text
    assert '<li><a href="#material-2-file">营业执照</a></li>' in html
    assert "道路运输经营许可申请表 必需" in text
    assert "授权委托书 非必需" in text
    assert "需要提交的情形：委托办理时" in text
    assert "已提交： M01.pdf" in text
    assert 'enctype="multipart/form-data"' in html
    assert '<input type="hidden" name="material_code" value="M02">' in html


def test_uploading_a_pdf_attaches_it(world: World, client: Client) -> None:
    case = draft(world.owner)
    response = signed_in(client, world.owner).post(
        f"/cases/{case.pk}/apply/materials/",
        {"material_code": "M02", "action": "upload", "file": pdf("营业执照.pdf")},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.pk}/apply/materials/#material-2"
    assert messages_of(response) == ["已提交“营业执照”。"]
    row = CaseMaterial.objects.get(case=case)
    assert (row.material_code, row.file_name, row.content_type) == (
        "M02",
        "营业执照.pdf",
        "application/pdf",
    )


def test_an_oversized_file_is_refused_beside_its_material(
    world: World, client: Client, settings
) -> None:
    settings.WANGBAN_CASE_MATERIAL_MAX_BYTES = 20
    case = draft(world.owner)
    response = signed_in(client, world.owner).post(
        f"/cases/{case.pk}/apply/materials/",
        {"material_code": "M01", "action": "upload", "file": pdf()},
    )
    html = response.content.decode()
    assert response.status_code == 413
    assert '<a href="#material-1-file">文件不能超过 20 字节。</a>' in html
    assert 'id="material-1-file-error"' in html
    assert CaseMaterial.objects.count() == 0


def test_an_executable_renamed_pdf_is_refused(world: World, client: Client) -> None:
    case = draft(world.owner)
    response = signed_in(client, world.owner).post(
        f"/cases/{case.pk}/apply/materials/",
        {"material_code": "M02", "action": "upload", "file": pdf("营业执照.pdf", EXE)},
    )
    assert response.status_code == 415
    assert "不支持该文件类型（按文件内容识别）" in page_text(response)
    assert 'id="material-2-file-error"' in response.content.decode()
    assert CaseMaterial.objects.count() == 0


def test_a_wrong_material_code_is_refused(world: World, client: Client) -> None:
    case = draft(world.owner)
    response = signed_in(client, world.owner).post(
        f"/cases/{case.pk}/apply/materials/",
        {"material_code": "M99", "action": "upload", "file": pdf()},
    )
    assert response.status_code == 400
    assert '<a href="#material-1-file">该事项没有编码为“M99”的申请材料。</a>' in (
        response.content.decode()
    )
    assert CaseMaterial.objects.count() == 0


def test_an_upload_without_a_file_names_the_field(world: World, client: Client) -> None:
    case = draft(world.owner)
    response = signed_in(client, world.owner).post(
        f"/cases/{case.pk}/apply/materials/", {"material_code": "M01", "action": "upload"}
    )
    assert response.status_code == 400
    assert '<a href="#material-1-file">请选择要上传的文件。</a>' in response.content.decode()


def test_a_file_of_an_earlier_case_can_be_reused(world: World, client: Client) -> None:
    earlier = submitted(world.owner)
    source = CaseMaterial.objects.get(case=earlier, material_code="M02")
    case = draft(world.owner)
    signed_in(client, world.owner)
    html = client.get(f"/cases/{case.pk}/apply/materials/").content.decode()
    assert f'<option value="{source.pk}">M02.pdf（营业执照，' in html
    response = client.post(
        f"/cases/{case.pk}/apply/materials/",
        {"material_code": "M02", "action": "reuse", "reuse": str(source.pk)},
    )
    assert response.status_code == 302
    row = CaseMaterial.objects.get(case=case, material_code="M02")
    assert (row.sha256, row.blob) == (source.sha256, source.blob)


def test_files_of_a_case_the_agent_no_longer_holds_are_not_offered(
    world: World, client: Client
) -> None:
    published_item(world.city, code="SECOND-ITEM")
    grant = AgentGrant.objects.get(agent=world.agent)
    grant.item_codes = [CODE, "SECOND-ITEM"]
    grant.save(update_fields=["item_codes"])
    earlier = actions.do_create_case(
        actor=world.agent, item_code="SECOND-ITEM", on_behalf_of=world.company, form=dict(FORM)
    )
    actions.do_attach_material(
        earlier, actor=world.agent, material_code="M01", upload=pdf("并购协议.pdf")
    )
    now = draft(world.agent, on_behalf_of=world.company)
    page = f"/cases/{now.pk}/apply/materials/"
    signed_in(client, world.agent)
    assert "并购协议.pdf" in client.get(page).content.decode()  # offered while it is theirs
    grant.item_codes = [CODE]  # the grant no longer covers that item
    grant.save(update_fields=["item_codes"])
    assert client.get(f"/cases/{earlier.pk}/").status_code == 404
    assert "并购协议.pdf" not in client.get(page).content.decode()


def test_another_applicants_file_cannot_be_reused(world: World, client: Client) -> None:
    theirs = CaseMaterial.objects.filter(case=submitted(world.other)).first()
    assert theirs is not None
    case = draft(world.owner)
    response = signed_in(client, world.owner).post(
        f"/cases/{case.pk}/apply/materials/",
        {"material_code": "M02", "action": "reuse", "reuse": str(theirs.pk)},
    )
    assert response.status_code == 400
    assert "只能复用同一申请人此前办件中的文件。" in page_text(response)
    assert not CaseMaterial.objects.filter(case=case).exists()


@pytest.mark.parametrize("reuse", ["²", "１２", "abc"])
def test_a_reuse_choice_that_is_no_id_is_refused(world: World, client: Client, reuse: str) -> None:
    case = draft(world.owner)
    response = signed_in(client, world.owner).post(
        f"/cases/{case.pk}/apply/materials/",
        {"material_code": "M02", "action": "reuse", "reuse": reuse},
    )
    assert response.status_code == 400
    assert "请选择要使用的文件。" in page_text(response)
    assert not CaseMaterial.objects.filter(case=case).exists()


# --- Step 4: check and submit ----------------------------------------------------------------


def test_the_check_page_lists_answers_materials_and_what_is_missing(
    world: World, client: Client
) -> None:
    case = draft(world.owner, form={"company": "顺达运输"})
    attach(case, world.owner, "M01")
    response = signed_in(client, world.owner).get(f"/cases/{case.pk}/apply/check/")
    html = response.content.decode()
    text = page_text(response)
    assert response.status_code == 200
    assert "第 4 步，共 4 步" in text
    assert "提交前还需补充 2 项" in text
    assert (
        f'<li><a href="/cases/{case.pk}/apply/form/#field-vehicles">申请表：请填写车辆数。</a></li>'
    ) in html
    assert (
        f'<li><a href="/cases/{case.pk}/apply/materials/#material-2-file">'
        "请上传“营业执照”。</a></li>"
    ) in html
    assert "企业名称 顺达运输 修改 ：企业名称" in text
    assert "申请人 本人（张三）" in text


def test_submitting_an_incomplete_application_changes_nothing(world: World, client: Client) -> None:
    case = draft(world.owner)
    attach(case, world.owner, "M01")
    response = signed_in(client, world.owner).post(f"/cases/{case.pk}/apply/check/")
    html = response.content.decode()
    assert response.status_code == 400
    assert "申请还不完整，请按提示补充后再提交。" in html
    assert f'href="/cases/{case.pk}/apply/materials/#material-2-file">请上传“营业执照”。' in html
    assert fresh(case).state == "draft"
    assert not CaseEvent.objects.filter(case=case, action="submit").exists()


def test_submitting_shows_what_happens_next(world: World, client: Client) -> None:
    case = draft(world.owner)
    attach(case, world.owner)
    signed_in(client, world.owner)
    with time_machine.travel(at(2026, 6, 12, 15, 0), tick=False):  # a Friday afternoon
        response = client.post(f"/cases/{case.pk}/apply/check/")
        assert response.status_code == 302
        assert response["Location"] == f"/cases/{case.pk}/apply/submitted/"
        done = client.get(response["Location"])
    text = page_text(done)
    assert fresh(case).state == "submitted"
    assert "申请已提交" in text
    assert "于 2026年6月15日 前答复是否受理" in text
    assert "受理部门（市交通运输局）" in text


def test_the_confirmation_of_a_draft_goes_to_the_case(world: World, client: Client) -> None:
    case = draft(world.owner)
    response = signed_in(client, world.owner).get(f"/cases/{case.pk}/apply/submitted/")
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.pk}/"


# --- 我的办件 ----------------------------------------------------------------------------------


def test_my_cases_lists_own_cases_newest_first_with_state(world: World, client: Client) -> None:
    with time_machine.travel(at(2026, 6, 1, 10, 0)):
        older = submitted(world.owner)
    with time_machine.travel(at(2026, 6, 2, 10, 0)):
        newer = draft(world.owner, on_behalf_of=world.company)
    submitted(world.other)
    response = signed_in(client, world.owner).get("/cases/")
    html = response.content.decode()
    text = page_text(response)
    assert response.status_code == 200
    assert "共 2 件" in text
    assert html.index(f"/cases/{newer.pk}/apply/form/") < html.index(f"/cases/{older.pk}/")
    assert "代顺达运输有限公司申请" in text
    assert '<td data-label="状态"><span class="state state-draft">草稿</span></td>' in html
    assert '<td data-label="状态"><span class="state state-submitted">已提交</span></td>' in html
    assert '<td data-label="收件日期">2026年6月1日</td>' in html


def test_my_cases_filters_by_state_group(world: World, client: Client) -> None:
    draft(world.owner)
    active = submitted(world.owner)
    closed = submitted(world.owner)
    actions.do_withdraw(closed, actor=world.owner, reason="不办了")
    signed_in(client, world.owner)
    for group, expected in (("active", [active]), ("closed", [closed])):
        html = client.get(f"/cases/?state={group}").content.decode()
        assert "共 1 件" in html
        assert f"/cases/{expected[0].pk}/" in html
    assert "共 1 件" in client.get("/cases/?state=draft").content.decode()


def test_an_unknown_state_filter_is_400(world: World, client: Client) -> None:
    response = signed_in(client, world.owner).get("/cases/?state=lost")
    assert response.status_code == 400
    html = response.content.decode()
    assert '<a href="#filter-state">请从列出的办件状态中选择。</a>' in html
    # The message beside the control too, tied to it for screen readers.
    assert 'id="filter-state-error"' in html
    assert 'aria-invalid="true" aria-describedby="filter-state-error"' in html
    # A valid filter marks nothing.
    assert "aria-invalid" not in client.get("/cases/?state=draft").content.decode()


def test_a_clerk_who_applies_sees_only_own_applications(world: World, client: Client) -> None:
    """The clerk's queue (cases_visible_to) is not 我的办件."""
    with_verified_identity(world.clerk, "110101199003070054")
    submitted(world.owner)  # in the clerk's queue
    own = draft(world.clerk)
    html = signed_in(client, world.clerk).get("/cases/").content.decode()
    assert "共 1 件" in html
    assert f"/cases/{own.pk}/apply/form/" in html


def test_my_cases_paginates_with_a_fixed_number_of_queries(world: World, client: Client) -> None:
    for _ in range(21):
        draft(world.owner)
    signed_in(client, world.owner)
    with CaptureQueriesContext(connection) as first:
        response = client.get("/cases/")
    assert response.status_code == 200
    assert "第 1 / 2 页" in page_text(response)
    assert response.content.decode().count("继续填写<span") == 20
    second = client.get("/cases/?page=2")
    assert second.content.decode().count("继续填写<span") == 1
    draft(world.owner)
    with CaptureQueriesContext(connection) as again:
        client.get("/cases/")
    assert len(again) == len(first)


# --- The case page -----------------------------------------------------------------------------


def test_the_case_page_shows_the_reply_date_and_timeline(world: World, client: Client) -> None:
    with time_machine.travel(at(2026, 9, 30, 16, 0), tick=False):  # the day before 国庆节
        case = submitted(world.owner)
    response = signed_in(client, world.owner).get(f"/cases/{case.pk}/")
    text = page_text(response)
    assert response.status_code == 200
    assert "当前状态： 已提交" in text
    assert "答复是否受理的期限 2026年10月8日" in text
    assert "2026年9月30日 16:00 提交申请 （已提交）" in text
    assert "撤回申请" in text
    assert "补正材料</a>" not in response.content.decode()


def test_the_case_page_lists_the_whole_correction_notice(world: World, client: Client) -> None:
    with time_machine.travel(at(2026, 6, 1, 10, 0), tick=False):
        case = corrected(world)
        response = signed_in(client, world.owner).get(f"/cases/{case.pk}/")
    text = page_text(response)
    assert "当前状态： 待补正" in text
    assert "补正期限 2026年6月8日" in text
    assert "请补正以下 2 项材料，期限至 2026年6月8日" in text
    assert "道路运输经营许可申请表 ：申请表缺少法定代表人签字" in text
    assert "营业执照 ：营业执照复印件不清晰" in text
    assert "经办人：transport_clerk" in text
    assert f'href="/cases/{case.pk}/correct/">补正材料</a>' in response.content.decode()


def test_the_case_page_shows_the_receipt_number_after_acceptance(
    world: World, client: Client
) -> None:
    with time_machine.travel(at(2026, 6, 1, 10, 0), tick=False):
        case = accepted(world)
    response = signed_in(client, world.owner).get(f"/cases/{case.pk}/")
    text = page_text(response)
    assert "当前状态： 审查中" in text
    assert "受理编号 D01-20260601-00001" in text
    assert "受理日期 2026年6月1日" in text
    assert "受理 （审查中）" in text


def test_a_rejected_case_shows_the_reason_and_no_actions(world: World, client: Client) -> None:
    case = submitted(world.owner)
    actions.do_reject(case, actor=world.clerk, reason="不属于本部门职责范围")
    response = signed_in(client, world.owner).get(f"/cases/{case.pk}/")
    text = page_text(response)
    assert "不予受理的理由 不属于本部门职责范围" in text
    assert "撤回申请</a>" not in response.content.decode()


# --- Correction --------------------------------------------------------------------------------


def test_the_correction_page_shows_only_the_named_materials(world: World, client: Client) -> None:
    with time_machine.travel(at(2026, 6, 1, 10, 0), tick=False):
        case = corrected(world)
        response = signed_in(client, world.owner).get(f"/cases/{case.pk}/correct/")
    html = response.content.decode()
    text = page_text(response)
    assert response.status_code == 200
    assert "请在 2026年6月8日 前更换补正告知书列出的全部材料" in text
    assert "补正原因： 申请表缺少法定代表人签字" in text
    assert "授权委托书" not in text
    assert "还有 2 项材料未更换" in text
    assert '<input type="hidden" name="material_code" value="M03">' not in html


def test_correct_and_resubmit(world: World, client: Client) -> None:
    with time_machine.travel(at(2026, 6, 1, 10, 0), tick=False):
        case = corrected(world)
    signed_in(client, world.owner)
    with time_machine.travel(at(2026, 6, 3, 9, 0), tick=False):
        for code in ("M01", "M02"):
            response = client.post(
                f"/cases/{case.pk}/correct/",
                {"material_code": code, "action": "upload", "file": pdf(f"新{code}.pdf")},
            )
            assert response.status_code == 302
        assert "全部材料已更换" in page_text(client.get(f"/cases/{case.pk}/correct/"))
        response = client.post(f"/cases/{case.pk}/correct/", {"action": "resubmit"})
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.pk}/"
    assert messages_of(response) == ["补正材料已提交，我们将于2026年6月4日前答复是否受理。"]
    case = fresh(case)
    assert (case.state, case.submission, case.received_on) == ("submitted", 2, date(2026, 6, 3))


def test_resubmitting_before_every_named_material_is_replaced_is_refused(
    world: World, client: Client
) -> None:
    case = corrected(world)
    signed_in(client, world.owner)
    client.post(
        f"/cases/{case.pk}/correct/",
        {"material_code": "M01", "action": "upload", "file": pdf("新.pdf")},
    )
    response = client.post(f"/cases/{case.pk}/correct/", {"action": "resubmit"})
    html = response.content.decode()
    assert response.status_code == 400
    assert '<a href="#material-2-file">请提交“营业执照”。</a>' in html
    assert fresh(case).state == "correction_requested"


def test_a_material_the_notice_does_not_name_cannot_be_changed(
    world: World, client: Client
) -> None:
    case = corrected(world)
    response = signed_in(client, world.owner).post(
        f"/cases/{case.pk}/correct/", {"material_code": "M03", "action": "upload", "file": pdf()}
    )
    assert response.status_code == 409
    assert "补正告知书未要求补正“授权委托书”，不能更换该材料。" in page_text(response)
    assert not CaseMaterial.objects.filter(case=case, material_code="M03").exists()


def test_after_the_due_day_the_correction_page_explains(world: World, client: Client) -> None:
    with time_machine.travel(at(2026, 6, 1, 10, 0), tick=False):
        case = corrected(world)
    with time_machine.travel(at(2026, 6, 9, 10, 0), tick=False):
        text = page_text(signed_in(client, world.owner).get(f"/cases/{case.pk}/correct/"))
    assert "补正期限（2026年6月8日）已过。受理部门可以终止办理本申请" in text


def test_correcting_a_case_that_needs_no_correction_is_409(world: World, client: Client) -> None:
    case = submitted(world.owner)
    signed_in(client, world.owner)
    assert client.get(f"/cases/{case.pk}/correct/").status_code == 409
    response = client.post(
        f"/cases/{case.pk}/correct/", {"material_code": "M01", "action": "upload", "file": pdf()}
    )
    assert response.status_code == 409
    assert "不需要补正材料" in page_text(response)
    assert CaseMaterial.objects.get(case=case, material_code="M01").file_name == "M01.pdf"


# --- Withdrawal --------------------------------------------------------------------------------


def test_a_draft_is_withdrawn_without_a_reason(world: World, client: Client) -> None:
    case = draft(world.owner)
    signed_in(client, world.owner)
    page = client.get(f"/cases/{case.pk}/withdraw/")
    assert "确定要撤回这项申请吗？" in page_text(page)
    assert "（选填）" in page_text(page)
    response = client.post(f"/cases/{case.pk}/withdraw/", {"reason": ""})
    assert response.status_code == 302
    assert messages_of(response) == ["申请已撤回。"]
    assert fresh(case).state == "withdrawn"


def test_a_filed_application_needs_a_reason_to_withdraw(world: World, client: Client) -> None:
    case = submitted(world.owner)
    signed_in(client, world.owner)
    assert "（必填）" in page_text(client.get(f"/cases/{case.pk}/withdraw/"))
    response = client.post(f"/cases/{case.pk}/withdraw/", {"reason": "  "})
    html = response.content.decode()
    assert response.status_code == 400
    assert '<a href="#id_reason">请写明撤回申请的原因。</a>' in html
    assert fresh(case).state == "submitted"
    response = client.post(f"/cases/{case.pk}/withdraw/", {"reason": "材料准备不全，下次再办"})
    assert response.status_code == 302
    case = fresh(case)
    assert (case.state, case.closing_reason) == ("withdrawn", "材料准备不全，下次再办")


def test_a_closed_case_cannot_be_withdrawn(world: World, client: Client) -> None:
    case = submitted(world.owner)
    actions.do_reject(case, actor=world.clerk, reason="不属于本部门职责范围")
    signed_in(client, world.owner)
    assert client.get(f"/cases/{case.pk}/withdraw/").status_code == 409
    response = client.post(f"/cases/{case.pk}/withdraw/", {"reason": "撤回"})
    assert response.status_code == 409
    assert "该申请当前状态为“不予受理”，不能撤回。" in page_text(response)
    assert fresh(case).state == "rejected"


def test_every_case_page_has_a_csrf_token_in_its_forms(world: World, client: Client) -> None:
    case = corrected(world)
    signed_in(client, world.owner)
    for url in (f"/cases/{case.pk}/correct/", f"/cases/{case.pk}/withdraw/", "/progress/"):
        html = client.get(url).content.decode()
        assert html.count('name="csrfmiddlewaretoken"') >= html.count('method="post"'), url


def test_posts_without_a_csrf_token_are_refused(world: World) -> None:
    case = draft(world.owner)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.owner)
    response = client.post(f"/cases/{case.pk}/withdraw/", {"reason": ""})
    assert response.status_code == 403
    assert fresh(case).state == "draft"


def test_the_case_page_lists_ready_documents_and_the_materials(
    world: World, client: Client
) -> None:
    case = accepted(world)
    signed_in(client, world.owner)
    assert "暂无。受理通知书、补正告知书等文书生成后会在这里列出。" in page_text(
        client.get(f"/cases/{case.pk}/")
    )
    document = CaseDocument.objects.get(case=case)
    assert documents.render_document(document.pk) == "ready"  # the task worker's job
    html = client.get(f"/cases/{case.pk}/").content.decode()
    url = reverse("portal:case-document", args=[case.pk, document.pk, "受理通知书.pdf"])
    assert url.startswith(f"/cases/{case.pk}/documents/{document.pk}/%E5%8F%97")
    assert f'<a href="{url}">受理通知书（PDF）</a>' in html
    pdf_response = client.get(url)
    assert pdf_response.status_code == 200
    assert pdf_response["Content-Type"] == "application/pdf"
    material = CaseMaterial.objects.get(case=case, material_code="M02")
    material_url = f"/cases/{case.pk}/materials/{material.pk}/M02.pdf"
    assert f'<a href="{material_url}">M02.pdf</a>' in html
    assert client.get(material_url).status_code == 200


def test_a_material_url_carries_its_code_not_the_uploaded_name(
    world: World, client: Client
) -> None:
    """API.md: personal identifiers never travel in URLs (nor reach access logs)."""
    case = draft(world.owner)
    actions.do_attach_material(
        case,
        actor=world.owner,
        material_code="M01",
        upload=pdf(f"{resident_id(1)}身份证.PDF"),
    )
    material = CaseMaterial.objects.get(case=case, material_code="M01")
    html = signed_in(client, world.owner).get(f"/cases/{case.pk}/").content.decode()
    links = re.findall(r'href="([^"]+)"', html)
    assert f"/cases/{case.pk}/materials/{material.pk}/M01.pdf" in links
    assert not [link for link in links if resident_id(1) in link]
    response = client.get(f"/cases/{case.pk}/materials/{material.pk}/M01.pdf")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
