"""An item change reaches the applicants of its open cases (大安办法第十一条)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import transaction

from wangban.accounts.models import User
from wangban.cases import actions, review
from wangban.cases.item_changes import tell_applicants_of_changes
from wangban.cases.models import Case
from wangban.cases.tests.helpers import draft_case, fresh, submitted_case
from wangban.cases.tests.review_helpers import (
    ACCEPTED_AT,
    REVIEW_ITEM,
    Staff,
    at,
    on,
    review_item,
    review_staff,
)
from wangban.catalog import actions as catalog_actions
from wangban.catalog.choices import ChangeKind
from wangban.catalog.models import ItemChange, ItemVersion
from wangban.catalog.tests.helpers import CODE, item_content
from wangban.conftest import City
from wangban.notify.models import Message

pytestmark = pytest.mark.django_db

OTHER_CODE = "OTHER-ITEM-001"


def cases_in_every_state(city: City, staff: Staff) -> dict[str, Case]:
    """One case on the item in each state that matters, two closed ones, and one open case on
    another item, all made on the acceptance day of the worked examples."""
    User.objects.filter(pk=city.applicant.pk).update(phone="13800138000")
    with on(ACCEPTED_AT):
        review_item(city)
        review_item(city, code=OTHER_CODE)
        made = {
            "draft": draft_case(city),
            "submitted": submitted_case(city),
            "correction_requested": submitted_case(city),
            "in_review": submitted_case(city),
            "suspended": submitted_case(city),
            "rejected": submitted_case(city),
            "withdrawn": draft_case(city),
            "other_item": submitted_case(city, OTHER_CODE),
        }
        actions.do_request_correction(
            made["correction_requested"],
            actor=staff.clerk,
            items=[{"material_code": "M02", "reason": "营业执照复印件不清晰"}],
        )
        actions.do_accept(made["in_review"], actor=staff.clerk)
        actions.do_accept(made["suspended"], actor=staff.clerk)
        review.do_suspend(
            made["suspended"], actor=staff.handler, procedure="site_survey", reason="核查停车场地"
        )
        actions.do_reject(made["rejected"], actor=staff.clerk, reason="不属于本部门职权范围")
        actions.do_withdraw(made["withdrawn"], actor=city.applicant)
    states = {name: fresh(case).state for name, case in made.items()}
    assert states == {
        "draft": "draft",
        "submitted": "submitted",
        "correction_requested": "correction_requested",
        "in_review": "in_review",
        "suspended": "suspended",
        "rejected": "rejected",
        "withdrawn": "withdrawn",
        "other_item": "submitted",
    }
    return made


def draft_change(city: City, kind: ChangeKind) -> ItemVersion:
    content = item_content(**{**REVIEW_ITEM, "legal_limit_days": 18}) if kind == "adjust" else None
    version = catalog_actions.do_draft_item(
        actor=city.transport_admin,
        code=CODE,
        kind=kind,
        content=content,
        change_reason="压缩法定时限",
    )
    return catalog_actions.do_submit_for_review(version, actor=city.transport_admin)


def item_change_messages() -> list[tuple[str, str]]:
    return list(
        Message.objects.filter(event_type="case.item_changed")
        .order_by("key")
        .values_list("key", "channel")
    )


def expected(cases: list[Case], change: ItemChange) -> list[tuple[str, str]]:
    rows = []
    for case in cases:
        key = f"case-item-change:{case.pk}:{change.pk}"
        rows += [(f"{key}:site:{case.applicant_id}", "site"), (f"{key}:sms", "sms")]
    return sorted(rows)


OPEN = ["draft", "submitted", "correction_requested", "in_review", "suspended"]


@pytest.fixture(autouse=True)
def _public_origin(settings: Any) -> None:
    """The texts go by SMS: their link is a full address under the portal's origin."""
    settings.WANGBAN_PUBLIC_URL = "https://zwfw.example.gov.cn/"


def test_adjustment_tells_each_open_case_once_and_cases_keep_their_version(city: City) -> None:
    staff = review_staff(city)
    made = cases_in_every_state(city, staff)
    first_version = fresh(made["in_review"]).version_id
    with on(at(2026, 9, 28, 9, 0)):
        version = draft_change(city, ChangeKind.ADJUST)
        catalog_actions.do_review(version, actor=city.centre_admin, approve=True)
    change = ItemChange.objects.get(version=version)
    assert change.event == "adjusted"
    assert item_change_messages() == expected([made[name] for name in OPEN], change)
    assert {fresh(case).version_id for case in made.values() if case.item_id == change.item_id} == {
        first_version
    }
    in_review = Message.objects.get(key=f"case-item-change:{made['in_review'].pk}:{change.pk}:sms")
    receipt_no = fresh(made["in_review"]).receipt_no
    assert receipt_no
    assert in_review.payload["text"] == (
        f"您申请的“道路运输经营许可证核发”（受理编号 {receipt_no}）"
        "办事指南已于2026-09-28调整为第2版"
        "（办理条件、材料、时限或收费可能变化）。您的申请仍按提交时的第1版办理。"
        f"详见https://zwfw.example.gov.cn/items/{CODE}/"
    )
    draft = Message.objects.get(key=f"case-item-change:{made['draft'].pk}:{change.pk}:sms")
    assert draft.payload["text"] == (
        "您申请的“道路运输经营许可证核发”办事指南已于2026-09-28调整为第2版"
        "（办理条件、材料、时限或收费可能变化）。您的草稿仍按第1版填写，可照原样提交；"
        f"如需按第2版申请，请撤回草稿后重新申请。详见https://zwfw.example.gov.cn/items/{CODE}/"
    )
    site = Message.objects.get(
        key=f"case-item-change:{made['draft'].pk}:{change.pk}:site:{city.applicant.pk}"
    )
    assert (site.payload["title"], site.payload["link"]) == (
        "事项“道路运输经营许可证核发”已调整为第2版",
        f"/cases/{made['draft'].pk}/",
    )


def test_scheduled_adjustment_tells_on_activation_and_never_twice(city: City) -> None:
    staff = review_staff(city)
    made = cases_in_every_state(city, staff)
    with on(at(2026, 9, 28, 9, 0)):
        version = draft_change(city, ChangeKind.ADJUST)
        catalog_actions.do_review(
            version, actor=city.centre_admin, approve=True, effective_on=date(2026, 10, 9)
        )
    assert item_change_messages() == []  # not in effect yet: nothing changed for anyone
    with on(at(2026, 10, 9, 0, 5)):
        assert [v.pk for v in catalog_actions.do_activate_due()] == [version.pk]
        assert catalog_actions.do_activate_due() == []
    change = ItemChange.objects.get(version=version)
    sent = item_change_messages()
    assert sent == expected([made[name] for name in OPEN], change)
    # Telling again about the same change (a re-run) adds nothing.
    with on(at(2026, 10, 9, 0, 6)), transaction.atomic():
        assert tell_applicants_of_changes([change]) == 5
    assert item_change_messages() == sent
    assert Message.objects.filter(event_type="case.item_changed").count() == 10


def test_cancellation_tells_open_cases_that_they_continue(city: City) -> None:
    staff = review_staff(city)
    made = cases_in_every_state(city, staff)
    with on(at(2026, 9, 28, 9, 0)):
        version = draft_change(city, ChangeKind.CANCEL)
        catalog_actions.do_review(version, actor=city.centre_admin, approve=True)
    change = ItemChange.objects.get(version=version)
    assert change.event == "cancelled"
    assert item_change_messages() == expected([made[name] for name in OPEN], change)
    text = Message.objects.get(key=f"case-item-change:{made['suspended'].pk}:{change.pk}:sms")
    receipt_no = fresh(made["suspended"]).receipt_no
    assert text.payload["text"] == (
        f"您申请的“道路运输经营许可证核发”（受理编号 {receipt_no}）已于2026-09-28取消。"
        f"您已提交的申请仍按第1版办理，如不再需要可撤回。详见https://zwfw.example.gov.cn/items/{CODE}/"
    )


def test_first_publication_and_other_items_tell_nobody(city: City) -> None:
    staff = review_staff(city)
    cases_in_every_state(city, staff)  # publishes the other item while cases exist
    assert item_change_messages() == []
    with on(at(2026, 9, 28, 9, 0)):
        version = catalog_actions.do_draft_item(
            actor=city.transport_admin,
            code=OTHER_CODE,
            kind=ChangeKind.ADJUST,
            content=item_content(**REVIEW_ITEM),
            change_reason="调整申请材料",
        )
        version = catalog_actions.do_submit_for_review(version, actor=city.transport_admin)
        catalog_actions.do_review(version, actor=city.centre_admin, approve=True)
    change = ItemChange.objects.get(version=version)
    other = Case.objects.get(item__code=OTHER_CODE)
    assert item_change_messages() == expected([other], change)


@pytest.mark.parametrize(
    ("event", "ending"), [("adjusted", "”已调整为第12版"), ("cancelled", "”已取消")]
)
def test_a_long_item_name_keeps_the_titles_point(event: str, ending: str) -> None:
    """An in-site message's title is kept to 100 characters (`SiteMessage.title`): a long
    item name is shortened, not the words saying what happened to it."""
    from types import SimpleNamespace

    from wangban.cases.item_changes import change_text

    name = "关于" + "道路运输经营许可证核发及车辆营运证配发" * 6 + "的申请"
    assert len(name) > 100
    version = SimpleNamespace(name=name, number=11)
    case = SimpleNamespace(version=version, state="in_review", receipt_no="")
    change = SimpleNamespace(
        event=event,
        item=SimpleNamespace(code=CODE),
        version=SimpleNamespace(number=12, effective_on=date(2026, 9, 28)),
    )
    title, text = change_text(case, change)  # type: ignore[arg-type]
    assert len(title) <= 100
    assert title.startswith("事项“关于道路运输经营许可证核发")
    assert title.endswith("…" + ending)
    assert name in text  # the text keeps the whole name
