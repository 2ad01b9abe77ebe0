"""Building catalogue state through the real actions."""

from __future__ import annotations

from typing import Any

from wangban.catalog import actions
from wangban.catalog.models import ItemVersion
from wangban.conftest import City

CODE = "511A0138000000-511602000000-000-115113010833722043-1-00"

FORM = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "title": "道路运输经营许可申请表",
    "properties": {
        "company": {"type": "string", "title": "企业名称", "description": "与营业执照一致"},
        "vehicles": {"type": "integer", "title": "车辆数", "minimum": 1},
    },
    "required": ["company", "vehicles"],
}


def item_content(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "道路运输经营许可证核发",
        "type": "01",
        "case_type": "2",
        "legal_limit_days": 20,
        "legal_limit_unit": "working_days",
        "legal_limit_note": "《道路运输条例》第十一条",
        "promised_limit_days": 10,
        "promised_limit_unit": "working_days",
        "service_objects": ["2", "5"],
        "handling_forms": ["1", "2"],
        "online_depth": ["1", "2", "3", "4"],
        "online_service_level": "4",
        "visits_required": 1,
        "visits_note": "领取许可证",
        "special_procedures": [{"procedure": "site_survey", "days": 5, "note": "核查停车场地"}],
        "fees": [{"name": "不收费", "standard": "", "basis": "", "reducible": False}],
        "legal_basis": "《中华人民共和国道路运输条例》第十条",
        "acceptance_conditions": "有与其经营业务相适应并经检测合格的车辆。",
        "guide": {"place": "市政务服务中心二楼", "consultation_phone": "0813-12345"},
        "materials": [
            {"code": "M01", "name": "道路运输经营许可申请表", "material_type": "form"},
            {
                "code": "M02",
                "name": "营业执照",
                "material_type": "certificate",
                "certificate_type": "11100000000013338W001",
                "form": "original",
                "source_channel": "government",
                "originals": 1,
            },
            {"code": "M03", "name": "授权委托书", "required": False, "condition": "委托办理时"},
        ],
        "steps": [
            {"name": "受理", "role": "clerk", "budget_days": 1},
            {"name": "审核", "role": "reviewer", "budget_days": 5},
            {"name": "审批", "role": "approver", "budget_days": 4},
        ],
        "form_schema": FORM,
    }
    data.update(overrides)
    return data


def draft(city: City, code: str = CODE, **overrides: Any) -> ItemVersion:
    return actions.do_draft_item(
        actor=city.transport_admin,
        code=code,
        basic_code="000138001000",
        department=city.transport,
        content=item_content(**overrides),
    )


def publish(city: City, version: ItemVersion) -> ItemVersion:
    version = actions.do_submit_for_review(version, actor=city.transport_admin)
    return actions.do_review(version, actor=city.centre_admin, approve=True)


def published_item(city: City, code: str = CODE, **overrides: Any) -> ItemVersion:
    return publish(city, draft(city, code, **overrides))
