"""Building cases through the real actions."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile

from wangban.accounts.choices import Role
from wangban.accounts.models import Department, User
from wangban.cases import actions
from wangban.cases.models import Case
from wangban.catalog import actions as catalog_actions
from wangban.catalog.tests.helpers import CODE, item_content, published_item
from wangban.conftest import City, make_staff

SHANGHAI = ZoneInfo("Asia/Shanghai")
FORM = {"company": "某某运输有限公司", "vehicles": 3}
ENTRUSTED_CODE = "ENTRUSTED-ITEM-001"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An aware moment in Asia/Shanghai."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def pdf(name: str = "材料.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def item(city: City) -> None:
    """The transport item (level 四级: sign-in 4 h, reply 1 working day)."""
    published_item(city)


def entrusted_department(city: City) -> tuple[Department, User]:
    """A department that entrusts acceptance to the centre, with one published item."""
    department = Department.objects.create(code="D03", name="市民政局", entrusts_acceptance=True)
    admin = make_staff("civil_admin", department, Role.DEPT_ADMIN)
    version = catalog_actions.do_draft_item(
        actor=admin, code=ENTRUSTED_CODE, department=department, content=item_content()
    )
    version = catalog_actions.do_submit_for_review(version, actor=admin)
    catalog_actions.do_review(version, actor=city.centre_admin, approve=True)
    return department, admin


def draft_case(city: City, code: str = CODE, **kwargs: Any) -> Case:
    kwargs.setdefault("actor", city.applicant)
    kwargs.setdefault("form", dict(FORM))
    return actions.do_create_case(item_code=code, **kwargs)


def attach_required(case: Case, actor: Any) -> None:
    for code in ("M01", "M02"):
        actions.do_attach_material(case, actor=actor, material_code=code, upload=pdf(f"{code}.pdf"))


def submitted_case(city: City, code: str = CODE, **kwargs: Any) -> Case:
    case = draft_case(city, code, **kwargs)
    actor = kwargs.get("actor", city.applicant)
    attach_required(case, actor)
    return actions.do_submit(case, actor=actor)


def fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)
