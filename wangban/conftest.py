"""Fixtures shared by the apps' tests: a small city built with direct inserts (the
actions under test are exercised by the tests themselves)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import pytest
from django.apps import apps as django_apps

from wangban.accounts.choices import Role
from wangban.accounts.models import Department, RoleGrant, User


@dataclass
class City:
    centre: Department
    transport: Department
    market: Department
    centre_admin: User
    supervisor: User
    transport_admin: User
    transport_clerk: User
    market_admin: User
    applicant: User


def make_staff(username: str, department: Department, *roles: str) -> User:
    user = User.objects.create_user(
        username, password="staff-password-123", real_name=username, department=department
    )
    for role in roles:
        RoleGrant.objects.create(user=user, department=department, role=role)
    return user


def restore_migration_data() -> None:
    """Rows that data migrations create (the default online service levels) are removed by
    the flush after every transactional test; put them back the way the migration does."""
    migration = importlib.import_module("wangban.catalog.migrations.0002_default_online_levels")
    migration.create_levels(django_apps, None)


@pytest.fixture
def city(db: None) -> City:
    restore_migration_data()
    centre = Department.objects.create(code="C00", name="市政务服务中心", is_service_centre=True)
    transport = Department.objects.create(code="D01", name="市交通运输局")
    market = Department.objects.create(code="D02", name="市市场监督管理局")
    return City(
        centre=centre,
        transport=transport,
        market=market,
        centre_admin=make_staff("centre_admin", centre, Role.CENTRE_ADMIN),
        supervisor=make_staff("supervisor", centre, Role.SUPERVISOR),
        transport_admin=make_staff("transport_admin", transport, Role.DEPT_ADMIN),
        transport_clerk=make_staff("transport_clerk", transport, Role.CLERK),
        market_admin=make_staff("market_admin", market, Role.DEPT_ADMIN),
        applicant=User.objects.create_user("someone", password="applicant-password-1"),
    )
