"""The public progress query (大安办法第二十九条): anyone who knows the receipt number and the
applicant's identity number sees the progress, nothing personal; 404 unless both match; rate
limited per client address. `wangban.cases.progress` is also the portal's page's contract."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine
from rest_framework.test import APIClient

from wangban.accounts.tests.helpers import register, resident_id
from wangban.api.models import IdempotencyRecord
from wangban.api.tests.cases_helpers import (
    ACCEPTED_AT,
    APPLICANT_ID_NUMBER,
    CREDIT_CODE,
    applicant,
    company,
    error,
)
from wangban.cases import actions
from wangban.cases.models import Case
from wangban.cases.progress import find_case_for_progress, public_progress
from wangban.cases.tests.helpers import FORM, attach_required, item, submitted_case
from wangban.catalog.tests.helpers import CODE
from wangban.conftest import City

RECEIPT = "D01-20260924-00001"
NOT_FOUND = {
    "code": "case_not_found",
    "message": "没有找到该办件。请核对受理编号和证件号码：两项都须与申请时一致。",
    "fields": {},
}


def accepted(city: City, **kwargs: Any) -> Case:
    if "actor" not in kwargs:
        kwargs["actor"] = applicant()
    with time_machine.travel(ACCEPTED_AT, tick=False):
        case = submitted_case(city, **kwargs)
        return actions.do_accept(case, actor=city.transport_clerk)


def ask(receipt_no: Any, id_number: Any, api: APIClient | None = None, **headers: Any) -> Any:
    api = api or APIClient()
    body = {"receipt_no": receipt_no, "id_number": id_number}
    return api.post("/api/v1/progress", body, format="json", **headers)


def test_both_numbers_show_the_public_progress(city: City) -> None:
    item(city)
    case = accepted(city)
    with time_machine.travel(ACCEPTED_AT, tick=False):
        response = ask(RECEIPT, APPLICANT_ID_NUMBER)
    assert response.status_code == 200
    assert response.json() == {
        "receipt_no": RECEIPT,
        "item_name": "道路运输经营许可证核发",
        "department": "市交通运输局",
        "state": "in_review",
        "state_label": "审查中",
        "accepted_on": "2026-09-24",
        "due_date": "2026-10-15",
        "events": [
            {
                "date": "2026-09-24",
                "action": "create",
                "action_label": "创建申请",
                "state": "draft",
                "state_label": "草稿",
            },
            {
                "date": "2026-09-24",
                "action": "submit",
                "action_label": "提交申请",
                "state": "submitted",
                "state_label": "已提交",
            },
            {
                "date": "2026-09-24",
                "action": "accept",
                "action_label": "受理",
                "state": "in_review",
                "state_label": "审查中",
            },
        ],
    }
    # Nothing personal: no name, no number (whole or masked), no form, no materials, no ids.
    text = response.content.decode()
    person = case.applicant.person
    for secret in [
        "张三",
        APPLICANT_ID_NUMBER,
        person.id_number_masked,
        "某某运输有限公司",
        "M01",
        "transport_clerk",
        case.pk,
    ]:
        assert secret not in text, secret


@pytest.mark.parametrize(
    ("receipt_no", "id_number"),
    [
        ("D01-20260924-00002", APPLICANT_ID_NUMBER),  # another receipt number
        (RECEIPT, resident_id(2)),  # another (valid) identity number
        (RECEIPT, "110101199001010011"),  # an invalid one
        ("D01-20260924-00002", resident_id(2)),  # both wrong
        (RECEIPT, CREDIT_CODE),  # a credit code for a personal case
    ],
)
def test_unless_both_match_it_is_404_whichever_part_is_wrong(
    city: City, receipt_no: str, id_number: str
) -> None:
    item(city)
    accepted(city)
    response = ask(receipt_no, id_number)
    assert response.status_code == 404
    assert error(response) == NOT_FOUND


def test_both_numbers_are_required(city: City) -> None:
    item(city)
    accepted(city)
    response = APIClient().post("/api/v1/progress", {"receipt_no": RECEIPT}, format="json")
    assert response.status_code == 400
    assert error(response)["fields"] == {"id_number": ["该字段是必填项。"]}
    blank = ask("", APPLICANT_ID_NUMBER)
    assert blank.status_code == 400
    assert error(blank)["fields"] == {"receipt_no": ["该字段不能为空。"]}


def test_numbers_are_read_as_people_type_them(city: City) -> None:
    item(city)
    accepted(city)
    full_width = APPLICANT_ID_NUMBER.translate(
        {ord(digit): ord(digit) + 0xFEE0 for digit in "0123456789"}
    )
    spaced = f"{APPLICANT_ID_NUMBER[:6]} {APPLICANT_ID_NUMBER[6:14]} {APPLICANT_ID_NUMBER[14:]}"
    for number in (full_width, spaced, APPLICANT_ID_NUMBER.lower()):
        assert ask(f" {RECEIPT} ", number).status_code == 200, number


def test_a_legal_persons_case_is_found_with_its_credit_code(city: City) -> None:
    item(city)
    owner = applicant()
    case = accepted(city, actor=owner, on_behalf_of=company(owner))
    assert case.receipt_no == RECEIPT
    assert ask(RECEIPT, CREDIT_CODE.lower()).status_code == 200
    # The person who filed it is not the applicant in law: their own number finds nothing.
    assert error(ask(RECEIPT, APPLICANT_ID_NUMBER)) == NOT_FOUND


def test_a_window_applicants_number_was_checked_by_the_clerk(city: City) -> None:
    """Only verified people apply online; at a window the clerk checks the card, so a
    person registered by phone alone finds their window case."""
    item(city)
    walk_in = register("walk_in", 3)  # 已注册 only
    with time_machine.travel(ACCEPTED_AT, tick=False):
        case = actions.do_create_case(
            actor=city.transport_clerk,
            item_code=CODE,
            form=dict(FORM),
            channel="window",
            applicant=walk_in,
        )
        attach_required(case, city.transport_clerk)
        actions.do_submit(case, actor=city.transport_clerk)
        actions.do_accept(case, actor=city.transport_clerk)
    assert ask(RECEIPT, resident_id(3)).status_code == 200
    assert error(ask(RECEIPT, resident_id(4))) == NOT_FOUND


def test_an_unaccepted_case_is_not_found(city: City) -> None:
    item(city)
    pending = submitted_case(city, actor=applicant())
    assert pending.receipt_no is None
    assert find_case_for_progress("", APPLICANT_ID_NUMBER) is None


def test_the_query_is_rate_limited_per_client_address(city: City) -> None:
    """The `public` rate (30 a minute): a client cannot try numbers at will, and a made-up
    X-Forwarded-For header does not make it another client."""
    item(city)
    accepted(city)
    api = APIClient()
    for attempt in range(30):
        response = ask(
            RECEIPT, resident_id(10 + attempt), api, HTTP_X_FORWARDED_FOR=f"10.0.0.{attempt}"
        )
        assert response.status_code == 404
    limited = ask(RECEIPT, APPLICANT_ID_NUMBER, api, HTTP_X_FORWARDED_FOR="10.0.1.1")
    assert limited.status_code == 429
    assert error(limited)["code"] == "rate_limited"
    assert int(limited["Retry-After"]) > 0
    other_client = ask(RECEIPT, APPLICANT_ID_NUMBER, REMOTE_ADDR="192.0.2.7")
    assert other_client.status_code == 200


def test_anyone_may_ask_and_nothing_is_kept(city: City) -> None:
    item(city)
    accepted(city)
    stale = APIClient()
    stale.credentials(HTTP_AUTHORIZATION="Bearer revoked-or-made-up")
    response = ask(RECEIPT, APPLICANT_ID_NUMBER, stale, HTTP_IDEMPOTENCY_KEY="progress-1")
    assert response.status_code == 200
    assert "Idempotent-Replayed" not in ask(
        RECEIPT, APPLICANT_ID_NUMBER, HTTP_IDEMPOTENCY_KEY="progress-1"
    )
    assert IdempotencyRecord.objects.count() == 0
    # Identity numbers never travel in an address: there is no GET.
    assert APIClient().get("/api/v1/progress").status_code == 405


def test_the_functions_the_portal_calls(city: City) -> None:
    item(city)
    case = accepted(city)
    found = find_case_for_progress(RECEIPT, APPLICANT_ID_NUMBER)
    assert found is not None
    assert found.pk == case.pk
    assert find_case_for_progress(RECEIPT, resident_id(2)) is None
    with time_machine.travel(ACCEPTED_AT, tick=False):
        progress = public_progress(found)
    assert progress == {
        "receipt_no": RECEIPT,
        "item_name": "道路运输经营许可证核发",
        "department": "市交通运输局",
        "state": "in_review",
        "state_label": "审查中",
        "accepted_on": date(2026, 9, 24),
        "due_date": date(2026, 10, 15),
        "events": [
            {
                "date": date(2026, 9, 24),
                "action": action,
                "action_label": label,
                "state": state,
                "state_label": state_label,
            }
            for action, label, state, state_label in [
                ("create", "创建申请", "draft", "草稿"),
                ("submit", "提交申请", "submitted", "已提交"),
                ("accept", "受理", "in_review", "审查中"),
            ]
        ],
    }
