"""The public progress query (`/progress/`, 大安办法第二十九条): a POST form with the receipt
number and the applicant's identity number; the public progress when both match, 404 with
the same words whichever one was wrong, 400 for empty fields, 429 beyond the per-address
limit. Nothing personal is shown."""

from __future__ import annotations

from pathlib import Path

import pytest
import time_machine
from django.test import Client

from wangban.accounts.tests.helpers import resident_id
from wangban.cases.models import Case
from wangban.cases.tests.helpers import at
from wangban.conftest import City
from wangban.portal.tests.cases_world import (
    CREDIT,
    World,
    accepted,
    build_world,
    page_text,
    submitted,
)

pytestmark = pytest.mark.django_db

NOT_FOUND = "没有找到该办件。请核对受理编号和证件号码：两项都须与申请时一致。"


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def world(city: City) -> World:
    return build_world(city)


@pytest.fixture
def case(world: World) -> Case:
    with time_machine.travel(at(2026, 6, 1, 10, 0), tick=False):
        return accepted(world)


def ask(client: Client, receipt_no: str, id_number: str, ip: str = "203.0.113.7"):
    return client.post(
        "/progress/", {"receipt_no": receipt_no, "id_number": id_number}, REMOTE_ADDR=ip
    )


def test_the_form_asks_for_both_numbers(client: Client) -> None:
    response = client.get("/progress/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<form method="post" action="/progress/" class="form" novalidate>' in html
    assert '<label for="id_receipt_no">受理编号</label>' in html
    assert '<label for="id_id_number">证件号码</label>' in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_both_numbers_show_the_public_progress(case: Case, client: Client) -> None:
    with time_machine.travel(at(2026, 6, 2, 10, 0), tick=False):
        response = ask(client, "D01-20260601-00001", resident_id(1))
    text = page_text(response)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert "受理编号 D01-20260601-00001" in text
    assert "事项 道路运输经营许可证核发" in text
    assert "办理部门 市交通运输局" in text
    assert "当前状态 审查中" in text
    assert "受理日期 2026年6月1日" in text
    assert "2026年6月1日 受理 （审查中）" in text
    # Nothing personal: no name, no identity number, no form data, no materials.
    for private in ("张三", resident_id(1), "某某运输有限公司", "M01.pdf"):
        assert private not in text


def test_a_legal_persons_case_is_found_with_its_credit_code(world: World, client: Client) -> None:
    case = accepted(world, on_behalf_of=world.company)
    response = ask(client, case.receipt_no or "", CREDIT.lower())
    assert response.status_code == 200
    assert "当前状态 审查中" in page_text(response)


@pytest.mark.parametrize(
    ("receipt_no", "id_number"),
    [
        ("D01-20260601-00001", resident_id(2)),  # another person's number
        ("D01-20260601-00002", resident_id(1)),  # another receipt number
        ("D01-20260601-00001", "not a number"),
    ],
)
def test_anything_but_both_numbers_is_404_with_the_same_words(
    case: Case, client: Client, receipt_no: str, id_number: str
) -> None:
    response = ask(client, receipt_no, id_number)
    html = response.content.decode()
    assert response.status_code == 404
    assert NOT_FOUND in html
    assert "审查中" not in html
    assert "<h1>办件进度查询</h1>" in html  # the form again, to check and try once more


def test_a_case_not_yet_accepted_has_no_progress_to_show(world: World, client: Client) -> None:
    submitted(world.owner)
    assert ask(client, "D01-20260601-00001", resident_id(1)).status_code == 404


def test_empty_fields_are_named(client: Client) -> None:
    response = ask(client, "", " ")
    html = response.content.decode()
    assert response.status_code == 400
    assert '<a href="#id_receipt_no">请填写受理编号。</a>' in html
    assert '<a href="#id_id_number">请填写证件号码。</a>' in html


def test_too_many_queries_from_one_address_are_429(case: Case, client: Client, settings) -> None:
    settings.WANGBAN_PROGRESS_QUERIES_PER_HOUR = 3
    for _ in range(3):
        assert ask(client, "D01-20260601-00009", resident_id(1)).status_code == 404
    refused = ask(client, "D01-20260601-00001", resident_id(1))
    assert refused.status_code == 429
    assert "查询过于频繁，请一小时后再试。" in page_text(refused)
    assert "审查中" not in page_text(refused)  # even the right numbers get no answer
    # Another address has its own count.
    assert ask(client, "D01-20260601-00001", resident_id(1), ip="198.51.100.2").status_code == 200


def test_the_limit_lasts_an_hour(case: Case, client: Client, settings) -> None:
    settings.WANGBAN_PROGRESS_QUERIES_PER_HOUR = 1
    with time_machine.travel(at(2026, 6, 2, 10, 0), tick=False):
        assert ask(client, "D01-20260601-00001", resident_id(1)).status_code == 200
        assert ask(client, "D01-20260601-00001", resident_id(1)).status_code == 429
    with time_machine.travel(at(2026, 6, 2, 11, 1), tick=False):
        assert ask(client, "D01-20260601-00001", resident_id(1)).status_code == 200
