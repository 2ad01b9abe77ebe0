"""The cases of API.md, happy paths: create, upload, submit, list, read, and every transition
of acceptance, each answering with the case representation."""

from __future__ import annotations

import hashlib
from typing import Any

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from wangban.api.tests.cases_helpers import (
    ACCEPTED_AT,
    CODE,
    FORM,
    PDF,
    applicant,
    at,
    client_for,
    company,
    grant,
)
from wangban.audit.models import AuditEvent
from wangban.cases import actions
from wangban.cases.models import Case, CaseMaterial
from wangban.cases.tests.helpers import attach_required, draft_case, item, submitted_case
from wangban.conftest import City

PDF_SHA256 = hashlib.sha256(PDF).hexdigest()
ITEM_NAME = "道路运输经营许可证核发"
TRANSPORT = {"code": "D01", "name": "市交通运输局"}


def create(client: Any, **body: Any) -> Any:
    body.setdefault("item_code", CODE)
    body.setdefault("form", dict(FORM))
    return client.post("/api/v1/cases", body, format="json")


def upload(client: Any, case_id: str, code: str = "M01", content: bytes = PDF) -> Any:
    file = SimpleUploadedFile(f"{code}.pdf", content, content_type="application/pdf")
    return client.post(f"/api/v1/cases/{case_id}/materials", {"material_code": code, "file": file})


def transition(client: Any, case_id: str, action: str, **body: Any) -> Any:
    return client.post(
        f"/api/v1/cases/{case_id}/transitions", {"action": action, **body}, format="json"
    )


def material(case_id: str, code: str, submission: int = 1, at_: str = "10:00:00") -> dict:
    row = CaseMaterial.objects.get(case_id=case_id, material_code=code)
    names = {"M01": "道路运输经营许可申请表", "M02": "营业执照", "M03": "授权委托书"}
    return {
        "id": str(row.pk),
        "material_code": code,
        "material_name": names[code],
        "paper": False,
        "note": "",
        "file_name": f"{code}.pdf",
        "content_type": "application/pdf",
        "size": len(PDF),
        "sha256": PDF_SHA256,
        "submission": submission,
        "attached_at": f"2026-09-24T{at_}+08:00",
    }


def event(
    action: str, from_state: str | None, to_state: str, note: str = "", at_: str = ""
) -> dict:
    return {
        "at": at_ or "2026-09-24T10:00:00+08:00",
        "action": action,
        "from_state": from_state,
        "to_state": to_state,
        "note": note,
    }


def test_an_application_goes_from_draft_to_acceptance_through_the_api(city: City) -> None:
    item(city)
    person = applicant()
    client = client_for(person)
    clerk = client_for(city.transport_clerk)
    with time_machine.travel(ACCEPTED_AT, tick=False):
        created = create(client)
        assert created.status_code == 201
        case_id = created.json()["id"]
        assert created["Location"] == f"/api/v1/cases/{case_id}"
        assert upload(client, case_id, "M01").status_code == 201
        assert upload(client, case_id, "M02").status_code == 201
        assert client.post(f"/api/v1/cases/{case_id}/submit").status_code == 200
        assert transition(clerk, case_id, "sign_in").status_code == 200
        accepted = transition(clerk, case_id, "accept")
        read = client.get(f"/api/v1/cases/{case_id}")
    assert accepted.status_code == 200
    assert accepted.json() == {
        "id": case_id,
        "receipt_no": "D01-20260924-00001",
        "item_code": CODE,
        "item_name": ITEM_NAME,
        "department": TRANSPORT,
        "accepting_department": TRANSPORT,
        "on_behalf_of": None,
        "state": "in_review",
        "state_label": "审查中",
        "channel": "api",
        "created_at": "2026-09-24T10:00:00+08:00",
        "submitted_at": "2026-09-24T10:00:00+08:00",
        "received_on": "2026-09-24",
        "sign_in_due_at": None,  # deadlines before acceptance: gone once accepted
        "signed_in_at": "2026-09-24T10:00:00+08:00",
        "reply_due_on": None,
        "accepted_on": "2026-09-24",
        "deemed_accepted": False,
        "decided_on": None,
        # 10 working days after Thursday 09-24: 中秋节 09-25 and 国庆节 10-01…07 are off,
        # the make-up Saturday 10-10 counts; 20 statutory working days end on 10-29.
        "clock_running": True,
        "due_date": "2026-10-15",
        "legal_due_date": "2026-10-29",
        "light": "green",
        "remaining_working_days": 10,
        # The acceptance did the first step (受理); the case waits at 审核, in the pool of
        # the department, for five working days: 09-28, 29, 30, 10-08, 09.
        "current_step": {
            "id": accepted.json()["current_step"]["id"],
            "order": 2,
            "name": "审核",
            "role": "reviewer",
            "department": TRANSPORT,
            "assignee": None,
            "due_on": "2026-10-09",
            "light": "green",
        },
        "extensions": [],
        "stops": [],
        "decision": None,
        "correction": None,
        "closing_reason": "",
        "closed_at": None,
        "delivery": None,
        "tracking_no": None,
        "form": FORM,
        "materials": [material(case_id, "M01"), material(case_id, "M02")],
        "events": [
            event("create", None, "draft"),
            event("submit", "draft", "submitted"),
            event("sign_in", "submitted", "submitted"),
            event("accept", "submitted", "in_review"),
        ],
        "revision": 4,
    }
    # The same body on a later read; every write audited on the API channel.
    assert read.json() == accepted.json()
    assert list(
        AuditEvent.objects.filter(object_id=case_id).order_by("id").values_list("action", "channel")
    ) == [
        ("case.create", "api"),
        ("case.attach_material", "api"),
        ("case.attach_material", "api"),
        ("case.submit", "api"),
        ("case.sign_in", "api"),
        ("case.accept", "api"),
    ]


def test_a_draft_has_no_deadlines_and_no_clock(city: City) -> None:
    item(city)
    with time_machine.travel(ACCEPTED_AT, tick=False):
        response = create(client_for(applicant()), channel="kiosk", form={"company": "某某公司"})
    assert response.status_code == 201
    body = response.json()
    case = Case.objects.get()
    assert (case.channel, case.applicant.username, case.form) == (
        "kiosk",
        "applicant",
        {"company": "某某公司"},
    )
    assert {key: body[key] for key in body if key not in {"id", "events", "form"}} == {
        "receipt_no": None,
        "item_code": CODE,
        "item_name": ITEM_NAME,
        "department": TRANSPORT,
        "accepting_department": TRANSPORT,
        "on_behalf_of": None,
        "state": "draft",
        "state_label": "草稿",
        "channel": "kiosk",
        "created_at": "2026-09-24T10:00:00+08:00",
        "submitted_at": None,
        "received_on": None,
        "sign_in_due_at": None,
        "signed_in_at": None,
        "reply_due_on": None,
        "accepted_on": None,
        "deemed_accepted": False,
        "decided_on": None,
        "clock_running": False,
        "due_date": None,
        "legal_due_date": None,
        "light": None,
        "remaining_working_days": None,
        "current_step": None,
        "extensions": [],
        "stops": [],
        "decision": None,
        "correction": None,
        "closing_reason": "",
        "closed_at": None,
        "delivery": None,
        "tracking_no": None,
        "materials": [],
        "revision": 1,
    }
    assert body["events"] == [event("create", None, "draft")]


def test_submission_starts_the_deadlines_before_acceptance(city: City) -> None:
    item(city)
    person = applicant()
    client = client_for(person)
    with time_machine.travel(ACCEPTED_AT, tick=False):
        case = draft_case(city, actor=person)
        attach_required(case, person)
        response = client.post(f"/api/v1/cases/{case.pk}/submit")
    assert response.status_code == 200
    body = response.json()
    # The item's level asks for sign-in in 4 office hours (10:00–12:00, 13:30–15:30) and a
    # reply within 1 working day: Friday 09-25 is 中秋节, so Monday 09-28 (镇江办法第九条,
    # 淮安办法第十二条).
    assert (body["state"], body["received_on"], body["sign_in_due_at"], body["reply_due_on"]) == (
        "submitted",
        "2026-09-24",
        "2026-09-24T15:30:00+08:00",
        "2026-09-28",
    )
    assert (body["clock_running"], body["light"], body["due_date"]) == (False, None, None)


def test_a_material_is_uploaded_replaced_and_reused(city: City) -> None:
    item(city)
    person = applicant()
    client = client_for(person)
    with time_machine.travel(ACCEPTED_AT, tick=False):
        earlier = submitted_case(city, actor=person)
        case = draft_case(city, actor=person)
        first = upload(client, case.pk, "M01")
    assert first.status_code == 201
    assert first.json() == material(case.pk, "M01")
    with time_machine.travel(at(2026, 9, 24, 11, 0), tick=False):
        replaced = upload(client, case.pk, "M01")
        earlier_id = CaseMaterial.objects.get(case=earlier, material_code="M02").pk
        reused = client.post(
            f"/api/v1/cases/{case.pk}/materials",
            {"material_code": "M02", "reuse": str(earlier_id)},
            format="json",
        )
    assert replaced.status_code == 201
    assert replaced.json() == material(case.pk, "M01", at_="11:00:00")
    assert replaced.json()["id"] == first.json()["id"]  # one row per material, replaced
    assert reused.status_code == 201
    assert reused.json() == {
        **material(case.pk, "M02", at_="11:00:00"),
        "note": f"复用办件 {earlier.pk} 的材料",
    }
    assert CaseMaterial.objects.filter(case=case).count() == 2


def test_a_correction_is_requested_answered_and_resubmitted(city: City) -> None:
    item(city)
    person = applicant()
    client = client_for(person)
    clerk = client_for(city.transport_clerk)
    with time_machine.travel(ACCEPTED_AT, tick=False):
        case = submitted_case(city, actor=person)
        asked = transition(
            clerk,
            case.pk,
            "request_correction",
            items=[{"material_code": "M02", "reason": "营业执照已过期"}],
        )
    assert asked.status_code == 200
    body = asked.json()
    assert body["state"] == "correction_requested"
    # Five working days to answer: 09-28, 09-29, 09-30, 10-08, 10-09 (淮安办法第十二条).
    assert body["correction"] == {
        "issued_on": "2026-09-24",
        "answer_due_on": "2026-10-09",
        "is_repeat": False,
        "items": [
            {"material_code": "M02", "material_name": "营业执照", "reason": "营业执照已过期"}
        ],
    }
    with time_machine.travel(at(2026, 9, 28, 9, 0), tick=False):
        assert upload(client, case.pk, "M02").status_code == 201
        resubmitted = transition(client, case.pk, "resubmit")
    assert resubmitted.status_code == 200
    body = resubmitted.json()
    assert (body["state"], body["received_on"], body["correction"], body["reply_due_on"]) == (
        "submitted",
        "2026-09-28",
        None,
        "2026-09-29",
    )
    assert [entry["action"] for entry in body["events"]] == [
        "create",
        "submit",
        "request_correction",
        "resubmit",
    ]


def test_a_submission_is_rejected_with_its_reason(city: City) -> None:
    item(city)
    person = applicant()
    with time_machine.travel(ACCEPTED_AT, tick=False):
        case = submitted_case(city, actor=person)
        response = transition(
            client_for(city.transport_clerk), case.pk, "reject", reason="不属于本部门职权范围"
        )
    assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["closing_reason"], body["closed_at"]) == (
        "rejected",
        "不属于本部门职权范围",
        "2026-09-24T10:00:00+08:00",
    )
    assert body["events"][-1] == event("reject", "submitted", "rejected", "不属于本部门职权范围")
    assert (body["receipt_no"], body["light"], body["clock_running"]) == (None, None, False)


def test_an_unanswered_correction_is_terminated_once_overdue(city: City) -> None:
    item(city)
    person = applicant()
    with time_machine.travel(ACCEPTED_AT, tick=False):
        case = submitted_case(city, actor=person)
        actions.do_request_correction(
            case,
            actor=city.transport_clerk,
            items=[{"material_code": "M01", "reason": "缺少签字"}],
        )
    with time_machine.travel(at(2026, 10, 12, 9, 0), tick=False):
        response = transition(
            client_for(city.transport_clerk), case.pk, "terminate", reason="逾期未补正"
        )
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["closing_reason"]) == (
        "terminated",
        "逾期未补正",
    )


def test_the_applicant_withdraws_a_draft_and_a_submission(city: City) -> None:
    item(city)
    person = applicant()
    client = client_for(person)
    draft = draft_case(city, actor=person)
    submitted = submitted_case(city, actor=person)
    from_draft = transition(client, draft.pk, "withdraw")
    from_submitted = transition(client, submitted.pk, "withdraw", reason="不再需要")
    assert (from_draft.status_code, from_submitted.status_code) == (200, 200)
    assert (from_draft.json()["state"], from_draft.json()["closing_reason"]) == ("withdrawn", "")
    assert (from_submitted.json()["state"], from_submitted.json()["closing_reason"]) == (
        "withdrawn",
        "不再需要",
    )


def test_a_legal_persons_case_by_its_owner_and_by_an_agent(city: City) -> None:
    item(city)
    owner = applicant()
    agent = applicant("agent", 2)
    legal_person = company(owner)
    grant(legal_person, agent)
    by_owner = create(client_for(owner), on_behalf_of=str(legal_person.pk))
    by_agent = create(client_for(agent), on_behalf_of=str(legal_person.pk))
    assert (by_owner.status_code, by_agent.status_code) == (201, 201)
    expected = {"id": str(legal_person.pk), "name": "某某运输有限公司"}
    assert by_owner.json()["on_behalf_of"] == by_agent.json()["on_behalf_of"] == expected
    # Both see both: the case is the legal person's (乌海规范第八条).
    for user in (owner, agent):
        listed = client_for(user).get("/api/v1/cases").json()
        assert {row["id"] for row in listed["results"]} == {
            by_owner.json()["id"],
            by_agent.json()["id"],
        }


def test_the_list_is_the_callers_newest_first_and_filtered(city: City) -> None:
    item(city)
    person = applicant()
    other = applicant("other", 2)
    client = client_for(person)
    with time_machine.travel(at(2026, 9, 21, 9, 0), tick=False):
        first = submitted_case(city, actor=person)
    with time_machine.travel(at(2026, 9, 22, 9, 0), tick=False):
        second = draft_case(city, actor=person)
    with time_machine.travel(at(2026, 9, 23, 9, 0), tick=False):
        third = submitted_case(city, actor=person)
        submitted_case(city, actor=other)  # not the caller's
    with time_machine.travel(ACCEPTED_AT, tick=False):
        everything = client.get("/api/v1/cases")
        submitted = client.get("/api/v1/cases?state=submitted&item_code=" + CODE)
        by_light = client.get("/api/v1/cases?light=green&state=")
        none_of_that_item = client.get("/api/v1/cases?item_code=NO-SUCH-ITEM")
        paged = client.get("/api/v1/cases?page=2&page_size=2")
    assert everything.status_code == 200
    body = everything.json()
    assert (body["count"], body["next"], body["previous"]) == (3, None, None)
    assert [row["id"] for row in body["results"]] == [third.pk, second.pk, first.pk]
    assert [row["id"] for row in submitted.json()["results"]] == [third.pk, first.pk]
    assert by_light.status_code == 200
    assert none_of_that_item.json()["count"] == 0
    assert paged.json()["count"] == 3
    assert paged.json()["previous"] == "http://testserver/api/v1/cases?page_size=2"
    assert [row["id"] for row in paged.json()["results"]] == [first.pk]


def test_staff_list_their_scope(city: City) -> None:
    item(city)
    person = applicant()
    with time_machine.travel(ACCEPTED_AT, tick=False):
        submitted = submitted_case(city, actor=person)
        draft_case(city, actor=person)  # an online draft is the applicant's alone
    for user in (city.transport_clerk, city.transport_admin, city.supervisor):
        body = client_for(user).get("/api/v1/cases").json()
        assert [row["id"] for row in body["results"]] == [submitted.pk], user.username
    assert client_for(city.market_admin).get("/api/v1/cases").json()["count"] == 0


def test_a_page_of_cases_costs_the_same_queries_whatever_its_length(
    city: City, django_assert_num_queries: Any
) -> None:
    item(city)
    person = applicant()
    client = client_for(person)
    with time_machine.travel(ACCEPTED_AT, tick=False):
        case = submitted_case(city, actor=person)
        actions.do_accept(case, actor=city.transport_clerk)
        client.get("/api/v1/cases")  # warms the working-day calendar's cache
        # Token, roles, agent grants, count, page, events, materials, notices, clock stops,
        # extensions, sealed decision documents, current steps (with their departments,
        # assignees and lights).
        with django_assert_num_queries(12):
            assert client.get("/api/v1/cases").json()["count"] == 1
        for _ in range(4):
            case = submitted_case(city, actor=person)
            actions.do_request_correction(
                case,
                actor=city.transport_clerk,
                items=[{"material_code": "M01", "reason": "缺少签字"}],
            )
        for _ in range(3):
            case = submitted_case(city, actor=person)
            actions.do_accept(case, actor=city.transport_clerk)
        with django_assert_num_queries(12):
            body = client.get("/api/v1/cases").json()
        assert body["count"] == 8
        steps = [row["current_step"] for row in body["results"]]
        assert sorted(step["name"] if step else "" for step in steps) == [""] * 4 + ["审核"] * 4
        with django_assert_num_queries(12):
            assert client.get("/api/v1/cases?ordering=due_date&light=green").json()["count"] == 4
