"""The item representation of API.md, exactly, and the queries behind it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from wangban.catalog import queries
from wangban.catalog.tests.helpers import CODE, FORM, draft, published_item
from wangban.conftest import City
from wangban.core.errors import NotFound


def test_item_to_api_is_exact(city: City) -> None:
    published_item(city)
    version = queries.published_version(CODE)
    assert queries.item_to_api(version) == {
        "code": CODE,
        "basic_code": "000138001000",
        "name": "道路运输经营许可证核发",
        "type": "01",
        "department": {"code": "D01", "name": "市交通运输局"},
        "version": 1,
        "effective_on": timezone.localdate().isoformat(),
        "case_type": "2",
        "legal_limit_days": 20,
        "legal_limit_unit": "working_days",
        "legal_limit_note": "《道路运输条例》第十一条",
        "promised_limit_days": 10,
        "promised_limit_unit": "working_days",
        "promised_limit_note": "",
        "warning_threshold_days": 2,
        "correction_answer_days": None,
        "service_objects": ["2", "5"],
        "handling_forms": ["1", "2"],
        "online_depth": ["1", "2", "3", "4"],
        "online_service_level": "4",
        "entrusted_department": None,
        "co_handling_departments": [],
        "visits_required": 1,
        "visits_note": "领取许可证",
        "special_procedures": [{"procedure": "site_survey", "days": 5, "note": "核查停车场地"}],
        "fees": [{"name": "不收费", "standard": "", "basis": "", "reducible": False}],
        "legal_basis": "《中华人民共和国道路运输条例》第十条",
        "acceptance_conditions": "有与其经营业务相适应并经检测合格的车辆。",
        "guide": {"place": "市政务服务中心二楼", "consultation_phone": "0813-12345"},
        "steps": [
            {
                "order": 1,
                "name": "受理",
                "role": "clerk",
                "budget_days": 1,
                "assignment": "pool",
                "assignee": None,
                "department": None,
            },
            {
                "order": 2,
                "name": "审核",
                "role": "reviewer",
                "budget_days": 5,
                "assignment": "pool",
                "assignee": None,
                "department": None,
            },
            {
                "order": 3,
                "name": "审批",
                "role": "approver",
                "budget_days": 4,
                "assignment": "pool",
                "assignee": None,
                "department": None,
            },
        ],
        "materials": [
            {
                "code": "M01",
                "name": "道路运输经营许可申请表",
                "required": True,
                "condition": "",
                "certificate_type": None,
                "material_type": "form",
                "form": "electronic",
                "source_channel": "applicant",
                "originals": 0,
                "copies": 0,
                "paper_size": "",
                "filling_notes": "",
                "acceptance_standard": "",
                "basis": "",
                "blank_form": None,
                "sample": None,
            },
            {
                "code": "M02",
                "name": "营业执照",
                "required": True,
                "condition": "",
                "certificate_type": "11100000000013338W001",
                "material_type": "certificate",
                "form": "original",
                "source_channel": "government",
                "originals": 1,
                "copies": 0,
                "paper_size": "",
                "filling_notes": "",
                "acceptance_standard": "",
                "basis": "",
                "blank_form": None,
                "sample": None,
            },
            {
                "code": "M03",
                "name": "授权委托书",
                "required": False,
                "condition": "委托办理时",
                "certificate_type": None,
                "material_type": "other",
                "form": "electronic",
                "source_channel": "applicant",
                "originals": 0,
                "copies": 0,
                "paper_size": "",
                "filling_notes": "",
                "acceptance_standard": "",
                "basis": "",
                "blank_form": None,
                "sample": None,
            },
        ],
        "result_sample": None,
        "form_schema": FORM,
    }


def test_drafts_are_not_published(city: City) -> None:
    draft(city)
    assert list(queries.published_items()) == []
    with pytest.raises(NotFound) as error:
        queries.published_version(CODE)
    assert error.value.code == "item_not_found"


def test_published_items_read_in_a_fixed_number_of_queries(city: City) -> None:
    for n in range(3):
        published_item(city, code=f"ITEM-{n}")
    with CaptureQueriesContext(connection) as captured:
        items = [queries.item_to_api(version) for version in queries.published_items()]
    assert [item["code"] for item in items] == ["ITEM-0", "ITEM-1", "ITEM-2"]
    # versions with their item and departments, materials, steps, files (no assignees or
    # co-handling departments to fetch)
    assert len(captured) == 4
