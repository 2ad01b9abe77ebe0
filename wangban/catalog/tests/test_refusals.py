"""Every refusal of the catalogue actions raises its domain error and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from wangban.audit.models import AuditEvent
from wangban.catalog import actions
from wangban.catalog.models import ItemVersion, Material, ServiceItem, WorkflowStep
from wangban.catalog.tests.helpers import CODE, draft, item_content, published_item
from wangban.conftest import City
from wangban.core.errors import Conflict, Forbidden, InvalidInput, NotFound


def state() -> list[Any]:
    return [
        list(ServiceItem.objects.values_list("code", "basic_code").order_by("pk")),
        list(ItemVersion.objects.values().order_by("pk")),
        list(Material.objects.values().order_by("pk")),
        list(WorkflowStep.objects.values().order_by("pk")),
        AuditEvent.objects.count(),
    ]


@pytest.fixture
def unchanged() -> Iterator[None]:
    before = state()
    yield
    assert state() == before


def submit(city: City, **overrides: Any) -> ItemVersion:
    return actions.do_submit_for_review(draft(city, **overrides), actor=city.transport_admin)


# Access ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["market_admin", "transport_clerk", "centre_admin", "applicant"])
def test_only_the_departments_admin_drafts(city: City, who: str) -> None:
    before = state()
    with pytest.raises(Forbidden):
        actions.do_draft_item(
            actor=getattr(city, who), code=CODE, department=city.transport, content=item_content()
        )
    assert state() == before


@pytest.mark.parametrize("who", ["market_admin", "transport_clerk", "centre_admin"])
def test_only_the_departments_admin_edits_and_submits(city: City, who: str) -> None:
    version = draft(city)
    before = state()
    with pytest.raises(Forbidden):
        actions.do_update_draft(version, actor=getattr(city, who), content=item_content(name="x"))
    with pytest.raises(Forbidden):
        actions.do_submit_for_review(version, actor=getattr(city, who))
    assert state() == before


@pytest.mark.parametrize("who", ["market_admin", "transport_clerk"])
def test_only_the_departments_admin_adjusts_or_cancels(city: City, who: str) -> None:
    published_item(city)
    before = state()
    for kind in ("adjust", "cancel"):
        with pytest.raises(Forbidden):
            actions.do_draft_item(
                actor=getattr(city, who), code=CODE, kind=kind, change_reason="理由"
            )
    assert state() == before


@pytest.mark.parametrize(
    "who", ["transport_admin", "market_admin", "supervisor", "transport_clerk"]
)
def test_only_a_centre_admin_reviews(city: City, who: str) -> None:
    version = submit(city)
    before = state()
    with pytest.raises(Forbidden):
        actions.do_review(version, actor=getattr(city, who), approve=True)
    with pytest.raises(Forbidden):
        actions.do_review(version, actor=getattr(city, who), approve=False, note="退回")
    assert state() == before


# Rules checked on submission ----------------------------------------------------------------


def test_submitting_without_steps_is_refused(city: City) -> None:
    version = draft(city, steps=[])
    before = state()
    with pytest.raises(InvalidInput) as error:
        actions.do_submit_for_review(version, actor=city.transport_admin)
    assert error.value.fields == {"steps": ["审批流程至少需要一个环节。"]}
    assert state() == before


def test_step_budgets_above_the_promised_limit_are_refused(city: City) -> None:
    steps = [
        {"name": "受理", "role": "clerk", "budget_days": 1},
        {"name": "审核", "role": "reviewer", "budget_days": 6},
        {"name": "审批", "role": "approver", "budget_days": 4},
    ]
    version = draft(city, steps=steps)
    before = state()
    with pytest.raises(InvalidInput) as error:
        actions.do_submit_for_review(version, actor=city.transport_admin)
    assert error.value.fields == {
        "steps": ["各环节时限之和（11 个工作日）超过承诺办结时限（10 个工作日）。"]
    }
    assert state() == before
    # Exactly the promised limit is fine.
    steps[1]["budget_days"] = 5
    version = actions.do_update_draft(
        version, actor=city.transport_admin, content=item_content(steps=steps)
    )
    assert actions.do_submit_for_review(version, actor=city.transport_admin).state == "in_review"


def test_promised_limit_above_statutory_is_refused(city: City) -> None:
    version = draft(city, promised_limit_days=25)
    before = state()
    with pytest.raises(InvalidInput) as error:
        actions.do_submit_for_review(version, actor=city.transport_admin)
    assert error.value.fields == {
        "promised_limit_days": ["承诺办结时限（25）不能超过法定办结时限（20）。"]
    }
    assert state() == before


def test_promised_working_days_against_statutory_calendar_days_is_refused(city: City) -> None:
    version = draft(city, legal_limit_unit="calendar_days", legal_limit_days=30)
    with pytest.raises(InvalidInput) as error:
        actions.do_submit_for_review(version, actor=city.transport_admin)
    assert list(error.value.fields) == ["promised_limit_days"]


def test_promised_calendar_days_within_statutory_working_days_is_allowed(city: City) -> None:
    version = submit(city, promised_limit_unit="calendar_days", promised_limit_days=20)
    assert version.state == "in_review"


def test_case_type_must_match_the_promised_limit(city: City) -> None:
    version = draft(city, case_type="1")
    with pytest.raises(InvalidInput) as error:
        actions.do_submit_for_review(version, actor=city.transport_admin)
    assert error.value.fields == {"case_type": ["即办件的承诺办结时限应为 0。"]}


INVALID = "电子表单不是有效的 JSON Schema："


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ({}, "请填写电子表单（JSON Schema）。"),
        (
            {"type": "objekt", "title": "表"},
            f"{INVALID}type 处 'objekt' is not valid under any of the given schemas",
        ),
        (
            {"type": "object", "title": "表", "properties": {"a": {"minLength": -1}}},
            f"{INVALID}properties/a/minLength 处 -1 is less than the minimum of 0",
        ),
        (
            {"type": "object", "title": "表", "properties": {"a": {"title": "甲", "pattern": "("}}},
            f"{INVALID}properties/a/pattern 处 '(' is not a 'regex'",
        ),
        ({"type": "string", "title": "表"}, "电子表单的根类型应为 object。"),
        (
            {"type": "object", "title": "表", "properties": {"a": {"type": "string"}}},
            "这些表单字段缺少中文标题（title）：a。",
        ),
    ],
)  # fmt: skip
def test_malformed_form_schema_is_refused(city: City, schema: dict, message: str) -> None:
    version = draft(city, form_schema=schema)
    before = state()
    with pytest.raises(InvalidInput) as error:
        actions.do_submit_for_review(version, actor=city.transport_admin)
    assert error.value.fields == {"form_schema": [message]}
    assert state() == before


def test_every_problem_is_reported_at_once(city: City) -> None:
    version = draft(city, steps=[], promised_limit_days=30, form_schema={"type": 3})
    with pytest.raises(InvalidInput) as error:
        actions.do_submit_for_review(version, actor=city.transport_admin)
    assert sorted(error.value.fields) == ["form_schema", "promised_limit_days", "steps"]


# Bad content on drafting ---------------------------------------------------------------------


def test_duplicate_item_code_is_refused(city: City) -> None:
    draft(city)
    before = state()
    with pytest.raises(InvalidInput) as error:
        draft(city, name="另一个事项")
    assert error.value.code == "duplicate_code"
    assert error.value.fields == {"code": [f"实施编码“{CODE}”已存在。"]}
    assert state() == before


@pytest.mark.parametrize("code", ["", "a b", "a/b", "x" * 65, None])
def test_malformed_item_code_is_refused(city: City, code: Any, unchanged: None) -> None:
    with pytest.raises(InvalidInput) as error:
        draft(city, code=code)
    assert list(error.value.fields) == ["code"]


def test_duplicate_material_code_is_refused(city: City, unchanged: None) -> None:
    materials = [{"code": "M01", "name": "申请表"}, {"code": "M01", "name": "营业执照"}]
    with pytest.raises(InvalidInput) as error:
        draft(city, materials=materials)
    assert error.value.fields == {"materials[1].code": ["材料编码“M01”重复。"]}


def test_bad_fields_are_all_named(city: City, unchanged: None) -> None:
    with pytest.raises(InvalidInput) as error:
        draft(
            city,
            name="",
            type="99",
            legal_limit_days=-1,
            service_objects=["8"],
            guide={"colour": "red"},
            steps=[{"name": "审批", "role": "boss", "budget_days": 1, "assignment": "person"}],
            materials=[{"code": "M09", "name": "证明", "required": False}],
            extra_field=1,
        )
    assert sorted(error.value.fields) == [
        "extra_field",
        "guide",
        "legal_limit_days",
        "materials[0].condition",
        "name",
        "service_objects",
        "steps[0].assignee",
        "steps[0].role",
        "type",
    ]


# States ------------------------------------------------------------------------------------


def test_editing_a_published_version_is_refused(city: City) -> None:
    version = published_item(city)
    before = state()
    with pytest.raises(Conflict) as error:
        actions.do_update_draft(version, actor=city.transport_admin, content=item_content())
    assert error.value.code == "version_immutable"
    with pytest.raises(Conflict) as error:
        actions.do_submit_for_review(version, actor=city.transport_admin)
    assert error.value.code == "version_immutable"
    assert state() == before


def test_model_guard_keeps_published_versions_and_their_parts(city: City) -> None:
    version = published_item(city)
    before = state()
    version.name = "改名"
    with pytest.raises(Conflict):
        version.save()
    with pytest.raises(Conflict):
        version.delete()
    material = version.materials.first()
    assert material is not None
    material.name = "改名"
    with pytest.raises(Conflict):
        material.save()
    with pytest.raises(Conflict):
        material.delete()
    step = version.steps.first()
    assert step is not None
    with pytest.raises(Conflict):
        step.delete()
    assert state() == before


def test_a_version_in_review_cannot_be_edited(city: City) -> None:
    version = submit(city)
    before = state()
    with pytest.raises(Conflict) as error:
        actions.do_update_draft(version, actor=city.transport_admin, content=item_content())
    assert error.value.code == "version_in_review"
    assert state() == before


def test_reviewing_a_draft_is_refused(city: City) -> None:
    version = draft(city)
    before = state()
    with pytest.raises(Conflict) as error:
        actions.do_review(version, actor=city.centre_admin, approve=True)
    assert error.value.code == "invalid_transition"
    assert state() == before


def test_return_needs_a_reason(city: City) -> None:
    version = submit(city)
    before = state()
    with pytest.raises(InvalidInput) as error:
        actions.do_review(version, actor=city.centre_admin, approve=False, note=" ")
    assert error.value.fields == {"note": ["请填写退回原因。"]}
    assert state() == before


def test_effective_date_in_the_past_is_refused(city: City) -> None:
    version = submit(city)
    before = state()
    with pytest.raises(InvalidInput) as error:
        actions.do_review(
            version,
            actor=city.centre_admin,
            approve=True,
            effective_on=timezone.localdate() - timedelta(days=1),
        )
    assert list(error.value.fields) == ["effective_on"]
    assert state() == before


def test_one_pending_version_at_a_time(city: City) -> None:
    published_item(city)
    actions.do_draft_item(actor=city.transport_admin, code=CODE, kind="adjust", change_reason="1")
    before = state()
    with pytest.raises(Conflict) as error:
        actions.do_draft_item(
            actor=city.transport_admin, code=CODE, kind="cancel", change_reason="2"
        )
    assert error.value.code == "pending_version_exists"
    assert state() == before


def test_adjusting_needs_a_reason_and_an_existing_published_item(city: City) -> None:
    with pytest.raises(NotFound):
        actions.do_draft_item(actor=city.transport_admin, code="NOPE", kind="adjust")
    draft(city)
    before = state()
    with pytest.raises(Conflict) as error:
        actions.do_draft_item(
            actor=city.transport_admin, code=CODE, kind="adjust", change_reason="x"
        )
    assert error.value.code == "item_not_published"
    assert state() == before


def test_adjust_without_reason_is_refused(city: City) -> None:
    published_item(city)
    before = state()
    with pytest.raises(InvalidInput) as error:
        actions.do_draft_item(actor=city.transport_admin, code=CODE, kind="adjust")
    assert error.value.fields == {"change_reason": ["请填写变更原因。"]}
    assert state() == before


@pytest.mark.parametrize("second_state", ["published", "draft"])
def test_database_keeps_one_published_and_one_pending_version(
    city: City, second_state: str
) -> None:
    first = published_item(city)
    actions.do_draft_item(actor=city.transport_admin, code=CODE, kind="adjust", change_reason="1")
    fields = {
        "item": first.item,
        "change_kind": "adjust",
        "created_by": city.transport_admin,
        "name": "x",
        "item_type": "01",
        "case_type": "2",
        "legal_limit_days": 1,
        "legal_limit_unit": "working_days",
        "promised_limit_days": 1,
        "promised_limit_unit": "working_days",
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        ItemVersion.objects.create(number=3, state=second_state, **fields)


def test_a_named_assignee_must_hold_the_steps_role_in_the_department(city: City) -> None:
    steps = [{"name": "审核", "role": "reviewer", "budget_days": 1, "assignment": "person",
              "assignee": "transport_clerk"}]  # fmt: skip
    version = draft(city, steps=steps)
    with pytest.raises(InvalidInput) as error:
        actions.do_submit_for_review(version, actor=city.transport_admin)
    assert error.value.fields == {"steps[0].assignee": ["指定人员须是市交通运输局的“审核人”。"]}
