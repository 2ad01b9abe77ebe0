"""The happy paths, online and at a window, through the real actions."""

from __future__ import annotations

from datetime import date

import time_machine

from wangban.accounts.models import User
from wangban.audit.models import AuditEvent
from wangban.cases import actions
from wangban.cases.models import CaseEvent, CaseMaterial
from wangban.cases.tests.helpers import FORM, at, draft_case, fresh, item, pdf, submitted_case
from wangban.catalog.tests.helpers import CODE
from wangban.conftest import City
from wangban.notify.models import Message


def timeline(case) -> list[tuple[str, str, str, str]]:
    return list(
        CaseEvent.objects.filter(case=case)
        .order_by("id")
        .values_list("action", "from_state", "to_state", "actor_name")
    )


def audit_actions(case) -> list[tuple[str, str]]:
    return list(
        AuditEvent.objects.filter(object_type="cases.case", object_id=case.pk)
        .order_by("id")
        .values_list("action", "channel")
    )


def test_online_application_is_submitted_signed_in_and_accepted(city: City) -> None:
    item(city)
    User.objects.filter(pk=city.applicant.pk).update(phone="13800138000")
    city.applicant.refresh_from_db()
    with time_machine.travel(at(2026, 6, 1, 10, 0), tick=False):
        case = draft_case(city)
        assert (case.state, case.channel, case.department, case.accepting_department) == (
            "draft",
            "online",
            city.transport,
            city.transport,
        )
        actions.do_attach_material(case, actor=city.applicant, material_code="M01", upload=pdf())
        actions.do_attach_material(case, actor=city.applicant, material_code="M02", upload=pdf())
        case = actions.do_submit(case, actor=city.applicant)
        assert case.state == "submitted"
        assert case.received_on == date(2026, 6, 1)
        assert case.sign_in_due_at == at(2026, 6, 1, 15, 30)
        assert case.reply_due_on == date(2026, 6, 2)
        assert case.deemed_due_on == date(2026, 6, 8)
        assert case.signed_in_at is None
        actions.do_sign_in(case, actor=city.transport_clerk)
        case = actions.do_accept(case, actor=city.transport_clerk)

    case = fresh(case)
    assert case.state == "in_review"
    assert case.accepted_on == date(2026, 6, 1)
    assert case.accepted_by == city.transport_clerk
    assert case.receipt_no == "D01-20260601-00001"
    assert case.signed_in_by == city.transport_clerk
    assert case.deemed_accepted is False
    assert case.form == FORM
    assert case.version.number == 1
    assert timeline(case) == [
        ("create", "", "draft", "someone"),
        ("submit", "draft", "submitted", "someone"),
        ("sign_in", "submitted", "submitted", "transport_clerk"),
        ("accept", "submitted", "in_review", "transport_clerk"),
    ]
    assert [action for action, _ in audit_actions(case)] == [
        "case.create",
        "case.attach_material",
        "case.attach_material",
        "case.submit",
        "case.sign_in",
        "case.accept",
    ]
    texts = list(
        Message.objects.filter(recipient="13800138000")
        .order_by("id")
        .values_list("event_type", "payload__text")
    )
    assert texts == [
        (
            "case.submit",
            "您申请的“道路运输经营许可证核发”已提交，我们将于2026-06-02前答复是否受理。",
        ),
        ("case.accept", "您申请的“道路运输经营许可证核发”已受理，受理编号 D01-20260601-00001。"),
    ]


def test_window_intake_with_paper_materials_is_signed_in_at_once(city: City) -> None:
    item(city)
    clerk = city.transport_clerk
    with time_machine.travel(at(2026, 6, 1, 10, 0), tick=False):
        case = actions.do_create_case(
            actor=clerk, item_code=CODE, form=FORM, channel="window", applicant=city.applicant
        )
        actions.do_mark_paper_material(case, actor=clerk, material_code="M01", note="原件已核验")
        actions.do_attach_material(case, actor=clerk, material_code="M02", upload=pdf("扫描件.pdf"))
        case = actions.do_submit(case, actor=clerk)
        assert (case.signed_in_at, case.signed_in_by) == (at(2026, 6, 1, 10, 0), clerk)
        case = actions.do_accept(case, actor=clerk)

    case = fresh(case)
    assert (case.applicant, case.created_by, case.channel, case.state) == (
        city.applicant,
        clerk,
        "window",
        "in_review",
    )
    materials = list(
        CaseMaterial.objects.filter(case=case).values_list(
            "material_code", "paper", "note", "file_name", "content_type"
        )
    )
    assert materials == [
        ("M01", True, "原件已核验", "", ""),
        ("M02", False, "", "扫描件.pdf", "application/pdf"),
    ]
    assert audit_actions(case) == [
        ("case.create", "window"),
        ("case.mark_paper_material", "window"),
        ("case.attach_material", "window"),
        ("case.submit", "window"),
        ("case.accept", "window"),
    ]


def test_the_applicant_may_withdraw_a_draft_without_a_reason(city: City) -> None:
    item(city)
    case = actions.do_withdraw(draft_case(city), actor=city.applicant)
    assert (case.state, case.closing_reason) == ("withdrawn", "")


def test_rejection_keeps_its_reason(city: City) -> None:
    item(city)
    case = submitted_case(city)
    case = actions.do_reject(case, actor=city.transport_clerk, reason="不属于本部门职权范围。")
    assert (fresh(case).state, fresh(case).closing_reason) == ("rejected", "不属于本部门职权范围。")
    assert timeline(case)[-1] == ("reject", "submitted", "rejected", "transport_clerk")


def test_a_file_can_be_reused_for_the_same_applicants_next_case(city: City) -> None:
    item(city)
    first = submitted_case(city)
    source = CaseMaterial.objects.get(case=first, material_code="M02")
    second = draft_case(city)
    row = actions.do_attach_material(
        second, actor=city.applicant, material_code="M02", reuse=source.pk
    )
    assert (row.blob, row.sha256, row.file_name, row.size) == (
        source.blob,
        source.sha256,
        source.file_name,
        source.size,
    )
