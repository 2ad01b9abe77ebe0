"""Querysets compiled once (wangban/core/prepared.py): the same instances as the queryset
would give, one statement a call, compiled once per connection, and its refusals."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.db.models import Model, QuerySet
from django.db.transaction import TransactionManagementError

from wangban.cases.models import Case, CaseEvent, CaseMaterial
from wangban.cases.tests.helpers import attach_required, draft_case
from wangban.cases.tests.review_helpers import accepted_case, review_item, review_staff
from wangban.conftest import City
from wangban.core.prepared import Prepared, Related

RELATED = ("item", "version", "department", "accepting_department", "applicant", "current_step")


def by_id(case_id: str) -> QuerySet[Case]:
    return Case.objects.select_related(*RELATED).filter(pk=case_id).order_by()


def fields_of(obj: Model) -> dict[str, Any]:
    return {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}


@pytest.fixture
def case(city: City) -> Case:
    review_item(city)
    return accepted_case(city, review_staff(city))


def test_gives_what_the_queryset_gives_related_objects_included(
    case: Case, django_assert_num_queries: Any
) -> None:
    prepared = Prepared(by_id, "str")
    expected = by_id(case.pk).get()

    with django_assert_num_queries(1):
        found = prepared.first(case.pk)
        assert found is not None
        # The related objects came with it: reading them costs nothing more.
        related = {name: fields_of(getattr(found, name)) for name in RELATED}

    assert fields_of(found) == fields_of(expected)
    assert related == {name: fields_of(getattr(expected, name)) for name in RELATED}
    # Values are converted as the ORM converts them (JSON, dates), on every database.
    assert found.form == expected.form
    assert isinstance(found.form, dict)
    assert found.accepted_on == expected.accepted_on is not None
    assert found._state.adding is False
    assert found._state.db == "default"


def test_a_missing_key_gives_none(case: Case) -> None:
    assert Prepared(by_id, "str").first("no-such-case") is None


def test_compiles_once_per_connection(
    city: City, case: Case, django_assert_num_queries: Any
) -> None:
    built: list[str] = []

    def build(case_id: str) -> QuerySet[Case]:
        built.append(case_id)
        return by_id(case_id)

    prepared = Prepared(build, "str")
    other = draft_case(city)
    with django_assert_num_queries(2):
        assert prepared.first(case.pk).pk == case.pk  # type: ignore[union-attr]
        assert prepared.first(other.pk).pk == other.pk  # type: ignore[union-attr]
    assert len(built) == 1  # with the marker, not a real id
    assert built[0] not in (case.pk, other.pk)


def test_rows_in_the_querysets_order_with_integer_keys(case: Case) -> None:
    prepared = Prepared(
        lambda actor_id: CaseEvent.objects.filter(actor_id=actor_id).order_by("-id"), "int"
    )
    expected = list(CaseEvent.objects.filter(actor_id=case.applicant_id).order_by("-id"))
    assert len(expected) >= 2
    assert [fields_of(row) for row in prepared.all(case.applicant_id)] == [
        fields_of(row) for row in expected
    ]


@pytest.mark.django_db(transaction=True)
def test_locking_needs_a_transaction(case: Case) -> None:
    prepared = Prepared(lambda case_id: by_id(case_id).select_for_update(of=("self",)), "str")
    with transaction.atomic():
        assert prepared.first(case.pk) is not None  # compiled here, inside a transaction
    with pytest.raises(TransactionManagementError):
        prepared.first(case.pk)


def test_refuses_a_marker_that_does_not_reach_the_sql_as_it_is(case: Case) -> None:
    ignores_it = Prepared(lambda case_id: Case.objects.filter(pk=case.pk), "str")
    with pytest.raises(ValueError, match="must reach the SQL once"):
        ignores_it.first(case.pk)
    changes_it = Prepared(lambda case_id: Case.objects.filter(pk=case_id.upper()), "str")
    with pytest.raises(ValueError, match="must reach the SQL once"):
        changes_it.first(case.pk)


def test_refuses_values_and_prefetches(case: Case) -> None:
    values: Any = Case.objects.values  # a queryset of dicts, which Prepared refuses
    with pytest.raises(ValueError, match="without prefetches"):
        Prepared(lambda case_id: values().filter(pk=case_id), "str").all(case.pk)
    with pytest.raises(ValueError, match="without prefetches"):
        Prepared(
            lambda case_id: Case.objects.filter(pk=case_id).prefetch_related("events"), "str"
        ).all(case.pk)


def test_related_keeps_the_rows_as_prefetch_related_would(
    city: City, case: Case, django_assert_num_queries: Any
) -> None:
    materials = Related(Case, "materials", lambda: CaseMaterial.objects.order_by("-material_code"))
    expected = [
        fields_of(row) for row in CaseMaterial.objects.filter(case=case).order_by("-material_code")
    ]
    assert len(expected) == 2
    with django_assert_num_queries(1):
        rows = materials.fetch(case)
        assert materials.is_kept(case)
        assert [fields_of(row) for row in case.materials.all()] == expected
        assert all(row.case is case for row in rows)
    # A further filter still reads the database, and only this case's rows.
    other = draft_case(city)
    attach_required(other, city.applicant)
    assert case.materials.filter(material_code="M01").count() == 1
    materials.forget(case)
    assert not materials.is_kept(case)
    with django_assert_num_queries(1):
        list(case.materials.all())


def test_related_keeps_rows_known_without_a_query(
    case: Case, django_assert_num_queries: Any
) -> None:
    events = Related(Case, "events", lambda: CaseEvent.objects.order_by("id"))
    with django_assert_num_queries(0):
        events.keep(case, [])
        assert list(case.events.all()) == []
