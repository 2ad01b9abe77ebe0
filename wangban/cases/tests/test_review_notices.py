"""A correction asked during review (审查中补正): the notice is issued by the department whose
staff asked for it (大安办法第十九条: 由提出该补齐补正要求的部门审查), not the centre that
accepted the application; it says that the review resumes and its stopped clock restarts
once the materials are in, not that acceptance will be decided; and the applicant's page and
messages say the same."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from wangban.accounts.choices import Role
from wangban.accounts.models import User
from wangban.cases import actions
from wangban.cases.documents import render_document
from wangban.cases.models import Case, CaseDocument
from wangban.cases.tests.decision_helpers import pdf_text, stored_bytes
from wangban.cases.tests.helpers import (
    ENTRUSTED_CODE,
    at,
    entrusted_department,
    fresh,
    item,
    pdf,
    submitted_case,
)
from wangban.cases.tests.review_helpers import accepted_case, on, review_item, review_staff
from wangban.conftest import City, make_staff
from wangban.notify.models import Message

pytestmark = pytest.mark.django_db

ASKED_AT = at(2026, 9, 29, 10, 0)
ITEMS = [{"material_code": "M01", "reason": "申请表缺少法定代表人签字。"}]


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def entrusted_case_in_review(city: City) -> tuple[Case, User]:
    """Accepted by the centre (一窗受理) on Thu 09-24 for 市民政局, whose reviewer holds
    the first review step."""
    item(city)
    department, _ = entrusted_department(city)
    centre_clerk = make_staff("centre_clerk", city.centre, Role.CLERK)
    reviewer = make_staff("civil_reviewer", department, Role.REVIEWER)
    User.objects.filter(pk=city.applicant.pk).update(phone="13800138000")
    with on(at(2026, 9, 24, 10, 0)):
        case = submitted_case(city, ENTRUSTED_CODE)
        actions.do_accept(case, actor=centre_clerk)
    return fresh(case), reviewer


def notice_document(case: Case) -> CaseDocument:
    document = CaseDocument.objects.get(case=case, kind="correction_notice")
    assert render_document(document.pk) == "ready"
    document.refresh_from_db()
    return document


def page_text(case: Case, user: User, path: str = "") -> str:
    client = Client()
    client.force_login(user)
    html = client.get(f"/cases/{case.pk}/{path}").content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_notice_is_issued_by_the_department_whose_reviewer_asked(city: City) -> None:
    case, reviewer = entrusted_case_in_review(city)
    with on(ASKED_AT):
        notice = actions.do_request_correction(case, actor=reviewer, items=ITEMS)
    assert notice.department is not None
    assert notice.department.name == "市民政局"
    document = notice_document(case)
    assert document.facts["issuer"] == "市民政局"
    text = pdf_text(stored_bytes(document))
    assert text.startswith("补正告知书市民政局补正告知书"), text[:40]
    assert text.count("市民政局") >= 2  # the heading and the signature
    assert f"受理编号{case.receipt_no}" in text


def test_the_notice_during_review_says_the_review_and_its_clock_resume(city: City) -> None:
    case, reviewer = entrusted_case_in_review(city)
    with on(ASKED_AT):
        actions.do_request_correction(case, actor=reviewer, items=ITEMS)
    text = pdf_text(stored_bytes(notice_document(case)))
    assert "是否受理" not in text
    assert "第三十二条" not in text  # the article on acceptance
    for phrase in (
        "本机关已于2026年9月24日受理",
        "请于2026年10月12日（含当日）前，通过网上办事大厅或者到市政务服务中心窗口",
        "补正期间不计算办理时限",
        "本机关自收到全部补正材料之日起恢复审查，办理时限自该日起恢复计算",
        "逾期未补正的，市政务服务中心将终止办理该申请。",
    ):
        assert phrase in text, phrase


def test_a_co_handling_department_asking_issues_the_notice(city: City) -> None:
    review_item(
        city,
        steps=[
            {"name": "受理", "role": "clerk", "budget_days": 1},
            {"name": "联合审查", "role": "reviewer", "budget_days": 9, "department": "D02"},
            {"name": "审批", "role": "approver", "budget_days": 5},
        ],
    )
    staff = review_staff(city)
    market_reviewer = make_staff("market_reviewer", city.market, Role.REVIEWER)
    case = accepted_case(city, staff)
    with on(ASKED_AT):
        notice = actions.do_request_correction(case, actor=market_reviewer, items=ITEMS)
        handler_notice_case = accepted_case(city, staff, ASKED_AT)
        by_handler = actions.do_request_correction(
            handler_notice_case, actor=staff.handler, items=ITEMS
        )
    assert notice.department == city.market
    assert by_handler.department == city.transport  # the handler of the implementing one


def test_a_notice_before_acceptance_is_still_the_accepting_departments(city: City) -> None:
    item(city)
    with on(ASKED_AT):
        case = submitted_case(city)
        notice = actions.do_request_correction(case, actor=city.transport_clerk, items=ITEMS)
    assert notice.department == city.transport
    text = pdf_text(stored_bytes(notice_document(case)))
    assert "依法作出是否受理的决定" in text
    assert "逾期未补正的，本机关将终止办理该申请。" in text


def test_the_applicants_page_names_the_department_that_asked(city: City) -> None:
    case, reviewer = entrusted_case_in_review(city)
    with on(ASKED_AT):
        actions.do_request_correction(case, actor=reviewer, items=ITEMS)
        text = page_text(case, city.applicant)
    assert "2026年9月29日，市民政局（经办人：civil_reviewer）一次性告知" in text
    assert "市政务服务中心（经办人" not in text


def test_the_correction_page_after_the_due_day_names_the_department_that_asked(
    city: City,
) -> None:
    case, reviewer = entrusted_case_in_review(city)
    with on(ASKED_AT):
        actions.do_request_correction(case, actor=reviewer, items=ITEMS)
    with on(at(2026, 10, 15, 10, 0)):
        text = page_text(case, city.applicant, "correct/")
    assert "如有疑问，请联系市民政局。" in text


def test_the_migration_gives_earlier_notices_their_department(city: City) -> None:
    """Notices written before the field: the accepting department's before acceptance, the
    implementing department's during review."""
    from importlib import import_module

    from django.apps import apps

    from wangban.cases.models import CorrectionNotice

    case, reviewer = entrusted_case_in_review(city)
    with on(at(2026, 9, 23, 10, 0)):
        waiting = submitted_case(city, ENTRUSTED_CODE)
        clerk = User.objects.get(username="centre_clerk")
        before = actions.do_request_correction(waiting, actor=clerk, items=ITEMS)
    with on(ASKED_AT):
        during = actions.do_request_correction(case, actor=reviewer, items=ITEMS)
    CorrectionNotice.objects.update(department=None)
    migration = import_module("wangban.cases.migrations.0008_correction_notice_department")
    migration.fill_departments(apps, None)
    before.refresh_from_db()
    during.refresh_from_db()
    assert before.department is not None
    assert during.department is not None
    assert (before.department.name, during.department.name) == ("市政务服务中心", "市民政局")


def test_the_message_of_a_correction_during_review_says_the_clock_stops(city: City) -> None:
    case, reviewer = entrusted_case_in_review(city)
    first = Message.objects.order_by("id").last()
    assert first is not None
    with on(ASKED_AT):
        actions.do_request_correction(case, actor=reviewer, items=ITEMS)
    [sms] = Message.objects.filter(channel="sms", pk__gt=first.pk)
    assert sms.payload["text"] == (
        f"您申请的“道路运输经营许可证核发”（受理编号 {case.receipt_no}）需要补正材料，"
        "补正期间办理时限暂停计算；请于2026-10-12前登录查看补正告知书并补正，"
        "补正材料提交后恢复审查。"
    )


def test_a_resubmission_during_review_is_not_announced_as_an_acceptance_reply(
    city: City,
) -> None:
    case, reviewer = entrusted_case_in_review(city)
    with on(ASKED_AT):
        actions.do_request_correction(case, actor=reviewer, items=ITEMS)
    first = Message.objects.order_by("id").last()
    assert first is not None

    with on(at(2026, 10, 9, 10, 0)):
        actions.do_attach_material(
            case, actor=city.applicant, material_code="M01", upload=pdf("M01.pdf")
        )
        resumed = actions.do_resubmit(case, actor=city.applicant)
    texts = [m.payload["text"] for m in Message.objects.filter(channel="sms", pk__gt=first.pk)]
    assert texts == [
        (
            f"您申请的“道路运输经营许可证核发”（受理编号 {case.receipt_no}）补正材料已收到，"
            f"恢复审查，承诺办结日期为{resumed.due_date}。"
        )
    ]


def test_the_supervisors_list_of_repeated_notices_names_the_department_that_asked(
    city: City,
) -> None:
    """A second notice asked during review broke the one-time rule in the department whose
    reviewer asked it, not in the centre that accepted: 再次补正告知 names that department."""
    case, reviewer = entrusted_case_in_review(city)
    with on(ASKED_AT):
        actions.do_request_correction(case, actor=reviewer, items=ITEMS)
    with on(at(2026, 10, 9, 10, 0)):
        actions.do_attach_material(
            case, actor=city.applicant, material_code="M01", upload=pdf("M01.pdf")
        )
        actions.do_resubmit(case, actor=city.applicant)
    with on(at(2026, 10, 12, 10, 0)):
        actions.do_request_correction(
            fresh(case),
            actor=reviewer,
            items=[{"material_code": "M02", "reason": "营业执照已过期。"}],
            reason_for_second="补正后的申请表签字与备案不符",
        )
    client = Client()
    client.force_login(city.supervisor)
    html = client.get("/workbench/cases/repeat-notices/").content.decode()
    cells = re.findall(r'<td data-label="告知部门">([^<]*)</td>', html)
    assert cells == ["市民政局"]
