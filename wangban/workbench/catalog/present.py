"""An item's content as the staff pages show it: facts as (term, value) pairs, the
materials and steps as rows, the guide's elements, all from the API representation
(`queries.item_to_api`), so the workbench shows what every channel publishes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wangban.catalog.choices import GUIDE_FIELDS, VersionState
from wangban.workbench.catalog.changes import CODE_LABELS, show
from wangban.workbench.catalog.forms import GUIDE_LABELS

STATE_CLASSES: dict[str, str] = {
    VersionState.DRAFT: "state-draft",
    VersionState.IN_REVIEW: "state-review",
    VersionState.SCHEDULED: "state-scheduled",
    VersionState.PUBLISHED: "state-published",
    VersionState.SUPERSEDED: "state-old",
    VersionState.CANCELLED: "state-old",
}


def limit(days: int, unit: str, note: str = "") -> str:
    text = f"{days} 个{CODE_LABELS['legal_limit_unit'].get(unit, unit)}"
    return f"{text}（{note}）" if note else text


@dataclass(frozen=True)
class Summary:
    facts: list[tuple[str, str]]
    texts: list[tuple[str, str]]  # long texts: legal basis, acceptance conditions
    guide: list[tuple[str, str]]
    materials: list[dict[str, Any]]
    steps: list[dict[str, Any]]
    result_sample: dict[str, Any] | None
    form_fields: int


def summarise(data: dict[str, Any], level_labels: dict[str, str]) -> Summary:
    """What a version says, from its API representation."""
    fees = "；".join(
        fee["name"] + (f"（{fee['standard']}）" if fee.get("standard") else "")
        for fee in data["fees"]
    )
    procedures = "；".join(
        show(p["procedure"], "procedure") + (f" {p['days']} 个工作日" if p.get("days") else "")
        for p in data["special_procedures"]
    )
    threshold = data["warning_threshold_days"]
    answer_days = data["correction_answer_days"]
    facts = [
        ("事项类型", show(data["type"], "type")),
        ("实施部门", data["department"]["name"]),
        ("办件类型", show(data["case_type"], "case_type")),
        (
            "法定办结时限",
            limit(data["legal_limit_days"], data["legal_limit_unit"], data["legal_limit_note"]),
        ),
        (
            "承诺办结时限",
            limit(
                data["promised_limit_days"],
                data["promised_limit_unit"],
                data["promised_limit_note"],
            ),
        ),
        ("预警阈值", f"{threshold} 个工作日" if threshold is not None else "提交时按默认值"),
        ("补正期限", f"{answer_days} 个工作日" if answer_days is not None else "按全局设置"),
        ("服务对象", show(data["service_objects"], "service_objects")),
        ("办理形式", show(data["handling_forms"], "handling_forms")),
        ("网上办理深度", show(data["online_depth"], "online_depth")),
        (
            "网上办理等级",
            level_labels.get(data["online_service_level"], data["online_service_level"]) or "—",
        ),
        ("受委托部门", (data["entrusted_department"] or {}).get("name", "—")),
        ("联办部门", "、".join(d["name"] for d in data["co_handling_departments"]) or "—"),
        (
            "到现场次数",
            f"{data['visits_required']} 次"
            + (f"（{data['visits_note']}）" if data["visits_note"] else ""),
        ),
        ("特别程序", procedures or "—"),
        ("收费", fees or "未填写"),
    ]
    texts = [
        ("法律依据", data["legal_basis"] or "未填写"),
        ("受理条件", data["acceptance_conditions"] or "未填写"),
    ]
    guide = [
        (GUIDE_LABELS[key], show(data["guide"][key], key))
        for key in GUIDE_FIELDS
        if key in data["guide"]
    ]
    properties = (data["form_schema"] or {}).get("properties") or {}
    return Summary(
        facts=facts,
        texts=texts,
        guide=guide,
        materials=[
            {
                **material,
                "form_label": show(material["form"], "form"),
                "type_label": show(material["material_type"], "material_type"),
            }
            for material in data["materials"]
        ],
        steps=[
            {
                **step,
                "role_label": show(step["role"], "role"),
                "assignment_label": step["assignee"] or show(step["assignment"], "assignment"),
                "department_name": (step["department"] or {}).get("name", "本部门"),
            }
            for step in data["steps"]
        ],
        result_sample=data["result_sample"],
        form_fields=len(properties) if isinstance(properties, dict) else 0,
    )
