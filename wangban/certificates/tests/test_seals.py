"""Creating and rotating seals: through the actions only, audited, one active seal per
department and purpose, the private key never in clear, refusals that change nothing."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction

from wangban.accounts.choices import Role
from wangban.audit.models import AuditEvent
from wangban.certificates import actions
from wangban.certificates.models import Seal
from wangban.certificates.queries import active_seal, departments_without_seal, seal_by_key_id
from wangban.conftest import City, make_staff
from wangban.core import pii, signing
from wangban.core.errors import Conflict, Forbidden, InvalidInput

pytestmark = pytest.mark.django_db


def state() -> tuple[list[tuple[Any, ...]], int]:
    """Every seal row and the number of audit events: what a refusal must leave alone."""
    rows = list(
        Seal.objects.order_by("pk").values_list(
            "pk", "key_id", "name", "is_active", "retired_at", "public_key", "private_key_encrypted"
        )
    )
    return rows, AuditEvent.objects.count()


def raw_private_column(seal: Seal) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT private_key_encrypted FROM certificates_seal WHERE id = %s", [seal.pk]
        )
        (value,) = cursor.fetchone()
    return str(value)


def test_the_centre_admin_creates_a_seal(city: City) -> None:
    seal = actions.do_create_seal(city.transport, actor=city.centre_admin)

    assert seal.name == "市交通运输局行政审批专用章"
    assert seal.purpose == "approval"
    assert seal.department == city.transport
    assert seal.is_active is True
    assert seal.retired_at is None
    assert len(seal.key_id) == 20
    assert signing.public_key_of(seal.decrypt_private_key()) == seal.public_key
    assert active_seal(city.transport) == seal
    assert seal_by_key_id(seal.key_id) == seal
    assert active_seal(city.market) is None

    event = AuditEvent.objects.get(action="seal.create")
    assert event.actor_id == city.centre_admin.pk
    assert event.object_type == "certificates.seal"
    assert event.object_id == str(seal.pk)
    assert event.before is None
    assert event.after == {
        "key_id": seal.key_id,
        "name": "市交通运输局行政审批专用章",
        "purpose": "approval",
        "department": "D01",
        "public_key": seal.public_key,
    }


def test_a_seal_may_be_given_its_own_name(city: City) -> None:
    seal = actions.do_create_seal(
        city.transport, actor=city.centre_admin, name="  市交通运输局审批专用章（一）  "
    )
    assert seal.name == "市交通运输局审批专用章（一）"


def test_the_private_key_is_never_stored_in_clear(city: City) -> None:
    seal = actions.do_create_seal(city.transport, actor=city.centre_admin)
    private_key = seal.decrypt_private_key()

    stored = raw_private_column(seal)
    assert stored.startswith("sm4gcm:k2:")  # the current PII key
    assert private_key not in stored
    assert private_key.upper() not in stored
    assert pii.decrypt(stored) == private_key
    event = AuditEvent.objects.get(action="seal.create")
    assert private_key not in str(event.after)
    assert stored not in str(event.after)


def test_a_second_active_seal_is_refused(city: City) -> None:
    actions.do_create_seal(city.transport, actor=city.centre_admin)
    before = state()

    with pytest.raises(Conflict) as refused:
        actions.do_create_seal(city.transport, actor=city.centre_admin)

    assert refused.value.code == "seal_exists"
    assert refused.value.status == 409
    assert refused.value.message == "市交通运输局已有在用的行政审批专用章，如需更换密钥请轮换印章。"
    assert state() == before


def test_the_database_admits_one_active_seal_per_department_and_purpose(city: City) -> None:
    seal = actions.do_create_seal(city.transport, actor=city.centre_admin)
    keys = signing.generate_keypair()
    duplicate = Seal(department=city.transport, name="第二枚", public_key=keys.public_key)
    duplicate.set_private_key(keys.private_key)
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()
    # Retired seals are not counted: any number of them may sit beside the active one.
    duplicate.is_active = False
    duplicate.retired_at = seal.created_at
    duplicate.save()
    assert Seal.objects.filter(department=city.transport).count() == 2


def test_the_database_refuses_an_active_seal_with_a_retirement_date(city: City) -> None:
    seal = actions.do_create_seal(city.transport, actor=city.centre_admin)
    with pytest.raises(IntegrityError), transaction.atomic():
        Seal.objects.filter(pk=seal.pk).update(retired_at=seal.created_at)
    with pytest.raises(IntegrityError), transaction.atomic():
        Seal.objects.filter(pk=seal.pk).update(is_active=False)


@pytest.mark.parametrize("role", [Role.DEPT_ADMIN, Role.APPROVER, Role.SUPERVISOR])
def test_only_the_centre_admin_manages_seals(city: City, role: str) -> None:
    user = make_staff(f"someone_{role}", city.transport, role)
    with pytest.raises(Forbidden) as refused:
        actions.do_create_seal(city.transport, actor=user)
    assert refused.value.status == 403
    assert refused.value.message == "只有政务服务中心管理员可以管理电子印章。"
    assert state() == ([], 0)

    actions.do_create_seal(city.transport, actor=city.centre_admin)
    before = state()
    with pytest.raises(Forbidden):
        actions.do_rotate_seal(city.transport, actor=user)
    assert state() == before


def test_an_applicant_cannot_manage_seals(city: City) -> None:
    with pytest.raises(Forbidden):
        actions.do_create_seal(city.transport, actor=city.applicant)
    assert state() == ([], 0)


def test_an_inactive_department_gets_no_new_seal(city: City) -> None:
    city.market.is_active = False
    city.market.save(update_fields=["is_active"])
    with pytest.raises(Conflict) as refused:
        actions.do_create_seal(city.market, actor=city.centre_admin)
    assert refused.value.code == "department_inactive"
    assert refused.value.message == "市市场监督管理局已停用，不能新建电子印章。"
    assert state() == ([], 0)


def test_bad_input_is_refused_in_chinese(city: City) -> None:
    with pytest.raises(InvalidInput) as refused:
        actions.do_create_seal(city.transport, actor=city.centre_admin, name="章" * 101)
    assert refused.value.status == 400
    assert refused.value.fields == {"name": ["印章名称不能超过 100 个字。"]}

    with pytest.raises(InvalidInput) as refused:
        actions.do_create_seal(city.transport, actor=city.centre_admin, purpose="official")
    assert refused.value.fields == {"purpose": ["印章用途无效。"]}
    assert state() == ([], 0)


def test_rotation_retires_the_old_seal_and_puts_a_new_key_in_its_place(city: City) -> None:
    with time_machine.travel("2026-03-02 09:00 +0800", tick=False):
        old = actions.do_create_seal(city.transport, actor=city.centre_admin)
    with time_machine.travel("2026-09-01 10:30 +0800", tick=False):
        new = actions.do_rotate_seal(city.transport, actor=city.centre_admin, reason="年度密钥更换")

    old.refresh_from_db()
    assert old.is_active is False
    assert old.retired_at == datetime(2026, 9, 1, 2, 30, tzinfo=UTC)
    assert new.is_active is True
    assert new.name == old.name
    assert new.key_id != old.key_id
    assert new.public_key != old.public_key
    assert active_seal(city.transport) == new
    assert seal_by_key_id(old.key_id) == old

    event = AuditEvent.objects.get(action="seal.rotate")
    assert event.actor_id == city.centre_admin.pk
    assert event.object_id == str(new.pk)
    assert event.before == {
        "key_id": old.key_id,
        "name": old.name,
        "purpose": "approval",
        "department": "D01",
        "public_key": old.public_key,
        "retired_at": "2026-09-01T02:30:00Z",
    }
    assert event.after == {
        "key_id": new.key_id,
        "name": old.name,
        "purpose": "approval",
        "department": "D01",
        "public_key": new.public_key,
        "reason": "年度密钥更换",
    }


def test_rotation_may_rename_the_seal(city: City) -> None:
    actions.do_create_seal(city.transport, actor=city.centre_admin)
    new = actions.do_rotate_seal(city.transport, actor=city.centre_admin, name="市交通运输局印章")
    assert new.name == "市交通运输局印章"


def test_rotating_a_department_without_a_seal_is_refused(city: City) -> None:
    with pytest.raises(Conflict) as refused:
        actions.do_rotate_seal(city.market, actor=city.centre_admin)
    assert refused.value.code == "no_active_seal"
    assert refused.value.status == 409
    assert (
        refused.value.message
        == "市市场监督管理局尚无在用的行政审批专用章，无法轮换；请先新建印章。"
    )
    assert state() == ([], 0)


def test_a_rotation_refused_for_bad_input_retires_nothing(city: City) -> None:
    actions.do_create_seal(city.transport, actor=city.centre_admin)
    before = state()
    with pytest.raises(InvalidInput) as refused:
        actions.do_rotate_seal(city.transport, actor=city.centre_admin, reason="因" * 501)
    assert refused.value.fields == {"reason": ["轮换原因不能超过 500 个字。"]}
    with pytest.raises(InvalidInput):
        actions.do_rotate_seal(city.transport, actor=city.centre_admin, name="章" * 101)
    assert state() == before


def test_missing_seals_are_created_once(city: City) -> None:
    actions.do_create_seal(city.transport, actor=city.centre_admin)
    assert list(departments_without_seal()) == [city.centre, city.market]

    created = actions.create_missing_seals()

    assert [seal.department for seal in created] == [city.centre, city.market]
    assert list(departments_without_seal()) == []
    assert actions.create_missing_seals() == []
    system_events = AuditEvent.objects.filter(action="seal.create", actor_id=None)
    assert sorted(system_events.values_list("department", "channel")) == [
        ("C00", "system"),
        ("D02", "system"),
    ]


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_creations_give_one_seal_and_one_conflict(city: City) -> None:
    """The second writer waits for the first (the department row's lock on PostgreSQL, one
    writer at a time on SQLite), then sees its seal and is refused: never two seals, never
    an IntegrityError."""
    created = threading.Event()
    release = threading.Event()
    outcomes: list[object] = []

    def in_thread(work: Callable[[], object]) -> threading.Thread:
        def run() -> None:
            try:
                outcomes.append(work())
            except Exception as error:  # the outcome is what the test checks
                outcomes.append(error)
            finally:
                connection.close()

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    def create_and_hold() -> Seal:
        with transaction.atomic():
            seal = actions.do_create_seal(city.transport, actor=city.centre_admin)
            created.set()
            release.wait(timeout=30)
        return seal

    holder = in_thread(create_and_hold)
    try:
        assert created.wait(timeout=30)
        waiter = in_thread(lambda: actions.do_create_seal(city.transport, actor=city.centre_admin))
        waiter.join(timeout=0.5)
        assert waiter.is_alive()  # waiting for the first writer to commit
    finally:
        release.set()
        holder.join()
    waiter.join(timeout=30)

    # The waiter may record its refusal before the holder records its seal: the holder's
    # commit wakes the waiter before the holder's thread gets to append.
    [seal] = [outcome for outcome in outcomes if isinstance(outcome, Seal)]
    [refusal] = [outcome for outcome in outcomes if isinstance(outcome, Conflict)]
    assert len(outcomes) == 2
    assert refusal.code == "seal_exists"
    assert list(Seal.objects.values_list("key_id", flat=True)) == [seal.key_id]
    assert AuditEvent.objects.filter(action="seal.create").count() == 1
