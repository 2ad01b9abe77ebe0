"""What the sealed decision must not get wrong (issue 8): a stamp counts only under the
deciding department's own seal; a document whose workers died does not stay pending for
good; staff see a decision that is still rendering or failed; the applicant is not asked
to pick up a result already handed over."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from wangban.cases import documents, review
from wangban.cases.documents import check_seal, render_document, render_due, retry_document
from wangban.cases.models import CaseDocument
from wangban.cases.tests.decision_helpers import (
    DECIDED_AT,
    decided_case,
    decision_of,
    rendered_decision,
    review_world,
    stored_bytes,
    transport_seal,
)
from wangban.cases.tests.review_helpers import Staff, on
from wangban.certificates import actions as seal_actions
from wangban.certificates.sealing import seal_document
from wangban.conftest import City
from wangban.notify.models import Message

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()


@pytest.fixture
def staff(city: City) -> Staff:
    return review_world(city)


def test_a_stamp_of_another_department_s_seal_does_not_verify(city: City, staff: Staff) -> None:
    """The transport department's decision, its file signed (validly) with the market
    department's seal: the page must not vouch for it under the transport's name."""
    transport_seal(city)
    seal_actions.do_create_seal(city.market, actor=city.centre_admin)
    document = rendered_decision(city, staff)
    assert check_seal(document).valid is True
    foreign = seal_document(city.market, stored_bytes(document))
    CaseDocument.objects.filter(pk=document.pk).update(
        seal_key_id=foreign.key_id, seal_signature=foreign.signature, seal_digest=foreign.digest
    )
    document.refresh_from_db()
    result = check_seal(document)
    assert result.valid is False
    assert result.reason == documents.NOT_THE_ISSUER
    html = Client().get(f"/verify/{document.verification_code}/").content.decode()
    assert 'id="verify-result">验证失败</strong>' in html
    assert documents.NOT_THE_ISSUER in html
    # The page names the seal that signed, not the name written on the row.
    assert "市市场监督管理局" in html


def test_a_document_whose_workers_died_fails_and_can_be_retried(
    city: City, staff: Staff, settings: Any
) -> None:
    settings.WANGBAN_DOCUMENT_MAX_ATTEMPTS = 2
    transport_seal(city)
    document = decision_of(decided_case(city, staff))
    moment = DECIDED_AT
    for _ in range(2):  # a worker claims it, then is killed before it can record anything
        moment += timedelta(minutes=10)
        with time_machine.travel(moment, tick=False):
            assert documents._claim(document.pk) is not None
    # While the last worker may still be at work, nothing changes.
    with time_machine.travel(moment + timedelta(minutes=1), tick=False):
        render_due()
    document.refresh_from_db()
    assert document.state == "pending"
    # Its lease over and no attempt left: failed, and the admin's retry renders it.
    with time_machine.travel(moment + timedelta(hours=1), tick=False):
        assert render_due() == {}
        document.refresh_from_db()
        assert document.state == "failed"
        assert document.error == documents.INTERRUPTED
        retry_document(document, actor=city.centre_admin)
        assert render_document(document.pk) == "ready"


def test_staff_see_a_decision_document_rendering_or_failed(city: City, staff: Staff) -> None:
    case = decided_case(city, staff)  # the department has no seal: the rendering fails
    client = Client()
    client.force_login(staff.clerk)
    url = reverse("workbench:case", args=[case.pk])
    html = client.get(url).content.decode()
    assert "准予行政许可决定书（正在生成，请稍后刷新）" in html
    assert render_document(decision_of(case).pk) == "failed"
    html = client.get(url).content.decode()
    assert "<strong>生成失败</strong>：市交通运输局尚无在用的" in html
    transport_seal(city)
    retry_document(decision_of(case), actor=city.centre_admin)
    assert render_document(decision_of(case).pk) == "ready"
    html = client.get(url).content.decode()
    assert "生成失败" not in html
    document = decision_of(case)
    link = reverse("workbench:case-document", args=[case.pk, document.pk, document.file_name])
    assert f'href="{link}"' in html


def test_no_pickup_is_offered_for_a_result_already_handed_over(city: City, staff: Staff) -> None:
    case = decided_case(city, staff)
    document = decision_of(case)
    with on(DECIDED_AT + timedelta(minutes=1)):
        assert render_document(document.pk) == "failed"  # no seal yet
    with on(DECIDED_AT + timedelta(hours=1)):
        review.do_complete(case, actor=staff.clerk, delivery="pickup")
    transport_seal(city)
    with time_machine.travel(DECIDED_AT + timedelta(hours=2), tick=False):
        render_due()
    document.refresh_from_db()
    assert document.state == "ready"
    told = Message.objects.filter(event_type="case.decision_ready")
    assert told.exists()
    for message in told:
        text = message.payload.get("text", "") + message.payload.get("title", "")
        assert "领取" not in text
        assert "决定书已生成" in text
