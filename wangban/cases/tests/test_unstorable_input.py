"""A NUL character, which PostgreSQL can neither store nor compare (SQLite can), is refused
the same way on both databases: a case id that holds one is not found, a form value or a
free text holding one is bad input (400, in Chinese) that changes nothing. What no check
catches is answered 400 by `UnstorableCharacterMiddleware`, not 500."""

from __future__ import annotations

import psycopg
import pytest
from django.db import DataError
from django.test import Client, RequestFactory

from wangban.accounts.tests.helpers import verified
from wangban.cases import actions
from wangban.cases.models import Case
from wangban.cases.tests.helpers import FORM, item
from wangban.catalog.tests.helpers import CODE
from wangban.conftest import City
from wangban.core.errors import InvalidInput
from wangban.core.middleware import UNSTORABLE_MESSAGE, UnstorableCharacterMiddleware


@pytest.fixture
def window_draft(city: City) -> Case:
    item(city)
    person = verified("zhangsan", 7)
    return actions.do_create_case(
        actor=city.transport_clerk,
        item_code=CODE,
        channel="window",
        applicant=person,
        form=dict(FORM),
    )


def test_a_case_id_with_a_nul_is_not_found(client: Client, city: City) -> None:
    client.force_login(city.transport_clerk)
    assert client.get("/workbench/cases/ab%00cd/").status_code == 404
    client.force_login(city.applicant)
    assert client.get("/cases/ab%00cd/").status_code == 404


def test_a_paper_note_with_a_nul_is_refused_in_chinese(
    client: Client, city: City, window_draft: Case
) -> None:
    client.force_login(city.transport_clerk)
    response = client.post(
        f"/workbench/cases/{window_draft.pk}/paper/", {"material": "M01", "note": "纸质\x00件"}
    )
    assert response.status_code == 400
    assert "无法保存的空字符" in response.content.decode()
    assert not window_draft.materials.exists()


def test_a_form_value_with_a_nul_is_refused_in_the_workbench_and_the_portal(
    client: Client, city: City, window_draft: Case
) -> None:
    client.force_login(city.transport_clerk)
    response = client.post(
        f"/workbench/cases/{window_draft.pk}/form/", {"company": "某\x00某", "vehicles": "1"}
    )
    assert response.status_code == 400
    assert "空字符" in response.content.decode()
    person = verified("lisi", 8)
    case = actions.do_create_case(actor=person, item_code=CODE, form=dict(FORM))
    client.force_login(person)
    response = client.post(
        f"/cases/{case.pk}/apply/form/", {"company": "某\x00某", "vehicles": "1", "action": "save"}
    )
    assert response.status_code == 400
    assert "空字符" in response.content.decode()
    assert Case.objects.get(pk=window_draft.pk).form == FORM
    assert Case.objects.get(pk=case.pk).form == FORM


def test_the_actions_refuse_a_nul_in_every_free_text(city: City, window_draft: Case) -> None:
    with pytest.raises(InvalidInput) as refused:
        actions.do_mark_paper_material(
            window_draft, actor=city.transport_clerk, material_code="M01", note="a\x00"
        )
    assert refused.value.fields == {"note": ["内容中含有无法保存的空字符，请删除后重试。"]}
    with pytest.raises(InvalidInput) as refused:
        actions.do_withdraw(window_draft, actor=window_draft.applicant, reason="不办了\x00")
    assert list(refused.value.fields) == ["reason"]
    assert Case.objects.get(pk=window_draft.pk).state == "draft"


def test_what_postgresql_refuses_is_a_400_not_a_500() -> None:
    """The net under the checks: a DataError caused by a NUL (psycopg refuses it before
    sending) or by a character the database's encoding cannot hold."""
    middleware = UnstorableCharacterMiddleware(lambda request: None)  # type: ignore[arg-type,return-value]
    factory = RequestFactory()
    nul = DataError("NUL")
    nul.__cause__ = psycopg.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")
    page = middleware.process_exception(factory.get("/items/"), nul)
    assert page is not None
    assert page.status_code == 400
    assert UNSTORABLE_MESSAGE in page.content.decode()
    api = middleware.process_exception(
        factory.get("/api/v1/cases", HTTP_ACCEPT="application/json"), nul
    )
    assert api is not None
    assert api.status_code == 400
    assert b'"validation_failed"' in api.content
    other = DataError("numeric field overflow")
    other.__cause__ = psycopg.errors.NumericValueOutOfRange()
    assert middleware.process_exception(factory.get("/items/"), other) is None
    assert middleware.process_exception(factory.get("/items/"), ValueError("x")) is None


def test_an_address_with_a_nul_is_not_found_on_any_database(client: Client, city: City) -> None:
    item(city)
    assert client.get(f"/items/{CODE}%00/").status_code == 404
    response = client.get("/api/v1/items/x%00y", HTTP_ACCEPT="application/json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
