"""The item's 补正期限 (`correction_answer_days`) in the catalogue editor, the version
summary, the change list and the public service guide."""

from __future__ import annotations

import pytest
from django.test import Client

from wangban.catalog.models import ItemVersion, ServiceItem
from wangban.catalog.queries import content_of
from wangban.catalog.tests.helpers import CODE, published_item
from wangban.conftest import City
from wangban.workbench.tests.test_catalog_pages import as_user, edit_url, editor_post, new_item_post

MESSAGE = "补正期限应为 1–60 个工作日的整数；留空则按全局设置。"


def test_the_editor_saves_and_shows_it(client: Client, city: City) -> None:
    as_user(client, city.transport_admin)
    form = client.get("/workbench/catalog/new/").content.decode()
    assert '<label for="id_correction_answer_days">补正期限（工作日）' in form

    response = client.post(
        "/workbench/catalog/new/", new_item_post(city, correction_answer_days="10")
    )

    assert response.status_code == 302
    version = ItemVersion.objects.get(item__code="T-9")
    assert version.correction_answer_days == 10
    assert content_of(version)["correction_answer_days"] == 10
    page = client.get(edit_url("T-9")).content.decode()
    assert 'name="correction_answer_days" value="10"' in page
    summary = client.get("/workbench/catalog/items/T-9/").content.decode()
    assert "<dt>补正期限</dt><dd>10 个工作日</dd>" in summary


def test_left_empty_it_is_the_global_setting(client: Client, city: City) -> None:
    as_user(client, city.transport_admin)
    client.post("/workbench/catalog/new/", new_item_post(city, correction_answer_days=""))
    assert ItemVersion.objects.get(item__code="T-9").correction_answer_days is None
    summary = client.get("/workbench/catalog/items/T-9/").content.decode()
    assert "<dt>补正期限</dt><dd>按全局设置</dd>" in summary


@pytest.mark.parametrize(
    ("typed", "message"),
    [("0", MESSAGE), ("61", MESSAGE), ("十天", "补正期限（工作日）应为整数。")],
)
def test_the_editor_refuses_bad_days_beside_the_field(
    client: Client, city: City, typed: str, message: str
) -> None:
    as_user(client, city.transport_admin)

    response = client.post(
        "/workbench/catalog/new/", new_item_post(city, correction_answer_days=typed)
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert not ServiceItem.objects.exists()
    summary = html.split('class="error-summary"')[1].split("</div>")[0]
    assert 'href="#id_correction_answer_days"' in summary
    assert message in summary
    assert 'id="id_correction_answer_days_error"' in html


def test_a_change_of_the_days_is_listed(client: Client, city: City) -> None:
    published_item(city, "T-1", correction_answer_days=10)
    as_user(client, city.transport_admin)
    client.post("/workbench/catalog/items/T-1/draft/adjust/", {"adjust-change_reason": "延长"})
    data = editor_post(initial=3, correction_answer_days="20", change_reason="延长补正期限")

    response = client.post(edit_url("T-1", 2), data)

    assert response.status_code == 302
    assert ItemVersion.objects.get(item__code="T-1", number=2).correction_answer_days == 20
    page = client.get("/workbench/catalog/items/T-1/").content.decode()
    assert "补正期限：10 → 20" in page


def test_the_public_guide_shows_it_when_set(client: Client, city: City) -> None:
    published_item(city, correction_answer_days=10)
    published_item(city, "T-2")

    with_days = client.get(f"/items/{CODE}/").content.decode()
    without = client.get("/items/T-2/").content.decode()

    assert "<li>补正期限：10 个工作日</li>" in with_days
    assert "补正期限" not in without
