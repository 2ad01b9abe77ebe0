"""Supervision figures of the catalogue, per implementing department: how many items are
published, how many of them can be applied for online (网上事项公开率), and how many have a
complete guide (办事指南完整率), with the incomplete items and what each one lacks.

Both figures count **published** items only (an item's version in state `published`; cancelled
items and versions still in review or waiting for their effective date do not count), under the
department that implements the item now (after a delegation, the lower-level department).

**网上事项公开率 (online availability).** 淮安市交通运输局《政务服务事项网上运行工作管理办法》
(2017, regulations/huaian-2017-transport-online-operation.txt) 第八条 asks every unit to put all
of its items onto the online hall and serve them there ("应上尽上，网上事项公开率达100%"); the
national indicator of the same idea is the 网上可办率 of the 一网通办 reforms (国办发〔2018〕45号).
Listing an item on the portal is not enough — every published item is listed there by
construction (同源发布) — so an item counts when an applicant can actually apply for it and have
it accepted over the internet, which the implementation list says in either of two fields:

    网上事项公开率 = published items whose 办理形式 includes 网上办理 (HandlingForm "2")
                     or whose 网上办理深度 includes 受理 (OnlineDepth "4")
                     ÷ published items

Departments fill in one field or the other; counting either keeps an item that is served online
from being missed because of the field its department preferred.

**办事指南完整率 (guide completeness).** Article 第九条 of the same regulation lists what a guide
contains: 事项名称、法律依据、实施主体、受理条件、申报材料、收费依据和标准、法定时限、承诺时限、
受理时间、联系电话、监督电话、办理地点、流程图. The name, the implementing department and both
limits cannot be missing from a published version (the model requires them), so the required
elements checked here are the others — `REQUIRED_ELEMENTS` — plus the name of the approval
result (审批结果名称), without which an applicant cannot know what they will receive. A guide is
complete when every required element is filled in:

    办事指南完整率 = published items missing none of REQUIRED_ELEMENTS ÷ published items

Fees count as stated when the guide lists at least one fee entry (an entry such as 不收费
states that nothing is charged). Texts count when they hold more than white space.

Everything is read in two queries, whatever the number of departments and items: one for the
published versions (only the columns the figures need, guide values extracted by the database,
materials and steps as EXISTS), one for the departments that implement items.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef
from django.db.models.fields.json import KT

from wangban.accounts.models import Department
from wangban.catalog.choices import HandlingForm, OnlineDepth, VersionState
from wangban.catalog.models import ItemVersion, Material, ServiceItem, WorkflowStep

# The elements a complete guide has, in the order the regulation lists them, with the Chinese
# name shown to supervisors. Keys are version columns, guide keys or the two parts lists.
REQUIRED_ELEMENTS: dict[str, str] = {
    "legal_basis": "法律依据",
    "acceptance_conditions": "受理条件",
    "materials": "申报材料",
    "fees": "收费依据和标准",
    "office_hours": "受理时间",
    "consultation_phone": "咨询电话",
    "complaint_phone": "监督投诉电话",
    "place": "办理地点",
    "steps": "办理流程",
    "result_name": "审批结果名称",
}
GUIDE_ELEMENTS = ("office_hours", "consultation_phone", "complaint_phone", "place", "result_name")


@dataclass(frozen=True)
class Rate:
    """`count` of `total`; no rate at all when there is nothing to count."""

    count: int
    total: int

    @property
    def percent(self) -> float | None:
        return None if self.total == 0 else round(100 * self.count / self.total, 1)

    def __str__(self) -> str:
        percent = self.percent
        return "—" if percent is None else f"{percent:.1f}%"


@dataclass(frozen=True)
class IncompleteItem:
    code: str
    name: str
    department_code: str
    department_name: str
    missing: tuple[str, ...]  # Chinese names of the missing elements, in REQUIRED order


@dataclass
class DepartmentFigures:
    code: str
    name: str
    published: int = 0
    online: int = 0
    complete: int = 0

    @property
    def online_rate(self) -> Rate:
        return Rate(self.online, self.published)

    @property
    def completeness(self) -> Rate:
        return Rate(self.complete, self.published)


@dataclass
class CatalogueFigures:
    departments: list[DepartmentFigures]
    total: DepartmentFigures
    incomplete: list[IncompleteItem] = field(default_factory=list)


def _filled(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return bool(value.strip())
    return value not in (None, [], {})


def is_online(handling_forms: Any, online_depth: Any) -> bool:
    """Can the item be applied for and accepted online (module docstring)?"""
    forms = handling_forms if isinstance(handling_forms, list) else []
    depth = online_depth if isinstance(online_depth, list) else []
    return HandlingForm.ONLINE in forms or OnlineDepth.ACCEPTANCE in depth


def missing_elements(row: dict[str, Any]) -> tuple[str, ...]:
    """The Chinese names of the required elements a published version lacks; `row` has the
    keys of REQUIRED_ELEMENTS (materials and steps as booleans: are there any)."""
    return tuple(label for key, label in REQUIRED_ELEMENTS.items() if not _filled(row.get(key)))


def _published_rows(department_ids: Collection[int] | None) -> list[dict[str, Any]]:
    versions = ItemVersion.objects.filter(state=VersionState.PUBLISHED)
    if department_ids is not None:
        versions = versions.filter(item__department_id__in=department_ids)
    parts = {"version": OuterRef("pk")}
    rows = versions.annotate(
        has_materials=Exists(Material.objects.filter(**parts)),
        has_steps=Exists(WorkflowStep.objects.filter(**parts)),
        **{f"guide_{key}": KT(f"guide__{key}") for key in GUIDE_ELEMENTS},
    ).values(
        "name",
        "item__code",
        "item__department_id",
        "legal_basis",
        "acceptance_conditions",
        "fees",
        "handling_forms",
        "online_depth",
        "has_materials",
        "has_steps",
        *(f"guide_{key}" for key in GUIDE_ELEMENTS),
    )
    return list(rows.order_by("item__code"))


def catalogue_figures(department_ids: Collection[int] | None = None) -> CatalogueFigures:
    """The figures of every department that implements items (or of `department_ids` only),
    ordered by department code, their total, and the incomplete published items by code."""
    departments = Department.objects.filter(
        Exists(ServiceItem.objects.filter(department=OuterRef("pk")))
    )
    if department_ids is not None:
        departments = departments.filter(pk__in=department_ids)
    figures = {
        d.pk: DepartmentFigures(code=d.code, name=d.name) for d in departments.order_by("code")
    }
    total = DepartmentFigures(code="", name="合计")
    incomplete = []
    for row in _published_rows(department_ids):
        department = figures[row["item__department_id"]]
        values = {
            **row,
            "materials": row["has_materials"],
            "steps": row["has_steps"],
            **{key: row[f"guide_{key}"] for key in GUIDE_ELEMENTS},
        }
        missing = missing_elements(values)
        online = is_online(row["handling_forms"], row["online_depth"])
        for counted in (department, total):
            counted.published += 1
            counted.online += online
            counted.complete += not missing
        if missing:
            incomplete.append(
                IncompleteItem(
                    code=row["item__code"],
                    name=row["name"],
                    department_code=department.code,
                    department_name=department.name,
                    missing=missing,
                )
            )
    return CatalogueFigures(departments=list(figures.values()), total=total, incomplete=incomplete)
