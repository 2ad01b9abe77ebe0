"""Review and decision through the API (issue 8): the permission matrix of the review
actions, optimistic concurrency with `step` (409 `stale`), the domain's own 409 codes, bad
input (400 with Chinese messages per field) — each refusal changes nothing — and what a case
shows of its steps, stops, extensions and decision."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from wangban.accounts.choices import Role
from wangban.api.cases import TRANSITIONS
from wangban.api.tests.cases_helpers import at, client_for, error
from wangban.audit.models import AuditEvent
from wangban.cases import review
from wangban.cases.documents import render_document
from wangban.cases.models import Case
from wangban.cases.tests.decision_helpers import (
    decided_case,
    decision_of,
    review_world,
    transport_seal,
)
from wangban.cases.tests.review_helpers import (
    ACCEPTED_AT,
    Staff,
    accepted_case,
    last_step_case,
    on,
    review_item,
    review_staff,
    trace,
)
from wangban.conftest import City, make_staff

ACTED_AT = at(2026, 9, 28, 10, 0)  # Mon, the first working day after the acceptance


@pytest.fixture
def staff(city: City) -> Staff:
    review_item(city)
    return review_staff(city)


def post(user: Any, case: Case, body: dict[str, Any]) -> Any:
    with on(ACTED_AT):
        return client_for(user).post(f"/api/v1/cases/{case.pk}/transitions", body, format="json")


def refused(user: Any, case: Case, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """`body` by `user`, checked to change nothing; the status and the error."""
    before = trace(case)
    response = post(user, case, body)
    assert trace(case) == before
    return response.status_code, error(response)


# --- who may act --------------------------------------------------------------------------


def test_a_clerk_deciding_is_403(city: City, staff: Staff) -> None:
    case = last_step_case(city, staff)
    status, body = refused(staff.clerk, case, {"action": "decide", "outcome": "approved"})
    assert (status, body["code"], body["message"]) == (
        403,
        "permission_denied",
        "您无权对该办件执行“作出审批决定”。",
    )


def test_a_reviewer_of_another_department_sees_no_case(city: City, staff: Staff) -> None:
    case = accepted_case(city, staff)
    stranger = make_staff("market_reviewer", city.market, Role.REVIEWER)
    status, body = refused(stranger, case, {"action": "approve_step", "opinion": "同意"})
    assert (status, body["code"]) == (404, "case_not_found")
    with on(ACTED_AT):
        read = client_for(stranger).get(f"/api/v1/cases/{case.pk}")
    assert (read.status_code, error(read)["code"]) == (404, "case_not_found")


@pytest.mark.parametrize(
    "body",
    [
        {"action": "approve_step", "opinion": "同意"},
        {"action": "return_step", "reason": "退回"},
        {"action": "suspend", "procedure": "hearing", "reason": "听证"},
        {"action": "extend", "working_days": 3, "reason": "复杂"},
        {"action": "reassign", "queue": "D01"},
        {"action": "decide", "outcome": "approved", "reason": "符合条件"},
    ],
)
def test_an_applicant_acting_as_staff_is_403(city: City, staff: Staff, body: dict) -> None:
    case = last_step_case(city, staff) if body["action"] == "decide" else accepted_case(city, staff)
    status, answer = refused(city.applicant, case, body)
    assert (status, answer["code"]) == (403, "permission_denied")


def test_only_the_holder_of_the_current_step_s_role_passes_it_on(city: City, staff: Staff) -> None:
    case = accepted_case(city, staff)  # waits at 审核 (reviewer)
    status, body = refused(staff.approver, case, {"action": "approve_step", "opinion": "同意"})
    assert (status, body["code"]) == (403, "permission_denied")
    response = post(staff.reviewer, case, {"action": "approve_step", "opinion": "同意"})
    assert response.status_code == 200
    assert response.json()["current_step"]["name"] == "复核"


# --- concurrency -----------------------------------------------------------------------------


def test_of_two_staff_acting_on_what_they_saw_one_wins(city: City, staff: Staff) -> None:
    """Both read the case at 审核; the first passes it on, the second's approval of the same
    step is stale (409) and changes nothing."""
    case = accepted_case(city, staff)
    other = make_staff("transport_reviewer_2", city.transport, Role.REVIEWER)
    with on(ACTED_AT):
        seen = client_for(other).get(f"/api/v1/cases/{case.pk}").json()["current_step"]["id"]
    first = post(staff.reviewer, case, {"action": "approve_step", "opinion": "同意", "step": seen})
    assert first.status_code == 200
    status, body = refused(other, case, {"action": "approve_step", "opinion": "同意", "step": seen})
    assert (status, body) == (
        409,
        {
            "code": "stale",
            "message": "办件已被他人办理，当前环节已变化，请刷新后重试。",
            "fields": {},
        },
    )


def test_stale_comes_after_403_but_before_it_for_the_case_s_staff(city: City, staff: Staff) -> None:
    """API.md's order (403, then 409) for anyone who may not act; the case's own staff,
    whose right may have moved on with the step, learn that the case changed."""
    case = accepted_case(city, staff)  # at 审核 (reviewer)
    status, body = refused(city.applicant, case, {"action": "suspend", "step": "999999"})
    assert (status, body["code"]) == (403, "permission_denied")
    # The second reviewer is no holder of 审核: stale, not 403, for a step they saw.
    body = {"action": "approve_step", "opinion": "同意", "step": "999999"}
    status, answer = refused(staff.second, case, body)
    assert (status, answer["code"]) == (409, "stale")
    status, answer = refused(staff.reviewer, case, body)
    assert (status, answer["code"]) == (409, "stale")


def test_a_step_of_the_wrong_type_is_400(city: City, staff: Staff) -> None:
    case = accepted_case(city, staff)
    status, body = refused(
        staff.reviewer, case, {"action": "approve_step", "opinion": "同意", "step": ["1"]}
    )
    assert (status, body["fields"]) == (400, {"step": ["不是有效的字符串。"]})


def test_a_decided_case_is_stale_for_the_step_it_was_at(city: City, staff: Staff) -> None:
    case = last_step_case(city, staff)
    seen = str(case.current_step_id)
    decided = post(staff.approver, case, {"action": "decide", "outcome": "approved", "step": seen})
    assert decided.status_code == 200
    status, body = refused(
        staff.clerk, case, {"action": "complete", "delivery": "pickup", "step": seen}
    )
    assert (status, body["code"]) == (409, "stale")
    done = post(staff.clerk, case, {"action": "complete", "delivery": "pickup"})
    assert (done.status_code, done.json()["state"]) == (200, "completed")


# --- the domain's own 409 codes ----------------------------------------------------------


def test_the_last_step_decides_rather_than_passes_on(city: City, staff: Staff) -> None:
    case = last_step_case(city, staff)
    status, body = refused(staff.approver, case, {"action": "approve_step", "opinion": "同意"})
    assert (status, body["code"], body["message"]) == (
        409,
        "last_step_decides",
        "“审批”是最后一个环节，请作出审批决定。",
    )


def test_only_the_last_step_decides(city: City, staff: Staff) -> None:
    case = accepted_case(city, staff)
    status, body = refused(staff.approver, case, {"action": "decide", "outcome": "approved"})
    assert (status, body["code"]) == (409, "not_last_step")


def test_the_first_review_step_cannot_be_returned(city: City, staff: Staff) -> None:
    case = accepted_case(city, staff)
    status, body = refused(staff.reviewer, case, {"action": "return_step", "reason": "退回"})
    assert (status, body["code"], body["message"]) == (
        409,
        "no_previous_step",
        "“审核”之前没有可退回的环节。",
    )


# --- bad input ------------------------------------------------------------------------------

EXTENSION = "请填写延长的工作日数（1—60 的整数）。"
PROCEDURES = (
    "请选择特别程序：site_survey 现场勘查、inspection 检验、testing 检测、quarantine 检疫、"
    "expert_review 专家评审、hearing 听证、public_notice 公示或 other 其他。"
)


@pytest.mark.parametrize(
    ("who", "body", "fields"),
    [
        ("reviewer", {"action": "approve_step"}, {"opinion": ["请填写审查意见。"]}),
        (
            "reviewer",
            {"action": "approve_step", "opinion": "  "},
            {"opinion": ["请填写审查意见。"]},
        ),
        (
            "reviewer",
            {"action": "approve_step", "opinion": {"text": "同意"}},
            {"opinion": ["不是有效的字符串。"]},
        ),
        (
            "admin",
            {"action": "reassign"},
            {"assignee": ["请指定一名工作人员，或退回部门队列（二选一）。"]},
        ),
        (
            "admin",
            {"action": "reassign", "assignee": "nobody"},
            {"assignee": ["“nobody”不是本环节部门中承担“审核人”的工作人员。"]},
        ),
        (
            "admin",
            {"action": "reassign", "queue": "D02"},
            {"queue": ["只能退回“市交通运输局”的队列。"]},
        ),
        ("admin", {"action": "reassign", "queue": "D01"}, {"queue": ["该工作已在部门队列中。"]}),
        ("handler", {"action": "suspend", "reason": "评审"}, {"procedure": [PROCEDURES]}),
        (
            "handler",
            {"action": "suspend", "procedure": "picnic", "reason": "评审"},
            {"procedure": [PROCEDURES]},
        ),
        (
            "handler",
            {"action": "suspend", "procedure": "hearing"},
            {"reason": ["请写明挂起的理由。"]},
        ),
        ("approver", {"action": "extend", "reason": "复杂"}, {"working_days": [EXTENSION]}),
        (
            "approver",
            {"action": "extend", "working_days": 0, "reason": "复杂"},
            {"working_days": [EXTENSION]},
        ),
        (
            "approver",
            {"action": "extend", "working_days": "三", "reason": "复杂"},
            {"working_days": [EXTENSION]},
        ),
        (
            "approver",
            {"action": "extend", "working_days": 61, "reason": "复杂"},
            {"working_days": [EXTENSION]},
        ),
        (
            "approver",
            {"action": "extend", "working_days": 3},
            {"reason": ["请写明延长办理期限的理由。"]},
        ),
    ],
)
def test_a_review_action_with_a_bad_body_changes_nothing(
    city: City, staff: Staff, who: str, body: dict, fields: dict
) -> None:
    case = accepted_case(city, staff)
    status, answer = refused(getattr(staff, who), case, body)
    assert (status, answer["code"], answer["fields"]) == (400, "validation_failed", fields)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (
            {"action": "decide"},
            {"outcome": ["请选择审批决定：approved 准予许可或 denied 不予许可。"]},
        ),
        (
            {"action": "decide", "outcome": "maybe"},
            {"outcome": ["请选择审批决定：approved 准予许可或 denied 不予许可。"]},
        ),
        (
            {"action": "decide", "outcome": "denied"},
            {"reason": ["不予许可须说明理由（行政许可法第三十八条）。"]},
        ),
        (
            {"action": "decide", "outcome": "denied", "reason": "x", "legal_basis": ["a"]},
            {"legal_basis": ["不是有效的字符串。"]},
        ),
    ],
)
def test_a_decision_with_a_bad_body_changes_nothing(
    city: City, staff: Staff, body: dict, fields: dict
) -> None:
    case = last_step_case(city, staff)
    status, answer = refused(staff.approver, case, body)
    assert (status, answer["fields"]) == (400, fields)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (
            {"action": "complete"},
            {"delivery": ["请选择送达方式：pickup 窗口领取、mail 邮寄送达或 online 网上送达。"]},
        ),
        ({"action": "complete", "delivery": "mail"}, {"tracking_no": ["邮寄送达须填写快递单号。"]}),
        (
            {"action": "complete", "delivery": "pickup", "tracking_no": "SF1"},
            {"tracking_no": ["只有邮寄送达需要填写快递单号。"]},
        ),
        (
            {"action": "complete", "delivery": "mail", "tracking_no": "S" * 65},
            {"tracking_no": ["请确保这个字段不能超过 64 个字符。"]},
        ),
    ],
)
def test_a_completion_with_a_bad_body_changes_nothing(
    city: City, staff: Staff, body: dict, fields: dict
) -> None:
    case = last_step_case(city, staff)
    with on(ACCEPTED_AT):
        review.do_decide(case, actor=staff.approver, outcome="approved", reason="符合条件")
    status, answer = refused(staff.clerk, Case.objects.get(pk=case.pk), body)
    assert (status, answer["fields"]) == (400, fields)


@pytest.mark.parametrize(
    ("action", "field", "message"),
    [
        ("approve_step", "opinion", "请填写审查意见。"),
        ("return_step", "reason", "请写明退回的理由。"),
        ("suspend", "reason", "请写明挂起的理由。"),
        ("extend", "reason", "请写明延长办理期限的理由。"),
        ("reject", "reason", "请写明不予受理的具体理由。"),
        ("terminate", "reason", "请写明终止办理的理由。"),
    ],
)
def test_the_schema_says_which_texts_an_action_needs(action: str, field: str, message: str) -> None:
    """/api/schema/ marks as required what the action always refuses without (a client
    generated from it must not think the opinion or the reason optional); missing or null,
    the answer is the action's own message."""
    body = TRANSITIONS[action].body
    schema = Client().get("/api/schema/", {"format": "json"}).json()
    assert field in schema["components"]["schemas"][f"{body.__name__}Request"]["required"]
    for data in ({"action": action}, {"action": action, field: None}):
        checked = body(data=data)
        assert not checked.is_valid()
        assert checked.errors[field] == [message]


def test_resume_takes_a_note_that_is_text(city: City, staff: Staff) -> None:
    case = accepted_case(city, staff)
    with on(ACCEPTED_AT):
        review.do_suspend(case, actor=staff.handler, procedure="hearing", reason="听证")
    case = Case.objects.get(pk=case.pk)
    status, answer = refused(staff.handler, case, {"action": "resume", "note": ["完毕"]})
    assert (status, answer["fields"]) == (400, {"note": ["不是有效的字符串。"]})


# --- what the case shows -------------------------------------------------------------------


def test_the_case_shows_its_stops_extensions_and_decision(city: City, staff: Staff) -> None:
    """DESIGN.md §5's worked example (accepted Thu 09-24, P = 15): stopped Tue 09-29 and
    restarted Fri 10-09, one day used, due Tue 10-27; extended by 5 on Mon 10-12, due Tue
    11-03 (the statutory 20 + 5 the same way)."""
    case = accepted_case(city, staff)
    suspended = None
    with on(at(2026, 9, 29, 10, 0)):
        suspended = client_for(staff.handler).post(
            f"/api/v1/cases/{case.pk}/transitions",
            {"action": "suspend", "procedure": "expert_review", "reason": "专家评审"},
            format="json",
        )
    assert suspended.status_code == 200
    stopped = suspended.json()
    assert {key: stopped[key] for key in ("state", "clock_running", "due_date")} == {
        "state": "suspended",
        "clock_running": False,
        "due_date": None,
    }
    assert (stopped["legal_due_date"], stopped["light"], stopped["remaining_working_days"]) == (
        None,
        "green",
        14,
    )
    assert stopped["current_step"]["due_on"] is None  # the step's clock stops with the case's
    with on(at(2026, 10, 9, 10, 0)):
        resumed = client_for(staff.handler).post(
            f"/api/v1/cases/{case.pk}/transitions",
            {"action": "resume", "note": "评审完毕"},
            format="json",
        )
    assert (resumed.json()["due_date"], resumed.json()["clock_running"]) == ("2026-10-27", True)
    with on(at(2026, 10, 12, 10, 0)):
        extended = client_for(staff.approver).post(
            f"/api/v1/cases/{case.pk}/transitions",
            {"action": "extend", "working_days": 5, "reason": "情况复杂"},
            format="json",
        )
    shown = extended.json()
    assert shown["due_date"] == "2026-11-03"
    assert shown["extensions"] == [{"on": "2026-10-12", "working_days": 5, "reason": "情况复杂"}]
    assert shown["stops"] == [
        {
            "kind": "special_procedure",
            "procedure": "expert_review",
            "reason": "专家评审",
            "started_on": "2026-09-29",
            "ended_on": "2026-10-09",
        }
    ]
    assert shown["decision"] is None
    with on(at(2026, 10, 13, 10, 0)):
        review.do_approve_step(case, actor=staff.reviewer, opinion="同意")
        review.do_approve_step(case, actor=staff.second, opinion="同意")
        decided = client_for(staff.approver).post(
            f"/api/v1/cases/{case.pk}/transitions",
            {
                "action": "decide",
                "outcome": "denied",
                "reason": "不符合条件",
                "legal_basis": "某条例",
            },
            format="json",
        )
    body = decided.json()
    assert body["decision"] == {
        "outcome": "denied",
        "reason": "不符合条件",
        "legal_basis": "某条例",
        "document": None,  # until the worker has rendered and sealed it
    }
    assert (body["state"], body["decided_on"], body["light"], body["current_step"]) == (
        "denied",
        "2026-10-13",
        None,
        None,
    )
    assert (body["due_date"], body["clock_running"]) == ("2026-11-03", False)


def test_the_list_filters_by_light_and_sorts_by_due_date(city: City, staff: Staff) -> None:
    early = accepted_case(city, staff, at(2026, 9, 1, 10, 0))  # P = 15: due Tue 09-22
    late = accepted_case(city, staff, ACCEPTED_AT)  # due Thu 10-22
    client = client_for(staff.reviewer)
    with on(ACTED_AT):
        red = client.get("/api/v1/cases?light=red").json()
        green = client.get("/api/v1/cases?light=green").json()
        ascending = client.get("/api/v1/cases?ordering=due_date").json()
        descending = client.get("/api/v1/cases?ordering=-due_date").json()
        unknown = client.get("/api/v1/cases?light=amber")
        unordered = client.get("/api/v1/cases?ordering=state")
    assert [row["id"] for row in red["results"]] == [early.pk]
    assert red["results"][0]["light"] == "red"
    assert [row["id"] for row in green["results"]] == [late.pk]
    assert [row["id"] for row in ascending["results"]] == [early.pk, late.pk]
    assert [row["id"] for row in descending["results"]] == [late.pk, early.pk]
    assert (unknown.status_code, error(unknown)["fields"]) == (
        400,
        {"light": ["未知的灯色“amber”；可用：green、blue、red。"]},
    )
    assert (unordered.status_code, error(unordered)["fields"]) == (
        400,
        {"ordering": ["未知的排序“state”；可用：due_date、-due_date。"]},
    )


def test_a_staff_page_costs_the_same_queries_whatever_its_length(city: City, staff: Staff) -> None:
    client = client_for(staff.approver)
    accepted_case(city, staff)
    with on(ACTED_AT):
        client.get("/api/v1/cases")  # warms the working-day calendar's cache
        with CaptureQueriesContext(connection) as one:
            assert client.get("/api/v1/cases?ordering=due_date").json()["count"] == 1
    last_step_case(city, staff)
    with on(ACCEPTED_AT):
        suspended = accepted_case(city, staff)
        review.do_suspend(suspended, actor=staff.handler, procedure="hearing", reason="听证")
        extended = accepted_case(city, staff)
        review.do_extend(extended, actor=staff.approver, working_days=2, reason="复杂")
    with on(ACTED_AT), CaptureQueriesContext(connection) as four:
        body = client.get("/api/v1/cases?ordering=due_date").json()
    assert body["count"] == 4
    assert len(four.captured_queries) == len(one.captured_queries)
    assert sorted(len(row["stops"]) + len(row["extensions"]) for row in body["results"]) == [
        0,
        0,
        1,
        1,
    ]


def test_the_decision_carries_its_sealed_document_and_verification_link(city: City) -> None:
    staff = review_world(city)
    transport_seal(city)
    case = decided_case(city, staff)
    client = client_for(city.applicant)
    assert client.get(f"/api/v1/cases/{case.pk}").json()["decision"]["document"] is None
    document = decision_of(case)
    document.refresh_from_db()
    code = document.verification_code
    assert render_document(document.pk) == "ready"
    document.refresh_from_db()
    shown = client.get(f"/api/v1/cases/{case.pk}").json()["decision"]["document"]
    assert shown == {
        "title": "准予行政许可决定书",
        "sealed_at": timezone.localtime(document.sealed_at).isoformat(timespec="seconds"),
        "verification_code": code,
        "verification_url": f"http://localhost:8000/verify/{code}/",
        "download_url": f"/api/v1/cases/{case.pk}/documents/{document.pk}",
    }
    # The same in the list, and the public page it names verifies the document.
    listed = client.get("/api/v1/cases").json()["results"]
    assert [row["decision"]["document"]["verification_code"] for row in listed] == [code]
    page = Client().get(f"/verify/{code}/")
    assert page.status_code == 200
    assert "验证通过" in page.content.decode()


def test_the_decision_pdf_is_downloaded_with_a_token(city: City) -> None:
    """The applicant (and the department's staff) download the sealed PDF through the API,
    each download audited; nobody else finds it, and none is served before it is ready."""
    staff = review_world(city)
    transport_seal(city)
    case = decided_case(city, staff)
    document = decision_of(case)
    url = f"/api/v1/cases/{case.pk}/documents/{document.pk}"
    owner = client_for(city.applicant)
    response = owner.get(url)
    assert (response.status_code, error(response)["code"]) == (404, "document_not_ready")
    assert render_document(document.pk) == "ready"
    document.refresh_from_db()

    shown = owner.get(f"/api/v1/cases/{case.pk}").json()["decision"]["document"]
    audited = AuditEvent.objects.filter(action="case.download_document", object_id=case.pk)
    for user in (city.applicant, staff.approver, city.supervisor):
        response = client_for(user).get(shown["download_url"])
        assert response.status_code == 200, user
        body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
        assert body.startswith(b"%PDF")
        assert hashlib.sha256(body).hexdigest() == document.sha256
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment")
        assert response["Cache-Control"] == "private, no-store"
    assert [event.actor_id for event in audited.order_by("id")] == [
        city.applicant.pk,
        staff.approver.pk,
        city.supervisor.pk,
    ]

    stranger = client_for(make_staff("market_clerk", city.market, Role.CLERK))
    response = stranger.get(url)
    assert (response.status_code, error(response)["code"]) == (404, "case_not_found")
    another = accepted_case(city, staff)
    response = owner.get(f"/api/v1/cases/{another.pk}/documents/{document.pk}")
    assert (response.status_code, error(response)["code"]) == (404, "document_not_found")
    response = owner.get(f"/api/v1/cases/{case.pk}/documents/{document.pk + 1000}")
    assert (response.status_code, error(response)["code"]) == (404, "document_not_found")
    assert Client().get(url).status_code == 401
    assert audited.count() == 3  # refusals download nothing


def test_the_completed_case_says_how_its_result_was_delivered(city: City, staff: Staff) -> None:
    """`complete` takes the delivery and the tracking number: the case then shows them
    (the workbench does too), null before."""
    case = last_step_case(city, staff)
    with on(ACCEPTED_AT):
        review.do_decide(case, actor=staff.approver, outcome="approved", reason="符合条件")
    decided = client_for(city.applicant).get(f"/api/v1/cases/{case.pk}").json()
    assert (decided["delivery"], decided["tracking_no"]) == (None, None)
    body = {"action": "complete", "delivery": "mail", "tracking_no": "SF1234567890"}
    response = post(staff.clerk, case, body)
    assert response.status_code == 200
    shown = response.json()
    assert (shown["state"], shown["delivery"], shown["tracking_no"]) == (
        "completed",
        "mail",
        "SF1234567890",
    )
    listed = client_for(city.applicant).get("/api/v1/cases").json()["results"]
    assert [(row["delivery"], row["tracking_no"]) for row in listed] == [("mail", "SF1234567890")]


def test_a_client_asking_for_the_pdf_gets_it(city: City) -> None:
    """The document answers `application/pdf` (as /api/schema/ says): a client that asks
    for that type with `Accept` gets the file, and a refusal stays the JSON envelope; a
    type the endpoint cannot answer is 406."""
    staff = review_world(city)
    transport_seal(city)
    case = decided_case(city, staff)
    document = decision_of(case)
    url = f"/api/v1/cases/{case.pk}/documents/{document.pk}"
    owner = client_for(city.applicant)
    response = owner.get(url, HTTP_ACCEPT="application/pdf")
    assert (response.status_code, response["Content-Type"]) == (404, "application/json")
    assert error(response)["code"] == "document_not_ready"
    assert render_document(document.pk) == "ready"
    for accept in ("application/pdf", "application/pdf, application/json;q=0.5", "*/*"):
        response = owner.get(url, HTTP_ACCEPT=accept)
        assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
        assert b"".join(response.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]
    response = owner.get(url, HTTP_ACCEPT="text/html")
    assert (response.status_code, error(response)["code"]) == (406, "not_acceptable")
    anonymous = Client().get(url, HTTP_ACCEPT="application/pdf")
    assert (anonymous.status_code, error(anonymous)["code"]) == (401, "not_authenticated")
    response = owner.get(f"{url}?format=xml")
    assert (response.status_code, response["Content-Type"]) == (404, "application/json")


def test_a_head_request_for_the_document_downloads_nothing_and_is_not_audited(
    city: City,
) -> None:
    """Only a GET downloads the PDF and is audited as a download (the portal's link answers
    HEAD with 405 too): a HEAD, a link checker's say, must not put a download in the log."""
    staff = review_world(city)
    transport_seal(city)
    case = decided_case(city, staff)
    document = decision_of(case)
    assert render_document(document.pk) == "ready"
    url = f"/api/v1/cases/{case.pk}/documents/{document.pk}"
    audited = AuditEvent.objects.filter(action="case.download_document", object_id=case.pk)
    for accept in ("*/*", "application/pdf"):
        response = client_for(city.applicant).head(url, HTTP_ACCEPT=accept)
        assert response.status_code == 405, accept
        assert "HEAD" not in response["Allow"]
    assert audited.count() == 0


def test_the_schema_gives_the_document_no_format_parameter() -> None:
    """The PDF renderer lets `Accept: application/pdf` through; it adds no `?format=` to the
    schema, where `json` would promise an answer the endpoint never gives (the file comes
    whatever the format)."""
    schema = Client().get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/cases/{id}/documents/{document_id}"]["get"]
    assert sorted(parameter["name"] for parameter in operation["parameters"]) == [
        "document_id",
        "id",
    ]


def test_a_case_withdrawn_during_review_has_no_due_date_and_sorts_last(
    city: City, staff: Staff
) -> None:
    from wangban.cases import actions
    from wangban.cases.tests.helpers import fresh

    withdrawn = accepted_case(city, staff)  # due 10-22
    with on(ACTED_AT):
        actions.do_withdraw(withdrawn, actor=city.applicant, reason="不再需要")
    running = accepted_case(city, staff, at(2026, 10, 9, 10, 0))  # due later
    with on(at(2026, 10, 12, 10, 0)):
        body = client_for(city.applicant).get("/api/v1/cases?ordering=due_date").json()
    rows = [(row["id"], row["due_date"]) for row in body["results"]]
    assert rows == [(running.pk, str(fresh(running).due_date)), (withdrawn.pk, None)]
    assert fresh(withdrawn).legal_due_date is None


def test_a_revision_seen_before_another_change_is_stale(city: City, staff: Staff) -> None:
    """Two approvers on the same page each extend by 6: the `step` has not moved, the case
    has. With the `revision` they saw, the second is 409 stale and changes nothing."""
    case = last_step_case(city, staff)
    seen = client_for(staff.approver).get(f"/api/v1/cases/{case.pk}").json()
    body = {
        "action": "extend",
        "working_days": 6,
        "reason": "需征求意见",
        "step": seen["current_step"]["id"],
        "revision": seen["revision"],
    }
    with on(ACTED_AT):
        first = post(staff.approver, case, body)
        assert first.status_code == 200
        assert first.json()["revision"] == seen["revision"] + 1
        before = trace(case)
        status, answer = refused(
            make_staff("approver_two", city.transport, Role.APPROVER), case, body
        )
    assert (status, answer["code"]) == (409, "stale")
    assert trace(case) == before
    # A revision that is no whole number is the body's (400).
    with on(ACTED_AT):
        status, answer = refused(staff.approver, case, {**body, "revision": "new"})
    assert status == 400
    assert "revision" in answer["fields"]
