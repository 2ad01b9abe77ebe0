"""补正前的材料: what a submission handed in stays on record, bytes included, when a
correction replaces it; the staff and the applicant read it on the case page and download it
(audited)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from wangban.accounts.choices import Role
from wangban.accounts.tests.helpers import verified
from wangban.audit.models import AuditEvent
from wangban.cases import actions
from wangban.cases.models import Case, CaseMaterial, ReplacedMaterial
from wangban.cases.tests.helpers import FORM, PDF, draft_case, item, pdf
from wangban.catalog.tests.helpers import CODE
from wangban.conftest import City, make_staff

NOTICE = [{"material_code": "M01", "reason": "申请表缺少签字"}]


@pytest.fixture(autouse=True)
def _own_media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path  # the purge below must see only this test's files


def attach(case: Case, actor: Any, code: str, name: str, salt: bytes) -> CaseMaterial:
    upload = pdf(name, PDF + salt)  # distinct bytes, so distinct stored files
    return actions.do_attach_material(case, actor=actor, material_code=code, upload=upload)


@pytest.fixture
def corrected(city: City) -> tuple[Case, CaseMaterial, CaseMaterial]:
    """A case whose M01 was replaced once in its draft, submitted, asked to correct M01, and
    corrected twice before resubmitting: (case, the draft's first file, the file submitted)."""
    item(city)
    applicant = city.applicant
    case = draft_case(city)
    draft_file = attach(case, applicant, "M01", "草稿.pdf", b"0")
    submitted = attach(case, applicant, "M01", "申请表.pdf", b"1")
    attach(case, applicant, "M02", "营业执照.pdf", b"2")
    actions.do_submit(case, actor=applicant)
    actions.do_request_correction(case, actor=city.transport_clerk, items=NOTICE)
    attach(case, applicant, "M01", "申请表（签字）.pdf", b"3")
    attach(case, applicant, "M01", "申请表（签字，重扫）.pdf", b"4")
    actions.do_resubmit(case, actor=applicant)
    return case, draft_file, submitted


def test_the_submitted_file_is_kept_when_a_correction_replaces_it(
    city: City, corrected: tuple[Case, CaseMaterial, CaseMaterial]
) -> None:
    case, _, submitted = corrected
    # Only what a submission handed in is kept: not the draft's first file, not the file
    # replaced again within the same correction.
    [kept] = ReplacedMaterial.objects.filter(case=case)
    assert (
        kept.material_code,
        kept.material_name,
        kept.submission,
        kept.file_name,
        kept.blob,
        kept.sha256,
        kept.size,
        kept.attached_by,
        kept.replaced_by,
    ) == (
        "M01",
        submitted.material_name,
        1,
        "申请表.pdf",
        submitted.blob,
        submitted.sha256,
        submitted.size,
        city.applicant,
        city.applicant,
    )
    current = CaseMaterial.objects.get(case=case, material_code="M01")
    assert (current.file_name, current.submission) == ("申请表（签字，重扫）.pdf", 2)


def test_a_paper_mark_replacing_a_submitted_file_keeps_the_file(city: City) -> None:
    item(city)
    clerk = city.transport_clerk
    case = actions.do_create_case(
        actor=clerk,
        item_code=CODE,
        channel="window",
        applicant=city.applicant,
        form=dict(FORM),
    )
    attach(case, clerk, "M01", "扫描件.pdf", b"5")
    attach(case, clerk, "M02", "执照.pdf", b"6")
    actions.do_submit(case, actor=clerk)
    actions.do_request_correction(case, actor=clerk, items=NOTICE)
    actions.do_mark_paper_material(case, actor=clerk, material_code="M01", note="原件已核")
    [kept] = ReplacedMaterial.objects.filter(case=case)
    assert (kept.paper, kept.file_name, kept.replaced_by) == (False, "扫描件.pdf", clerk)
    assert CaseMaterial.objects.get(case=case, material_code="M01").paper


def test_the_purge_keeps_the_replaced_files_bytes(
    corrected: tuple[Case, CaseMaterial, CaseMaterial],
) -> None:
    case, draft_file, submitted = corrected
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        call_command("purge_orphan_files")
    assert default_storage.exists(submitted.blob)  # kept: a replaced material refers to it
    assert not default_storage.exists(draft_file.blob)  # nobody refers to the draft's file
    for row in CaseMaterial.objects.filter(case=case):
        assert default_storage.exists(row.blob)


def test_staff_read_and_download_it_others_do_not(
    client: Client, city: City, corrected: tuple[Case, CaseMaterial, CaseMaterial]
) -> None:
    case = corrected[0]
    kept = ReplacedMaterial.objects.get(case=case)
    client.force_login(city.transport_clerk)
    html = client.get(f"/workbench/cases/{case.pk}/").content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "补正前的材料" in text
    assert "道路运输经营许可申请表 第 1 次 申请表.pdf" in text
    url = reverse("workbench:case-replaced-material", args=[case.pk, kept.pk, "M01.pdf"])
    assert f'href="{url}"' in html

    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF + b"1"  # type: ignore[attr-defined]
    audited = AuditEvent.objects.filter(action="case.download_material", object_id=case.pk)
    assert [(event.after or {}).get("replaced_material") for event in audited] == [kept.pk]

    # Another department's clerk: not found, and nothing audited.
    client.force_login(make_staff("market_clerk", city.market, Role.CLERK))
    assert client.get(url).status_code == 404
    # The row under another case of the same applicant: not found either.
    other = draft_case(city)
    client.force_login(city.applicant)
    response = client.get(f"/workbench/cases/{other.pk}/replaced-materials/{kept.pk}/x")
    assert response.status_code == 404
    assert audited.count() == 1
    client.logout()
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/workbench/login/")


def test_the_applicant_reads_and_downloads_it_in_the_portal(
    client: Client, city: City, corrected: tuple[Case, CaseMaterial, CaseMaterial]
) -> None:
    case = corrected[0]
    kept = ReplacedMaterial.objects.get(case=case)
    client.force_login(city.applicant)
    html = client.get(f"/cases/{case.pk}/").content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "补正前的材料" in text
    assert "道路运输经营许可申请表（第 1 次提交）： 申请表.pdf" in text
    url = reverse("portal:case-replaced-material", args=[case.pk, kept.pk, "M01.pdf"])
    assert f'href="{url}"' in html

    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF + b"1"  # type: ignore[attr-defined]
    assert response["Cache-Control"] == "private, no-store"
    audited = AuditEvent.objects.filter(action="case.download_material", object_id=case.pk)
    assert [(event.after or {}).get("replaced_material") for event in audited] == [kept.pk]

    # Another applicant: not found, on the page and the file, and nothing audited.
    client.force_login(verified("zhaoliu", 6, real_name="赵六"))
    assert client.get(f"/cases/{case.pk}/").status_code == 404
    assert client.get(url).status_code == 404
    assert audited.count() == 1
    client.logout()
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_a_case_without_corrections_shows_no_such_section(client: Client, city: City) -> None:
    item(city)
    case = draft_case(city)
    attach(case, city.applicant, "M01", "申请表.pdf", b"7")
    attach(case, city.applicant, "M02", "执照.pdf", b"8")
    actions.do_submit(case, actor=city.applicant)
    client.force_login(city.transport_clerk)
    assert "补正前的材料" not in client.get(f"/workbench/cases/{case.pk}/").content.decode()
    client.force_login(city.applicant)
    assert "补正前的材料" not in client.get(f"/cases/{case.pk}/").content.decode()
    assert not ReplacedMaterial.objects.exists()


def test_a_replaced_file_s_url_carries_its_code_not_the_uploaded_name(
    client: Client, city: City
) -> None:
    """API.md: personal identifiers never travel in URLs (nor reach access logs); the link
    to a file a correction replaced ends in the material code, as a current material's does
    (`queries.url_file_name`), and the download keeps its real name."""
    item(city)
    applicant = city.applicant
    number = "110101199003074477"
    case = draft_case(city)
    attach(case, applicant, "M01", f"{number}身份证.PDF", b"9")
    attach(case, applicant, "M02", "营业执照.pdf", b"10")
    actions.do_submit(case, actor=applicant)
    actions.do_request_correction(case, actor=city.transport_clerk, items=NOTICE)
    attach(case, applicant, "M01", "申请表（签字）.pdf", b"11")
    kept = ReplacedMaterial.objects.get(case=case)
    pages = [
        (city.transport_clerk, f"/workbench/cases/{case.pk}/", "workbench"),
        (applicant, f"/cases/{case.pk}/", "portal"),
    ]
    for user, page, namespace in pages:
        client.force_login(user)
        links = re.findall(r'href="([^"]+)"', client.get(page).content.decode())
        url = reverse(f"{namespace}:case-replaced-material", args=[case.pk, kept.pk, "M01.pdf"])
        assert url in links
        assert not [link for link in links if number in link]
        response = client.get(url)
        assert response.status_code == 200
        assert f"{number}" in response["Content-Disposition"]
