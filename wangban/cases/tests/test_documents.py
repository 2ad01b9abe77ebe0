"""Written notices (受理通知书, 补正告知书, 不予受理决定书): written pending with the step,
rendered to PDF after the commit with the Chinese fonts embedded, saying what the rules ask,
rendered once, and retried by the backstop after a failure."""

from __future__ import annotations

import subprocess
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from wangban.accounts.models import LegalPerson, User
from wangban.accounts.tests.helpers import resident_id, verified
from wangban.audit.models import AuditEvent
from wangban.cases import actions
from wangban.cases.documents import (
    documents_of,
    render_document,
    render_due,
    render_pdf_of,
    retry_document,
)
from wangban.cases.models import Case, CaseDocument, CaseEvent
from wangban.cases.tests.helpers import at, fresh, item, pdf, submitted_case
from wangban.conftest import City
from wangban.core.errors import Conflict, InvalidInput, NotFound
from wangban.core.files import open_blob
from wangban.core.identifiers import mask_resident_id

pytestmark = pytest.mark.django_db

TASK_PATH = "wangban.cases.tasks.render_case_document"
ITEMS = [
    {"material_code": "M02", "reason": "营业执照已过有效期，请上传有效的营业执照。"},
    {"material_code": "M01", "reason": "申请表缺少法定代表人签字。"},
]


def pdf_text(data: bytes) -> str:
    """The text of a PDF as pdftotext reads it, whitespace removed (lines wrap anywhere)."""
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True
    )
    return "".join(out.stdout.decode().split())


def pdf_fonts(data: bytes, tmp_path: Path) -> list[tuple[str, str]]:
    """(font name without the subset tag, embedded yes/no) of every font, via pdffonts."""
    path = tmp_path / "document.pdf"
    path.write_bytes(data)
    lines = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, check=True, text=True
    ).stdout.splitlines()[2:]
    fonts = []
    for line in lines:
        parts = line.split()
        embedded = parts[-5]  # name, type (1–3 words), encoding, emb, sub, uni, object, id
        fonts.append((parts[0].split("+", 1)[-1], embedded))
    return fonts


def stored_pdf(document: CaseDocument) -> bytes:
    with open_blob(document.blob) as stream:
        return bytes(stream.read())


def render_pending() -> None:
    for document_id in CaseDocument.objects.filter(state="pending").values_list("pk", flat=True):
        assert render_document(document_id) == "ready"


def zhang(city: City) -> User:
    item(city)
    return verified("zhang", 1, real_name="张三")


def accepted(city: City, applicant: User) -> Case:
    with time_machine.travel(at(2026, 6, 1, 10, 0), tick=False):
        case = submitted_case(city, actor=applicant)
        actions.do_accept(case, actor=city.transport_clerk)
    return fresh(case)


def test_acceptance_writes_a_pending_notice_and_enqueues_its_rendering_after_the_commit(
    city: City, django_capture_on_commit_callbacks
) -> None:
    applicant = zhang(city)
    with time_machine.travel(at(2026, 6, 1, 10, 0), tick=False):
        case = submitted_case(city, actor=applicant)
        with django_capture_on_commit_callbacks(execute=True):
            actions.do_accept(case, actor=city.transport_clerk)
            [document] = CaseDocument.objects.filter(case=case)
            assert DBTaskResult.objects.filter(task_path=TASK_PATH).count() == 0

    event = CaseEvent.objects.get(case=case, action="accept")
    assert (document.kind, document.title, document.state, document.event) == (
        "acceptance_notice",
        "受理通知书",
        "pending",
        event,
    )
    assert (document.blob, document.attempts, document.file_name) == ("", 0, "受理通知书.pdf")
    tasks = DBTaskResult.objects.filter(task_path=TASK_PATH)
    assert [task.args_kwargs for task in tasks] == [{"args": [document.pk], "kwargs": {}}]
    assert documents_of(case) == []


def test_the_acceptance_notice_says_what_the_rules_ask_with_fonts_embedded(
    city: City, tmp_path: Path
) -> None:
    case = accepted(city, zhang(city))
    [document] = CaseDocument.objects.filter(case=case)

    assert render_document(document.pk) == "ready"

    document.refresh_from_db()
    data = stored_pdf(document)
    assert data.startswith(b"%PDF-")
    assert (document.state, document.attempts, document.error) == ("ready", 1, "")
    assert (document.size, document.content_type) == (len(data), "application/pdf")
    assert document.blob == f"documents/{document.sha256[:2]}/{document.sha256}"
    text = pdf_text(data)
    for phrase in (
        "市交通运输局",
        "受理通知书",
        "受理编号：D01-20260601-00001",
        "张三：",
        "你（单位）于2026年6月1日提交的“道路运输经营许可证核发”申请，申请材料齐全、符合法定形式。",
        "根据《中华人民共和国行政许可法》第三十二条的规定，本机关决定予以受理。",
        mask_resident_id(resident_id(1)),
        "10个工作日",
        "2026年6月15日前办结",
        "20个工作日",
        "至2026年6月30日",
        "transport_clerk",
        "可凭受理编号在网上办事大厅查询办理进度",
        f"办件编号：{case.pk}",
    ):
        assert phrase in text, phrase
    assert resident_id(1) not in text  # the identity number only ever masked
    fonts = pdf_fonts(data, tmp_path)
    assert fonts, "no fonts"
    assert all(embedded == "yes" for _, embedded in fonts), fonts
    assert {name for name, _ in fonts} <= {"Noto-Sans-CJK-SC", "Noto-Sans-CJK-SC-Bold"}


def test_a_deemed_acceptance_is_noticed_as_such_by_the_system(city: City) -> None:
    applicant = zhang(city)
    with time_machine.travel(at(2026, 6, 1, 10, 0), tick=False):
        case = submitted_case(city, actor=applicant)
    with time_machine.travel(at(2026, 6, 9, 0, 30), tick=False):
        assert actions.do_deem_accept_due() == [case.pk]
    render_pending()

    [document] = documents_of(case)
    text = pdf_text(stored_pdf(document))
    assert document.title == "受理通知书"
    for phrase in (
        "本机关未在法定期限内作出是否受理的决定",
        "“逾期不告知的，自收到申请材料之日起即为受理”",
        "该申请自2026年6月1日起视为受理",
        "系统（依法视为受理）",
        "2026年6月9日",  # the day it was issued
    ):
        assert phrase in text, phrase


def test_the_correction_notice_lists_every_material_with_the_handler_and_the_due_day(
    city: City,
) -> None:
    applicant = zhang(city)
    with time_machine.travel(at(2026, 9, 23, 10, 0), tick=False):
        case = submitted_case(city, actor=applicant)
        notice = actions.do_request_correction(case, actor=city.transport_clerk, items=ITEMS)
    render_pending()

    [document] = documents_of(case)
    assert (document.kind, document.title, document.notice) == (
        "correction_notice",
        "补正告知书",
        notice,
    )
    text = pdf_text(stored_pdf(document))
    for phrase in (
        "告知日期：2026年9月23日",
        "申请材料不齐全或者不符合法定形式",
        "现一次性告知你（单位）需要补正的全部内容如下",
        "1道路运输经营许可申请表申请表缺少法定代表人签字。",
        "2营业执照营业执照已过有效期，请上传有效的营业执照。",
        "请于2026年10月8日（含当日）前",  # five working days, across 国庆节
        "逾期未补正的，本机关将终止办理该申请。",
        "经办人transport_clerk",
    ):
        assert phrase in text, phrase
    assert "再次告知" not in text


def test_a_further_notice_is_numbered_and_states_its_reason(city: City) -> None:
    applicant = zhang(city)
    with time_machine.travel(at(2026, 6, 1, 10, 0), tick=False):
        case = submitted_case(city, actor=applicant)
        actions.do_request_correction(case, actor=city.transport_clerk, items=ITEMS[:1])
        actions.do_attach_material(case, actor=applicant, material_code="M02", upload=pdf())
        actions.do_resubmit(case, actor=applicant)
        actions.do_request_correction(
            case,
            actor=city.transport_clerk,
            items=ITEMS[1:],
            reason_for_second="补正后的营业执照显示经营范围已变更，须补充申请表签字。",
        )
    render_pending()

    first, second = documents_of(case)
    assert (first.title, second.title) == ("补正告知书", "补正告知书（第2次）")
    assert second.file_name == "补正告知书（第2次）.pdf"
    text = pdf_text(stored_pdf(second))
    assert "本告知书为对同一申请的再次告知。" in text
    assert "再次告知的理由：补正后的营业执照显示经营范围已变更，须补充申请表签字。" in text
    assert "申请表缺少法定代表人签字。" in text
    assert "营业执照已过有效期" not in text  # the second notice's items only


def test_the_rejection_decision_gives_the_reasons_and_the_remedies(city: City) -> None:
    applicant = zhang(city)
    with time_machine.travel(at(2026, 6, 1, 10, 0), tick=False):
        case = submitted_case(city, actor=applicant)
        actions.do_reject(
            case, actor=city.transport_clerk, reason="申请事项依法不属于本机关职权范围。"
        )
    render_pending()

    [document] = documents_of(case)
    assert (document.kind, document.title) == ("rejection_decision", "不予受理决定书")
    text = pdf_text(stored_pdf(document))
    for phrase in (
        "决定日期：2026年6月1日",
        "经审查，本机关决定不予受理。理由如下：",
        "申请事项依法不属于本机关职权范围。",
        (
            "可以自收到本决定书之日起六十日内依法申请行政复议，"
            "或者自收到本决定书之日起六个月内依法向人民法院提起行政诉讼。"
        ),
    ):
        assert phrase in text, phrase


def test_a_legal_persons_notice_names_the_company_and_the_agent(city: City) -> None:
    item(city)
    company = LegalPerson.objects.create(
        name="某某运输有限公司",
        credit_code="91110000600037341L",
        representative_name="李四",
        owner=city.applicant,
    )
    with time_machine.travel(at(2026, 6, 1, 10, 0), tick=False):
        case = submitted_case(city, on_behalf_of=company)
        actions.do_accept(case, actor=city.transport_clerk)
    render_pending()

    text = pdf_text(stored_pdf(documents_of(case)[0]))
    for phrase in ("某某运输有限公司：", "91110000600037341L", "法定代表人李四", "经办人张三"):
        assert phrase in text, phrase


def test_a_ready_document_is_never_rendered_again(city: City) -> None:
    case = accepted(city, zhang(city))
    [document] = CaseDocument.objects.filter(case=case)
    assert render_document(document.pk) == "ready"
    document.refresh_from_db()

    with time_machine.travel(document.created_at + timedelta(hours=1)):
        assert render_document(document.pk) == ""
        assert render_due() == Counter()

    again = CaseDocument.objects.get(pk=document.pk)
    assert (again.attempts, again.rendered_at, again.sha256) == (
        1,
        document.rendered_at,
        document.sha256,
    )


def test_rendering_is_deterministic_so_a_retry_stores_the_same_file(city: City) -> None:
    case = accepted(city, zhang(city))
    [document] = CaseDocument.objects.filter(case=case)
    assert render_pdf_of(document) == render_pdf_of(document)


def test_a_failed_rendering_is_recorded_and_retried_by_the_backstop(
    city: City, settings, tmp_path: Path
) -> None:
    case = accepted(city, zhang(city))
    [document] = CaseDocument.objects.filter(case=case)
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("storage is broken")
    settings.MEDIA_ROOT = str(blocker / "media")  # storing the PDF fails

    start = document.created_at
    with time_machine.travel(start + timedelta(seconds=5), tick=False):
        assert render_document(document.pk) == "failed"
        assert render_due() == Counter()  # younger than a minute: the task's own business
    document.refresh_from_db()
    assert (document.state, document.attempts, document.blob) == ("failed", 1, "")
    assert "NotADirectoryError" in document.error
    assert documents_of(case) == []

    settings.MEDIA_ROOT = str(tmp_path / "media")  # repaired
    with time_machine.travel(start + timedelta(seconds=65), tick=False):
        assert render_due() == Counter()  # still held: the failed attempt's lease runs 2 minutes
    with time_machine.travel(start + timedelta(minutes=3), tick=False):
        assert render_due() == Counter({"ready": 1})
        assert render_due() == Counter()
    document.refresh_from_db()
    assert (document.state, document.attempts, document.error) == ("ready", 2, "")
    assert documents_of(case) == [document]


def test_after_the_last_attempt_the_centre_admin_retries_it(
    city: City, settings, tmp_path: Path
) -> None:
    settings.WANGBAN_DOCUMENT_MAX_ATTEMPTS = 2
    case = accepted(city, zhang(city))
    [document] = CaseDocument.objects.filter(case=case)
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("storage is broken")
    settings.MEDIA_ROOT = str(blocker / "media")
    start = document.created_at
    for minutes in (0, 3, 6):
        with time_machine.travel(start + timedelta(minutes=minutes, seconds=1), tick=False):
            render_document(document.pk)
    document.refresh_from_db()
    assert (document.state, document.attempts) == ("failed", 2)
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        assert render_due() == Counter()  # out of attempts

    settings.MEDIA_ROOT = str(tmp_path / "media")
    retried = retry_document(document, actor=city.centre_admin)
    assert (retried.state, retried.attempts) == ("pending", 0)
    event = AuditEvent.objects.get(action="case.retry_document")
    assert (event.object_type, event.object_id, event.actor_username) == (
        "cases.case",
        case.pk,
        "centre_admin",
    )
    assert event.after == {"document": document.pk, "state": "pending", "attempts": 0}
    assert render_document(document.pk) == "ready"
    with pytest.raises(Conflict):
        retry_document(document, actor=city.centre_admin)
    assert AuditEvent.objects.filter(action="case.retry_document").count() == 1


def test_a_refused_step_writes_no_document(city: City) -> None:
    applicant = zhang(city)
    case = submitted_case(city, actor=applicant)
    with pytest.raises(NotFound):
        actions.do_accept(case, actor=city.market_admin)
    with pytest.raises(InvalidInput):
        actions.do_reject(case, actor=city.transport_clerk, reason="  ")
    with pytest.raises(InvalidInput):
        actions.do_request_correction(case, actor=city.transport_clerk, items=[])
    assert not CaseDocument.objects.exists()
    assert fresh(case).state == "submitted"


def test_steps_without_a_document_write_none(city: City) -> None:
    applicant = zhang(city)
    case = submitted_case(city, actor=applicant)
    actions.do_sign_in(case, actor=city.transport_clerk)
    actions.do_withdraw(case, actor=applicant, reason="不再需要。")
    assert not CaseDocument.objects.exists()


def test_documents_of_lists_the_ready_ones_oldest_first(city: City) -> None:
    applicant = zhang(city)
    with time_machine.travel(at(2026, 6, 1, 10, 0), tick=False):
        case = submitted_case(city, actor=applicant)
        actions.do_request_correction(case, actor=city.transport_clerk, items=ITEMS[:1])
        actions.do_attach_material(case, actor=applicant, material_code="M02", upload=pdf())
        actions.do_resubmit(case, actor=applicant)
    with time_machine.travel(at(2026, 6, 2, 10, 0), tick=False):
        actions.do_accept(case, actor=city.transport_clerk)
    correction, acceptance = CaseDocument.objects.filter(case=case).order_by("pk")
    render_document(acceptance.pk)
    assert documents_of(case) == [acceptance]  # the correction notice is not ready yet
    render_document(correction.pk)
    assert [d.kind for d in documents_of(case)] == ["correction_notice", "acceptance_notice"]
    assert fresh(case).accepted_on == date(2026, 6, 2)


@pytest.mark.django_db(transaction=True)
def test_the_task_worker_renders_the_notice_after_the_commit(city: City) -> None:
    from django_tasks_db.management.commands.db_worker import Worker

    applicant = zhang(city)
    case = submitted_case(city, actor=applicant)
    with transaction.atomic():
        actions.do_accept(case, actor=city.transport_clerk)
        assert not DBTaskResult.objects.filter(task_path=TASK_PATH).exists()
    [document] = CaseDocument.objects.filter(case=case)
    tasks = DBTaskResult.objects.filter(task_path=TASK_PATH)
    assert [task.args_kwargs for task in tasks] == [{"args": [document.pk], "kwargs": {}}]

    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="documents-test",
        excluded_queue_names=[],
    ).run()

    document.refresh_from_db()
    assert (document.state, document.attempts) == ("ready", 1)
    assert [task.status for task in tasks.filter(task_path=TASK_PATH)] == ["SUCCESSFUL"]
    assert "受理通知书" in pdf_text(stored_pdf(document))


def test_the_admin_action_retries_failed_documents_only(
    city: City, settings, tmp_path: Path, django_capture_on_commit_callbacks
) -> None:
    from django.test import Client

    from wangban.notify.tests.helpers import sign_in

    settings.WANGBAN_DOCUMENT_MAX_ATTEMPTS = 1
    case = accepted(city, zhang(city))
    [failed] = CaseDocument.objects.filter(case=case)
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("storage is broken")
    settings.MEDIA_ROOT = str(blocker / "media")
    assert render_document(failed.pk) == "failed"
    settings.MEDIA_ROOT = str(tmp_path / "media")
    other = accepted(city, User.objects.get(username="zhang"))
    [ready] = CaseDocument.objects.filter(case=other)
    assert render_document(ready.pk) == "ready"
    root = User.objects.create_superuser("root", password="a-good-long-password-9")
    client = sign_in(Client(), root)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/cases/casedocument/",
            {"action": "retry", "_selected_action": [failed.pk, ready.pk]},
            follow=True,
        )

    page = response.content.decode()
    assert "已安排重新生成 1 份文书。" in page
    assert "1 份文书不是“生成失败”状态，未处理。" in page
    failed.refresh_from_db()
    assert (failed.state, failed.attempts) == ("pending", 0)
    tasks = DBTaskResult.objects.filter(task_path=TASK_PATH)
    assert [task.args_kwargs for task in tasks] == [{"args": [failed.pk], "kwargs": {}}]
    assert AuditEvent.objects.filter(action="case.retry_document").count() == 1
