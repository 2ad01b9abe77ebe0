"""The service guide (办事指南) of a published version in plain Chinese: the page and the
printable PDF read the same context, built from the API's item representation
(`queries.item_to_api`), so every channel says the same thing (同源发布)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wangban.accounts.choices import Level
from wangban.catalog.choices import (
    CaseType,
    HandlingForm,
    ItemType,
    LimitUnit,
    MaterialForm,
    MaterialSource,
    OnlineDepth,
    ServiceObject,
    SpecialProcedure,
)
from wangban.catalog.models import ItemVersion
from wangban.catalog.queries import item_to_api
from wangban.catalog.search import theme_names
from wangban.portal.flowchart import chart_steps, flowchart_svg

NO_FEE = "不收费"


def labels(codes: Any, choices: Any) -> str:
    """Code list → "label、label" (unknown codes shown as they are)."""
    names = dict(choices.choices)
    return "、".join(names.get(code, str(code)) for code in codes or [])


def limit_text(days: int, unit: str) -> str:
    """20, working_days → "20 个工作日"."""
    return f"{days} 个{dict(LimitUnit.choices).get(unit, unit)}"


def yes_no(value: Any) -> str:
    if value is None or value == "":
        return ""
    return "是" if value is True or str(value).strip() in {"是", "true", "1"} else "否"


@dataclass
class Limit:
    label: str
    text: str
    note: str

    @property
    def sentence(self) -> str:
        """ "法定办结时限：20 个工作日" (the note follows in brackets)."""
        note = f"（{self.note}）" if self.note else ""
        return f"{self.label}：{self.text}{note}"


def _material_rows(materials: list[dict[str, Any]]) -> list[dict[str, Any]]:
    forms = dict(MaterialForm.choices)
    sources = dict(MaterialSource.choices)
    rows = []
    for material in materials:
        counts = []
        if material["originals"]:
            counts.append(f"原件 {material['originals']} 份")
        if material["copies"]:
            counts.append(f"复印件 {material['copies']} 份")
        notes = [
            text for text in (material["filling_notes"], material["acceptance_standard"]) if text
        ]
        if material["certificate_type"]:
            notes.append("可用电子证照代替，无需提交纸质材料。")
        rows.append(
            {
                **material,
                "required_text": "必需" if material["required"] else "非必需",
                "form_label": forms.get(material["form"], material["form"]),
                "counts": "；".join(counts),
                "source_label": sources.get(material["source_channel"], material["source_channel"]),
                "notes": notes,
            }
        )
    return rows


def _facts(data: dict[str, Any], version: ItemVersion) -> list[tuple[str, str]]:
    """The basic facts of the guide as (term, value) pairs; empty values are left out."""
    guide = data["guide"]
    level = guide.get("exercise_level")
    joint = "、".join(d["name"] for d in data["co_handling_departments"])
    online_level = version.online_service_level.label if version.online_service_level else ""
    supports = [
        (label, yes_no(guide.get(key)))
        for key, label in (
            ("supports_appointment", "支持预约办理"),
            ("supports_online_payment", "支持网上支付"),
            ("supports_post_delivery", "支持物流快递"),
            ("supports_kiosk", "支持自助终端"),
        )
    ]
    facts = [
        ("事项类型", dict(ItemType.choices).get(data["type"], data["type"])),
        ("实施部门", data["department"]["name"]),
        ("受委托部门", (data["entrusted_department"] or {}).get("name", "")),
        ("联办部门", joint),
        ("服务对象", labels(data["service_objects"], ServiceObject)),
        ("办件类型", dict(CaseType.choices).get(data["case_type"], data["case_type"])),
        ("办理形式", labels(data["handling_forms"], HandlingForm)),
        ("网上办理等级", online_level),
        ("网上办理深度", labels(data["online_depth"], OnlineDepth)),
        ("行使层级", dict(Level.choices).get(str(level), str(level)) if level else ""),
        ("实施主体性质", str(guide.get("department_nature") or "")),
        *supports,
        ("实施编码", data["code"]),
        ("基本编码", data["basic_code"]),
        ("版本", f"第 {data['version']} 版，{data['effective_on'] or ''} 起施行"),
    ]
    return [(term, value) for term, value in facts if value]


def _faq(value: Any) -> dict[str, Any]:
    """`faq` (whether there is one), with `faq_pairs` of (question, answer) when the guide
    gives a list of objects, else `faq_text`."""
    pairs: list[tuple[str, str]] = []
    text = ""
    if isinstance(value, list):
        for entry in value:
            if isinstance(entry, dict):
                question = entry.get("question") or entry.get("q") or ""
                answer = entry.get("answer") or entry.get("a") or ""
                pairs.append((str(question), str(answer)))
            elif entry:
                pairs.append((str(entry), ""))
    elif value:
        text = str(value)
    return {"faq": bool(pairs or text), "faq_pairs": pairs, "faq_text": text}


def guide_context(version: ItemVersion) -> dict[str, Any]:
    """Everything the item page and the printable guide show of a version."""
    data = item_to_api(version)
    guide = data["guide"]
    procedures = dict(SpecialProcedure.choices)
    limits = [
        Limit("法定办结时限", limit_text(data["legal_limit_days"], data["legal_limit_unit"]),
              data["legal_limit_note"]),
        Limit("承诺办结时限", limit_text(data["promised_limit_days"], data["promised_limit_unit"]),
              data["promised_limit_note"]),
    ]  # fmt: skip
    if data["case_type"] == CaseType.IMMEDIATE:
        limits[1].text = "即办（当场办结）"
    steps = chart_steps(version)
    fees = [fee for fee in data["fees"] if isinstance(fee, dict)]
    return {
        "item": data,
        "facts": _facts(data, version),
        "limits": limits,
        "materials": _material_rows(data["materials"]),
        "fees": fees,
        "no_fee": not fees,
        "special_procedures": [
            {
                "label": procedures.get(
                    str(entry.get("procedure")), str(entry.get("procedure", ""))
                ),
                "days": entry.get("days"),
                "note": entry.get("note", ""),
            }
            for entry in data["special_procedures"]
            if isinstance(entry, dict)
        ],
        "steps": steps,
        "flowchart": flowchart_svg(steps, title=data["name"]),
        "themes_person": theme_names(guide.get("themes_person")),
        "themes_legal_person": theme_names(guide.get("themes_legal_person")),
        "place": {
            key: str(guide.get(key) or "")
            for key in (
                "place",
                "office_hours",
                "directions",
                "consultation_phone",
                "complaint_phone",
            )
        },
        **_faq(guide.get("faq")),
        "result": {
            "name": str(guide.get("result_name") or ""),
            "type": str(guide.get("result_type") or ""),
            "sample": data["result_sample"],
        },
        "setting_basis": str(guide.get("setting_basis") or ""),
        "has_form": bool(form_properties(data["form_schema"])),
    }


def form_properties(schema: Any) -> dict[str, Any]:
    """The properties of a form schema (empty when the item has no electronic form)."""
    if isinstance(schema, dict) and isinstance(schema.get("properties"), dict):
        return schema["properties"]
    return {}
