"""The demo catalogue: service items of the demo city's departments (DESIGN.md §6).

The items live in `demo_items.json`, a list in the catalogue's JSON exchange format (the
`queries.item_to_api` representation without `version` and `effective_on`), so the file can
also be read by `import_items`. Each item goes through the real publication workflow: the
department's admin drafts and submits it, the centre's admin approves it. Idempotent: an item
whose code is already in the catalogue is left alone, so loading twice changes nothing.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from django.db import transaction

from wangban.accounts.choices import Role
from wangban.accounts.models import Department, RoleGrant, User
from wangban.catalog import actions
from wangban.catalog.models import ServiceItem
from wangban.catalog.queries import IDENTITY_KEYS

DATA_FILE = Path(__file__).with_name("demo_items.json")


@cache
def _raw_items() -> str:
    return DATA_FILE.read_text(encoding="utf-8")


def demo_items() -> list[dict[str, Any]]:
    """The demo items, in file order (a fresh copy each call)."""
    items: list[dict[str, Any]] = json.loads(_raw_items())
    return items


def item_content(entry: dict[str, Any]) -> dict[str, Any]:
    """What `do_draft_item` takes as `content`: the entry without its identity keys."""
    return {key: value for key, value in entry.items() if key not in IDENTITY_KEYS}


def _centre_admin() -> User:
    grant = (
        RoleGrant.objects.filter(role=Role.CENTRE_ADMIN, user__is_active=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if grant is None:
        raise RuntimeError("演示城市没有政务服务中心管理员，请先载入账号演示数据。")
    return grant.user


def _department_admin(department: Department) -> User:
    """The department's admin drafts its items (wangban/accounts/demo.py gives each one)."""
    grant = (
        RoleGrant.objects.filter(department=department, role=Role.DEPT_ADMIN, user__is_active=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if grant is None:
        raise RuntimeError(f"演示城市的{department.name}没有部门管理员，请先载入账号演示数据。")
    return grant.user


@transaction.atomic
def load_catalog() -> str:
    """Draft, submit and publish every demo item that is not in the catalogue yet."""
    centre_admin = _centre_admin()
    entries = demo_items()
    departments = {
        department.code: department
        for department in Department.objects.filter(
            code__in={entry["department"]["code"] for entry in entries}
        )
    }
    missing = sorted({e["department"]["code"] for e in entries} - set(departments))
    if missing:
        raise RuntimeError(f"演示城市缺少这些部门：{'、'.join(missing)}。")
    existing = set(
        ServiceItem.objects.filter(code__in=[e["code"] for e in entries]).values_list(
            "code", flat=True
        )
    )
    admins: dict[str, User] = {}
    for entry in entries:
        if entry["code"] in existing:
            continue
        department = departments[entry["department"]["code"]]
        admin = admins.get(department.code) or _department_admin(department)
        admins[department.code] = admin
        version = actions.do_draft_item(
            actor=admin,
            code=entry["code"],
            department=department,
            basic_code=entry["basic_code"],
            content=item_content(entry),
        )
        version = actions.do_submit_for_review(version, actor=admin)
        actions.do_review(version, actor=centre_admin, approve=True, note="演示数据")
    return f"{len(entries)} 个事项"
