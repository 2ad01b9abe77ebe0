"""The demo cases: a few in every state, made by the real actions across several items and
departments, with real small files; loading twice creates nothing, and the audit trail of the
whole demo verifies. The cases of applying and acceptance are looked at here; those of review
and decision in test_demo_review.py."""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from PIL import Image

from wangban.accounts.choices import Role
from wangban.accounts.demo import load_accounts
from wangban.accounts.models import RoleGrant, User
from wangban.audit.chain import chain_events
from wangban.audit.heads import sign_heads
from wangban.audit.models import AuditEvent
from wangban.audit.verify import verify_trail
from wangban.cases import actions, clock
from wangban.cases.access import cases_visible_to
from wangban.cases.choices import CaseAction, CaseState, Channel
from wangban.cases.demo import (
    ACCEPT,
    CORRECT,
    DEEM_ACCEPT,
    PHOTO,
    SCAN,
    SIGN_IN,
    SUBMIT,
    TERMINATE,
    _clock_at,
    _timeline,
    demo_cases,
    demo_pdf,
    demo_png,
    load_demo_cases,
)
from wangban.cases.models import (
    SYSTEM_ACTOR,
    Case,
    CaseDocument,
    CaseEvent,
    CaseMaterial,
    CorrectionNotice,
)
from wangban.cases.queues import repeat_correction_notices
from wangban.catalog.demo import load_catalog
from wangban.certificates.demo import load_seals
from wangban.conftest import restore_migration_data
from wangban.core.demo import DEMO_LOADERS
from wangban.notify.models import Message, SiteMessage

SUMMARY = (
    "25 件办件（草稿 3、已提交 3、待补正 2、不予受理 1、已终止 1、审查中 8、已挂起 1、"
    "准予许可 1、不予许可 1、已办结 3、已撤回 1）"
)
STATES = {
    CaseState.DRAFT: 3,
    CaseState.SUBMITTED: 3,
    CaseState.CORRECTION_REQUESTED: 2,
    CaseState.REJECTED: 1,
    CaseState.TERMINATED: 1,
    CaseState.IN_REVIEW: 8,
    CaseState.SUSPENDED: 1,
    CaseState.APPROVED: 1,
    CaseState.DENIED: 1,
    CaseState.COMPLETED: 3,
    CaseState.WITHDRAWN: 1,
}
ACCEPTED_STATES = [
    CaseState.IN_REVIEW,
    CaseState.SUSPENDED,
    CaseState.APPROVED,
    CaseState.DENIED,
    CaseState.COMPLETED,
]


@pytest.fixture(autouse=True)
def heads_dir(settings: Any, tmp_path: Path) -> Path:
    """Sign and verify audit heads in a file of the test's own."""
    directory = tmp_path / "audit-heads"
    settings.WANGBAN_AUDIT_HEADS_DIR = directory
    return directory


def counts() -> tuple[int, ...]:
    models = [Case, CaseEvent, CaseMaterial, CorrectionNotice, CaseDocument]
    models += [Message, SiteMessage, AuditEvent]
    return tuple(model._default_manager.count() for model in models)


def only(state: str, **filters: Any) -> Case:
    return Case.objects.get(state=state, **filters)


# --- the file alone --------------------------------------------------------------------------


def test_the_cases_load_after_the_items() -> None:
    loaders = list(DEMO_LOADERS)
    cases = loaders.index("wangban.cases.demo.load_demo_cases")
    assert loaders.index("wangban.accounts.demo.load_accounts") < cases
    assert loaders.index("wangban.catalog.demo.load_catalog") < cases


def test_no_two_demo_cases_share_a_key() -> None:
    keys = [spec.key for spec in demo_cases()]
    assert len(keys) == 25
    assert len(set(keys)) == len(keys)


def test_the_demo_pdf_is_a_complete_pdf() -> None:
    pdf = demo_pdf("wangban demo city - sample material", "M01 (a) \\ b")

    assert pdf.startswith(b"%PDF-1.4\n")
    assert pdf.endswith(b"%%EOF\n")
    startxref = int(re.search(rb"startxref\n(\d+)\n", pdf).group(1))  # type: ignore[union-attr]
    assert pdf[startxref:].startswith(b"xref\n0 6\n0000000000 65535 f \n")
    offsets = re.findall(rb"(\d{10}) 00000 n \n", pdf[startxref:])
    assert len(offsets) == 5
    for number, offset in enumerate(offsets, start=1):
        assert pdf[int(offset) :].startswith(b"%d 0 obj\n" % number)
    length = int(re.search(rb"/Length (\d+) >>\nstream\n", pdf).group(1))  # type: ignore[union-attr]
    stream = pdf.split(b"stream\n", 1)[1][:length]
    assert stream.endswith(b"ET")
    assert b"(M01 \\(a\\) \\\\ b) Tj" in stream


def test_the_demo_pngs_are_images() -> None:
    photo = Image.open(io.BytesIO(demo_png(PHOTO)))
    scan = Image.open(io.BytesIO(demo_png(SCAN)))

    assert (photo.format, photo.size, scan.format, scan.size) == (
        "PNG",
        (90, 120),
        "PNG",
        (240, 150),
    )
    photo.load()
    assert photo.getpixel((1, 1)) == (255, 255, 255)
    assert photo.getpixel((45, 40)) == (120, 120, 128)


def test_the_demo_clock_goes_back_for_the_block_only() -> None:
    real_now = timezone.now
    moment = timezone.now() - timedelta(days=10)

    with _clock_at(moment):
        assert abs(timezone.now() - moment) < timedelta(seconds=5)
        assert timezone.localdate() == timezone.localtime(moment).date()
    assert timezone.now is real_now

    with pytest.raises(RuntimeError, match="boom"), _clock_at(moment):
        raise RuntimeError("boom")
    assert timezone.now is real_now

    with (
        pytest.raises(ValueError, match="only goes back"),
        _clock_at(timezone.now() + timedelta(hours=1)),
    ):
        pass  # pragma: no cover - refused on entry
    assert timezone.now is real_now


@pytest.mark.django_db
@pytest.mark.parametrize("answer_days", [5, 20])
def test_the_stories_in_the_past_fit_the_configured_correction_time(
    settings: Any, answer_days: int
) -> None:
    settings.WANGBAN_CORRECTION_ANSWER_WORKING_DAYS = answer_days
    today = timezone.localdate()
    specs = {spec.path[-1]: spec for spec in demo_cases() if spec.path and not spec.filed_ago}

    terminated = _timeline(specs[TERMINATE], today)
    submitted_on = timezone.localdate(terminated[SUBMIT])
    due = clock.correction_due_on(submitted_on, clock.Limit(answer_days, clock.WORKING_DAYS))
    assert due < timezone.localdate(terminated[TERMINATE]) < today
    assert list(terminated) == ["create", SUBMIT, SIGN_IN, CORRECT, TERMINATE]
    assert list(terminated.values()) == sorted(terminated.values())

    deemed = _timeline(specs[DEEM_ACCEPT], today)
    received_on = timezone.localdate(deemed[SUBMIT])
    job_day = timezone.localdate(deemed[DEEM_ACCEPT])
    assert job_day == clock.deemed_acceptance_due(received_on) + timedelta(days=1)
    assert clock.is_deemed_accepted(received_on, job_day)
    assert job_day < today
    assert _timeline(specs[ACCEPT], today) == {}


# --- refusals ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_without_the_accounts_the_loader_refuses_and_creates_nothing() -> None:
    with pytest.raises(RuntimeError, match="演示城市缺少这些账号：agent、applicant、"):
        load_demo_cases()
    assert counts() == (0, 0, 0, 0, 0, 0, 0, 0)


@pytest.mark.django_db
def test_without_the_items_the_loader_refuses_and_creates_nothing() -> None:
    restore_migration_data()
    load_accounts()
    before = counts()
    with pytest.raises(RuntimeError, match="演示城市缺少这些事项：000117001000-"):
        load_demo_cases()
    assert counts() == before
    assert before[0] == 0


# --- the whole demo --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def loaded_demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    """The whole demo (accounts, items, cases), loaded once for this module inside a
    transaction rolled back after it; each test runs in a savepoint of that transaction
    (pytest-django nests the test's own), so what a test changes is undone. Yields the cases
    loader's summary. The refusal tests above need an empty database: they come first."""
    with django_db_blocker.unblock(), transaction.atomic():
        restore_migration_data()
        load_accounts()
        load_catalog()
        load_seals()
        yield load_demo_cases()
        transaction.set_rollback(True)


@pytest.fixture
def demo_city(loaded_demo: str, db: None) -> str:
    return loaded_demo


def test_every_state_is_there_with_its_counts(demo_city: str) -> None:
    assert demo_city == SUMMARY
    assert Counter(Case.objects.values_list("state", flat=True)) == STATES
    assert Case.objects.count() == 25
    # Several items and departments; in review in five departments.
    assert len(set(Case.objects.values_list("item", flat=True))) == 17
    assert len(set(Case.objects.values_list("department", flat=True))) == 7
    in_review = Case.objects.filter(state=CaseState.IN_REVIEW)
    assert sorted(in_review.values_list("department__code", flat=True)) == [
        "D01",
        "D01",
        "D01",
        "D01",
        "D04",
        "D05",
        "D06",
        "D10",
    ]
    # Accepted cases, and only they, have a receipt number of their department.
    accepted = Case.objects.filter(state__in=ACCEPTED_STATES)
    assert accepted.count() == 14
    for case in accepted:
        assert re.fullmatch(rf"{case.department.code}-\d{{8}}-0000\d", case.receipt_no or "")
    assert not Case.objects.exclude(state__in=ACCEPTED_STATES).exclude(receipt_no=None).exists()


def test_drafts_online_and_at_a_window(demo_city: str) -> None:
    drafts = Case.objects.filter(state=CaseState.DRAFT)
    assert sorted(drafts.values_list("channel", flat=True)) == ["online", "online", "window"]
    assert all(case.submission == 0 and case.received_on is None for case in drafts)
    window = drafts.get(channel=Channel.WINDOW)
    assert window.created_by.username == "centre_clerk"
    assert window.applicant.username == "wangwu"
    [paper] = window.materials.all()
    assert (paper.paper, paper.note, paper.blob) == (True, "居民身份证原件已当场核验", "")


def test_submitted_signed_unsigned_and_resubmitted(demo_city: str) -> None:
    submitted = Case.objects.filter(state=CaseState.SUBMITTED)
    assert all(case.sign_in_due_at is not None for case in submitted)
    signed = submitted.filter(signed_in_at__isnull=False)
    assert [case.signed_in_by.username for case in signed] == ["centre_clerk"]  # type: ignore[union-attr]
    unsigned = submitted.filter(signed_in_at__isnull=True)
    assert sorted(case.submission for case in unsigned) == [1, 2]
    resubmitted = submitted.get(submission=2)
    [notice] = resubmitted.correction_notices.all()
    assert notice.answered_at is not None
    assert [item["material_code"] for item in notice.items] == ["M02"]
    corrected = resubmitted.materials.get(material_code="M02")
    assert corrected.submission == 2
    assert resubmitted.materials.get(material_code="M01").submission == 1


def test_a_correction_notice_names_two_materials(demo_city: str) -> None:
    case = only(CaseState.CORRECTION_REQUESTED, submission=1)
    [notice] = case.correction_notices.all()
    assert [item["material_code"] for item in notice.items] == ["M03", "M05"]
    assert all(item["reason"] for item in notice.items)
    assert notice.handler.username == "centre_clerk"
    assert case.correction_due_on == notice.answer_due_on > timezone.localdate()
    assert case.department.entrusts_acceptance
    assert case.accepting_department.is_service_centre


def test_a_second_notice_on_one_application_is_flagged_with_its_reason(
    demo_city: str,
) -> None:
    case = only(CaseState.CORRECTION_REQUESTED, submission=2)
    first, second = case.correction_notices.order_by("issued_at", "pk")
    assert (first.submission, first.is_repeat, first.answered_at is not None) == (1, False, True)
    assert [item["material_code"] for item in first.items] == ["M04"]
    assert (second.submission, second.is_repeat) == (2, True)
    assert [item["material_code"] for item in second.items] == ["M01"]
    assert "遗漏" in second.repeat_reason
    assert case.correction_due_on == second.answer_due_on
    # It is the one the supervisors' 再次补正告知 page lists.
    supervisor = User.objects.filter(role_grants__role=Role.SUPERVISOR).first()
    assert supervisor is not None
    assert list(repeat_correction_notices(supervisor)) == [second]


def test_accepted_by_the_centre_for_a_department_that_entrusts_it(demo_city: str) -> None:
    by_centre = Case.objects.filter(
        state__in=ACCEPTED_STATES, accepting_department__is_service_centre=True
    )
    # Two today (applying and acceptance), nine in the past (review and decision).
    assert by_centre.count() == 11
    assert by_centre.filter(accepted_on=timezone.localdate()).count() == 2
    for case in by_centre:
        assert case.department.entrusts_acceptance
        assert case.accepted_by.username == "centre_clerk"  # type: ignore[union-attr]
        assert RoleGrant.objects.filter(
            user=case.accepted_by, department=case.accepting_department, role=Role.CLERK
        ).exists()
        assert case.documents.filter(kind="acceptance_notice").count() == 1
    by_department = Case.objects.filter(
        state=CaseState.IN_REVIEW, accepting_department__is_service_centre=False
    )
    assert sorted(
        (case.department.code, case.accepted_by.username if case.accepted_by else None)
        for case in by_department
    ) == [("D05", "clerk_d05"), ("D06", None), ("D10", "clerk_d10")]


def test_a_legal_persons_case_filed_by_its_agent(demo_city: str) -> None:
    case = Case.objects.get(on_behalf_of__isnull=False, applicant__username="agent")
    assert case.state == CaseState.IN_REVIEW
    assert case.on_behalf_of.owner.username == "applicant"  # type: ignore[union-attr]
    assert case.form["company_name"] == case.on_behalf_of.name  # type: ignore[union-attr]
    assert case.form["credit_code"] == case.on_behalf_of.credit_code  # type: ignore[union-attr]
    assert case.materials.filter(material_code="M08").exists()  # 授权委托书


def test_a_window_case_with_a_paper_material(demo_city: str) -> None:
    case = only(CaseState.IN_REVIEW, channel=Channel.WINDOW)
    assert case.created_by.username == "clerk_d05"
    assert case.applicant.username == "wangwu"
    assert case.signed_in_by == case.created_by == case.accepted_by
    materials = {m.material_code: m for m in case.materials.all()}
    assert (materials["M03"].paper, materials["M03"].note) == (True, "原居民身份证已当场查验并收回")
    assert (materials["M01"].content_type, materials["M02"].content_type) == (
        "application/pdf",
        "image/png",
    )


def test_deemed_acceptance_by_the_system_in_the_past(demo_city: str) -> None:
    case = only(CaseState.IN_REVIEW, deemed_accepted=True)
    today = timezone.localdate()
    assert case.accepted_by is None
    assert case.accepted_on == case.received_on
    assert clock.is_deemed_accepted(case.received_on, today)  # type: ignore[arg-type]
    event = case.events.get(action=CaseAction.DEEM_ACCEPT)
    assert event.actor is None
    assert event.actor_name == SYSTEM_ACTOR
    assert timezone.localdate(event.at) == case.deemed_due_on + timedelta(days=1)  # type: ignore[operator]
    assert timezone.localdate(event.at) < today
    assert case.receipt_no == f"D06-{case.received_on:%Y%m%d}-00001"
    # The timeline runs forwards: created, submitted, deemed accepted.
    times = list(case.events.values_list("at", flat=True))
    assert times == sorted(times)


def test_rejected_with_a_reason(demo_city: str) -> None:
    case = only(CaseState.REJECTED)
    assert case.closing_reason.startswith("申请的经营场所位于邻江市江北区")
    assert "第三十二条" in case.closing_reason
    assert case.events.get(action=CaseAction.REJECT).note == case.closing_reason
    assert case.documents.filter(kind="rejection_decision").count() == 1


def test_terminated_after_an_overdue_correction(demo_city: str) -> None:
    case = only(CaseState.TERMINATED)
    [notice] = case.correction_notices.all()
    assert len(notice.items) == 2
    assert notice.answered_at is None
    closed_on = timezone.localdate(case.closed_at)
    assert notice.answer_due_on < closed_on < timezone.localdate()
    limit = actions.correction_answer_limit()
    assert notice.answer_due_on == clock.correction_due_on(notice.issued_on, limit)
    assert case.closing_reason == "申请人在补正期限内未提交补正材料，终止办理。"
    assert case.on_behalf_of is not None
    assert case.applicant == case.on_behalf_of.owner
    steps = list(case.events.values_list("action", flat=True))
    assert steps == ["create", "submit", "sign_in", "request_correction", "terminate"]
    times = list(case.events.values_list("at", flat=True))
    assert times == sorted(times)
    assert timezone.localdate(times[0]) == notice.issued_on


def test_withdrawn_by_the_applicant(demo_city: str) -> None:
    case = only(CaseState.WITHDRAWN)
    assert case.closing_reason == "用人单位已不再要求提供该证明，申请撤回。"
    assert case.events.get(action=CaseAction.WITHDRAW).actor == case.applicant


def test_materials_are_real_pdfs_and_pngs(demo_city: str) -> None:
    files = CaseMaterial.objects.filter(paper=False)
    kinds = Counter(files.values_list("content_type", flat=True))
    assert set(kinds) == {"application/pdf", "image/png"}
    assert kinds["image/png"] >= 5
    assert CaseMaterial.objects.filter(paper=True).count() == 4
    for material in files:
        suffix = ".pdf" if material.content_type == "application/pdf" else ".png"
        assert material.file_name.endswith(suffix)
        assert 0 < material.size < 2000
    # Every submitted case has every required material of its version.
    for case in Case.objects.exclude(state=CaseState.DRAFT):
        required = set(case.version.materials.filter(required=True).values_list("code", flat=True))
        assert required <= set(case.materials.values_list("material_code", flat=True)), case.pk


def test_loading_twice_creates_nothing(demo_city: str) -> None:
    first = counts()
    now = timezone.now

    assert load_demo_cases() == SUMMARY

    assert counts() == first
    assert timezone.now is now


def test_the_audit_trail_of_the_demo_verifies(demo_city: str) -> None:
    assert AuditEvent.objects.filter(hash__isnull=True).exists()
    chain_events()
    sign_heads()

    result = verify_trail()

    assert result.ok, result.errors
    assert result.events == AuditEvent.objects.count()
    # Every step of every case is in the trail, by the real actions.
    case_events = CaseEvent.objects.count()
    audited = AuditEvent.objects.filter(
        object_type="cases.case", action__in=[f"case.{action}" for action in CaseAction.values]
    ).count()
    assert audited == case_events
    # Audit events keep the real time of writing, even for the stories in the past.
    assert AuditEvent.objects.filter(at__lt=timezone.now() - timedelta(hours=1)).count() == 0


def test_the_demo_users_can_see_their_cases(demo_city: str) -> None:
    applicant = User.objects.get(username="applicant")
    agent = User.objects.get(username="agent")
    centre_clerk = User.objects.get(username="centre_clerk")
    # 张三: his own cases and the company's (he owns it).
    assert cases_visible_to(applicant).count() == 13
    # 李四: his own two cases and the company's five, through the agent grant.
    assert cases_visible_to(agent).count() == 7
    # The centre's clerk: every filed case of the entrusting departments, and the window draft.
    queue = cases_visible_to(centre_clerk)
    assert all(case.department.entrusts_acceptance for case in queue)
    assert queue.filter(state=CaseState.DRAFT).count() == 1
