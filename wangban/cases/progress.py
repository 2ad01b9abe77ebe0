"""The public progress query (办件进度查询, 大安办法第二十九条: 申请人可以通过受理编号查询
办理进度).

Anyone who knows both the receipt number (受理编号) and the applicant's identity number may
follow a case without signing in: the portal's progress page and `POST /api/v1/progress`
call the two functions below, and nothing else.

- `find_case_for_progress(receipt_no, id_number) -> Case | None`: the case whose receipt
  number is exactly `receipt_no` and whose applicant is identified by `id_number` — for a
  personal case the 居民身份证号码 of its applicant, verified (实名认证 or 现场核验) and
  compared through the keyed digest it is stored under (`wangban.core.pii.digest`, the
  number itself is never decrypted); for a legal person's case (法人) that legal person's
  统一社会信用代码. Both are normalised the way people type them (full-width characters,
  spaces, hyphens, a lower-case x). Anything else is None, whichever part was wrong, so
  that the answer says nothing about which one it was. Receipt numbers exist from
  acceptance on: cases not yet accepted are not found.
- `public_progress(case) -> dict`: only what such a stranger may see — no names, no
  identity numbers, no form data, no materials, no notes or reasons:

  ```
  {"receipt_no": "D01-20260924-00001",
   "item_name": "道路运输经营许可证核发",
   "department": "市交通运输局",          # the implementing department's name
   "state": "in_review", "state_label": "审查中",
   "accepted_on": date(2026, 9, 24),     # datetime.date objects, or None
   "due_date": date(2026, 10, 22),       # the promised due date while the clock runs
   "events": [{"date": date(2026, 9, 24), "action": "accept", "action_label": "受理",
               "state": "in_review", "state_label": "审查中"}, ...]}
  ```

Callers limit how often one client may ask (the API's `public` throttle, the portal's
per-address counter): the two numbers together are the only secret.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.utils import timezone
from django.utils.crypto import constant_time_compare

from wangban.accounts.choices import RealNameLevel
from wangban.accounts.models import Person
from wangban.cases.choices import CaseAction, CaseState, Channel
from wangban.cases.models import Case
from wangban.cases.representation import clock_figures
from wangban.core import pii

#: The longest receipt number (`Case.receipt_no`) and identifier (18 characters) accepted.
MAX_RECEIPT_NO_LENGTH = 64
MAX_ID_NUMBER_LENGTH = 18
_SEPARATORS = re.compile(r"[\s\-]")


def normalise(value: str) -> str:
    """As `wangban.core.identifiers` cleans numbers: NFKC (full-width digits typed on a
    Chinese IME become ASCII), without spaces and hyphens, upper case."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", value or "")).upper()


def find_case_for_progress(receipt_no: str, id_number: str) -> Case | None:
    """The case both numbers identify, or None (see the module's docstring)."""
    receipt = unicodedata.normalize("NFKC", receipt_no or "").strip()
    number = normalise(id_number)
    digest = pii.digest(number)  # always computed: a miss takes as long as a near miss
    if (
        not receipt
        or not number
        or len(receipt) > MAX_RECEIPT_NO_LENGTH
        or len(number) > MAX_ID_NUMBER_LENGTH
        or "\x00" in receipt
    ):
        return None
    case = (
        Case.objects.select_related("item", "version", "department", "on_behalf_of")
        .filter(receipt_no=receipt)
        .first()
    )
    if case is None:
        return None
    if case.on_behalf_of is not None:
        matches = constant_time_compare(case.on_behalf_of.credit_code.upper(), number)
    else:
        # The number identifies the applicant once it was verified online, or checked
        # against the card by the clerk who registered the application at a window.
        person = Person.objects.filter(user_id=case.applicant_id).first()
        matches = (
            person is not None
            and (
                person.real_name_level >= RealNameLevel.IDENTITY_VERIFIED
                or case.channel == Channel.WINDOW
            )
            and constant_time_compare(person.id_number_digest, digest)
        )
    return case if matches else None


def public_progress(case: Case) -> dict[str, Any]:
    """What anyone who knows the receipt and identity numbers may see of `case`."""
    figures = clock_figures(case, timezone.localdate())
    return {
        "receipt_no": case.receipt_no,
        "item_name": case.version.name,
        "department": case.department.name,
        "state": case.state,
        "state_label": CaseState(case.state).label,
        "accepted_on": case.accepted_on,
        "due_date": figures.due_date,
        "events": [
            {
                "date": timezone.localdate(event.at),
                "action": event.action,
                "action_label": CaseAction(event.action).label,
                "state": event.to_state,
                "state_label": CaseState(event.to_state).label,
            }
            for event in case.events.order_by("id")
        ],
    }
