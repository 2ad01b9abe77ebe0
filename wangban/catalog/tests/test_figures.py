"""Supervision figures: 网上事项公开率 and guide completeness per department, computed exactly
on a small known catalogue built through the real actions."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from wangban.accounts.choices import Level, Role
from wangban.accounts.models import Department
from wangban.catalog import actions
from wangban.catalog.figures import (
    CatalogueFigures,
    IncompleteItem,
    Rate,
    catalogue_figures,
    is_online,
    missing_elements,
)
from wangban.catalog.tests.helpers import item_content, publish
from wangban.conftest import City, make_staff

GUIDE = {
    "place": "市政务服务中心二楼",
    "office_hours": "工作日 9:00–12:00，13:30–17:30",
    "consultation_phone": "0813-12345",
    "complaint_phone": "12345",
    "result_name": "道路运输经营许可证",
}


def content(**overrides: Any) -> dict[str, Any]:
    return item_content(**{"guide": GUIDE, **overrides})


def published(city: City, code: str, admin: Any = None, department: Any = None, **overrides: Any):
    admin = admin or city.transport_admin
    version = actions.do_draft_item(
        actor=admin,
        code=code,
        department=department or admin.department,
        content=content(**overrides),
    )
    version = actions.do_submit_for_review(version, actor=admin)
    return actions.do_review(version, actor=city.centre_admin, approve=True)


def build(city: City) -> Department:
    """Seven items in three departments; five of them published now."""
    county = Department.objects.create(code="D11", name="某县交通运输局", level=Level.COUNTY)
    # D01: complete and online by handling form and depth.
    published(city, "D01-1")
    # D01: online by depth only; no legal basis, no fees.
    published(
        city, "D01-2", handling_forms=["1"], online_depth=["1", "4"], legal_basis="  ", fees=[]
    )
    # D01: complete, not online; a pending adjustment that would make it online changes nothing.
    published(city, "D01-3", handling_forms=["1"], online_depth=["1", "2", "3"])
    actions.do_draft_item(
        actor=city.transport_admin,
        code="D01-3",
        kind="adjust",
        change_reason="开通网上受理",
        content=content(handling_forms=["1", "2"]),
    )
    # D01: only a draft, and one approved for a future date: neither is published.
    actions.do_draft_item(
        actor=city.transport_admin, code="D01-4", department=city.transport, content=content()
    )
    # D01: published, then cancelled.
    published(city, "D01-5")
    cancel = actions.do_draft_item(
        actor=city.transport_admin, code="D01-5", kind="cancel", change_reason="法规废止"
    )
    publish(city, cancel)
    # D01 → D11: delegated; it counts where it is implemented now. Complete, not online.
    published(city, "D01-6", handling_forms=["1"], online_depth=[])
    delegate = actions.do_draft_item(
        actor=city.transport_admin,
        code="D01-6",
        kind="delegate",
        department=county,
        change_reason="下放县级实施",
    )
    publish(city, delegate)
    # D02: online by handling form only; no materials, no fees, no guide at all.
    published(
        city,
        "D02-1",
        admin=city.market_admin,
        handling_forms=["2"],
        online_depth=[],
        materials=[],
        fees=[],
        guide={},
    )
    return county


def test_figures_per_department_on_a_known_catalogue(city: City) -> None:
    build(city)
    figures = catalogue_figures()

    rows = [
        (d.code, d.name, d.published, d.online, d.complete, str(d.online_rate), str(d.completeness))
        for d in figures.departments
    ]
    assert rows == [
        ("D01", "市交通运输局", 3, 2, 2, "66.7%", "66.7%"),
        ("D02", "市市场监督管理局", 1, 1, 0, "100.0%", "0.0%"),
        ("D11", "某县交通运输局", 1, 0, 1, "0.0%", "100.0%"),
    ]
    total = figures.total
    assert (total.name, total.published, total.online, total.complete) == ("合计", 5, 3, 3)
    assert (total.online_rate, total.completeness) == (Rate(3, 5), Rate(3, 5))
    assert total.online_rate.percent == 60.0
    assert figures.incomplete == [
        IncompleteItem(
            code="D01-2",
            name="道路运输经营许可证核发",
            department_code="D01",
            department_name="市交通运输局",
            missing=("法律依据", "收费依据和标准"),
        ),
        IncompleteItem(
            code="D02-1",
            name="道路运输经营许可证核发",
            department_code="D02",
            department_name="市市场监督管理局",
            missing=(
                "申报材料",
                "收费依据和标准",
                "受理时间",
                "咨询电话",
                "监督投诉电话",
                "办理地点",
                "审批结果名称",
            ),
        ),
    ]


def test_figures_of_chosen_departments_only(city: City) -> None:
    county = build(city)
    figures = catalogue_figures([city.transport.pk, county.pk])
    assert [d.code for d in figures.departments] == ["D01", "D11"]
    assert (figures.total.published, figures.total.online, figures.total.complete) == (4, 2, 3)
    assert [item.code for item in figures.incomplete] == ["D01-2"]


def test_a_department_with_items_but_none_published_has_no_rate(city: City) -> None:
    actions.do_draft_item(
        actor=city.market_admin, code="D02-9", department=city.market, content=content()
    )
    figures = catalogue_figures()
    assert [(d.code, d.published) for d in figures.departments] == [("D02", 0)]
    assert str(figures.departments[0].online_rate) == "—"
    assert figures.departments[0].completeness.percent is None
    assert figures == CatalogueFigures(
        departments=figures.departments, total=figures.total, incomplete=[]
    )


def test_the_figures_cost_two_queries_whatever_the_catalogue(city: City) -> None:
    published(city, "D01-1")
    with CaptureQueriesContext(connection) as small:
        catalogue_figures()
    for n in range(6):
        published(city, f"D02-{n}", admin=city.market_admin)
    third = Department.objects.create(code="D03", name="市人力资源和社会保障局")
    published(city, "D03-1", admin=make_staff("hr_admin", third, Role.DEPT_ADMIN))
    with CaptureQueriesContext(connection) as large:
        figures = catalogue_figures()
    assert figures.total.published == 8
    assert len(small.captured_queries) == len(large.captured_queries) == 2


def test_online_and_missing_rules() -> None:
    assert is_online(["2"], [])
    assert is_online([], ["1", "4"])
    assert not is_online(["1", "3"], ["1", "2", "3", "5"])
    assert not is_online(None, "4")
    complete = {
        "legal_basis": "《条例》",
        "acceptance_conditions": "条件",
        "materials": True,
        "fees": [{"name": "不收费"}],
        "steps": True,
        **GUIDE,
    }
    assert missing_elements(complete) == ()
    assert missing_elements({**complete, "place": " \n", "steps": False, "fees": []}) == (
        "收费依据和标准",
        "办理地点",
        "办理流程",
    )
