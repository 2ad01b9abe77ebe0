"""What changed, in Chinese: the differences between two contents of an item (the before and
after that `item.update_draft` audit events carry, or a pending version against the
published one), and the audit events of a version as lines a reviewer can read."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from wangban.accounts.choices import Level, Role
from wangban.audit.choices import action_label
from wangban.audit.models import AuditEvent
from wangban.catalog.choices import (
    Assignment,
    CaseType,
    ChangeKind,
    FileKind,
    HandlingForm,
    ItemType,
    LimitUnit,
    MaterialForm,
    MaterialSource,
    MaterialType,
    OnlineDepth,
    ServiceObject,
    SpecialProcedure,
)
from wangban.catalog.content import FIELD_KEYS
from wangban.workbench.catalog.forms import GUIDE_LABELS

MAX_SHOWN = 60  # characters of a value shown in a line; the rest is elided

FIELD_LABELS: dict[str, str] = {
    "name": "事项名称",
    "type": "事项类型",
    "case_type": "办件类型",
    "legal_limit_days": "法定办结时限",
    "legal_limit_unit": "法定时限单位",
    "legal_limit_note": "法定时限说明",
    "promised_limit_days": "承诺办结时限",
    "promised_limit_unit": "承诺时限单位",
    "promised_limit_note": "承诺时限说明",
    "warning_threshold_days": "预警阈值",
    "correction_answer_days": "补正期限",
    "service_objects": "服务对象",
    "handling_forms": "办理形式",
    "online_depth": "网上办理深度",
    "online_service_level": "网上办理等级",
    "entrusted_department": "受委托部门",
    "visits_required": "到现场次数",
    "visits_note": "到现场原因",
    "special_procedures": "特别程序",
    "fees": "收费",
    "legal_basis": "法律依据",
    "acceptance_conditions": "受理条件",
    "form_schema": "电子表单",
    "guide": "办事指南其他要素",
    "materials": "申请材料",
    "steps": "审批流程",
}
MATERIAL_LABELS = {
    "name": "名称",
    "required": "是否必要",
    "condition": "提交情形",
    "certificate_type": "电子证照类型",
    "material_type": "材料类型",
    "form": "材料形式",
    "source_channel": "来源渠道",
    "originals": "原件份数",
    "copies": "复印件份数",
    "paper_size": "纸张规格",
    "filling_notes": "填报须知",
    "acceptance_standard": "受理标准",
    "basis": "依据",
}
STEP_LABELS = {
    "name": "名称",
    "role": "办理角色",
    "budget_days": "时限",
    "assignment": "分派方式",
    "assignee": "指定人员",
    "department": "联办部门",
}
# Code sets whose values a line shows by their Chinese label.
CODE_LABELS: dict[str, dict[str, str]] = {
    "type": dict(ItemType.choices),
    "case_type": dict(CaseType.choices),
    "legal_limit_unit": dict(LimitUnit.choices),
    "promised_limit_unit": dict(LimitUnit.choices),
    "service_objects": dict(ServiceObject.choices),
    "handling_forms": dict(HandlingForm.choices),
    "online_depth": dict(OnlineDepth.choices),
    "material_type": dict(MaterialType.choices),
    "form": dict(MaterialForm.choices),
    "source_channel": dict(MaterialSource.choices),
    "role": dict(Role.choices),
    "assignment": dict(Assignment.choices),
    "procedure": dict(SpecialProcedure.choices),
    "exercise_level": dict(Level.choices),
}
KIND_LABELS = dict(ChangeKind.choices)
FILE_LABELS = dict(FileKind.choices)


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


def show(value: Any, key: str = "") -> str:
    """A value as a reader sees it: codes by their label, departments by name, 空 for none."""
    labels = CODE_LABELS.get(key, {})
    if value is None or value in ("", [], {}):
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dict) and "name" in value and "code" in value:
        return str(value["name"])
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "、".join(str(labels.get(v, v)) for v in value)
    if isinstance(value, str):
        return _clip(labels.get(value, value))
    if isinstance(value, int):
        return str(value)
    return _clip(json.dumps(value, ensure_ascii=False))


def _entries(value: Any) -> list[dict[str, Any]]:
    return [entry for entry in value if isinstance(entry, dict)] if isinstance(value, list) else []


def _list_changes(
    before: Any, after: Any, *, key: str, noun: str, labels: dict[str, str]
) -> list[str]:
    """Rows added, removed and changed, each named by `key` (a material's code, a step's
    order) and its name."""
    old = {str(entry.get(key)): entry for entry in _entries(before)}
    new = {str(entry.get(key)): entry for entry in _entries(after)}

    def name(entry: dict[str, Any], ident: str) -> str:
        return f"{noun} {ident}（{entry.get('name', '')}）"

    lines = [f"新增{name(entry, ident)}" for ident, entry in new.items() if ident not in old]
    lines += [f"删除{name(entry, ident)}" for ident, entry in old.items() if ident not in new]
    for ident, entry in new.items():
        if ident in old and old[ident] != entry:
            fields = [
                f"{label} {show(old[ident].get(f), f)} → {show(entry.get(f), f)}"
                for f, label in labels.items()
                if old[ident].get(f) != entry.get(f)
            ]
            if fields:
                lines.append(f"修改{name(entry, ident)}：{'；'.join(fields)}")
    if not lines and list(old) != list(new):
        lines.append(f"调整了{noun}的顺序")
    return lines


def _brief(key: str, value: Any) -> str:
    if key == "fees":
        parts = [
            entry.get("name", "") + (f"（{entry['standard']}）" if entry.get("standard") else "")
            for entry in _entries(value)
        ]
    else:
        parts = [
            show(entry.get("procedure"), "procedure")
            + (f" {entry['days']} 个工作日" if entry.get("days") is not None else "")
            for entry in _entries(value)
        ]
    return _clip("；".join(parts)) if parts else "（空）"


def _schema_fields(schema: Any) -> int:
    properties = schema.get("properties") if isinstance(schema, dict) else None
    return len(properties) if isinstance(properties, dict) else 0


def change_lines(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """One or more lines for every key whose value differs between `before` and `after`."""
    keys = [k for k in (*FIELD_KEYS, "materials", "steps") if k in before or k in after]
    keys += [k for k in after if k not in keys] + [k for k in before if k not in keys]
    lines: list[str] = []
    for key in keys:
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        label = FIELD_LABELS.get(key, key)
        if key == "materials":
            lines += _list_changes(old, new, key="code", noun="材料", labels=MATERIAL_LABELS)
        elif key == "steps":
            lines += _list_changes(old, new, key="order", noun="环节", labels=STEP_LABELS)
        elif key in ("fees", "special_procedures"):
            lines.append(f"{label}：{_brief(key, old)} → {_brief(key, new)}")
        elif key == "guide":
            old_guide = old if isinstance(old, dict) else {}
            new_guide = new if isinstance(new, dict) else {}
            for name in dict.fromkeys([*old_guide, *new_guide]):
                if old_guide.get(name) != new_guide.get(name):
                    lines.append(
                        f"{GUIDE_LABELS.get(name, name)}：{show(old_guide.get(name), name)} → "
                        f"{show(new_guide.get(name), name)}"
                    )
        elif key == "form_schema":
            lines.append(
                f"电子表单：{_schema_fields(old)} 个字段 → {_schema_fields(new)} 个字段"
                if old
                else f"电子表单：新增（{_schema_fields(new)} 个字段）"
            )
        else:
            lines.append(f"{label}：{show(old, key)} → {show(new, key)}")
    return lines


@dataclass(frozen=True)
class EventView:
    """An audit event about a version, told in Chinese."""

    at: datetime
    who: str
    action: str
    lines: list[str]


def _event_lines(event: AuditEvent) -> list[str]:
    before = event.before if isinstance(event.before, dict) else {}
    after = event.after if isinstance(event.after, dict) else {}
    action = event.action
    if action == "item.update_draft":
        return change_lines(before, after) or ["内容未变"]
    if action == "item.draft":
        return [f"变更类型：{KIND_LABELS.get(after.get('change_kind', ''), '')}"]
    if action == "item.return":
        return [f"退回原因：{after.get('note', '')}"]
    if action in ("item.schedule", "item.publish", "item.cancel"):
        lines = [f"生效日期：{after.get('effective_on', '')}"]
        if after.get("superseded_version"):
            lines.append(f"替代第 {after['superseded_version']} 版")
        return lines
    if action in ("item.attach_file", "item.remove_file"):
        data = after if action == "item.attach_file" else before
        where = f"（材料 {data['material']}）" if data.get("material") else ""
        return [f"{FILE_LABELS.get(data.get('kind', ''), '文件')}：{data.get('name', '')}{where}"]
    return []


def event_view(event: AuditEvent) -> EventView:
    return EventView(
        at=event.at,
        who=event.actor_username or "系统",
        action=action_label(event.action),
        lines=_event_lines(event),
    )
