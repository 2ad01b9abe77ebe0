"""Helpers of the audit tests: people with roles, a second-factor session, and tampering
with the table behind the application's back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.db import connection
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from wangban.accounts.models import Department, RoleGrant, User
from wangban.audit.actions import on_user_logged_in

TABLE = "audit_auditevent"
TRIGGER = "audit_event_append_only"


@dataclass
class People:
    centre: Department
    transport: Department
    supervisor: User
    centre_admin: User
    clerk: User
    applicant: User


def staff(username: str, department: Department, role: str) -> User:
    user = User.objects.create_user(
        username, password="a-good-long-password-1", real_name=username, department=department
    )
    RoleGrant.objects.create(user=user, department=department, role=role)
    return user


def sign_in(client: Client, user: User) -> Client:
    """A signed-in session that has also given its second factor (the workbench asks centre
    admins for one outside demo mode). Test plumbing, so the sign-in itself is not audited:
    the tests of the trail see only the events they made."""
    user_logged_in.disconnect(dispatch_uid="wangban.audit.login")
    try:
        client.force_login(user)
    finally:
        user_logged_in.connect(on_user_logged_in, dispatch_uid="wangban.audit.login")
    device = TOTPDevice.objects.create(user=user, name="测试", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def tamper(sql: str, params: list[Any] | None = None) -> None:
    """Run SQL the application would refuse, as an attacker with database access would: on
    PostgreSQL with the append-only trigger switched off for the moment (inside the test's
    transaction, so the switch is rolled back with it)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {TRIGGER}")
        cursor.execute(sql, params or [])
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {TRIGGER}")
