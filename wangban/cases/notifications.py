"""Telling the applicant: a text message (短信) and an in-site message (站内信) for each step
of their application, put into the notify outbox in the transaction of the step.

大安办法第二十七条 asks for results "通过网上和手机短信即时向申办人反馈"; the same two
channels carry every other step here (submission, correction notice, acceptance, rejection,
termination, the correction reminder). Each message has its own idempotency key, derived
from what it announces, so a repeated step or a re-run job never sends one twice.
"""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, reverse

from wangban.accounts.models import Person
from wangban.cases.access import is_applicant_side
from wangban.cases.models import Case
from wangban.notify.actions import enqueue_messages, outbox_message, site_message
from wangban.notify.choices import MessageChannel


def _phone_of(user: Any) -> str:
    """The account's mobile number, else the verified person's."""
    if user.phone:
        return str(user.phone)
    phones = Person.objects.filter(user_id=user.pk).values_list("phone", flat=True)
    return str(phones.first() or "")


def _applicant_still_acts(case: Case) -> bool:
    """The applicant is still on the case's side: always for a personal case; for a legal
    person's, while they own it or their agent grant for the item is in force. An agent
    whose grant ended hears no more of the company's case (it is no longer theirs to see)."""
    return case.on_behalf_of is None or is_applicant_side(case, case.applicant)


def applicant_phone(case: Case) -> str:
    """Where the case's text messages go: the applicant's phone while they act for the
    case, else the legal person's owner's."""
    if _applicant_still_acts(case):
        return _phone_of(case.applicant)
    owner = case.on_behalf_of.owner if case.on_behalf_of is not None else None
    return _phone_of(owner) if owner is not None else ""


def inbox_recipients(case: Case) -> list[Any]:
    """Whose inbox hears about the case: the applicant (who filed it, or for whom a clerk
    registered it at a window) while they act for it and, for a legal person's case, the
    legal person's own account too."""
    recipients = [case.applicant] if _applicant_still_acts(case) else []
    owner = case.on_behalf_of.owner if case.on_behalf_of is not None else None
    if owner is not None and owner.pk != case.applicant_id:
        recipients.append(owner)
    return recipients


def your_application(case: Case) -> str:
    """How a message names the case: 您申请的“<item>”, and once accepted its receipt number
    (大安办法第二十九条), so that an applicant with two cases of one item (a company's
    vehicles) tells from the text message which one it is about."""
    words = f"您申请的“{case.version.name}”"
    return f"{words}（受理编号 {case.receipt_no}）" if case.receipt_no else words


def case_link(case_id: str) -> str:
    """The case's page in the portal (`portal:case`); `/cases/<id>/` until that page is
    mounted under that name."""
    try:
        return reverse("portal:case", args=[case_id])
    except NoReverseMatch:
        return f"/cases/{case_id}/"


def tell_applicant(case: Case, *, event_type: str, title: str, text: str, key: str) -> None:
    """Enqueue `text` as an SMS to the applicant's phone (key `{key}:sms`, none without a
    phone) and as an in-site message titled `title` with a link to the case to every inbox
    recipient (key `{key}:site:{user id}`), all in one go. Call it inside the step's
    transaction."""
    messages = [
        site_message(
            user,
            event_type=event_type,
            title=title,
            body=text,
            link=case_link(case.pk),
            key=f"{key}:site:{user.pk}",
        )
        for user in inbox_recipients(case)
    ]
    phone = applicant_phone(case)
    if phone:
        sms = outbox_message(
            MessageChannel.SMS,
            recipient=phone,
            event_type=event_type,
            payload={"text": text, "case": case.pk},
            key=f"{key}:sms",
        )
        messages.insert(0, sms)
    enqueue_messages(messages)
