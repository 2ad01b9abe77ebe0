"""Bad input is refused with a Chinese message per field, and nothing changes."""

from __future__ import annotations

import pytest
from django.test import override_settings

from wangban.accounts.models import User
from wangban.audit.models import AuditEvent
from wangban.cases import actions
from wangban.cases.models import Case, CaseMaterial
from wangban.cases.tests.helpers import FORM, draft_case, fresh, item, pdf, submitted_case
from wangban.catalog.tests.helpers import CODE, published_item
from wangban.conftest import City, verified_applicant
from wangban.core.errors import (
    Conflict,
    FileTooLarge,
    FileTypeRefused,
    Forbidden,
    InvalidInput,
    NotFound,
)


def nothing_changed(case: Case, audits: int) -> None:
    assert fresh(case).state == "draft"
    assert CaseMaterial.objects.filter(case=case).count() == 0
    assert AuditEvent.objects.filter(object_id=case.pk).count() == audits


def test_an_unknown_material_code(city: City) -> None:
    item(city)
    case = draft_case(city)
    with pytest.raises(InvalidInput) as refused:
        actions.do_attach_material(case, actor=city.applicant, material_code="M99", upload=pdf())
    assert refused.value.fields == {"material_code": ["该事项没有编码为“M99”的申请材料。"]}
    nothing_changed(case, 1)


@override_settings(WANGBAN_CASE_MATERIAL_MAX_BYTES=1024)
def test_an_oversized_file_is_413(city: City) -> None:
    item(city)
    case = draft_case(city)
    with pytest.raises(FileTooLarge) as refused:
        actions.do_attach_material(
            case,
            actor=city.applicant,
            material_code="M01",
            upload=pdf(content=b"%PDF-1.4\n" + b"0" * 2048),
        )
    assert refused.value.status == 413
    nothing_changed(case, 1)


def test_an_executable_renamed_pdf_is_415(city: City) -> None:
    item(city)
    case = draft_case(city)
    program = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64 + b"PE\x00\x00"
    with pytest.raises(FileTypeRefused) as refused:
        actions.do_attach_material(
            case, actor=city.applicant, material_code="M01", upload=pdf("申请表.pdf", program)
        )
    assert refused.value.status == 415
    nothing_changed(case, 1)


def test_no_file_at_all(city: City) -> None:
    item(city)
    case = draft_case(city)
    with pytest.raises(InvalidInput) as refused:
        actions.do_attach_material(case, actor=city.applicant, material_code="M01")
    assert refused.value.fields == {"file": ["请选择要上传的文件。"]}
    nothing_changed(case, 1)


def test_a_draft_form_may_be_incomplete_but_not_wrong(city: City) -> None:
    item(city)
    assert draft_case(city, form={"company": "某某公司"}).form == {"company": "某某公司"}
    with pytest.raises(InvalidInput) as refused:
        draft_case(city, form={"company": "某某公司", "vehicles": 0})
    assert refused.value.fields == {"form.vehicles": ["车辆数不能小于 1。"]}
    with pytest.raises(InvalidInput) as not_an_object:
        draft_case(city, form=["a"])
    assert not_an_object.value.fields == {"form": ["申请表应为一组“字段: 值”的内容。"]}
    assert Case.objects.count() == 1


def test_submission_needs_the_whole_form_and_every_required_material(city: City) -> None:
    item(city)
    case = draft_case(city, form={})
    actions.do_attach_material(case, actor=city.applicant, material_code="M01", upload=pdf())
    with pytest.raises(InvalidInput) as refused:
        actions.do_submit(case, actor=city.applicant)
    assert refused.value.fields == {
        "form.company": ["请填写企业名称。"],
        "form.vehicles": ["请填写车辆数。"],
        "materials.M02": ["请提交“营业执照”。"],
    }
    case = fresh(case)
    assert (case.state, case.submission, case.received_on) == ("draft", 0, None)


def test_an_unknown_item_and_an_unknown_channel(city: City) -> None:
    item(city)
    with pytest.raises(NotFound) as unknown:
        actions.do_create_case(actor=city.applicant, item_code="NO-SUCH-ITEM", form=FORM)
    assert unknown.value.code == "item_not_found"
    with pytest.raises(InvalidInput) as channel:
        actions.do_create_case(actor=city.applicant, item_code=CODE, channel="fax")
    assert channel.value.fields == {"channel": ["未知的申请渠道。"]}
    assert Case.objects.count() == 0


@pytest.mark.parametrize("reason", ["", "   "])
def test_rejection_needs_a_reason(city: City, reason: str) -> None:
    item(city)
    case = submitted_case(city)
    with pytest.raises(InvalidInput) as refused:
        actions.do_reject(case, actor=city.transport_clerk, reason=reason)
    assert refused.value.fields == {"reason": ["请写明不予受理的具体理由。"]}
    assert fresh(case).state == "submitted"


def test_reuse_is_limited_to_the_same_applicant(city: City) -> None:
    item(city)
    mine = draft_case(city)
    row = actions.do_attach_material(mine, actor=city.applicant, material_code="M01", upload=pdf())
    other = verified_applicant("other", "110101199003070011")
    theirs = draft_case(city, actor=other)
    with pytest.raises(InvalidInput) as refused:
        actions.do_attach_material(theirs, actor=other, material_code="M01", reuse=row.pk)
    assert refused.value.fields == {"reuse": ["只能复用同一申请人此前办件中的文件。"]}
    assert CaseMaterial.objects.filter(case=theirs).count() == 0


def test_a_clerk_cannot_pull_files_out_of_an_applicants_draft(city: City) -> None:
    """Window intake for an applicant must not reach the files of cases the clerk may not
    see, such as the applicant's online draft."""
    item(city)
    online = draft_case(city)
    row = actions.do_attach_material(
        online, actor=city.applicant, material_code="M01", upload=pdf()
    )
    walk_in = actions.do_create_case(
        actor=city.transport_clerk,
        item_code=CODE,
        form=dict(FORM),
        channel="window",
        applicant=city.applicant,
    )
    with pytest.raises(InvalidInput) as refused:
        actions.do_attach_material(
            walk_in, actor=city.transport_clerk, material_code="M01", reuse=row.pk
        )
    assert refused.value.fields == {"reuse": ["只能复用同一申请人此前办件中的文件。"]}
    assert CaseMaterial.objects.filter(case=walk_in).count() == 0
    # The applicant themself may reuse it.
    actions.do_attach_material(walk_in, actor=city.applicant, material_code="M01", reuse=row.pk)
    assert CaseMaterial.objects.filter(case=walk_in).count() == 1


@pytest.mark.parametrize("channel", ["online", "kiosk", "mobile", "api"])
def test_only_identity_verified_applicants_apply_online(city: City, channel: str) -> None:
    item(city)
    registered = User.objects.create_user("registered", password="applicant-password-3")
    with pytest.raises(Forbidden) as refused:
        actions.do_create_case(actor=registered, item_code=CODE, form=dict(FORM), channel=channel)
    assert refused.value.code == "verification_required"
    assert not Case.objects.exists()


def test_an_item_without_online_receipt_is_applied_for_at_a_window(city: City) -> None:
    published_item(city, online_depth=["1"])
    with pytest.raises(Conflict) as refused:
        draft_case(city)
    assert refused.value.code == "online_application_not_offered"
    assert not Case.objects.exists()
    walk_in = User.objects.create_user("walk_in", password="applicant-password-4")
    case = draft_case(city, actor=city.transport_clerk, channel="window", applicant=walk_in)
    assert (case.channel, case.applicant) == ("window", walk_in)
