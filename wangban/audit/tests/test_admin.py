"""The admin shows the trail read-only: nothing is added, changed or deleted there."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory

from wangban.accounts.models import User
from wangban.audit.actions import record
from wangban.audit.chain import chain_events
from wangban.audit.models import AuditChainHead, AuditEvent
from wangban.audit.tests.helpers import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client() -> Client:
    user = User.objects.create_superuser("root", password="a-good-long-password-9")
    return sign_in(Client(), user)


@pytest.mark.parametrize("model", [AuditEvent, AuditChainHead])
def test_admin_permissions_are_read_only(model) -> None:
    model_admin = admin.site._registry[model]
    request = RequestFactory().get("/admin/")
    request.user = User(is_superuser=True, is_staff=True, is_active=True)

    assert model_admin.has_add_permission(request) is False
    assert model_admin.has_change_permission(request) is False
    assert model_admin.has_delete_permission(request) is False
    assert model_admin.has_view_permission(request) is True


def test_admin_lists_and_shows_but_refuses_writes(superuser_client: Client) -> None:
    event = record("pii.view", object_type="accounts.person", object_id="3")
    chain_events()
    base = "/admin/audit/auditevent/"

    assert superuser_client.get(base).status_code == 200
    assert superuser_client.get(f"{base}{event.pk}/change/").status_code == 200
    assert superuser_client.get(f"{base}add/").status_code == 403
    assert superuser_client.get(f"{base}{event.pk}/delete/").status_code == 403
    assert superuser_client.post(f"{base}{event.pk}/change/", {"action": "x.y"}).status_code == 403
    response = superuser_client.post(
        base, {"action": "delete_selected", "_selected_action": [event.pk]}
    )
    assert AuditEvent.objects.filter(pk=event.pk).exists()
    assert response.status_code == 200  # the changelist again: there is no delete action
