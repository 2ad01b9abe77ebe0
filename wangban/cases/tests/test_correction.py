"""One-time correction notice, resubmission, termination
(淮安办法第十二条, 行政许可法第三十二条)."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.test import override_settings

from wangban.cases import actions
from wangban.cases.models import CaseEvent, CorrectionNotice
from wangban.cases.tests.helpers import at, fresh, item, pdf, submitted_case
from wangban.conftest import City
from wangban.core.errors import Conflict, InvalidInput

ITEMS = [
    {"material_code": "M02", "reason": "营业执照复印件不清晰"},
    {"material_code": "M01", "reason": "申请表缺少法定代表人签字"},
]


def corrected(city: City):
    with time_machine.travel(at(2026, 6, 1, 10, 0), tick=False):
        case = submitted_case(city)
        notice = actions.do_request_correction(case, actor=city.transport_clerk, items=ITEMS)
    return fresh(case), notice


def test_the_notice_lists_every_material_with_date_and_handler(city: City) -> None:
    item(city)
    case, notice = corrected(city)
    assert case.state == "correction_requested"
    assert case.correction_due_on == date(2026, 6, 8)
    assert (notice.issued_on, notice.handler_name, notice.answer_due_on, notice.is_repeat) == (
        date(2026, 6, 1),
        "transport_clerk",
        date(2026, 6, 8),
        False,
    )
    assert notice.items == [
        {
            "material_code": "M01",
            "material_name": "道路运输经营许可申请表",
            "reason": ITEMS[1]["reason"],
        },
        {"material_code": "M02", "material_name": "营业执照", "reason": ITEMS[0]["reason"]},
    ]


@override_settings(WANGBAN_CORRECTION_ANSWER_WORKING_DAYS=2)
def test_the_answer_time_is_a_setting(city: City) -> None:
    item(city)
    case, notice = corrected(city)
    assert (case.correction_due_on, notice.answer_due_on) == (date(2026, 6, 3), date(2026, 6, 3))


def test_resubmission_replaces_exactly_the_named_materials(city: City) -> None:
    item(city)
    case, notice = corrected(city)
    with time_machine.travel(at(2026, 6, 3, 9, 0), tick=False):
        with pytest.raises(Conflict) as refused:
            actions.do_attach_material(
                case, actor=city.applicant, material_code="M03", upload=pdf()
            )
        assert refused.value.code == "not_in_correction_notice"
        actions.do_attach_material(case, actor=city.applicant, material_code="M01", upload=pdf())
        with pytest.raises(InvalidInput) as incomplete:
            actions.do_resubmit(case, actor=city.applicant)
        assert incomplete.value.fields == {"materials.M02": ["请提交“营业执照”。"]}
        assert fresh(case).state == "correction_requested"
        actions.do_attach_material(case, actor=city.applicant, material_code="M02", upload=pdf())
        case = actions.do_resubmit(case, actor=city.applicant)
    case = fresh(case)
    assert (case.state, case.submission, case.received_on) == ("submitted", 2, date(2026, 6, 3))
    assert (case.reply_due_on, case.deemed_due_on, case.correction_due_on) == (
        date(2026, 6, 4),
        date(2026, 6, 10),
        None,
    )
    assert case.signed_in_at is None
    notice.refresh_from_db()
    assert notice.answered_at == at(2026, 6, 3, 9, 0)
    assert list(case.materials.values_list("material_code", "submission")) == [
        ("M01", 2),
        ("M02", 2),
    ]


def test_a_second_notice_needs_a_reason_and_is_flagged(city: City) -> None:
    item(city)
    case, _ = corrected(city)
    for code in ("M01", "M02"):
        actions.do_attach_material(case, actor=city.applicant, material_code=code, upload=pdf())
    actions.do_resubmit(case, actor=city.applicant)
    again = [{"material_code": "M02", "reason": "仍不清晰"}]
    with pytest.raises(InvalidInput) as refused:
        actions.do_request_correction(case, actor=city.transport_clerk, items=again)
    assert refused.value.fields == {
        "reason_for_second": [
            "本申请已出具过补正告知书；再次告知违反一次性告知的要求，须写明理由。"
        ]
    }
    assert CorrectionNotice.objects.filter(case=case).count() == 1
    notice = actions.do_request_correction(
        case, actor=city.transport_clerk, items=again, reason_for_second="补正后的扫描件仍无法辨认"
    )
    assert (notice.is_repeat, notice.repeat_reason, notice.submission) == (
        True,
        "补正后的扫描件仍无法辨认",
        2,
    )
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert (event.action, event.note, event.data["is_repeat"]) == (
        "request_correction",
        "补正后的扫描件仍无法辨认",
        True,
    )


def test_termination_only_after_the_answer_is_overdue(city: City) -> None:
    item(city)
    case, _ = corrected(city)
    with time_machine.travel(at(2026, 6, 8, 17, 0), tick=False):
        with pytest.raises(Conflict) as early:
            actions.do_terminate(case, actor=city.transport_clerk, reason="逾期未补正")
        assert early.value.code == "correction_not_overdue"
    with time_machine.travel(at(2026, 6, 9, 9, 0), tick=False):
        with pytest.raises(InvalidInput) as no_reason:
            actions.do_terminate(case, actor=city.transport_clerk, reason=" ")
        assert no_reason.value.fields == {"reason": ["请写明终止办理的理由。"]}
        case = actions.do_terminate(case, actor=city.transport_clerk, reason="逾期未补正")
    assert (fresh(case).state, fresh(case).closing_reason) == ("terminated", "逾期未补正")


@pytest.mark.parametrize(
    ("items", "fields"),
    [
        ([], {"items": ["请列出需要补正的全部材料及原因。"]}),
        (
            [{"material_code": "X9", "reason": "缺"}],
            {"items[0].material_code": ["该事项没有编码为“X9”的申请材料。"]},
        ),
        (
            [{"material_code": "M01", "reason": ""}],
            {"items[0].reason": ["请写明需要补正的原因。"]},
        ),
        (
            [{"material_code": "M01", "reason": "缺"}, {"material_code": "M01", "reason": "又缺"}],
            {"items[1].material_code": ["“道路运输经营许可申请表”重复列出，请合并为一条。"]},
        ),
    ],
)
def test_bad_notices_are_refused_with_nothing_changed(city: City, items, fields) -> None:
    item(city)
    case = submitted_case(city)
    with pytest.raises(InvalidInput) as refused:
        actions.do_request_correction(case, actor=city.transport_clerk, items=items)
    assert refused.value.fields == fields
    assert fresh(case).state == "submitted"
    assert CorrectionNotice.objects.count() == 0
