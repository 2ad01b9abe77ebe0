"""The demo catalogue: enough believable items, published through the real workflow, in the
JSON exchange format exactly, with electronic forms that accept a good answer and refuse a
bad one; loading twice changes nothing."""

from __future__ import annotations

import copy
from collections import Counter
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from wangban.accounts.choices import Role
from wangban.accounts.demo import load_accounts
from wangban.accounts.models import RoleGrant, User
from wangban.audit.models import AuditEvent
from wangban.catalog.choices import GUIDE_FIELDS, VersionState
from wangban.catalog.content import form_schema_problems
from wangban.catalog.demo import demo_items, load_catalog
from wangban.catalog.models import ItemChange, ItemVersion, Material, ServiceItem, WorkflowStep
from wangban.catalog.queries import item_to_api, published_items
from wangban.conftest import restore_migration_data
from wangban.core.demo import DEMO_LOADERS

ITEMS = demo_items()

# Realistic answers for the free-text fields of the demo forms, by property name. Choices,
# numbers, dates and promises are answered from the schema itself (`sample`).
SAMPLE_TEXT = {
    "address": "示范市城东区市民大道 1 号",
    "applicant_name": "张三",
    "approval_number": "示卫医设字〔2026〕12号",
    "baby_name": "张小满",
    "birth_certificate_number": "R320123456",
    "birth_place": "江苏省示范市",
    "builder_name": "示范市城东建设发展有限公司",
    "buildings": "1#、2#、5#",
    "business_address": "示范市城东区长安路 66 号 1 层",
    "business_scope": "食品销售；餐饮服务",
    "business_supervisor": "示范市科学技术协会",
    "buyer_id": "320102199003150022",
    "buyer_name": "李四",
    "cargo_name": "变压器（不可解体）",
    "carrier_name": "示范市顺达道路运输有限公司",
    "certificate_number": "苏（2024）示范市不动产权第0012345号",
    "company_name": "示范市顺达道路运输有限公司",
    "contract_number": "3201002026CR0012",
    "contractor_credit_code": "91320100MA0000102X",
    "contractor_name": "示范市第一建筑工程有限公司",
    "credit_code": "91320100MA00001017",
    "design_review_number": "示建消审字〔2026〕第0088号",
    "destination": "示范市江北新区港口路 8 号",
    "device_code": "3110320100202600001",
    "device_location": "A 栋 1 号电梯井",
    "employer_name": "示范市顺达道路运输有限公司",
    "exam_certificate_number": "2026320100012345",
    "father_id": "320102198506120017",
    "father_name": "张三",
    "female_id": "320102199003150022",
    "female_name": "李四",
    "graduate_school": "示范师范大学",
    "id_number": "320102198506120017",
    "industry_category": "电子元件及电子专用材料制造",
    "institution_name": "示范市城东康复医院",
    "job_intention": "行政文员",
    "land_certificate_number": "苏（2025）示范市不动产权第0098765号",
    "land_location": "示范市城东区东湖路以南、长安路以东",
    "last_employer": "示范市顺达道路运输有限公司",
    "legal_representative": "张三",
    "legal_representative_id": "320102198506120017",
    "mailing_address": "示范市城东区东湖路 12 号",
    "major": "汉语言文学",
    "male_id": "320102198506120017",
    "male_name": "张三",
    "manufacturer": "示范电梯制造有限公司",
    "mother_id": "320102199003150022",
    "mother_name": "李四",
    "operator_name": "王五",
    "org_name": "示范市青年创业促进会",
    "organiser_name": "示范市育才教育发展有限公司",
    "origin": "示范市城东区工业园 3 号",
    "owner_certificate_number": "320102198506120017",
    "owner_name": "张三",
    "parking_address": "示范市城东区物流园 8 号停车场",
    "permit_number": "苏交运管许可示字320100001234号",
    "phone": "13800138001",
    "plate_number": "苏A12345",
    "platform": "示范出行科技有限公司",
    "practice_scope": "内科专业",
    "principal": "王五",
    "project_address": "示范市城东区东湖路 100 号",
    "project_manager": "王五",
    "project_name": "城东区东湖安置房二期工程",
    "property_address": "示范市城东区东湖路 12 号 3 幢 502 室",
    "purpose_note": "应聘教师岗位",
    "qualification_number": "202632110320100198506120017",
    "quality_manager": "李四",
    "reason": "家庭成员因病失去劳动能力，收入低于最低生活保障标准。",
    "report_preparer": "示范环境科技咨询有限公司",
    "residence_address": "示范市城东区东湖路 12 号",
    "route": "城东区工业园—S338—长江大桥—江北新区港口路",
    "route_plan": "示范市客运站—城东区—邻市汽车站，日发 6 班",
    "safety_manager": "李四",
    "school_name": "示范市育才实验学校",
    "seller_id": "320102198506120017",
    "seller_name": "张三",
    "supervision_bank": "中国建设银行示范市分行",
    "trade_name": "示范市城东区王五便利店",
    "vin": "LSVAU2180N2123456",
}
BAD_PATTERN_VALUE = "不合格的值"


def validator(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def answer(name: str, prop: dict[str, Any]) -> Any:
    """A valid answer to one form field."""
    if "const" in prop:
        return prop["const"]
    if "enum" in prop:
        return prop["enum"][0]
    kind = prop.get("type")
    if kind == "array":
        return [prop["items"]["enum"][0]]
    if kind == "boolean":
        return False
    if kind in {"integer", "number"}:
        value = prop.get("minimum", prop.get("exclusiveMinimum", 0) + 1)
        return min(value, prop.get("maximum", value))
    if prop.get("format") == "date":
        return "2026-03-02"
    if prop.get("format") == "email":
        return "zhangsan@example.com"
    return SAMPLE_TEXT[name]


def sample(schema: dict[str, Any]) -> dict[str, Any]:
    return {name: answer(name, prop) for name, prop in schema["properties"].items()}


def by_code(entry: dict[str, Any]) -> str:
    return entry["code"]


# --- The file alone ------------------------------------------------------------------------


def test_the_file_has_enough_distinct_items_across_types_and_levels() -> None:
    codes = [entry["code"] for entry in ITEMS]
    assert len(ITEMS) >= 30
    assert len(codes) == len(set(codes))
    assert len({entry["basic_code"] for entry in ITEMS}) == len(ITEMS)
    assert any(len(code) >= 50 for code in codes)
    assert len({entry["department"]["code"] for entry in ITEMS}) >= 8
    types = Counter(entry["type"] for entry in ITEMS)
    assert {"01", "05", "07", "10", "20"} <= set(types)
    assert Counter(entry["case_type"] for entry in ITEMS).keys() == {"1", "2"}
    assert {"calendar_days", "working_days"} <= {entry["legal_limit_unit"] for entry in ITEMS}
    assert any(entry["fees"] for entry in ITEMS)
    assert any(entry["special_procedures"] for entry in ITEMS)
    assert {entry["guide"]["exercise_level"] for entry in ITEMS} == {"3", "4", "5"}


@pytest.mark.parametrize("entry", ITEMS, ids=by_code)
def test_each_entry_is_complete_and_consistent(entry: dict[str, Any]) -> None:
    assert entry["steps"]
    assert 2 <= len(entry["materials"]) <= 8
    assert [step["order"] for step in entry["steps"]] == list(range(1, len(entry["steps"]) + 1))
    assert all(step["assignment"] == "pool" for step in entry["steps"])
    budget = sum(step["budget_days"] for step in entry["steps"])
    if entry["case_type"] == "1":
        assert entry["promised_limit_days"] == 0
        assert budget == 0
    else:
        assert 0 < budget <= entry["promised_limit_days"] <= entry["legal_limit_days"]
    assert entry["online_service_level"] in {"1", "2", "3", "4"}
    assert (entry["visits_required"] == 0) == (entry["online_service_level"] == "4")
    assert set(entry["guide"]) <= set(GUIDE_FIELDS)
    assert not {"entrusted_department", "co_handling_departments"} & set(entry["guide"])
    for key in ("place", "office_hours", "consultation_phone", "complaint_phone",
                "result_type", "result_name", "setting_basis"):  # fmt: skip
        assert entry["guide"][key], key
    assert entry["legal_basis"].startswith("《")
    assert entry["acceptance_conditions"]
    for material in entry["materials"]:
        assert material["required"] or material["condition"], material["code"]


@pytest.mark.parametrize("entry", ITEMS, ids=by_code)
def test_each_form_accepts_a_good_answer_and_refuses_a_bad_one(entry: dict[str, Any]) -> None:
    schema = entry["form_schema"]
    assert form_schema_problems(schema) == []
    assert schema["required"]
    assert set(schema["required"]) <= set(schema["properties"])
    check = validator(schema)
    good = sample(schema)
    assert list(check.iter_errors(good)) == []

    missing = copy.deepcopy(good)
    del missing[schema["required"][0]]
    assert not check.is_valid(missing)
    for name, prop in schema["properties"].items():
        if "pattern" in prop:
            assert not check.is_valid({**good, name: BAD_PATTERN_VALUE}), name


# --- Loaded into the demo city ----------------------------------------------------------------


@pytest.fixture
def demo_city(db: None, settings: Any) -> None:
    settings.DEMO = True
    restore_migration_data()
    load_accounts()
    load_catalog()


def counts() -> tuple[int, ...]:
    models = (ServiceItem, ItemVersion, Material, WorkflowStep, ItemChange, User, RoleGrant,
              AuditEvent)  # fmt: skip
    return tuple(model.objects.count() for model in models)


def test_the_loader_follows_the_accounts_loader() -> None:
    loaders = list(DEMO_LOADERS)
    catalog = loaders.index("wangban.catalog.demo.load_catalog")
    assert loaders.index("wangban.accounts.demo.load_accounts") < catalog


def test_every_demo_item_is_published_through_the_workflow(demo_city: None) -> None:
    published = list(published_items())
    assert len(published) == len(ITEMS) >= 30
    assert len({version.department_id for version in published}) >= 8
    assert ItemVersion.objects.exclude(state=VersionState.PUBLISHED).count() == 0
    centre_admin = User.objects.get(username="centre_admin")
    for version in published:
        assert version.steps.exists()
        assert version.materials.count() >= 2
        assert version.form_schema
        assert version.reviewed_by == centre_admin
        assert RoleGrant.objects.filter(
            user=version.created_by, department=version.department, role=Role.DEPT_ADMIN
        ).exists()
    # The transport bureau's own admin from the accounts demo drafted its items.
    transport = [v for v in published if v.department.code == "D01"]
    assert transport
    assert {v.created_by.username for v in transport} == {"dept_admin"}


def test_published_items_round_trip_to_the_file(demo_city: None) -> None:
    published = {version.item.code: item_to_api(version) for version in published_items()}
    for entry in ITEMS:
        representation = published[entry["code"]]
        assert representation.pop("version") == 1
        assert representation.pop("effective_on") is not None
        assert representation == entry, entry["code"]


def test_loading_twice_changes_nothing(demo_city: None) -> None:
    first = counts()
    assert load_catalog() == f"{len(ITEMS)} 个事项"
    assert counts() == first
