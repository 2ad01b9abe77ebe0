"""Files of the guide: blank forms, samples and the result sample — checked by content,
shared between versions, public only once published."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from wangban.audit.models import AuditEvent
from wangban.catalog import actions, queries
from wangban.catalog.models import CatalogFile
from wangban.catalog.tests.helpers import CODE, draft, item_content, publish
from wangban.conftest import City
from wangban.core.errors import Conflict, FileTooLarge, FileTypeRefused, Forbidden, InvalidInput

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def upload(name: str = "申请表.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def test_attach_a_blank_form_and_read_it_back(city: City, client: Client) -> None:
    version = draft(city)
    attached = actions.do_attach_file(
        version, actor=city.transport_admin, kind="blank_form", material_code="M01", upload=upload()
    )
    assert (attached.content_type, attached.size) == ("application/pdf", len(PDF))
    assert attached.sha256 == hashlib.sha256(PDF).hexdigest()
    url = reverse("portal:catalog_file", args=[attached.pk, "申请表.pdf"])
    assert queries.item_to_api(version)["materials"][0]["blank_form"] == {
        "name": "申请表.pdf",
        "content_type": "application/pdf",
        "size": len(PDF),
        "sha256": attached.sha256,
        "url": url,
    }
    event = AuditEvent.objects.get(action="item.attach_file")
    assert event.after == {
        "kind": "blank_form",
        "material": "M01",
        "name": "申请表.pdf",
        "sha256": attached.sha256,
    }
    # A draft's file is not public: 404 to visitors and other departments, served to editors.
    assert client.get(url).status_code == 404
    client.force_login(city.market_admin)
    assert client.get(url).status_code == 404
    client.force_login(city.transport_admin)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]


def test_published_files_are_public_and_follow_the_next_version(city: City, client: Client) -> None:
    version = draft(city)
    actions.do_attach_file(
        version, actor=city.transport_admin, kind="sample", material_code="M02", upload=upload()
    )
    actions.do_attach_file(
        version,
        actor=city.transport_admin,
        kind="result_sample",
        upload=upload("许可证样本.png", PNG),
    )
    publish(city, version)
    data = queries.item_to_api(queries.published_version(CODE))
    assert client.get(data["materials"][1]["sample"]["url"]).status_code == 200
    assert client.get(data["result_sample"]["url"]).status_code == 200

    adjust = actions.do_draft_item(
        actor=city.transport_admin, code=CODE, kind="adjust", change_reason="更新材料"
    )
    assert CatalogFile.objects.filter(version=adjust).count() == 2
    # Editing the draft keeps the files of materials that keep their code.
    content = item_content()
    content["materials"] = [m for m in content["materials"] if m["code"] != "M01"]
    actions.do_update_draft(adjust, actor=city.transport_admin, content=content)
    files = queries.item_to_api(adjust)
    assert files["materials"][0]["code"] == "M02"
    assert files["materials"][0]["sample"]["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert files["result_sample"]["name"] == "许可证样本.png"
    # Removing the material removes its file from the draft only.
    content["materials"] = [m for m in content["materials"] if m["code"] != "M02"]
    actions.do_update_draft(adjust, actor=city.transport_admin, content=content)
    assert CatalogFile.objects.filter(version=adjust, material__isnull=False).count() == 0
    assert CatalogFile.objects.filter(version=version).count() == 2


def test_a_second_upload_replaces_the_first(city: City) -> None:
    version = draft(city)
    actions.do_attach_file(
        version, actor=city.transport_admin, kind="blank_form", material_code="M01", upload=upload()
    )
    second = actions.do_attach_file(
        version,
        actor=city.transport_admin,
        kind="blank_form",
        material_code="M01",
        upload=upload("新表.png", PNG),
    )
    assert list(CatalogFile.objects.values_list("name", flat=True)) == ["新表.png"]
    replaced = AuditEvent.objects.filter(action="item.attach_file").order_by("pk").last()
    assert replaced is not None
    assert replaced.before == {"name": "申请表.pdf", "sha256": hashlib.sha256(PDF).hexdigest()}
    actions.do_remove_file(second, actor=city.transport_admin)
    assert not CatalogFile.objects.exists()
    assert AuditEvent.objects.filter(action="item.remove_file").count() == 1


@pytest.mark.parametrize(
    ("name", "content", "error", "message"),
    [
        ("setup.pdf", b"MZ\x90\x00" + b"\x00" * 200, FileTypeRefused, "不支持该文件类型"),
        ("空.pdf", b"", FileTypeRefused, "不支持该文件类型"),
        ("big.pdf", PDF + b"0" * (10 * 1024 * 1024), FileTooLarge, "文件不能超过 10 MB。"),
    ],
)
def test_refused_files_leave_nothing(
    city: City, name: str, content: bytes, error: type[Exception], message: str
) -> None:
    version = draft(city)
    with pytest.raises(error) as raised:
        actions.do_attach_file(
            version,
            actor=city.transport_admin,
            kind="blank_form",
            material_code="M01",
            upload=upload(name, content),
        )
    assert message in str(raised.value)
    assert not CatalogFile.objects.exists()
    assert not AuditEvent.objects.filter(action="item.attach_file").exists()


def test_refusals_by_state_material_kind_and_person(city: City) -> None:
    version = draft(city)
    with pytest.raises(InvalidInput) as error:
        actions.do_attach_file(
            version,
            actor=city.transport_admin,
            kind="blank_form",
            material_code="M9",
            upload=upload(),
        )
    assert error.value.fields == {"material_code": ["该版本没有编码为“M9”的材料。"]}
    with pytest.raises(InvalidInput) as error:
        actions.do_attach_file(
            version, actor=city.transport_admin, kind="photo", material_code="M01", upload=upload()
        )
    assert error.value.fields == {"kind": ["文件类别无效。"]}
    with pytest.raises(InvalidInput):
        actions.do_attach_file(
            version,
            actor=city.transport_admin,
            kind="result_sample",
            material_code="M01",
            upload=upload(),
        )
    with pytest.raises(Forbidden):
        actions.do_attach_file(
            version,
            actor=city.market_admin,
            kind="blank_form",
            material_code="M01",
            upload=upload(),
        )
    published = publish(city, version)
    with pytest.raises(Conflict) as conflict:
        actions.do_attach_file(
            published,
            actor=city.transport_admin,
            kind="blank_form",
            material_code="M01",
            upload=upload(),
        )
    assert conflict.value.code == "version_immutable"
    assert not CatalogFile.objects.exists()


def test_unknown_file_or_wrong_name_is_404(city: City, client: Client) -> None:
    version = draft(city)
    attached = actions.do_attach_file(
        version, actor=city.transport_admin, kind="blank_form", material_code="M01", upload=upload()
    )
    publish(city, version)
    assert (
        client.get(reverse("portal:catalog_file", args=[attached.pk, "x.pdf"])).status_code == 404
    )
    assert client.get(reverse("portal:catalog_file", args=[999, "申请表.pdf"])).status_code == 404
