"""The people and cases the case-page tests share, built through the real actions: a verified
applicant who holds a company, a second applicant, an agent of the company for another item
only, the transport department's clerk (who accepts its cases) and the supervisor."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from wangban.accounts import actions as account_actions
from wangban.accounts.models import LegalPerson, User
from wangban.accounts.tests.helpers import verified
from wangban.cases import actions
from wangban.cases.models import Case
from wangban.cases.tests.helpers import FORM, PDF
from wangban.catalog.tests.helpers import CODE, published_item
from wangban.conftest import City

CREDIT = "91350100M000100Y43"
CORRECTION = [
    {"material_code": "M02", "reason": "营业执照复印件不清晰"},
    {"material_code": "M01", "reason": "申请表缺少法定代表人签字"},
]
# A Windows executable's first bytes: refused by content whatever its name says.
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


@dataclass
class World:
    city: City
    owner: User  # verified, holds the company
    other: User  # another verified applicant
    agent: User  # an agent of the company, for another item only
    company: LegalPerson

    @property
    def clerk(self) -> User:
        return self.city.transport_clerk


def build_world(city: City) -> World:
    published_item(city)
    owner = verified("zhang", 1, real_name="张三")
    other = verified("lisi", 2, real_name="李四")
    agent = verified("wangwu", 3, real_name="王五")
    company = account_actions.do_register_legal_person(
        owner=owner, name="顺达运输有限公司", credit_code=CREDIT, representative_name="张三"
    )
    today = timezone.localdate()
    account_actions.do_grant_agent(
        company,
        actor=owner,
        agent_username="wangwu",
        valid_from=today,
        valid_to=today + timedelta(days=30),
        item_codes=["ANOTHER-ITEM"],
    )
    return World(city, owner, other, agent, company)


def pdf(name: str = "材料.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def draft(actor: User, **kwargs: Any) -> Case:
    kwargs.setdefault("form", dict(FORM))
    return actions.do_create_case(actor=actor, item_code=CODE, **kwargs)


def attach(case: Case, actor: User, *codes: str) -> None:
    for code in codes or ("M01", "M02"):
        actions.do_attach_material(case, actor=actor, material_code=code, upload=pdf(f"{code}.pdf"))


def submitted(actor: User, **kwargs: Any) -> Case:
    case = draft(actor, **kwargs)
    attach(case, actor)
    return actions.do_submit(case, actor=actor)


def corrected(world: World, actor: User | None = None, **kwargs: Any) -> Case:
    case = submitted(actor or world.owner, **kwargs)
    actions.do_request_correction(case, actor=world.clerk, items=CORRECTION)
    return Case.objects.get(pk=case.pk)


def accepted(world: World, actor: User | None = None, **kwargs: Any) -> Case:
    case = submitted(actor or world.owner, **kwargs)
    return actions.do_accept(case, actor=world.clerk)


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def text_of(html: str) -> str:
    """The page's text with tags dropped and whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def page_text(response: Any) -> str:
    return text_of(response.content.decode())
