"""Scheduled effective dates, delegation (下放), discarding drafts, the change feed rows, and
the relations of a version (online level, entrusted and co-handling departments)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from wangban.accounts.choices import Level
from wangban.accounts.models import Department
from wangban.audit.models import AuditEvent
from wangban.catalog import actions, queries
from wangban.catalog.choices import VersionState
from wangban.catalog.models import ItemChange, ItemVersion, ServiceItem
from wangban.catalog.tests.helpers import CODE, draft, publish, published_item
from wangban.conftest import City, make_staff
from wangban.core.errors import Conflict, Forbidden, InvalidInput, NotFound


def changes() -> list[tuple[str, int, str]]:
    return [
        (c.item.code, c.version.number, c.event)
        for c in ItemChange.objects.select_related("item", "version")
    ]


def submitted(city: City, version: ItemVersion) -> ItemVersion:
    return actions.do_submit_for_review(version, actor=city.transport_admin)


def test_future_effective_date_waits_as_scheduled_then_takes_effect(city: City) -> None:
    first = published_item(city)
    adjust = actions.do_draft_item(
        actor=city.transport_admin,
        code=CODE,
        kind="adjust",
        content={**queries.content_of(first), "name": "道路运输经营许可"},
        change_reason="名称规范",
    )
    later = timezone.localdate() + timedelta(days=3)
    version = actions.do_review(
        submitted(city, adjust), actor=city.centre_admin, approve=True, effective_on=later
    )
    assert (version.state, version.effective_on) == (VersionState.SCHEDULED, later)
    # Until that day the first version stays the published one.
    assert queries.published_version(CODE).pk == first.pk
    assert actions.do_activate_due() == []
    # A scheduled version blocks another draft, like any pending version.
    with pytest.raises(Conflict) as error:
        actions.do_draft_item(
            actor=city.transport_admin, code=CODE, kind="cancel", change_reason="撤销"
        )
    assert error.value.code == "pending_version_exists"

    with time_machine.travel(later, tick=False):
        call_command("activate_items")
        call_command("activate_items")  # idempotent
    version.refresh_from_db()
    first.refresh_from_db()
    assert (first.state, version.state) == (VersionState.SUPERSEDED, VersionState.PUBLISHED)
    assert queries.published_version(CODE).name == "道路运输经营许可"
    assert changes() == [(CODE, 1, "published"), (CODE, 2, "adjusted")]
    event = AuditEvent.objects.filter(action="item.publish").order_by("pk").last()
    assert event is not None
    assert (event.actor_username, event.channel) == ("", "system")
    assert event.after == {
        "state": "published",
        "code": CODE,
        "version": 2,
        "effective_on": later.isoformat(),
        "department": "D01",
        "superseded_version": 1,
    }
    assert AuditEvent.objects.filter(action="item.schedule").count() == 1


def test_scheduled_cancellation_withdraws_the_item_on_its_date(city: City) -> None:
    published_item(city)
    cancel = actions.do_draft_item(
        actor=city.transport_admin, code=CODE, kind="cancel", change_reason="法律废止"
    )
    day = timezone.localdate() + timedelta(days=1)
    actions.do_review(
        submitted(city, cancel), actor=city.centre_admin, approve=True, effective_on=day
    )
    assert queries.published_version(CODE).number == 1
    with time_machine.travel(day, tick=False):
        [done] = actions.do_activate_due()
    assert done.state == VersionState.CANCELLED
    with pytest.raises(NotFound):
        queries.published_version(CODE)
    assert changes() == [(CODE, 1, "published"), (CODE, 2, "cancelled")]


def test_scheduled_version_is_frozen(city: City) -> None:
    version = draft(city)
    day = timezone.localdate() + timedelta(days=5)
    version = actions.do_review(
        submitted(city, version), actor=city.centre_admin, approve=True, effective_on=day
    )
    with pytest.raises(Conflict) as error:
        actions.do_update_draft(version, actor=city.transport_admin, content={})
    assert error.value.code == "version_immutable"
    with pytest.raises(Conflict):
        actions.do_discard_draft(version, actor=city.transport_admin)
    # A new item scheduled for later is not in the catalogue yet, nor in the feed.
    assert list(queries.published_items()) == []
    assert changes() == []


@pytest.fixture
def county(city: City) -> Department:
    return Department.objects.create(code="D51", name="区交通运输局", level=Level.COUNTY)


def test_delegation_hands_the_item_to_a_lower_level_department(
    city: City, county: Department
) -> None:
    first = published_item(city)
    delegate = actions.do_draft_item(
        actor=city.transport_admin,
        code=CODE,
        kind="delegate",
        department=county,
        change_reason="按省政府决定下放至区级实施",
    )
    assert (delegate.department, delegate.item.department) == (county, city.transport)
    assert queries.item_to_api(delegate)["department"] == {"code": "D51", "name": "区交通运输局"}
    # Until published, the city department still keeps the item.
    assert queries.item_to_api(first)["department"]["code"] == "D01"
    publish(city, delegate)
    item = ServiceItem.objects.get(code=CODE)
    assert item.department == county
    assert queries.published_version(CODE).department == county
    assert changes() == [(CODE, 1, "published"), (CODE, 2, "adjusted")]
    # The superseded version still names the department that implemented it then.
    first.refresh_from_db()
    assert first.department == city.transport
    # Now the county's admin keeps the item and the city's admin no longer may.
    county_admin = make_staff("county_admin", county, "dept_admin")
    actions.do_draft_item(actor=county_admin, code=CODE, kind="adjust", change_reason="更新")
    with pytest.raises(Forbidden):
        actions.do_draft_item(
            actor=city.transport_admin, code=CODE, kind="cancel", change_reason="x"
        )


def test_delegation_only_downwards(city: City) -> None:
    published_item(city)
    with pytest.raises(InvalidInput) as error:
        actions.do_draft_item(
            actor=city.transport_admin,
            code=CODE,
            kind="delegate",
            department=city.market,  # same level
            change_reason="下放",
        )
    assert error.value.fields == {"department": ["只能下放到比市交通运输局层级更低的部门。"]}
    with pytest.raises(InvalidInput) as error:
        actions.do_draft_item(
            actor=city.transport_admin, code=CODE, kind="delegate", change_reason="下放"
        )
    assert error.value.fields == {"department": ["请选择承接事项的下级部门。"]}
    assert ItemVersion.objects.count() == 1


def test_discarding_a_new_items_only_draft_frees_its_code(city: City) -> None:
    version = draft(city)
    with pytest.raises(Forbidden):
        actions.do_discard_draft(version, actor=city.market_admin)
    actions.do_discard_draft(version, actor=city.transport_admin)
    assert not ServiceItem.objects.exists()
    event = AuditEvent.objects.get(action="item.discard")
    assert event.before == {"code": CODE, "version": 1, "change_kind": "new"}
    draft(city)  # the code is free again


def test_discarding_an_adjustment_keeps_the_published_version(city: City) -> None:
    first = published_item(city)
    adjust = actions.do_draft_item(
        actor=city.transport_admin, code=CODE, kind="adjust", change_reason="更新"
    )
    actions.do_discard_draft(adjust, actor=city.transport_admin)
    assert [v.pk for v in ItemVersion.objects.all()] == [first.pk]
    assert queries.published_version(CODE).pk == first.pk


def test_discard_refuses_a_version_in_review(city: City) -> None:
    version = submitted(city, draft(city))
    with pytest.raises(Conflict) as error:
        actions.do_discard_draft(version, actor=city.transport_admin)
    assert error.value.code == "invalid_transition"
    assert ItemVersion.objects.get().state == VersionState.IN_REVIEW


def test_online_level_entrusted_and_co_handling_departments(city: City) -> None:
    steps = [
        {"name": "受理", "role": "clerk", "budget_days": 1},
        {"name": "联合审查", "role": "reviewer", "budget_days": 5, "department": "D02"},
        {"name": "审批", "role": "approver", "budget_days": 4, "department": {"code": "D01"}},
    ]
    version = published_item(
        city, online_service_level="3", entrusted_department="C00", steps=steps
    )
    data = queries.item_to_api(version)
    assert data["online_service_level"] == "3"
    assert data["entrusted_department"] == {"code": "C00", "name": "市政务服务中心"}
    # The implementing department is not its own co-handler.
    assert data["co_handling_departments"] == [{"code": "D02", "name": "市市场监督管理局"}]
    assert [s["department"] for s in data["steps"]] == [
        None,
        {"code": "D02", "name": "市市场监督管理局"},
        {"code": "D01", "name": "市交通运输局"},
    ]
    assert version.online_service_level is not None
    assert version.online_service_level.sign_in_hours == 4


def test_unknown_level_and_departments_are_named(city: City) -> None:
    with pytest.raises(InvalidInput) as error:
        draft(
            city,
            online_service_level="9",
            entrusted_department="X99",
            steps=[{"name": "受理", "role": "clerk", "budget_days": 1, "department": "Y"}],
        )
    assert error.value.fields == {
        "online_service_level": ["网上办理等级“9”不存在，可选：1、2、3、4。"],
        "entrusted_department": ["受委托部门“X99”不存在，请填写部门代码。"],
        "steps[0].department": ["联办部门“Y”不存在，请填写部门代码。"],
    }
    assert not ServiceItem.objects.exists()


def test_derived_keys_are_accepted_and_ignored_on_input(city: City) -> None:
    first = published_item(city)
    data = queries.item_to_api(first)
    data.pop("code"), data.pop("basic_code"), data.pop("department")
    data["co_handling_departments"] = [{"code": "D02", "name": "市市场监督管理局"}]
    version = actions.do_draft_item(
        actor=city.transport_admin, code=CODE, kind="adjust", content=data, change_reason="同步"
    )
    assert queries.item_to_api(version)["co_handling_departments"] == []


def test_a_default_warning_threshold_follows_the_adjusted_promised_limit(city: City) -> None:
    """DESIGN.md §5: the default is max(1, ⌈0.2 × P⌉); set at submission, it is no choice
    of anyone's, so an adjustment that changes P gets the new P's default."""
    first = published_item(city)  # P = 10 working days, no threshold given
    assert (first.promised_limit_days, first.warning_threshold_days) == (10, 2)
    adjusted = actions.do_draft_item(
        actor=city.transport_admin, code=CODE, kind="adjust", change_reason="调整承诺时限"
    )
    assert adjusted.warning_threshold_days is None
    # What the item editor posts: the copied content with the promised limit changed.
    content = {**queries.content_of(adjusted), "promised_limit_days": 20}
    actions.do_update_draft(adjusted, actor=city.transport_admin, content=content)
    adjusted = actions.do_submit_for_review(adjusted, actor=city.transport_admin)
    assert adjusted.warning_threshold_days == 4
    # A threshold someone chose (not the default of its limit) is copied as it is.
    chosen = ItemVersion(promised_limit_days=20, warning_threshold_days=3)
    assert actions._copied_threshold(chosen) == 3
    assert (
        actions._copied_threshold(ItemVersion(promised_limit_days=20, warning_threshold_days=4))
        is None
    )
