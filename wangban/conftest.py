"""Fixtures shared by the apps' tests: a small city built with direct inserts (the
actions under test are exercised by the tests themselves)."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import pytest
from django.apps import apps as django_apps

from wangban.accounts.choices import RealNameLevel, Role
from wangban.accounts.models import Department, Person, RoleGrant, User
from wangban.core import pii
from wangban.core.identifiers import mask_resident_id


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


#: The identity number of the city's applicant (a valid GB 11643 number).
APPLICANT_ID_NUMBER = "110101199003074477"


def verified_applicant(username: str, id_number: str, real_name: str = "张三") -> User:
    """An applicant whose identity has been verified (online applications need it),
    inserted directly like the rest of the fixture."""
    return with_verified_identity(
        User.objects.create_user(username, password="applicant-password-1"),
        id_number,
        real_name,
    )


def with_verified_identity(user: User, id_number: str, real_name: str = "张三") -> User:
    """`user` with a verified natural person: staff may apply online as citizens too."""
    Person.objects.create(
        user=user,
        real_name=real_name,
        id_number_encrypted=pii.encrypt(id_number),
        id_number_digest=pii.digest(id_number),
        id_number_masked=mask_resident_id(id_number),
        phone="",
        real_name_level=RealNameLevel.IDENTITY_VERIFIED,
    )
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
        applicant=verified_applicant("someone", APPLICANT_ID_NUMBER),
    )
