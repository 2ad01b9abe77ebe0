"""The publication workflow: draft → review → published; adjust, cancel and return."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from wangban.audit.models import AuditEvent
from wangban.catalog import actions, queries
from wangban.catalog.choices import ChangeKind, VersionState
from wangban.catalog.content import default_warning_threshold
from wangban.catalog.models import ItemVersion
from wangban.catalog.tests.helpers import CODE, draft, item_content, publish, published_item
from wangban.conftest import City
from wangban.core.errors import Conflict, NotFound


def catalog_events() -> list[tuple[str, str]]:
    return list(
        AuditEvent.objects.filter(object_type="catalog.itemversion")
        .order_by("id")
        .values_list("action", "actor_username")
    )


def test_draft_submit_publish(city: City) -> None:
    version = draft(city)
    assert (version.number, version.state, version.change_kind) == (1, "draft", "new")
    assert version.item.department == city.transport
    assert version.warning_threshold_days is None

    version = actions.do_submit_for_review(version, actor=city.transport_admin)
    assert version.state == VersionState.IN_REVIEW
    assert version.warning_threshold_days == 2  # max(1, ceil(0.2 × 10))
    assert version.submitted_at is not None

    version = actions.do_review(version, actor=city.centre_admin, approve=True, note="合法")
    version.refresh_from_db()
    assert version.state == VersionState.PUBLISHED
    assert version.effective_on == timezone.localdate()
    assert version.reviewed_by == city.centre_admin
    assert version.review_note == "合法"
    assert queries.published_version(CODE).pk == version.pk
    assert [v.pk for v in queries.published_items()] == [version.pk]
    assert catalog_events() == [
        ("item.draft", "transport_admin"),
        ("item.submit", "transport_admin"),
        ("item.publish", "centre_admin"),
    ]
    publish_event = AuditEvent.objects.get(action="item.publish")
    assert publish_event.object_id == str(version.pk)
    assert publish_event.after == {
        "state": "published",
        "code": CODE,
        "version": 1,
        "effective_on": timezone.localdate().isoformat(),
        "department": "D01",
        "superseded_version": None,
    }


def test_future_effective_date_is_recorded(city: City) -> None:
    version = actions.do_submit_for_review(draft(city), actor=city.transport_admin)
    later = timezone.localdate() + timedelta(days=7)
    version = actions.do_review(version, actor=city.centre_admin, approve=True, effective_on=later)
    assert version.effective_on == later


def test_adjust_creates_version_2_and_supersedes_1_on_publication(city: City) -> None:
    first = published_item(city)
    second = actions.do_draft_item(
        actor=city.transport_admin,
        code=CODE,
        kind=ChangeKind.ADJUST,
        content=item_content(
            promised_limit_days=5,
            steps=[
                {"name": "受理", "role": "clerk", "budget_days": 1},
                {"name": "审核", "role": "reviewer", "budget_days": 2},
                {"name": "审批", "role": "approver", "budget_days": 2},
            ],
        ),
        change_reason="压缩承诺时限",
    )
    assert (second.number, second.change_kind, second.state) == (2, "adjust", "draft")
    assert queries.published_version(CODE).pk == first.pk  # still v1 until approved

    second = actions.do_submit_for_review(second, actor=city.transport_admin)
    actions.do_review(second, actor=city.centre_admin, approve=True)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == VersionState.SUPERSEDED
    assert first.promised_limit_days == 10
    assert second.state == VersionState.PUBLISHED
    published = queries.published_version(CODE)
    assert (published.pk, published.promised_limit_days) == (second.pk, 5)
    assert published.warning_threshold_days == 1
    event = AuditEvent.objects.get(action="item.publish", object_id=str(second.pk))
    assert event.after is not None
    assert event.after["superseded_version"] == 1


def test_adjust_without_content_copies_the_published_version(city: City) -> None:
    first = published_item(city, warning_threshold_days=3)
    second = actions.do_draft_item(
        actor=city.transport_admin, code=CODE, kind="adjust", change_reason="更新指南"
    )
    first_api = queries.item_to_api(first)
    second_api = queries.item_to_api(second)
    assert second_api == {**first_api, "version": 2, "effective_on": None}


def test_cancel_withdraws_the_item(city: City) -> None:
    first = published_item(city)
    cancel = actions.do_draft_item(
        actor=city.transport_admin, code=CODE, kind=ChangeKind.CANCEL, change_reason="事项取消"
    )
    cancel = actions.do_submit_for_review(cancel, actor=city.transport_admin)
    actions.do_review(cancel, actor=city.centre_admin, approve=True)
    first.refresh_from_db()
    cancel.refresh_from_db()
    assert (first.state, cancel.state) == ("superseded", "cancelled")
    assert list(queries.published_items()) == []
    with pytest.raises(NotFound):
        queries.published_version(CODE)
    assert [a for a, _ in catalog_events()][-3:] == ["item.draft", "item.submit", "item.cancel"]
    # A cancelled item cannot be adjusted: nothing is published.
    with pytest.raises(Conflict) as error:
        actions.do_draft_item(
            actor=city.transport_admin, code=CODE, kind="adjust", change_reason="恢复"
        )
    assert error.value.code == "item_not_published"


def test_return_sends_the_version_back_to_draft(city: City) -> None:
    version = actions.do_submit_for_review(draft(city), actor=city.transport_admin)
    version = actions.do_review(
        version, actor=city.centre_admin, approve=False, note="设定依据条款有误"
    )
    assert version.state == VersionState.DRAFT
    assert version.review_note == "设定依据条款有误"
    event = AuditEvent.objects.get(action="item.return")
    assert event.after == {"state": "draft", "note": "设定依据条款有误"}
    # Corrected and resubmitted, it publishes.
    version = actions.do_update_draft(
        version, actor=city.transport_admin, content=item_content(legal_basis="《道路运输条例》")
    )
    assert publish(city, version).state == VersionState.PUBLISHED


def test_update_draft_replaces_content_and_audits_the_change(city: City) -> None:
    version = draft(city)
    steps = [{"name": "审批", "role": "approver", "budget_days": 3}]
    version = actions.do_update_draft(
        version,
        actor=city.transport_admin,
        content=item_content(name="道路运输经营许可", steps=steps),
    )
    assert version.name == "道路运输经营许可"
    assert list(version.steps.values_list("order", "name", "role")) == [(1, "审批", "approver")]
    event = AuditEvent.objects.get(action="item.update_draft")
    assert event.before is not None
    assert event.after is not None
    assert sorted(event.after) == ["name", "steps"]
    assert event.before["name"] == "道路运输经营许可证核发"
    assert event.after["name"] == "道路运输经营许可"


def test_immediate_item_publishes_with_threshold_one(city: City) -> None:
    version = published_item(city, case_type="1", promised_limit_days=0, legal_limit_days=0)
    assert (version.promised_limit_days, version.warning_threshold_days) == (0, 1)


def test_named_assignee_is_kept(city: City) -> None:
    steps = [{"name": "受理", "role": "clerk", "budget_days": 1, "assignment": "person",
              "assignee": "transport_clerk"}]  # fmt: skip
    version = published_item(city, steps=steps)
    assert queries.item_to_api(version)["steps"] == [
        {
            "order": 1,
            "name": "受理",
            "role": "clerk",
            "budget_days": 1,
            "assignment": "person",
            "assignee": "transport_clerk",
            "department": None,
        }
    ]


@pytest.mark.parametrize(
    ("promised", "expected"), [(0, 1), (1, 1), (5, 1), (6, 2), (10, 2), (20, 4), (21, 5)]
)
def test_default_warning_threshold(promised: int, expected: int) -> None:
    assert default_warning_threshold(promised) == expected


ALLOWED = {
    ("draft", "in_review"): "submit",
    ("in_review", "draft"): "return",
    ("in_review", "published"): "approve",
    ("in_review", "cancelled"): "approve_cancel",
    ("in_review", "scheduled"): "approve_later",
    ("scheduled", "published"): "activate",
    ("scheduled", "cancelled"): "activate_cancel",
    ("published", "superseded"): "supersede",
}


@pytest.mark.parametrize(
    ("from_state", "to_state"), list(itertools.product(VersionState.values, repeat=2))
)
def test_transition_table(from_state: str, to_state: str) -> None:
    if (from_state, to_state) in ALLOWED:
        assert actions.check_transition(from_state, to_state) == ALLOWED[(from_state, to_state)]
        return
    with pytest.raises(Conflict) as error:
        actions.check_transition(from_state, to_state)
    frozen = from_state in {"scheduled", "published", "superseded", "cancelled"}
    assert error.value.code == ("version_immutable" if frozen else "invalid_transition")


def test_history_lists_every_version(city: City) -> None:
    first = published_item(city)
    actions.do_draft_item(
        actor=city.transport_admin, code=CODE, kind="adjust", change_reason="更新"
    )
    history = queries.item_history(first.item)
    assert [(v.number, v.state, v.created_by.username) for v in history] == [
        (1, "published", "transport_admin"),
        (2, "draft", "transport_admin"),
    ]
    assert ItemVersion.objects.count() == 2
