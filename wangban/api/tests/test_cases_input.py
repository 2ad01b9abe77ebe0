"""Bad input to the case endpoints: a clear Chinese message per field with the right status
(400, 413, 415), and nothing changed."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from wangban.api.tests.cases_helpers import (
    ACCEPTED_AT,
    CODE,
    FORM,
    PDF,
    applicant,
    client_for,
    error,
    unchanged,
)
from wangban.audit.models import AuditEvent
from wangban.cases import actions
from wangban.cases.models import Case, CaseMaterial
from wangban.cases.tests.helpers import draft_case, item, submitted_case
from wangban.conftest import City

PROGRAM = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64 + b"PE\x00\x00"
CHANNEL_MESSAGE = (
    "不是接口可用的申请渠道：请用 kiosk（自助终端）、mobile（移动端）或 api（接口）；"
    "网上办事大厅（online）和窗口（window）的申请不经接口提交。"
)


def post_case(client: Any, body: Any) -> Any:
    return client.post("/api/v1/cases", body, format="json")


@pytest.mark.parametrize(
    ("body", "status", "code", "fields"),
    [
        (
            {"item_code": CODE, "form": FORM, "channel": "online"},
            400,
            "validation_failed",
            {"channel": [f"“online”{CHANNEL_MESSAGE}"]},
        ),
        (
            {"item_code": CODE, "form": FORM, "channel": "window"},
            400,
            "validation_failed",
            {"channel": [f"“window”{CHANNEL_MESSAGE}"]},
        ),
        ({"form": FORM}, 400, "validation_failed", {"item_code": ["该字段是必填项。"]}),
        (
            {"item_code": CODE, "form": {"company": "某某公司", "vehicles": 0}},
            400,
            "validation_failed",
            {"form.vehicles": ["车辆数不能小于 1。"]},
        ),
        (
            {"item_code": CODE, "form": {"company": "某某\x00公司"}},
            400,
            "validation_failed",
            {"form": ["申请表中含有无法保存的字符（空字符或代理字符）。"]},
        ),
        ({"item_code": "NO-SUCH-ITEM", "form": FORM}, 404, "item_not_found", {}),
        ({"item_code": CODE, "on_behalf_of": "lp-1"}, 404, "legal_person_not_found", {}),
        ({"item_code": CODE, "on_behalf_of": "99999"}, 404, "legal_person_not_found", {}),
    ],
)
def test_a_create_request_that_cannot_be_a_draft_creates_nothing(
    city: City, body: dict, status: int, code: str, fields: dict
) -> None:
    item(city)
    response = post_case(client_for(applicant()), body)
    assert response.status_code == status
    assert (error(response)["code"], error(response)["fields"]) == (code, fields)
    assert Case.objects.count() == 0
    assert not AuditEvent.objects.filter(action="case.create").exists()


def test_a_body_that_is_not_a_json_object_is_400(city: City) -> None:
    item(city)
    response = post_case(client_for(applicant()), [CODE])
    assert response.status_code == 400
    assert error(response)["message"] == "请求内容应为 JSON 对象。"
    assert Case.objects.count() == 0


def test_a_form_that_is_not_an_object_is_400(city: City) -> None:
    item(city)
    response = post_case(client_for(applicant()), {"item_code": CODE, "form": "车辆 3 辆"})
    assert response.status_code == 400
    assert list(error(response)["fields"]) == ["form"]
    assert Case.objects.count() == 0


def upload(client: Any, case: Case, data: dict[str, Any]) -> Any:
    return client.post(f"/api/v1/cases/{case.pk}/materials", data)


def pdf_file(content: bytes = PDF, name: str = "材料.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.mark.parametrize(
    ("data", "status", "code", "fields"),
    [
        (
            {"material_code": "M99", "file": "pdf"},
            400,
            "validation_failed",
            {"material_code": ["该事项没有编码为“M99”的申请材料。"]},
        ),
        ({"file": "pdf"}, 400, "validation_failed", {"material_code": ["请填写材料编码。"]}),
        ({"material_code": "M01"}, 400, "validation_failed", {"file": ["请选择要上传的文件。"]}),
        (
            {"material_code": "M01", "reuse": "not-an-id"},
            400,
            "validation_failed",
            {"reuse": ["只能复用同一申请人此前办件中的文件。"]},
        ),
        ({"material_code": "M01", "file": "program"}, 415, "unsupported_file_type", {}),
        ({"material_code": "M01", "file": "large"}, 413, "file_too_large", {}),
    ],
)
@override_settings(WANGBAN_CASE_MATERIAL_MAX_BYTES=1024)
def test_an_upload_that_cannot_be_a_material_changes_nothing(
    city: City, data: dict, status: int, code: str, fields: dict
) -> None:
    item(city)
    person = applicant()
    case = draft_case(city, actor=person)
    files = {
        "pdf": pdf_file(),
        "program": pdf_file(PROGRAM, "申请表.pdf"),  # an executable renamed .pdf
        "large": pdf_file(b"%PDF-1.4\n" + b"0" * 2048),
    }
    if "file" in data:
        data = {**data, "file": files[data["file"]]}
    with unchanged(case):
        response = upload(client_for(person), case, data)
    assert response.status_code == status
    assert (error(response)["code"], error(response)["fields"]) == (code, fields)
    if status == 415:
        assert error(response)["message"] == (
            "不支持该文件类型（按文件内容识别），请上传 PDF、JPEG 图片、PNG 图片、Word 文档、"
            "Excel 表格。"
        )
    if status == 413:
        assert error(response)["message"] == "文件不能超过 1 KB。"


def test_another_applicants_file_cannot_be_reused(city: City) -> None:
    item(city)
    person = applicant()
    other = applicant("other", 2)
    theirs = submitted_case(city, actor=other)
    case = draft_case(city, actor=person)
    material = CaseMaterial.objects.get(case=theirs, material_code="M01")
    with unchanged(case):
        response = upload(client_for(person), case, {"material_code": "M01", "reuse": material.pk})
    assert response.status_code == 400
    assert error(response)["fields"] == {"reuse": ["只能复用同一申请人此前办件中的文件。"]}


def test_an_incomplete_draft_is_not_submitted(city: City) -> None:
    item(city)
    person = applicant()
    case = draft_case(city, actor=person, form={"company": "某某公司"})
    actions.do_attach_material(
        case, actor=person, material_code="M01", upload=pdf_file(name="M01.pdf")
    )
    with unchanged(case):
        response = client_for(person).post(f"/api/v1/cases/{case.pk}/submit")
    assert response.status_code == 400
    assert error(response) == {
        "code": "validation_failed",
        "message": "申请还不完整，请按提示补充后再提交。",
        "fields": {"form.vehicles": ["请填写车辆数。"], "materials.M02": ["请提交“营业执照”。"]},
    }


VALID_ACTIONS = (
    "sign_in、accept、request_correction、resubmit、reject、terminate、reassign、approve_step、"
    "return_step、suspend、resume、extend、decide、complete、withdraw"
)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (
            {"action": "approve"},
            {"action": [f"未知的操作“approve”；可用的操作：{VALID_ACTIONS}。"]},
        ),
        ({}, {"action": [f"请指明操作（action）；可用的操作：{VALID_ACTIONS}。"]}),
        (
            {"action": ["accept"]},
            {"action": [f"未知的操作“['accept']”；可用的操作：{VALID_ACTIONS}。"]},
        ),
        ({"action": "reject"}, {"reason": ["请写明不予受理的具体理由。"]}),
        ({"action": "reject", "reason": "   "}, {"reason": ["请写明不予受理的具体理由。"]}),
        ({"action": "reject", "reason": ["不合规"]}, {"reason": ["不是有效的字符串。"]}),
        ({"action": "request_correction"}, {"items": ["请列出需要补正的全部材料及原因。"]}),
        (
            {"action": "request_correction", "items": [{"material_code": "M99", "reason": ""}]},
            # Flattened with dots, as a missing key of the same item is (docs/api.md).
            {
                "items.0.material_code": ["该事项没有编码为“M99”的申请材料。"],
                "items.0.reason": ["请写明需要补正的原因。"],
            },
        ),
        (
            {"action": "request_correction", "items": [{"material_code": "M01"}]},
            {"items.0.reason": ["该字段是必填项。"]},
        ),
        (
            {"action": "request_correction", "items": "M01"},
            {"items": ["期望为一个包含物件的列表，得到的类型是“str”。"]},
        ),
    ],
)
def test_a_transition_with_a_bad_body_changes_nothing(city: City, body: dict, fields: dict) -> None:
    item(city)
    with time_machine.travel(ACCEPTED_AT, tick=False):
        case = submitted_case(city, actor=applicant())
        with unchanged(case):
            response = client_for(city.transport_clerk).post(
                f"/api/v1/cases/{case.pk}/transitions", body, format="json"
            )
    assert response.status_code == 400
    assert (error(response)["code"], error(response)["fields"]) == ("validation_failed", fields)


def test_a_second_correction_notice_needs_its_reason(city: City) -> None:
    item(city)
    person = applicant()
    items = [{"material_code": "M01", "reason": "缺少签字"}]
    with time_machine.travel(ACCEPTED_AT, tick=False):
        case = submitted_case(city, actor=person)
        actions.do_request_correction(case, actor=city.transport_clerk, items=items)
        actions.do_attach_material(
            case, actor=person, material_code="M01", upload=pdf_file(name="M01.pdf")
        )
        actions.do_resubmit(case, actor=person)
        clerk = client_for(city.transport_clerk)
        path = f"/api/v1/cases/{case.pk}/transitions"
        with unchanged(case):
            refused = clerk.post(
                path, {"action": "request_correction", "items": items}, format="json"
            )
        again = clerk.post(
            path,
            {"action": "request_correction", "items": items, "reason_for_second": "签字仍不清晰"},
            format="json",
        )
    assert refused.status_code == 400
    assert error(refused)["fields"] == {
        "reason_for_second": [
            "本申请已出具过补正告知书；再次告知违反一次性告知的要求，须写明理由。"
        ]
    }
    assert again.status_code == 200
    assert again.json()["correction"]["is_repeat"] is True


@pytest.mark.parametrize(
    ("query", "status", "fields"),
    [
        (
            "state=accepted",
            400,
            {
                "state": [
                    (
                        "未知的状态“accepted”；可用：draft、submitted、correction_requested、"
                        "rejected、terminated、in_review、suspended、approved、denied、"
                        "completed、withdrawn。"
                    )
                ]
            },
        ),
        ("light=yellow", 400, {"light": ["未知的灯色“yellow”；可用：green、blue、red。"]}),
        ("page=0", 400, {"page": ["page 应为正整数。"]}),
        ("page_size=abc", 400, {"page_size": ["page_size 应为正整数。"]}),
        ("item_code=" + "x" * 65, 400, {"item_code": ["事项实施编码最长 64 个字符。"]}),
        ("page=2", 404, {}),
    ],
)
def test_a_list_query_it_cannot_answer_is_refused(
    city: City, query: str, status: int, fields: dict
) -> None:
    item(city)
    person = applicant()
    submitted_case(city, actor=person)
    response = client_for(person).get(f"/api/v1/cases?{query}")
    assert response.status_code == status
    assert error(response)["fields"] == fields


def nested(depth: int) -> dict[str, Any]:
    form: dict[str, Any] = {"company": "某某公司"}
    for _ in range(depth):
        form = {"detail": form}
    return form


@pytest.mark.parametrize(
    ("body", "code", "fields"),
    [
        ("[" * 100_000, "malformed_request", {}),  # deeper than any JSON decoder follows
        (
            {"item_code": CODE, "form": nested(500)},
            "validation_failed",
            {"form": ["申请表嵌套不能超过 32 层。"]},
        ),
        (
            '{"item_code": "x", "form": {"company": "\\ud800"}}',  # a lone surrogate
            "validation_failed",
            {"form": ["申请表中含有无法保存的字符（空字符或代理字符）。"]},
        ),
    ],
)
def test_a_body_no_database_could_store_is_400_not_a_crash(
    city: City, body: Any, code: str, fields: dict
) -> None:
    item(city)
    api = client_for(applicant())
    if isinstance(body, str):
        response = api.post("/api/v1/cases", body, content_type="application/json")
    else:
        response = api.post("/api/v1/cases", body, format="json")
    assert response.status_code == 400
    assert (error(response)["code"], error(response)["fields"]) == (code, fields)
    assert Case.objects.count() == 0


def test_a_material_code_with_a_nul_character_is_unknown(city: City) -> None:
    item(city)
    person = applicant()
    case = draft_case(city, actor=person)
    with unchanged(case):
        response = upload(
            client_for(person), case, {"material_code": "M\x0001", "file": pdf_file()}
        )
    assert response.status_code == 400
    assert error(response)["fields"] == {
        "material_code": ["该事项没有编码为“M\ufffd01”的申请材料。"]
    }


def test_an_unknown_case_is_404_whatever_the_body(city: City) -> None:
    """API.md's order: 404 comes before 400."""
    client = client_for(applicant())
    for path in ("transitions", "materials"):
        response = client.post(f"/api/v1/cases/{'f' * 20}/{path}", [], format="json")
        assert response.status_code == 404, path


@pytest.mark.parametrize("name", ["page", "page_size"])
@pytest.mark.parametrize("path", ["/api/v1/cases", "/api/v1/items"])
def test_a_page_number_of_thousands_of_digits_is_past_the_end(
    city: City, name: str, path: str
) -> None:
    client = client_for(applicant())
    client.raise_request_exception = False
    response = client.get(f"{path}?{name}=" + "9" * 5000)
    if name == "page":  # past the last page
        assert (response.status_code, error(response)["code"]) == (404, "not_found")
    else:  # as many as a page holds
        assert response.status_code == 200
        assert set(response.json()) == {"count", "next", "previous", "results"}
    response = client.get(f"{path}?{name}=" + "0" * 5000)
    assert response.status_code == 400
    assert error(response)["fields"][name] == [f"{name} 应为正整数。"]


def test_a_multipart_transition_with_too_many_fields_is_400(city: City) -> None:
    from django.test.client import BOUNDARY, encode_multipart

    item(city)
    with time_machine.travel(ACCEPTED_AT, tick=False):
        case = submitted_case(city)
    data = {"action": "withdraw", "reason": "不办了", **{f"f{i}": "x" for i in range(6000)}}
    client = client_for(city.applicant)
    client.raise_request_exception = False
    with unchanged(case):
        response = client.post(
            f"/api/v1/cases/{case.pk}/transitions",
            encode_multipart(BOUNDARY, data),
            content_type=f"multipart/form-data; boundary={BOUNDARY}",
        )
    assert response.status_code == 400
    assert error(response)["code"] == "malformed_request"
