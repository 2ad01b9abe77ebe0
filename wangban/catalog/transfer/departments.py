"""The departments an imported file names: the implementing department of each item, and
the entrusted and co-handling departments (`entrusted_department`, `steps[].department`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from wangban.accounts.actions import do_save_department
from wangban.accounts.models import Department
from wangban.catalog.transfer.plan import chunks
from wangban.catalog.transfer.records import ItemRecord, Problem

IN_CHUNK = 900
CODE_MAX = Department._meta.get_field("code").max_length or 32
NAME_MAX = Department._meta.get_field("name").max_length or 100


def ref(value: Any) -> tuple[Any, Any]:
    """(code, name) of a department given as `{"code", "name"}` or as its code."""
    if isinstance(value, dict):
        return value.get("code"), value.get("name")
    return value, None


def department_refs(record: ItemRecord) -> Iterable[tuple[str, Any, Any]]:
    """(path, code, name) of every department an item names."""
    data = record.data
    yield "department", *ref(data.get("department"))
    yield "entrusted_department", *ref(data.get("entrusted_department"))
    steps = data.get("steps")
    for index, step in enumerate(steps if isinstance(steps, list) else []):
        if isinstance(step, dict):
            yield f"steps[{index}].department", *ref(step.get("department"))


@dataclass
class Departments:
    """The named departments that exist, by code, and those the import is to create."""

    known: dict[str, Department] = field(default_factory=dict)
    to_create: dict[str, str] = field(default_factory=dict)  # code → name

    def create(self, actor: Any) -> None:
        """Create the missing departments through `accounts.actions.do_save_department`
        (a centre admin's action, audited as `department.create`), as 市级 departments
        without a parent: the centre places them in the tree afterwards."""
        for code, name in sorted(self.to_create.items()):
            self.known[code] = do_save_department(actor=actor, code=code, name=name)


def find_departments(
    records: list[ItemRecord], *, create: bool, problems: list[Problem]
) -> Departments:
    """Which named departments exist; with `create`, the missing ones the file gives a name
    for are to be created. A missing implementing department is a problem (with `create`,
    only when it has no name); a missing entrusted or co-handling one without a name is
    left to `clean_content`, which names the field."""
    codes = sorted(
        {
            code
            for record in records
            for _path, code, _name in department_refs(record)
            if isinstance(code, str) and code
        }
    )
    found = Departments()
    for chunk in chunks(codes, IN_CHUNK):
        found.known.update({d.code: d for d in Department.objects.filter(code__in=chunk)})
    for record in records:
        for path, code, name in department_refs(record):
            if not isinstance(code, str) or not code or code in found.known:
                continue
            problem = _missing(code, name, path, create, found.to_create)
            if problem:
                problems.append(record.problem(path, problem))
    return found


def _missing(code: str, name: Any, path: str, create: bool, to_create: dict[str, str]) -> str:
    """Why a missing department cannot be created (empty: it can, or it is not ours to say)."""
    implementing = path == "department"
    if not create:
        if implementing:
            return f"实施部门“{code}”不存在；需要新建部门请加 --create-departments。"
        return ""
    name = name.strip() if isinstance(name, str) else ""
    if len(code) > CODE_MAX:
        return f"部门编码不能超过 {CODE_MAX} 个字符。"
    if not name:
        return f"新建部门“{code}”须填写实施部门名称。" if implementing else ""
    if len(name) > NAME_MAX:
        return f"部门名称不能超过 {NAME_MAX} 个字符。"
    if to_create.setdefault(code, name) != name:
        return f"部门“{code}”的名称“{name}”与前面的“{to_create[code]}”不一致。"
    return ""
