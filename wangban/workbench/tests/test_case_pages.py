"""The acceptance pages: the queue (tabs, lights, due dates, sorting, filters, query count),
the case page (applicant, deadlines, form, materials with previews, documents, history, the
actions allowed now), every action through its page with its errors beside the fields, and
window intake from registration to submission."""

from __future__ import annotations

import io
import re
from datetime import datetime

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from wangban.accounts.choices import Role
from wangban.accounts.models import User
from wangban.accounts.tests.helpers import resident_id, verified
from wangban.audit.models import AuditEvent
from wangban.cases import actions
from wangban.cases.choices import DocumentKind
from wangban.cases.documents import render_document
from wangban.cases.models import Case, CaseDocument, CaseMaterial, CorrectionNotice
from wangban.cases.tests.helpers import FORM, at, fresh, item, pdf, submitted_case
from wangban.catalog.tests.helpers import CODE
from wangban.conftest import City, make_staff

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
MONDAY = at(2026, 11, 23, 9, 30)


def png(name: str = "营业执照.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def signed_in(client: Client, user: User) -> Client:
    """A fresh session for `user` (a session left idle across a time jump has ended)."""
    client.logout()
    client.force_login(user)
    return client


FRIDAY = at(2026, 11, 20, 15, 0)


def person_case(city: City) -> Case:
    """An online case of a registered person (张三) with a PDF and a PNG, Friday afternoon."""
    applicant = verified("zhangsan", 7)
    with time_machine.travel(FRIDAY, tick=False):
        case = actions.do_create_case(actor=applicant, item_code=CODE, form=dict(FORM))
        actions.do_attach_material(case, actor=applicant, material_code="M01", upload=pdf())
        actions.do_attach_material(case, actor=applicant, material_code="M02", upload=png())
        return actions.do_submit(case, actor=applicant)


def page(client: Client, url: str, when: datetime = MONDAY, **kwargs) -> tuple[int, str]:
    with time_machine.travel(when, tick=False):
        response = client.get(url, **kwargs)
    return response.status_code, response.content.decode()


def post(client: Client, url: str, data=None, when: datetime = MONDAY):
    with time_machine.travel(when, tick=False):
        return client.post(url, data or {})


def text_of(html: str) -> str:
    """The page's text with tags and runs of whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def case_url(case: Case, suffix: str = "") -> str:
    return f"/workbench/cases/{case.pk}/{suffix}"


# --- The queue -------------------------------------------------------------------------------


def test_the_queue_shows_tabs_lights_and_due_dates(client: Client, city: City) -> None:
    item(city)
    case = person_case(city)
    signed_in(client, city.transport_clerk)
    status, html = page(client, "/workbench/cases/")
    assert status == 200
    text = text_of(html)
    assert "待签收 1 件" in text
    assert "待预审 0 件" in text
    assert "已超期 0 件" in text
    assert f'href="/workbench/cases/{case.pk}/">道路运输经营许可证核发</a>' in html
    row = html.split("<tbody>")[1].split("</tbody>")[0]
    assert '<span class="light light-blue">蓝灯</span>' in row
    assert "签收 2026-11-23 10:30" in text_of(row)
    assert "张三" in row
    assert "2026-11-20 15:00" in row
    assert "网上办事大厅" in row
    assert 'aria-sort="ascending"><a href="?tab=to_sign&amp;sort=-due">办理时限' in html
    assert '<a href="?tab=to_sign&amp;sort=received">收件时间' in html

    # Half an hour past the deadline: red, and in the overdue tab (signed in again: the
    # session ends after idling).
    signed_in(client, city.transport_clerk)
    status, html = page(client, "/workbench/cases/?tab=overdue", when=at(2026, 11, 23, 11, 0))
    assert "已超期 1 件" in text_of(html)
    assert '<span class="light light-red">红灯</span>' in html
    assert 'aria-current="page">已超期' in html


def test_the_queue_filters_and_keeps_them_across_tabs_and_pages(client: Client, city: City) -> None:
    item(city)
    case = person_case(city)
    signed_in(client, city.transport_clerk)
    status, html = page(client, f"/workbench/cases/?item={CODE}&channel=online&light=blue")
    assert status == 200
    assert case.pk in html
    assert f'href="?tab=to_review&amp;item={CODE}&amp;channel=online&amp;light=blue"' in html
    status, html = page(client, "/workbench/cases/?channel=window")
    assert case.pk not in html
    assert "没有符合条件的办件。" in html
    status, html = page(client, "/workbench/cases/?sort=-received")
    assert '<option value="-received" selected>收件时间，最新在前</option>' in html
    assert 'aria-sort="descending"><a href="?tab=to_sign&amp;sort=received">收件时间' in html
    # An unknown value is ignored, not an error.
    status, html = page(client, "/workbench/cases/?tab=nonsense&light=purple&sort=x")
    assert status == 200
    assert case.pk in html


def count_queries(client: Client, url: str) -> int:
    with time_machine.travel(MONDAY, tick=False):
        client.get(url)  # warm the session
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_the_queue_costs_the_same_queries_for_a_full_page(client: Client, city: City) -> None:
    item(city)
    signed_in(client, city.transport_clerk)
    with time_machine.travel(at(2026, 11, 20, 15, 0), tick=False):
        submitted_case(city)
    few = count_queries(client, "/workbench/cases/")
    company = verified("lisi", 8)
    with time_machine.travel(at(2026, 11, 20, 16, 0), tick=False):
        for _ in range(11):
            submitted_case(city)
            submitted_case(city, actor=company)
    many = count_queries(client, "/workbench/cases/")
    assert few == many == 11


# --- The case page ---------------------------------------------------------------------------


def test_the_case_page_shows_the_application(client: Client, city: City) -> None:
    item(city)
    case = person_case(city)
    signed_in(client, city.transport_clerk)
    status, html = page(client, case_url(case))
    assert status == 200
    text = text_of(html)
    assert "姓名 张三" in text
    masked = resident_id(7)[:6] + "********" + resident_id(7)[-4:]
    assert masked in text
    assert resident_id(7) not in html
    assert f"道路运输经营许可证核发 {CODE}" in text
    assert "第 1 版（申请时施行）" in text
    assert "申请渠道 网上办事大厅" in text
    assert "签收时限 2026-11-23 10:30 蓝灯" in text
    assert "预审答复时限 2026-11-23 蓝灯" in text
    assert "视为受理前最后答复日 2026-11-27 绿灯" in text
    assert "企业名称 某某运输有限公司" in text
    assert "车辆数 3" in text
    rows = {row.material_code: row for row in CaseMaterial.objects.filter(case=case)}
    m01 = reverse(
        "workbench:case-material", args=[case.pk, rows["M01"].pk, "M01.pdf"]
    )  # the code, not the uploaded name
    m02 = reverse("workbench:case-material", args=[case.pk, rows["M02"].pk, "M02.png"])
    assert (
        f'<iframe class="preview preview-pdf" loading="lazy" src="{m01}?inline=1" '
        'title="道路运输经营许可申请表（材料.pdf）预览"></iframe>'
    ) in html
    assert (
        f'<img class="preview preview-image" src="{m02}?inline=1" alt="营业执照：营业执照.png">'
    ) in html
    assert "授权委托书 M03 非必要" in text
    assert "未提交。" in text
    assert "暂无文书。" in text
    assert "提交申请（草稿 → 已提交）" in text
    buttons = re.findall(r'<(?:button|a) class="button[^"]*"[^>]*>([^<]+)<', html)
    assert buttons[:4] == ["签收", "受理", "一次性告知补正", "不予受理"]
    assert "终止办理" not in buttons
    # The previews are served, framable by this site only.
    with time_machine.travel(MONDAY, tick=False):
        frame = client.get(f"{m01}?inline=1")
    assert frame.status_code == 200
    assert frame["Content-Type"] == "application/pdf"
    assert frame["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in frame["Content-Security-Policy"]


def test_sign_in_then_accept(client: Client, city: City) -> None:
    item(city)
    case = person_case(city)
    signed_in(client, city.transport_clerk)
    response = post(client, case_url(case, "sign-in/"))
    assert response.status_code == 302
    assert response["Location"] == case_url(case)
    status, html = page(client, case_url(case))
    text = text_of(html)
    assert "已签收。请在预审答复时限内受理、一次性告知补正或不予受理。" in text
    assert "已签收：transport_clerk" in text
    assert "签收 （" not in text
    assert ">签收<" not in html  # no second sign-in
    response = post(client, case_url(case, "accept/"))
    assert response.status_code == 302
    case = fresh(case)
    assert (case.state, case.receipt_no) == ("in_review", "D01-20261123-00001")
    status, html = page(client, case_url(case))
    assert status == 200
    text = text_of(html)
    assert "已受理，受理编号 D01-20261123-00001。" in text
    assert "受理编号 D01-20261123-00001" in text
    assert "您现在不能对该办件进行操作。" in text
    # The acceptance notice appears once the worker has rendered it.
    document = CaseDocument.objects.get(case=case, kind=DocumentKind.ACCEPTANCE_NOTICE)
    render_document(document.pk)
    _status, html = page(client, case_url(case))
    url = reverse("workbench:case-document", args=[case.pk, document.pk, document.file_name])
    assert f'<a href="{url}">{document.title}</a>（受理通知书，PDF）' in html


def test_accepting_an_accepted_case_is_refused_and_changes_nothing(
    client: Client, city: City
) -> None:
    item(city)
    case = person_case(city)
    with time_machine.travel(MONDAY, tick=False):
        actions.do_accept(case, actor=city.transport_clerk)
    signed_in(client, city.transport_clerk)
    before = (fresh(case).receipt_no, case.events.count(), AuditEvent.objects.count())
    response = post(client, case_url(case, "accept/"))
    assert response.status_code == 409
    assert "办件当前状态为“审查中”，不能受理。" in response.content.decode()
    assert (fresh(case).receipt_no, case.events.count(), AuditEvent.objects.count()) == before
    # In review a correction is the step handler's, no longer the window's (API.md).
    status, _ = page(client, case_url(case, "correction/"))
    assert status == 403


# --- 一次性告知补正 --------------------------------------------------------------------------


def test_the_correction_form_lists_every_material_and_issues_one_notice(
    client: Client, city: City
) -> None:
    item(city)
    case = person_case(city)
    signed_in(client, city.transport_clerk)
    status, html = page(client, case_url(case, "correction/"))
    assert status == 200
    assert re.findall(r'<label for="correction-\d">([^<]+)</label>', html) == [
        "道路运输经营许可申请表",
        "营业执照",
        "授权委托书",
    ]
    assert 'name="reason-2"' in html
    assert "再次告知" not in html
    response = post(
        client,
        case_url(case, "correction/"),
        {
            "materials": ["M01", "M02"],
            "reason-0": "申请表缺少法定代表人签字",
            "reason-1": "营业执照已过期",
        },
    )
    assert response.status_code == 302
    notice = CorrectionNotice.objects.get(case=case)
    assert notice.items == [
        {
            "material_code": "M01",
            "material_name": "道路运输经营许可申请表",
            "reason": "申请表缺少法定代表人签字",
        },
        {"material_code": "M02", "material_name": "营业执照", "reason": "营业执照已过期"},
    ]
    assert (notice.handler, notice.answer_due_on.isoformat()) == (
        city.transport_clerk,
        "2026-11-30",
    )
    status, html = page(client, case_url(case))
    text = text_of(html)
    assert "已一次性告知补正 2 项材料，补正期限至 2026-11-30。" in text
    assert "补正期限 2026-11-30 绿灯 申请人补正材料的最后一日" in text
    assert "道路运输经营许可申请表：申请表缺少法定代表人签字" in text
    assert text.count("补正告知书要求补正") == 2


def test_correction_refusals_are_shown_beside_the_fields_and_change_nothing(
    client: Client, city: City
) -> None:
    item(city)
    case = person_case(city)
    signed_in(client, city.transport_clerk)
    before = (fresh(case).state, case.events.count(), AuditEvent.objects.count())

    response = post(client, case_url(case, "correction/"), {})
    assert response.status_code == 400
    html = response.content.decode()
    assert '<a href="#correction-0">请列出需要补正的全部材料及原因。</a>' in html
    assert 'id="correction-items-error"' in html

    response = post(
        client,
        case_url(case, "correction/"),
        {"materials": ["M02"], "reason-0": "缺少签字", "reason-1": " "},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert (
        '<a href="#correction-0">道路运输经营许可申请表：'
        "已填写补正原因，请勾选该材料，或清空原因。</a>"
    ) in html
    assert '<a href="#reason-1">营业执照：请写明需要补正的原因。</a>' in html
    assert 'id="reason-1-error"' in html
    assert "缺少签字</textarea>" in html  # what was typed is kept
    assert 'value="M02" checked' in html
    assert (fresh(case).state, case.events.count(), AuditEvent.objects.count()) == before
    assert not CorrectionNotice.objects.exists()


def test_a_second_notice_warns_and_needs_its_reason(client: Client, city: City) -> None:
    item(city)
    case = person_case(city)
    with time_machine.travel(MONDAY, tick=False):
        actions.do_request_correction(
            case,
            actor=city.transport_clerk,
            items=[{"material_code": "M01", "reason": "缺少签字"}],
        )
        actions.do_attach_material(
            case, actor=case.applicant, material_code="M01", upload=pdf("补正.pdf")
        )
        actions.do_resubmit(case, actor=case.applicant)
    signed_in(client, city.transport_clerk)
    status, html = page(client, case_url(case, "correction/"))
    assert status == 200
    assert "再次告知违反“一次性告知”的要求，须写明理由" in html
    data = {"materials": ["M02"], "reason-1": "营业执照已过期"}
    response = post(client, case_url(case, "correction/"), data)
    assert response.status_code == 400
    assert (
        '<a href="#reason_for_second">本申请已出具过补正告知书；'
        "再次告知违反一次性告知的要求，须写明理由。</a>"
    ) in response.content.decode()
    assert CorrectionNotice.objects.filter(case=case).count() == 1
    response = post(
        client, case_url(case, "correction/"), {**data, "reason_for_second": "首次审查遗漏"}
    )
    assert response.status_code == 302
    second = CorrectionNotice.objects.filter(case=case).latest("pk")
    assert (second.is_repeat, second.repeat_reason) == (True, "首次审查遗漏")
    _status, html = page(client, case_url(case))
    assert "再次告知的理由：首次审查遗漏" in text_of(html)


# --- 不予受理, 终止办理 ----------------------------------------------------------------------


def test_reject_needs_its_reason(client: Client, city: City) -> None:
    item(city)
    case = person_case(city)
    signed_in(client, city.transport_clerk)
    status, html = page(client, case_url(case, "reject/"))
    assert status == 200
    assert '<label for="id_reason">不予受理的理由</label>' in html
    response = post(client, case_url(case, "reject/"), {"reason": "  "})
    assert response.status_code == 400
    html = response.content.decode()
    assert '<a href="#id_reason">不予受理的理由：请写明不予受理的具体理由。</a>' in html
    assert 'id="id_reason_error"' in html
    assert fresh(case).state == "submitted"
    response = post(client, case_url(case, "reject/"), {"reason": "不属于本部门职权范围"})
    assert response.status_code == 302
    case = fresh(case)
    assert (case.state, case.closing_reason) == ("rejected", "不属于本部门职权范围")
    status, html = page(client, case_url(case))
    assert "不予受理理由：不属于本部门职权范围" in text_of(html)


def test_terminate_is_offered_only_once_the_correction_is_overdue(
    client: Client, city: City
) -> None:
    item(city)
    case = person_case(city)
    with time_machine.travel(MONDAY, tick=False):
        actions.do_request_correction(
            case,
            actor=city.transport_clerk,
            items=[{"material_code": "M01", "reason": "缺少签字"}],
        )
    signed_in(client, city.transport_clerk)
    due_day = at(2026, 11, 30, 16, 0)
    status, html = page(client, case_url(case), when=due_day)
    assert "终止办理" not in html
    status, html = page(client, case_url(case, "terminate/"), when=due_day)
    assert status == 409
    assert "补正期限（2026-11-30）尚未届满，不能终止办理。" in html
    response = post(client, case_url(case, "terminate/"), {"reason": "逾期"}, when=due_day)
    assert response.status_code == 409
    assert fresh(case).state == "correction_requested"

    next_day = at(2026, 12, 1, 9, 0)
    signed_in(client, city.transport_clerk)  # the session ended while idle
    status, html = page(client, case_url(case), when=next_day)
    assert (
        f'<a class="button button-secondary" href="{case_url(case, "terminate/")}">终止办理</a>'
        in html
    )
    assert "已逾期未补正，可以终止办理" in text_of(html)
    response = post(client, case_url(case, "terminate/"), {"reason": ""}, when=next_day)
    assert response.status_code == 400
    assert "请写明终止办理的理由。" in response.content.decode()
    response = post(
        client, case_url(case, "terminate/"), {"reason": "申请人逾期未补正"}, when=next_day
    )
    assert response.status_code == 302
    assert fresh(case).state == "terminated"


def test_a_clerk_reveals_the_identity_number_audited(client: Client, city: City) -> None:
    item(city)
    case = person_case(city)
    signed_in(client, city.transport_clerk)
    response = post(client, case_url(case, "id-number/"))
    assert response.status_code == 200
    assert resident_id(7) in response.content.decode()
    event = AuditEvent.objects.get(action="pii.view")
    assert (event.actor_username, event.after) == (
        "transport_clerk",
        {"field": "id_number", "case": case.pk},
    )


# --- 窗口收件 --------------------------------------------------------------------------------


def test_window_intake_from_registration_to_submission(client: Client, city: City) -> None:
    item(city)
    applicant = verified("zhangsan", 7)
    clerk = city.transport_clerk
    signed_in(client, clerk)
    status, html = page(client, "/workbench/cases/intake/")
    assert status == 200
    assert f'<option value="{CODE}">道路运输经营许可证核发（市交通运输局）</option>' in html

    response = post(client, "/workbench/cases/intake/", {"item": CODE, "applicant": "nobody"})
    assert response.status_code == 400
    assert (
        '<a href="#id_applicant">没有找到该申请人，请核对后重新输入；'
        "申请人须已在网上办事大厅注册。</a>"
    ) in response.content.decode()
    assert not Case.objects.exists()

    response = post(client, "/workbench/cases/intake/", {"item": CODE, "applicant": resident_id(7)})
    assert response.status_code == 302
    case = Case.objects.get()
    assert response["Location"] == case_url(case)
    assert (case.channel, case.applicant, case.created_by, case.state) == (
        "window",
        applicant,
        clerk,
        "draft",
    )
    status, html = page(client, case_url(case))
    assert 'id="field-company"' in html
    assert f'action="{case_url(case, "attach/")}"' in html

    # A form that fails its schema: the message beside the field, nothing saved.
    response = post(client, case_url(case, "form/"), {"company": "某某运输", "vehicles": "0"})
    assert response.status_code == 400
    html = response.content.decode()
    assert '<a href="#field-vehicles">' in html
    assert 'id="field-vehicles-error"' in html
    assert fresh(case).form == {}
    response = post(client, case_url(case, "form/"), {"company": "某某运输", "vehicles": "2"})
    assert response.status_code == 302
    assert fresh(case).form == {"company": "某某运输", "vehicles": 2}

    # An executable renamed .pdf: 415 beside the material, nothing stored.
    with time_machine.travel(MONDAY, tick=False):
        response = client.post(
            case_url(case, "attach/"),
            {"material": "M01", "file": SimpleUploadedFile("申请表.pdf", EXE)},
        )
    assert response.status_code == 415
    html = response.content.decode()
    assert '<a href="#material-0-file">道路运输经营许可申请表：不支持该文件类型' in html
    assert not CaseMaterial.objects.exists()

    # Submitting with a material missing: the message beside it.
    response = post(client, case_url(case, "submit/"))
    assert response.status_code == 400
    assert (
        '<a href="#material-0-file">请提交“道路运输经营许可申请表”。</a>'
        in response.content.decode()
    )

    with time_machine.travel(MONDAY, tick=False):
        response = client.post(case_url(case, "attach/"), {"material": "M01", "file": pdf()})
    assert response.status_code == 302
    response = post(client, case_url(case, "paper/"), {"material": "M02", "note": "原件核验后退回"})
    assert response.status_code == 302
    paper = CaseMaterial.objects.get(case=case, material_code="M02")
    assert (paper.paper, paper.note) == (True, "原件核验后退回")

    response = post(client, case_url(case, "submit/"))
    assert response.status_code == 302
    case = fresh(case)
    assert (case.state, case.signed_in_by) == ("submitted", clerk)
    status, html = page(client, case_url(case))
    text = text_of(html)
    assert "申请已提交并已签收，请于 2026-11-24 前受理、补正或不予受理。" in text
    assert "纸质材料，已在窗口收取：原件核验后退回" in text
    assert "申请渠道 窗口（transport_clerk登记）" in text
    assert "企业名称 某某运输" in text
    assert 'action="' + case_url(case, "attach/") not in html


def test_intake_names_a_missing_item_and_applicant(client: Client, city: City) -> None:
    item(city)
    signed_in(client, city.transport_clerk)
    response = post(client, "/workbench/cases/intake/", {"item": "", "applicant": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert '<a href="#id_item">请选择申请事项。</a>' in html
    assert '<a href="#id_applicant">请输入申请人的身份证号码、用户名或手机号码。</a>' in html
    response = post(client, "/workbench/cases/intake/", {"item": "NOPE", "applicant": "someone"})
    assert response.status_code == 400
    assert '<a href="#id_item">申请事项：请选择本窗口受理的事项。</a>' in response.content.decode()
    market_clerk = make_staff("market_clerk", city.market, Role.CLERK)
    signed_in(client, market_clerk)
    _status, html = page(client, "/workbench/cases/intake/")
    assert "本窗口暂无可以受理的已发布事项。" in html
    response = post(client, "/workbench/cases/intake/", {"item": CODE, "applicant": "someone"})
    assert response.status_code == 400
    assert not Case.objects.exists()


def test_the_deemed_list(client: Client, city: City) -> None:
    item(city)
    case = person_case(city)
    actions.do_deem_accept_due(at(2026, 12, 1, 9, 0).date())
    signed_in(client, city.supervisor)
    status, html = page(client, "/workbench/cases/deemed/")
    assert status == 200
    text = text_of(html)
    assert (
        f"{fresh(case).receipt_no} 道路运输经营许可证核发 "
        "市交通运输局 市交通运输局 2026-11-20 2026-11-27" in text
    )


def repeat_notice_case(city: City) -> Case:
    """张三's case: a correction notice, the answer, and a second notice with its reason."""
    case = person_case(city)
    clerk = city.transport_clerk
    with time_machine.travel(MONDAY, tick=False):
        first = [{"material_code": "M01", "reason": "缺少签字"}]
        actions.do_request_correction(case, actor=clerk, items=first)
        actions.do_attach_material(case, actor=case.applicant, material_code="M01", upload=pdf())
        actions.do_resubmit(case, actor=case.applicant)
        actions.do_request_correction(
            case,
            actor=clerk,
            items=[{"material_code": "M02", "reason": "仍不清晰"}],
            reason_for_second="补正后的扫描件仍无法辨认",
        )
    return case


def test_the_repeat_notice_list(client: Client, city: City) -> None:
    """Only the second notice is listed, with its reason, for the supervisor and for the
    clerks of the case's queue; another department's clerk sees none."""
    item(city)
    case = repeat_notice_case(city)
    repeat = CorrectionNotice.objects.get(case=case, is_repeat=True)
    for user in (city.supervisor, city.transport_clerk):
        signed_in(client, user)
        status, html = page(client, "/workbench/cases/repeat-notices/")
        assert status == 200
        text = text_of(html)
        assert "再次补正告知：共 1 份" in text
        assert (
            f"2026-11-23 道路运输经营许可证核发 市交通运输局 市交通运输局 {repeat.handler_name} "
            "营业执照 补正后的扫描件仍无法辨认" in text
        )
        assert f'href="/workbench/cases/{case.pk}/"' in html
        assert "道路运输经营许可申请表" not in text  # the first notice is not listed
    signed_in(client, make_staff("market_clerk", city.market, Role.CLERK))
    status, html = page(client, "/workbench/cases/repeat-notices/")
    assert status == 200
    assert "没有再次出具的补正告知书。" in html
    assert case.pk not in html


def test_a_correction_is_handed_in_at_the_window(client: Client, city: City) -> None:
    """A window case's correction: only the materials the notice names can be replaced,
    and the clerk resubmits it."""
    item(city)
    applicant = verified("zhangsan", 7)
    clerk = city.transport_clerk
    with time_machine.travel(FRIDAY, tick=False):
        case = actions.do_create_case(
            actor=clerk, item_code=CODE, channel="window", applicant=applicant, form=dict(FORM)
        )
        actions.do_attach_material(case, actor=clerk, material_code="M01", upload=pdf())
        actions.do_mark_paper_material(case, actor=clerk, material_code="M02", note="原件")
        actions.do_submit(case, actor=clerk)
        actions.do_request_correction(
            case, actor=clerk, items=[{"material_code": "M01", "reason": "缺少签字"}]
        )
    signed_in(client, clerk)
    status, html = page(client, case_url(case))
    assert status == 200
    assert 'id="material-0-file"' in html
    assert 'id="material-1-file"' not in html  # not named by the notice
    assert "补正后重新提交" in html
    response = post(client, case_url(case, "submit/"))
    assert response.status_code == 400
    assert '<a href="#material-0-file">请提交“道路运输经营许可申请表”。</a>' in (
        response.content.decode()
    )
    response = post(client, case_url(case, "paper/"), {"material": "M02", "note": "再交"})
    assert response.status_code == 409
    assert "补正告知书未要求补正“营业执照”，不能更换该材料。" in response.content.decode()
    with time_machine.travel(MONDAY, tick=False):
        response = client.post(
            case_url(case, "attach/"), {"material": "M01", "file": pdf("签字版.pdf")}
        )
    assert response.status_code == 302
    response = post(client, case_url(case, "submit/"))
    assert response.status_code == 302
    case = fresh(case)
    assert (case.state, case.submission, case.signed_in_by) == ("submitted", 2, clerk)
    status, html = page(client, case_url(case))
    assert "补正材料已提交并已签收，请于 2026-11-24 前受理、补正或不予受理。" in text_of(html)
