"""The applicant's full identity number for the clerks who handle the application.

A clerk checks the number against the card at the window and on the application, so the
clerks of the case's accepting department may unmask it — for that case only, audited with
the case (DESIGN.md §5 "Identifiers": every unmasked view is audited).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from wangban.accounts.actions import reveal_id_number
from wangban.accounts.models import Person
from wangban.cases.access import access_case, is_queue_clerk
from wangban.core.errors import Forbidden, NotFound


def do_reveal_applicant_id_number(
    case_id: str, *, actor: Any, request: HttpRequest | None = None
) -> str:
    """The unmasked identity number of the case's applicant, for a clerk of its accepting
    department (404 when the case is not seen as staff — the workbench's, where a clerk who is
    only its applicant does not see it —, 403 for other viewers)."""
    case = access_case(case_id, actor, as_staff=True)
    if not is_queue_clerk(case, actor):
        raise Forbidden("只有受理该办件的窗口人员可以查看申请人完整的身份证号码。")
    person = Person.objects.filter(user_id=case.applicant_id).first()
    if person is None or not person.id_number_encrypted:
        raise NotFound("申请人未登记身份证号码。", code="id_number_not_found")
    return reveal_id_number(person, actor=actor, request=request, case=case.pk)
