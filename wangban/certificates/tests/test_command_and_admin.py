"""`create_seals` is idempotent, the demo city has its seals, and the admin shows seals
read-only without any trace of the private key."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from wangban.accounts.models import Department, User
from wangban.audit.models import AuditEvent
from wangban.certificates import actions
from wangban.certificates.models import Seal
from wangban.conftest import City, restore_migration_data
from wangban.notify.tests.helpers import sign_in

pytestmark = pytest.mark.django_db

ADMIN = "/admin/certificates/seal/"


def run_create_seals() -> str:
    out = StringIO()
    call_command("create_seals", stdout=out)
    return out.getvalue()


def test_create_seals_gives_each_department_one_and_is_idempotent(city: City) -> None:
    Department.objects.create(code="D09", name="市旧机构", is_active=False)

    first = run_create_seals()

    seals = Seal.objects.order_by("department__code")
    assert [seal.department.code for seal in seals] == ["C00", "D01", "D02"]
    assert first.startswith("新建电子印章 3 枚：市政务服务中心行政审批专用章（")
    assert AuditEvent.objects.filter(action="seal.create").count() == 3

    assert run_create_seals() == "每个部门都已有在用的电子印章。\n"
    assert Seal.objects.count() == 3
    assert AuditEvent.objects.filter(action="seal.create").count() == 3


def test_the_demo_city_has_a_seal_per_department(settings) -> None:
    restore_migration_data()
    settings.DEMO = True
    call_command("load_demo", verbosity=0)
    active = Department.objects.filter(is_active=True)
    assert Seal.objects.filter(is_active=True).count() == active.count()
    assert Seal.objects.get(department__code="D01").name == "示范市交通运输局行政审批专用章"
    call_command("load_demo", verbosity=0)
    assert Seal.objects.count() == active.count()


@pytest.fixture
def admin_client(city: City) -> Client:
    root = User.objects.create_superuser("root", password="a-good-long-password-9")
    return sign_in(Client(), root)


def test_the_admin_shows_seals_but_never_the_private_key(city: City, admin_client: Client) -> None:
    seal = actions.do_create_seal(city.transport, actor=city.centre_admin)
    private_key = seal.decrypt_private_key()

    listing = admin_client.get(ADMIN)
    page = admin_client.get(f"{ADMIN}{seal.pk}/change/")

    assert listing.status_code == 200
    assert seal.key_id in listing.content.decode()
    assert page.status_code == 200
    body = page.content.decode()
    assert seal.public_key in body
    assert "BEGIN PUBLIC KEY" in body
    assert private_key not in body
    assert seal.private_key_encrypted not in body
    assert "私钥" not in body


def test_the_admin_cannot_add_change_or_delete_seals(city: City, admin_client: Client) -> None:
    seal = actions.do_create_seal(city.transport, actor=city.centre_admin)
    before = list(Seal.objects.values_list("name", "is_active", "public_key"))

    assert admin_client.get(f"{ADMIN}add/").status_code == 403
    posted = admin_client.post(f"{ADMIN}{seal.pk}/change/", {"name": "改名"})
    assert posted.status_code == 403
    assert admin_client.post(f"{ADMIN}{seal.pk}/delete/", {"post": "yes"}).status_code == 403
    assert list(Seal.objects.values_list("name", "is_active", "public_key")) == before
