"""The decision documents (准予/不予行政许可决定书): written pending with `decide`, rendered
by the worker with the seal's visible mark, sealed over the final bytes, verifiable after a
rotation, failed with the reason while the department has no seal; and the review events
told to the applicant by SMS and in-site message."""

from __future__ import annotations

import re
from datetime import date, timedelta
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import override_settings

from wangban.accounts.choices import Role
from wangban.accounts.models import User
from wangban.cases import actions, review
from wangban.cases.documents import (
    CODE_ALPHABET,
    CODE_LENGTH,
    check_seal,
    render_document,
    render_due,
    sealed_document,
)
from wangban.cases.models import CaseDocument
from wangban.cases.tests.decision_helpers import (
    APPROVAL_REASON,
    DECIDED_AT,
    DENIAL_REASON,
    LEGAL_BASIS,
    decided_case,
    decision_of,
    pdf_fonts,
    pdf_text,
    rendered_decision,
    review_world,
    stored_bytes,
    tamper_stored_file,
    transport_seal,
)
from wangban.cases.tests.helpers import (
    ENTRUSTED_CODE,
    at,
    entrusted_department,
    fresh,
    item,
    pdf,
    submitted_case,
)
from wangban.cases.tests.review_helpers import Staff, accepted_case, last_step_case, on
from wangban.certificates import actions as seal_actions
from wangban.certificates.sealing import verify_stamp
from wangban.conftest import City, make_staff
from wangban.core import signing
from wangban.core.actions import do_change_holidays
from wangban.core.calendar import OFF, HolidayEntry, invalidate_calendar_cache
from wangban.notify.models import Message

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def staff(city: City) -> Staff:
    return review_world(city)


# --- written with the decision -----------------------------------------------------------


def test_an_approval_writes_a_pending_approval_decision_with_its_facts(
    city: City, staff: Staff
) -> None:
    case = decided_case(city, staff)
    document = decision_of(case)
    assert (document.kind, document.title, document.state) == (
        "approval_decision",
        "准予行政许可决定书",
        "pending",
    )
    assert re.fullmatch(f"[{CODE_ALPHABET}]{{{CODE_LENGTH}}}", document.verification_code)
    facts = document.facts
    assert {name: facts[name] for name in ("receipt_no", "accepted_on", "decided_on")} == {
        "receipt_no": case.receipt_no,
        "accepted_on": "2026-09-24",
        "decided_on": "2026-10-09",
    }
    assert (facts["outcome"], facts["reason"], facts["legal_basis"]) == (
        "approved",
        APPROVAL_REASON,
        LEGAL_BASIS,
    )
    assert facts["applicant"]["name"] == "张三"
    assert (document.seal_key_id, document.seal_digest, document.seal_signature) == ("", "", "")
    assert document.event is not None
    assert document.event.action == "decide"


def test_a_denial_writes_a_denial_decision_and_no_approval(city: City, staff: Staff) -> None:
    case = decided_case(city, staff, "denied")
    assert list(CaseDocument.objects.filter(case=case).values_list("kind", "title")) == [
        ("acceptance_notice", "受理通知书"),
        ("denial_decision", "不予行政许可决定书"),
    ]


def test_each_document_gets_its_own_verification_code(city: City, staff: Staff) -> None:
    first = decision_of(decided_case(city, staff))
    second = decision_of(decided_case(city, staff, "denied"))
    assert first.verification_code != second.verification_code
    notices = CaseDocument.objects.filter(kind="acceptance_notice")
    assert set(notices.values_list("verification_code", flat=True)) == {""}


# --- rendered and sealed by the worker -----------------------------------------------------


def test_the_worker_renders_seals_and_the_stamp_verifies(
    city: City, staff: Staff, tmp_path: Path
) -> None:
    seal = transport_seal(city)
    document = rendered_decision(city, staff)
    data = stored_bytes(document)
    assert document.state == "ready"
    assert (document.seal_key_id, document.seal_name) == (seal.key_id, "市交通运输局行政审批专用章")
    assert document.seal_digest == signing.sm3_hex(data)
    assert document.sealed_at is not None
    result = verify_stamp(document.seal_key_id, data, document.seal_signature)
    assert (result.valid, result.code) == (True, "valid")
    text = pdf_text(data)
    for expected in (
        "市交通运输局",
        "准予行政许可决定书",
        "道路运输经营许可证核发",
        f"受理编号：{fresh(document.case).receipt_no}",
        "受理日期2026年9月24日",
        "决定日期2026年10月9日",
        "本机关决定准予行政许可",
        APPROVAL_REASON,
        LEGAL_BASIS,
        "电子印章",
        "市交通运输局行政审批专用章",
        f"印章编号：{seal.key_id}",
        f"http://localhost:8000/verify/{document.verification_code}/",
    ):
        assert expected in text
    assert "行政复议" not in text
    assert pdf_fonts(data, tmp_path) == [
        ("Noto-Sans-CJK-SC", "yes"),
        ("Noto-Sans-CJK-SC-Bold", "yes"),
    ]


def test_a_denial_states_the_reasons_and_the_remedies(
    city: City, staff: Staff, tmp_path: Path
) -> None:
    transport_seal(city)
    document = rendered_decision(city, staff, "denied")
    text = pdf_text(stored_bytes(document))
    for expected in (
        "不予行政许可决定书",
        "本机关决定不予行政许可。理由如下：",
        DENIAL_REASON,
        LEGAL_BASIS,
        "六十日内依法申请行政复议",
        "六个月内依法向人民法院提起行政诉讼",
        "电子印章",
    ):
        assert expected in text
    assert all(embedded == "yes" for _, embedded in pdf_fonts(stored_bytes(document), tmp_path))


@override_settings(WANGBAN_PUBLIC_URL="https://zwfw.example.gov.cn/")
def test_the_qr_address_is_under_the_public_origin(city: City, staff: Staff) -> None:
    transport_seal(city)
    document = rendered_decision(city, staff)
    assert f"https://zwfw.example.gov.cn/verify/{document.verification_code}/" in pdf_text(
        stored_bytes(document)
    )


def test_a_ready_document_is_not_rendered_or_sealed_again(city: City, staff: Staff) -> None:
    transport_seal(city)
    document = rendered_decision(city, staff)
    assert render_document(document.pk) == ""
    again = CaseDocument.objects.get(pk=document.pk)
    assert (again.blob, again.seal_signature, again.attempts) == (
        document.blob,
        document.seal_signature,
        1,
    )


def test_the_stored_file_changed_after_sealing_fails_the_check(city: City, staff: Staff) -> None:
    transport_seal(city)
    document = rendered_decision(city, staff)
    assert check_seal(document).valid is True
    tamper_stored_file(document)
    check = check_seal(document)
    assert (check.valid, check.reason) == (
        False,
        "验证失败：文件与加盖电子印章的决定书不一致，可能已被改动或并非该决定书。",
    )


def test_a_stored_file_gone_fails_the_check_without_an_error(city: City, staff: Staff) -> None:
    transport_seal(city)
    document = rendered_decision(city, staff)
    Path(default_storage.path(document.blob)).unlink()
    check = check_seal(document)
    assert (check.valid, check.reason) == (
        False,
        "验证失败：存档的决定书文件缺失，请联系作出决定的机关。",
    )


def test_a_signature_changed_in_the_row_fails_the_check(city: City, staff: Staff) -> None:
    transport_seal(city)
    document = rendered_decision(city, staff)
    other = rendered_decision(city, staff, "denied")
    document.seal_signature = other.seal_signature
    check = check_seal(document)
    assert check.valid is False
    assert check.reason.startswith("验证失败：签章无效")


def test_rotation_keeps_old_decisions_verifiable_and_new_ones_use_the_new_key(
    city: City, staff: Staff
) -> None:
    old_seal = transport_seal(city)
    old = rendered_decision(city, staff)
    with time_machine.travel(at(2026, 10, 12, 9, 0), tick=False):
        new_seal = seal_actions.do_rotate_seal(
            city.transport, actor=city.centre_admin, reason="年度轮换"
        )
    new = rendered_decision(city, staff, "denied")
    assert (old.seal_key_id, new.seal_key_id) == (old_seal.key_id, new_seal.key_id)
    old_check = check_seal(CaseDocument.objects.get(pk=old.pk))
    assert old_check.valid is True
    assert old_check.reason == (
        "验证通过：文件自加盖电子印章以来未被改动，签章有效。"
        "（该印章已于 2026-10-12 停用，停用前加盖的文件仍然有效。）"
    )
    assert check_seal(new).valid is True
    assert f"印章编号：{old_seal.key_id}" in pdf_text(stored_bytes(old))


def test_without_a_seal_the_decision_fails_with_the_reason_until_one_is_created(
    city: City, staff: Staff
) -> None:
    case = decided_case(city, staff)
    document = decision_of(case)
    assert render_document(document.pk) == "failed"
    document.refresh_from_db()
    assert (document.state, document.blob, document.seal_signature) == ("failed", "", "")
    assert document.error == (
        "市交通运输局尚无在用的电子印章，决定书无法盖章；"
        "请中心管理员运行 manage.py create_seals 后等待重新生成。"
    )
    assert sealed_document(document.verification_code) is None
    call_command("create_seals", stdout=StringIO())
    # The backstop, an hour later: the acceptance notice still pending and the decision.
    assert document.attempted_at is not None
    with time_machine.travel(document.attempted_at + timedelta(hours=1)):
        assert render_due() == {"ready": 2}
    document.refresh_from_db()
    assert (document.state, document.error, document.attempts) == ("ready", "", 2)
    assert check_seal(document).valid is True


def test_sealed_document_finds_only_ready_sealed_documents_by_code(
    city: City, staff: Staff
) -> None:
    transport_seal(city)
    pending = decision_of(decided_case(city, staff))
    assert sealed_document(pending.verification_code) is None
    ready = rendered_decision(city, staff, "denied")
    assert sealed_document(ready.verification_code) == ready
    assert sealed_document(ready.verification_code.lower()) == ready
    assert sealed_document("") is None
    assert sealed_document("X" * 40) is None
    notice = CaseDocument.objects.filter(kind="acceptance_notice").first()
    assert notice is not None
    assert sealed_document(notice.verification_code) is None


def test_a_decision_is_issued_and_sealed_by_the_deciding_department(city: City) -> None:
    """Acceptance entrusted to the centre (一窗受理): the centre accepts, the department
    decides, and the decision bears the department's name and seal, not the centre's."""
    item(city)
    department, _ = entrusted_department(city)
    centre_clerk = make_staff("centre_clerk", city.centre, Role.CLERK)
    reviewer = make_staff("civil_reviewer", department, Role.REVIEWER)
    approver = make_staff("civil_approver", department, Role.APPROVER)
    seal = seal_actions.do_create_seal(department, actor=city.centre_admin)
    seal_actions.do_create_seal(city.centre, actor=city.centre_admin)
    case = submitted_case(city, ENTRUSTED_CODE)
    actions.do_accept(case, actor=centre_clerk)
    review.do_approve_step(case, actor=reviewer, opinion="符合条件。")
    review.do_decide(case, actor=approver, outcome="approved", reason="", legal_basis=LEGAL_BASIS)
    document = decision_of(case)
    assert document.facts["issuer"] == "市民政局"
    assert render_document(document.pk) == "ready"
    document.refresh_from_db()
    assert (document.seal_key_id, document.seal_name) == (seal.key_id, "市民政局行政审批专用章")
    text = pdf_text(stored_bytes(document))
    assert text.startswith("准予行政许可决定书市民政局准予行政许可决定书")
    assert "市政务服务中心" not in text


# --- telling the applicant ---------------------------------------------------------------------


def test_each_review_event_reaches_the_phone_and_the_inbox(city: City, staff: Staff) -> None:
    transport_seal(city)
    case = last_step_case(city, staff)
    first = Message.objects.count()
    with on(at(2026, 9, 25, 9, 0)):
        review.do_suspend(case, actor=staff.approver, procedure="site_survey", reason="核查场地")
    with on(at(2026, 9, 28, 9, 0)):
        review.do_resume(case, actor=staff.approver, note="勘查完毕")
    with on(at(2026, 9, 29, 9, 0)):
        review.do_extend(case, actor=staff.approver, working_days=2, reason="情况复杂")
    with on(DECIDED_AT):
        review.do_decide(case, actor=staff.approver, outcome="approved", reason=APPROVAL_REASON)
    assert render_document(decision_of(case).pk) == "ready"
    with on(at(2026, 10, 12, 10, 0)):
        review.do_complete(case, actor=staff.clerk, delivery="pickup")
    rows = list(Message.objects.order_by("id")[first:])
    titles = [
        (m.event_type, m.channel, m.payload.get("title", "")) for m in rows if m.channel == "site"
    ]
    assert titles == [
        ("case.suspend", "site", "已挂起"),
        ("case.resume", "site", "已恢复办理"),
        ("case.extend", "site", "办理期限已延长"),
        ("case.decide", "site", "已作出审批决定"),
        ("case.decision_ready", "site", "决定书已生成，可以领取"),
        ("case.complete", "site", "已办结"),
    ]
    sms = [(m.event_type, m.recipient) for m in rows if m.channel == "sms"]
    assert sms == [
        (event, "13800138000")
        for event in (
            "case.suspend",
            "case.resume",
            "case.extend",
            "case.decide",
            "case.decision_ready",
            "case.complete",
        )
    ]
    site = [m for m in rows if m.channel == "site"]
    assert {m.recipient for m in site} == {str(city.applicant.pk)}
    assert {m.payload["link"] for m in site} == {f"/cases/{case.pk}/"}
    texts = {m.event_type: m.payload["text"] for m in rows if m.channel == "sms"}
    assert texts["case.decision_ready"] == (
        f"您申请的“道路运输经营许可证核发”（受理编号 {case.receipt_no}）的准予行政许可决定书"
        "已生成，可登录下载并扫码验证电子印章；纸质结果可到市政务服务中心二楼领取。"
    )
    # The site message says the same as the SMS.
    assert {m.payload["body"] for m in site} == set(texts.values())


def test_a_correction_received_during_review_is_told_with_its_title(
    city: City, staff: Staff
) -> None:
    case = accepted_case(city, staff)
    with on(at(2026, 9, 28, 9, 0)):
        actions.do_request_correction(
            case, actor=staff.reviewer, items=[{"material_code": "M01", "reason": "缺签字"}]
        )
    first = Message.objects.count()
    with on(at(2026, 9, 29, 9, 0)):
        actions.do_attach_material(
            case, actor=city.applicant, material_code="M01", upload=pdf("申请表.pdf")
        )
        actions.do_resubmit(case, actor=city.applicant)
    rows = list(Message.objects.order_by("id")[first:])
    assert [(m.channel, m.event_type) for m in rows] == [
        ("sms", "case.resubmit"),
        ("site", "case.resubmit"),
    ]
    assert rows[1].payload["title"] == "补正材料已收到"


def test_a_due_date_moved_by_a_holiday_change_reaches_the_inbox(
    city: City, staff: Staff, django_user_model: type[User]
) -> None:
    invalidate_calendar_cache()
    case = accepted_case(city, staff, at(2026, 12, 17, 10, 0))  # due 2027-01-07 (no 2027 rows)
    admin = django_user_model.objects.create_user("calendar_admin", password="x" * 16)
    first = Message.objects.count()
    try:
        with on(at(2026, 12, 20, 9, 0)):
            do_change_holidays([HolidayEntry(date(2027, 1, 1), OFF, "元旦")], actor=admin)
    finally:
        invalidate_calendar_cache()
    rows = list(Message.objects.order_by("id")[first:])
    assert [(m.channel, m.event_type) for m in rows] == [
        ("sms", "case.reschedule"),
        ("site", "case.reschedule"),
    ]
    assert rows[1].payload == {
        "title": "办结期限调整",
        "body": "因国家法定节假日安排调整，您申请的“道路运输经营许可证核发”"
        f"（受理编号 {case.receipt_no}）承诺办结日期由2027-01-07调整为2027-01-08。",
        "link": f"/cases/{case.pk}/",
    }


def test_the_ready_message_is_sent_once_and_not_for_a_denial(city: City, staff: Staff) -> None:
    transport_seal(city)
    approved = decided_case(city, staff)
    document = decision_of(approved)
    assert render_document(document.pk) == "ready"
    assert render_document(document.pk) == ""
    assert Message.objects.filter(event_type="case.decision_ready").count() == 2  # sms + site
    rendered_decision(city, staff, "denied")
    assert Message.objects.filter(event_type="case.decision_ready").count() == 2


def test_a_denial_is_told_with_its_reasons_and_remedies_and_no_pickup(
    city: City, staff: Staff
) -> None:
    """The guide names where the paper result is picked up: that is for a licence; a denied
    applicant is sent to the decision's reasons and remedies (行政许可法第三十八条)."""
    case = decided_case(city, staff, "denied")
    [sms] = Message.objects.filter(channel="sms", event_type="case.decide")
    assert sms.payload["text"] == (
        f"您申请的“道路运输经营许可证核发”（受理编号 {case.receipt_no}）已于2026-10-09"
        "作出不予许可决定，理由及救济途径请登录查看不予行政许可决定书。"
    )
