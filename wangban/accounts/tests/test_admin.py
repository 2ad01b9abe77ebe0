"""The admin shows people and organisation read-only; the dev verifier is labelled."""

from __future__ import annotations

import pytest
from django.test import Client

from wangban.accounts import actions
from wangban.accounts.models import Hall
from wangban.accounts.tests.helpers import force_login_verified
from wangban.conftest import City


@pytest.fixture
def admin_client(client: Client, city: City) -> Client:
    admin = city.centre_admin
    admin.is_staff = admin.is_superuser = True
    admin.save()
    force_login_verified(client, admin)
    return client


def test_person_list_is_masked_and_names_the_development_verifier(
    admin_client: Client,
) -> None:
    user = actions.do_register_person(
        username="zhang",
        password="a-long-applicant-password",
        real_name="张三",
        id_number="320102198506120018",
        phone="13800138001",
    )
    html = admin_client.get("/admin/accounts/person/").content.decode()
    assert "320102********0018" in html
    assert "320102198506120018" not in html
    assert "当前身份核验方式：本地开发核验（未连接公安身份核验服务，不作真实核验）" in html
    detail = admin_client.get(f"/admin/accounts/person/{user.person.pk}/change/")
    assert detail.status_code == 200
    assert "sm4gcm:" not in detail.content.decode()


def test_people_and_grants_cannot_be_edited_in_the_admin(admin_client: Client, city: City) -> None:
    for model in ["person", "department", "rolegrant", "legalperson", "agentgrant"]:
        assert admin_client.get(f"/admin/accounts/{model}/add/").status_code == 403
    response = admin_client.post(
        f"/admin/accounts/department/{city.transport.pk}/change/", {"name": "改名"}
    )
    assert response.status_code == 403
    city.transport.refresh_from_db()
    assert city.transport.name == "市交通运输局"


def test_halls_are_master_data_in_the_admin(admin_client: Client, city: City) -> None:
    response = admin_client.post(
        "/admin/accounts/hall/add/",
        {
            "name": "城东分中心",
            "department": city.centre.pk,
            "address": "城东路 8 号",
            "phone": "",
            "office_hours": '[["09:00", "12:00"], ["14:00", "17:00"]]',
            "windows-TOTAL_FORMS": "0",
            "windows-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    hall = Hall.objects.get(name="城东分中心")
    assert [(a.isoformat(), b.isoformat()) for a, b in hall.office_hour_spans()] == [
        ("09:00:00", "12:00:00"),
        ("14:00:00", "17:00:00"),
    ]
