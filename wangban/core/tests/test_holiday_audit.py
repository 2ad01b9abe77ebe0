from __future__ import annotations

from datetime import date

import pytest

from wangban.audit.models import AuditEvent
from wangban.core.actions import do_change_holidays
from wangban.core.calendar import HolidayEntry

pytestmark = pytest.mark.django_db


def test_holiday_changes_are_audited_with_before_and_after() -> None:
    do_change_holidays([HolidayEntry(date(2027, 1, 1), "off", "元旦")])
    do_change_holidays([HolidayEntry(date(2027, 1, 1), "off", "元旦节")])
    do_change_holidays(delete=[date(2027, 1, 1)])
    created, updated, deleted = AuditEvent.objects.filter(action="holiday.change").order_by("id")
    assert (created.before, created.after) == ({}, {"2027-01-01": ["off", "元旦"]})
    assert (updated.before, updated.after) == (
        {"2027-01-01": ["off", "元旦"]},
        {"2027-01-01": ["off", "元旦节"]},
    )
    assert (deleted.before, deleted.after) == ({"2027-01-01": ["off", "元旦节"]}, {})
    assert created.object_id == "2027"


def test_an_unchanged_import_writes_no_event() -> None:
    do_change_holidays([HolidayEntry(date(2027, 1, 1), "off", "元旦")])
    do_change_holidays([HolidayEntry(date(2027, 1, 1), "off", "元旦")])
    assert AuditEvent.objects.filter(action="holiday.change").count() == 1
