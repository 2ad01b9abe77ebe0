"""Telling applicants with open cases that their item changed (大安办法第十一条).

大安办法第十一条: the published content of an item (名称、类型、编码、法律依据、办理流程、
办理条件、法定时限、承诺时限、收费标准、申报材料 …) "如在办理过程中前述内容发生变化，
应在5个工作日内及时告知申办人". A change reaches applicants the moment it takes effect: the
catalogue's `_take_effect` (and the bulk import) writes an `ItemChange` row and, in the same
transaction, calls `tell_applicants_of_changes`, which puts one SMS and one in-site message
per open case into the outbox. The outbox sends within minutes, well inside the five working
days; being in the transaction of the change, nothing is announced that did not happen.

Which cases: every case on the item in a state where the applicant still waits for
something — `submitted`, `correction_requested`, `in_review`, `suspended` — and drafts.
A case keeps the version it was filed under (a case is filed under the version published
when it was created), so the message says so: the application in progress is handled under
its version; a draft also stays on its version and can be submitted as it is, or withdrawn
and started again under the new version. A cancelled item: applications already made are
still handled under their version; the applicant may withdraw.

Each message's idempotency key is `case-item-change:{case}:{change}`: a repeated activation
or a re-run import never tells anyone twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from django.urls import NoReverseMatch, reverse

from wangban.cases.choices import CaseState
from wangban.cases.models import Case
from wangban.cases.notifications import tell_applicant, your_application
from wangban.catalog.choices import ChangeEvent
from wangban.catalog.models import ItemChange
from wangban.core.links import public_url
from wangban.notify.models import SiteMessage

#: Cases whose applicant still waits for the item's procedure: drafts and every state
#: before the decision that has not ended the case.
OPEN_STATES = (
    CaseState.DRAFT,
    CaseState.SUBMITTED,
    CaseState.CORRECTION_REQUESTED,
    CaseState.IN_REVIEW,
    CaseState.SUSPENDED,
)

#: Only an adjustment or a cancellation changes an item someone has applied for; a first
#: publication has no cases yet.
TOLD_EVENTS = (ChangeEvent.ADJUSTED, ChangeEvent.CANCELLED)

EVENT_TYPE = "case.item_changed"
#: An in-site message's title is cut to this many characters.
TITLE_LENGTH = cast(int, SiteMessage._meta.get_field("title").max_length)


def _title(name: str, happened: str) -> str:
    """事项“<name>”<happened>, within the in-site message's title length: a long item name
    is shortened with "…", never the words saying what happened (the text has it whole)."""
    room = TITLE_LENGTH - len(f"事项“”{happened}")
    shown = name if len(name) <= room else name[: room - 1] + "…"
    return f"事项“{shown}”{happened}"


def item_link(code: str) -> str:
    """The item's public page (`portal:item`), where the new version's guide is shown, as a
    full address: the text goes by SMS too."""
    try:
        path = reverse("portal:item", args=[code])
    except NoReverseMatch:
        path = f"/items/{code}/"
    return public_url(path)


def change_text(case: Case, change: ItemChange) -> tuple[str, str]:
    """The message's title and text for `case`, in plain Chinese: what changed (the new
    version's number, or the cancellation), what it means for this case, and where to read
    the item now."""
    name = case.version.name
    filed = case.version.number
    link = item_link(change.item.code)
    if change.event == ChangeEvent.CANCELLED:
        title = _title(name, "已取消")
        consequence = (
            f"您的草稿仍按第{filed}版保存，该事项已不再受理新的申请，如不再需要可撤回。"
            if case.state == CaseState.DRAFT
            else f"您已提交的申请仍按第{filed}版办理，如不再需要可撤回。"
        )
        on = change.version.effective_on
        text = f"{your_application(case)}已于{on}取消。{consequence}详见{link}"
        return title, text
    number = change.version.number
    title = _title(name, f"已调整为第{number}版")
    consequence = (
        f"您的草稿仍按第{filed}版填写，可照原样提交；如需按第{number}版申请，请撤回草稿后重新申请。"
        if case.state == CaseState.DRAFT
        else f"您的申请仍按提交时的第{filed}版办理。"
    )
    text = (
        f"{your_application(case)}办事指南已于{change.version.effective_on}调整为第{number}版"
        f"（办理条件、材料、时限或收费可能变化）。{consequence}详见{link}"
    )
    return title, text


def open_cases_for(change: ItemChange) -> Iterable[Case]:
    """The open cases on the changed item filed under an earlier version."""
    return (
        Case.objects.filter(item_id=change.item_id, state__in=OPEN_STATES)
        .exclude(version_id=change.version_id)
        .select_related("version", "applicant", "on_behalf_of__owner")
        .order_by("pk")
        .iterator(chunk_size=500)
    )


def tell_applicants_of_changes(changes: Iterable[ItemChange]) -> int:
    """Enqueue, in the caller's transaction (the one that wrote the `ItemChange` rows), an SMS
    and an in-site message for each open case on each adjusted or cancelled item; returns
    the number of cases told. Idempotent per (case, change)."""
    told = 0
    for change in changes:
        if change.event not in TOLD_EVENTS:
            continue
        for case in open_cases_for(change):
            title, text = change_text(case, change)
            tell_applicant(
                case,
                event_type=EVENT_TYPE,
                title=title,
                text=text,
                key=f"case-item-change:{case.pk}:{change.pk}",
            )
            told += 1
    return told
