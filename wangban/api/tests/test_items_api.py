"""The public catalogue of API.md: `GET /api/v1/items` (filters, Chinese full-text `q`,
pagination) and `GET /api/v1/items/{code}`, their refusals, their query counts, and the
OpenAPI document that describes them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from config.wsgi import application
from wangban.catalog import actions, queries
from wangban.catalog.tests.helpers import CODE, draft, item_content, publish, published_item
from wangban.conftest import City

ITEMS = "/api/v1/items"
FOOD = "FOOD-001"


@pytest.fixture
def catalogue(city: City) -> City:
    published_item(city)
    version = actions.do_draft_item(
        actor=city.market_admin,
        code=FOOD,
        department=city.market,
        content=item_content(
            name="食品经营许可",
            type="01",
            service_objects=["2"],
            legal_basis="《中华人民共和国食品安全法》第三十五条",
            materials=[{"code": "M01", "name": "食品经营许可申请书"}],
        ),
    )
    version = actions.do_submit_for_review(version, actor=city.market_admin)
    actions.do_review(version, actor=city.centre_admin, approve=True)
    return city


def codes(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["code"] for item in response.json()["results"]]


def test_the_list_is_public_and_gives_whole_items(catalogue: City, api: APIClient) -> None:
    body = api.get(ITEMS).json()
    assert (body["count"], body["next"], body["previous"]) == (2, None, None)
    items = [queries.item_to_api(queries.published_version(code)) for code in [CODE, FOOD]]
    assert body["results"] == items
    # API.md: an item in JSON has at least these, in a list as in one item.
    assert {"steps", "materials", "form_schema", "warning_threshold_days"} <= set(items[0])
    # A stale token from a kiosk does not turn a public read into a 401.
    assert codes(api.get(ITEMS, HTTP_AUTHORIZATION="Bearer expired")) == [CODE, FOOD]


def test_search_and_filters(catalogue: City, api: APIClient) -> None:
    assert codes(api.get(ITEMS, {"q": "道路运输许可"})) == [CODE]
    assert codes(api.get(ITEMS, {"q": "食品"})) == [FOOD]
    assert codes(api.get(ITEMS, {"q": "dlys"})) == [CODE]
    assert codes(api.get(ITEMS, {"q": "许可", "department": "D02"})) == [FOOD]
    assert codes(api.get(ITEMS, {"type": "01", "object": "5"})) == [CODE]
    assert codes(api.get(ITEMS, {"type": "20"})) == []
    assert codes(api.get(ITEMS, {"q": "户口迁移"})) == []
    assert codes(api.get(ITEMS, {"q": "？！。 ，"})) == [CODE, FOOD]  # no words: no filter


def test_bad_filters_are_400_naming_each_field(catalogue: City, api: APIClient) -> None:
    response = api.get(ITEMS, {"type": "99", "department": "D99", "object": "x"})
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "validation_failed",
            "message": "事项类型代码“99”无效，可选：01、02、03、04、05、06、07、08、09、10、20。",
            "fields": {
                "type": [
                    "事项类型代码“99”无效，可选：01、02、03、04、05、06、07、08、09、10、20。"
                ],
                "department": ["部门编码“D99”不存在。"],
                "object": ["服务对象代码“x”无效，可选：1、2、3、4、5、6、9。"],
            },
        }
    }


def test_a_1000_character_query_is_400_in_chinese(catalogue: City, api: APIClient) -> None:
    response = api.get(ITEMS, {"q": "道路运输" * 250})
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "validation_failed",
        "message": "搜索词不能超过 100 个字。",
        "fields": {"q": ["搜索词不能超过 100 个字。"]},
    }


def test_pages(city: City, api: APIClient) -> None:
    for n in range(3):
        published_item(city, f"ITEM-{n}")
    body = api.get(ITEMS, {"page_size": "2", "q": "道路"}).json()
    assert (body["count"], len(body["results"])) == (3, 2)
    assert body["next"] == "http://testserver/api/v1/items?page=2&page_size=2&q=%E9%81%93%E8%B7%AF"
    assert codes(api.get(body["next"])) == ["ITEM-2"]
    for page in ["9", "330473281155658273521664"]:  # past the end; past any integer column
        response = api.get(ITEMS, {"page": page, "q": "道路"})
        assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")
    response = api.get(ITEMS, {"page_size": "abc"})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"page_size": ["page_size 应为正整数。"]}
    assert len(codes(api.get(ITEMS, {"page_size": 500}))) == 3
    for page in ["", "0", "abc"]:
        response = api.get(ITEMS, {"page": page})
        assert response.status_code == 400
        assert response.json()["error"]["fields"] == {"page": ["page 应为正整数。"]}


@pytest.mark.parametrize("q", ["", "道路运输"])
def test_query_count_does_not_grow_with_the_page(city: City, api: APIClient, q: str) -> None:
    for n in range(8):
        published_item(city, f"ITEM-{n}")
    with CaptureQueriesContext(connection) as small:
        assert len(codes(api.get(ITEMS, {"page_size": "1", "q": q}))) == 1
    with CaptureQueriesContext(connection) as large:
        assert len(codes(api.get(ITEMS, {"page_size": "8", "q": q}))) == 8
    # The page's ids and the total, the page's versions, then their representations from
    # the search entries. A ranked page on PostgreSQL brings its total along
    # (COUNT(*) OVER ()); otherwise the total is a query of its own.
    together = q and connection.vendor == "postgresql"
    assert len(small) == len(large) == (3 if together else 4)


def test_one_item(catalogue: City, api: APIClient) -> None:
    response = api.get(f"{ITEMS}/{CODE}")
    assert response.status_code == 200
    assert response.json() == queries.item_to_api(queries.published_version(CODE))


@pytest.mark.parametrize("code", ["NO-SUCH-ITEM", "DRAFT-1", "%00", "x" * 300])
def test_an_item_not_in_the_catalogue_is_404(city: City, api: APIClient, code: str) -> None:
    draft(city, "DRAFT-1")
    response = api.get(f"{ITEMS}/{code}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] in {"item_not_found", "not_found"}
    if code != "%00":
        assert response.json() == {
            "error": {"code": "item_not_found", "message": "该事项不存在或未发布。", "fields": {}}
        }


def test_a_cancelled_item_is_404(city: City, api: APIClient) -> None:
    published_item(city)
    cancel = actions.do_draft_item(
        actor=city.transport_admin, code=CODE, kind="cancel", change_reason="法律废止"
    )
    publish(city, cancel)
    assert api.get(f"{ITEMS}/{CODE}").json()["error"]["code"] == "item_not_found"
    assert codes(api.get(ITEMS)) == []


def test_only_reads_are_allowed(catalogue: City, api: APIClient) -> None:
    for response in [api.post(ITEMS, {}, format="json"), api.delete(f"{ITEMS}/{CODE}")]:
        assert (response.status_code, response.json()["error"]["code"]) == (
            405,
            "method_not_allowed",
        )


def test_the_schema_documents_the_catalogue(api: APIClient, db: None) -> None:
    schema = api.get("/api/schema/", {"format": "json"}).json()
    listing = schema["paths"]["/api/v1/items"]["get"]
    parameters = {p["name"]: p for p in listing["parameters"]}
    assert sorted(parameters) == ["department", "object", "page", "page_size", "q", "theme", "type"]
    assert parameters["type"]["schema"]["enum"][:3] == ["", "01", "02"]
    assert parameters["q"]["description"].startswith("中文全文检索词")
    assert "security" not in listing  # public: no credentials asked for
    detail = schema["paths"]["/api/v1/items/{code}"]["get"]
    assert detail["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Item"
    }
    feed = schema["paths"]["/api/v1/item-changes"]["get"]
    assert sorted(p["name"] for p in feed["parameters"]) == ["page_size", "since"]
    item = schema["components"]["schemas"]["Item"]
    assert {"code", "basic_code", "name", "type", "department", "steps", "materials"} <= set(
        item["required"]
    )


@pytest.fixture
def over_wsgi(settings: Any) -> Iterator[None]:
    """Requests through the WSGI application keep the test's database connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.usefixtures("over_wsgi")
def test_real_responses_match_the_schema(catalogue: City) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
    cases = [
        schema["/api/v1/items"]["GET"].Case(query={"q": "许可"}),
        schema["/api/v1/items/{code}"]["GET"].Case(path_parameters={"code": CODE}),
        schema["/api/v1/item-changes"]["GET"].Case(query={"since": "0"}),
    ]
    for case in cases:
        assert case.call_and_validate().status_code == 200


def test_staff_user_names_are_not_published(city: City, api: APIClient) -> None:
    steps = [{"name": "受理", "role": "clerk", "budget_days": 1, "assignment": "person",
              "assignee": "transport_clerk"}]  # fmt: skip
    published_item(city, steps=steps)
    [step] = api.get(f"/api/v1/items/{CODE}").json()["steps"]
    assert (step["assignment"], step["assignee"]) == ("person", None)
    assert "transport_clerk" not in api.get(ITEMS).content.decode()
