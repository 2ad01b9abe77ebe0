"""In-site messages (站内信): the `site` channel writes the inbox row once, every step of an
application tells the applicant by SMS and in-site message, and the inbox page."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from wangban.accounts.models import AgentGrant, LegalPerson, User
from wangban.accounts.tests.helpers import phone_for, verified
from wangban.cases import actions
from wangban.cases.models import Case, CaseEvent
from wangban.cases.tests.helpers import at, item, pdf, submitted_case
from wangban.catalog.tests.helpers import CODE
from wangban.conftest import City
from wangban.notify.actions import enqueue_site_message, mark_site_messages_read
from wangban.notify.delivery import deliver_due
from wangban.notify.models import Message, SiteMessage

pytestmark = pytest.mark.django_db

ITEMS = [{"material_code": "M02", "reason": "营业执照已过有效期。"}]


def site_message(user: User, key: str, *, title: str = "申请已受理", link: str = "") -> Message:
    with transaction.atomic():
        return enqueue_site_message(
            user, event_type="case.accept", title=title, body="正文", link=link, key=key
        )


def keys_of(case: Case) -> list[tuple[str, str, str]]:
    """(action, channel, recipient) of the outbox messages of each step, in order."""
    rows = []
    for event in CaseEvent.objects.filter(case=case).order_by("id"):
        for message in Message.objects.filter(key__startswith=f"case-event:{event.pk}:").order_by(
            "key"
        ):
            rows.append((event.action, message.channel, message.recipient))
    return rows


def test_the_site_channel_writes_the_inbox_row_once(city: City) -> None:
    message = site_message(city.applicant, "test:1", link="/cases/abc/")

    assert deliver_due() == Counter({"sent": 1})
    [row] = SiteMessage.objects.all()
    assert (row.recipient, row.message, row.title, row.body, row.link, row.read_at) == (
        city.applicant,
        message,
        "申请已受理",
        "正文",
        "/cases/abc/",
        None,
    )
    assert row.created_at == message.created_at

    # A worker that wrote the row and died before recording it: the lease runs out and the
    # message is delivered again, without a second row.
    Message.objects.filter(pk=message.pk).update(
        state="sending", next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    assert deliver_due() == Counter({"sent": 1})
    assert SiteMessage.objects.count() == 1
    assert Message.objects.get(pk=message.pk).attempts == 2


def test_a_message_to_an_account_that_is_gone_is_dead_at_once(city: City) -> None:
    with transaction.atomic():
        enqueue_site_message(
            city.applicant, event_type="case.accept", title="标题", body="正文", key="test:2"
        )
    Message.objects.filter(key="test:2").update(recipient="999999")

    assert deliver_due() == Counter({"dead": 1})
    assert Message.objects.get(key="test:2").last_error == "收件人账号不存在"
    assert not SiteMessage.objects.exists()


def test_bad_site_messages_are_refused(city: City) -> None:
    for link in ("https://elsewhere.example/", "//elsewhere.example/", "/\\elsewhere.example"):
        with pytest.raises(ValueError, match="path on this site"):
            site_message(city.applicant, "test:3", link=link)
    with pytest.raises(ValueError, match="title"):
        site_message(city.applicant, "test:4", title=" ")
    assert not Message.objects.exists()


def test_every_step_tells_the_applicant_by_sms_and_in_site_message(city: City) -> None:
    item(city)
    applicant = verified("zhang", 1)
    phone = phone_for(1)
    uid = str(applicant.pk)
    with time_machine.travel(at(2026, 6, 1, 10, 0), tick=False):
        case = submitted_case(city, actor=applicant)
        actions.do_sign_in(case, actor=city.transport_clerk)
        actions.do_request_correction(case, actor=city.transport_clerk, items=ITEMS)
        actions.do_attach_material(case, actor=applicant, material_code="M02", upload=pdf())
        actions.do_resubmit(case, actor=applicant)
        actions.do_accept(case, actor=city.transport_clerk)
        rejected = submitted_case(city, actor=applicant)
        actions.do_reject(rejected, actor=city.transport_clerk, reason="不属于本机关职权范围。")
        terminated = submitted_case(city, actor=applicant)
        actions.do_request_correction(terminated, actor=city.transport_clerk, items=ITEMS)
        deemed = submitted_case(city, actor=applicant)
    with time_machine.travel(at(2026, 6, 9, 10, 0), tick=False):
        actions.do_terminate(terminated, actor=city.transport_clerk, reason="逾期未补正。")
        actions.do_deem_accept_due()

    assert keys_of(case) == [
        ("submit", "site", uid),
        ("submit", "sms", phone),
        ("request_correction", "site", uid),
        ("request_correction", "sms", phone),
        ("resubmit", "site", uid),
        ("resubmit", "sms", phone),
        ("accept", "site", uid),
        ("accept", "sms", phone),
    ]
    assert keys_of(rejected)[-2:] == [("reject", "site", uid), ("reject", "sms", phone)]
    assert keys_of(terminated)[-2:] == [("terminate", "site", uid), ("terminate", "sms", phone)]
    assert keys_of(deemed)[-2:] == [("deem_accept", "site", uid), ("deem_accept", "sms", phone)]

    deliver_due()
    inbox = list(
        SiteMessage.objects.filter(recipient=applicant)
        .order_by("created_at", "pk")
        .values_list("title", "link")
    )
    link = f"/cases/{case.pk}/"
    assert inbox[:4] == [
        ("申请已提交", link),
        ("请补正申请材料", link),
        ("补正材料已提交", link),
        ("申请已受理", link),
    ]
    assert sorted(title for title, _ in inbox[4:]) == sorted(
        [
            *("申请已提交", "申请不予受理"),  # rejected
            *("申请已提交", "请补正申请材料", "申请已终止办理"),  # terminated
            *("申请已提交", "申请已视为受理"),  # deemed accepted
        ]
    )
    accepted = SiteMessage.objects.get(recipient=applicant, title="申请已受理")
    receipt_no = Case.objects.get(pk=case.pk).receipt_no
    assert accepted.body == f"您申请的“道路运输经营许可证核发”已受理，受理编号 {receipt_no}。"


def test_a_legal_persons_case_reaches_the_agent_and_the_company_account(city: City) -> None:
    item(city)
    owner = verified("boss", 1)
    agent = verified("agent", 2)
    company = LegalPerson.objects.create(
        name="某某运输有限公司",
        credit_code="91110000600037341L",
        representative_name="王五",
        owner=owner,
    )
    today = timezone.localdate()
    AgentGrant.objects.create(
        legal_person=company,
        agent=agent,
        granted_by=owner,
        all_items=False,
        item_codes=[CODE],
        valid_from=today - timedelta(days=1),
        valid_to=today + timedelta(days=30),
    )

    case = submitted_case(city, actor=agent, on_behalf_of=company)

    assert sorted(keys_of(case)) == sorted(
        [
            ("submit", "site", str(agent.pk)),
            ("submit", "site", str(owner.pk)),
            ("submit", "sms", phone_for(2)),  # the SMS to whoever filed it
        ]
    )


def test_a_repeated_step_sends_nothing_twice(city: City) -> None:
    item(city)
    applicant = verified("zhang", 1)
    case = submitted_case(city, actor=applicant)
    event = CaseEvent.objects.get(case=case, action="submit")
    from wangban.cases.notifications import tell_applicant

    before = Message.objects.count()
    with transaction.atomic():
        tell_applicant(
            case,
            event_type="case.submit",
            title="申请已提交",
            text="重复",
            key=f"case-event:{event.pk}",
        )
    assert Message.objects.count() == before


# --- the inbox page -----------------------------------------------------------------------


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_inbox_lists_my_messages_newest_first_with_the_unread_marked(city: City) -> None:
    other = User.objects.create_user("other", password="applicant-password-2")
    for number in range(1, 4):
        with time_machine.travel(at(2026, 6, number, 10, 0), tick=False):
            site_message(city.applicant, f"test:{number}", title=f"消息{number}", link="/cases/c1/")
    site_message(other, "test:other", title="别人的消息")
    deliver_due()
    SiteMessage.objects.filter(title="消息1").update(read_at=timezone.now())

    response = signed_in(city.applicant).get(reverse("portal:messages"))

    assert response.status_code == 200
    assert [m.title for m in response.context["page"].object_list] == ["消息3", "消息2", "消息1"]
    html = response.content.decode()
    assert "别人的消息" not in html
    assert html.count("【未读】") == 2
    assert "您有 2 条未读消息。" in html
    assert 'href="/cases/c1/"' in html
    assert (
        '消息 <span aria-hidden="true">(2)</span><span class="visually-hidden">，2 条未读</span>'
        in html
    )


def test_the_inbox_is_paginated(city: City) -> None:
    with transaction.atomic():
        for number in range(25):
            enqueue_site_message(
                city.applicant,
                event_type="case.accept",
                title=f"消息{number:02d}",
                body="正文",
                key=f"test:page:{number}",
            )
    deliver_due()
    client = signed_in(city.applicant)

    first = client.get(reverse("portal:messages"))
    second = client.get(reverse("portal:messages"), {"page": 2})

    assert len(first.context["page"].object_list) == 20
    assert [m.title for m in second.context["page"].object_list] == [
        f"消息{number:02d}" for number in range(4, -1, -1)
    ]
    assert "第 2 / 2 页" in second.content.decode()


def test_mark_all_read_marks_only_my_messages(city: City) -> None:
    other = User.objects.create_user("other", password="applicant-password-2")
    site_message(city.applicant, "test:1")
    site_message(city.applicant, "test:2")
    site_message(other, "test:3")
    deliver_due()
    client = signed_in(city.applicant)

    response = client.post(reverse("portal:messages-read"))

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:messages")
    assert SiteMessage.objects.filter(recipient=city.applicant).unread().count() == 0
    assert SiteMessage.objects.filter(recipient=other).unread().count() == 1
    page = client.get(reverse("portal:messages")).content.decode()
    assert "已将 2 条消息标为已读。" in page
    assert "【未读】" not in page
    assert "条未读" not in page
    assert mark_site_messages_read(city.applicant) == 0


def test_the_inbox_needs_a_signed_in_user_and_mark_read_a_post(city: City) -> None:
    response = Client().get(reverse("portal:messages"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))
    assert Client().post(reverse("portal:messages-read")).status_code == 302
    assert signed_in(city.applicant).get(reverse("portal:messages-read")).status_code == 405
