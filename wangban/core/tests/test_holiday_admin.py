"""The holiday rows in the admin: warnings, and every write through the action."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest
import time_machine
from django.test import Client

from wangban.accounts.models import User
from wangban.core.actions import do_change_holidays
from wangban.core.calendar import (
    OFF,
    SHANGHAI,
    HolidayEntry,
    add_working_days,
    invalidate_calendar_cache,
    is_working_day,
)
from wangban.core.models import HolidayCalendarVersion, HolidayRow

CHANGELIST = "/admin/core/holidayrow/"
WARNING_2027 = "2027 年的节假日安排尚未导入。"


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    invalidate_calendar_cache()
    yield
    invalidate_calendar_cache()


@pytest.fixture
def superuser(django_user_model: type[User]) -> User:
    return django_user_model.objects.create_user(
        "centre-admin", password="a-long-test-password", is_staff=True, is_superuser=True
    )


@pytest.fixture
def superuser_client(client: Client, superuser: User) -> Client:
    client.force_login(superuser)
    return client


def version() -> int:
    row = HolidayCalendarVersion.objects.filter(pk=1).first()
    return row.version if row else 0


@pytest.mark.django_db
def test_the_changelist_warns_about_a_missing_2027_from_november(superuser_client: Client) -> None:
    with time_machine.travel(datetime(2026, 11, 2, 10, tzinfo=SHANGHAI), tick=False):
        response = superuser_client.get(CHANGELIST)
    assert response.status_code == 200
    assert WARNING_2027 in response.content.decode()
    messages = [str(m) for m in response.context["messages"]]
    assert len(messages) == 1
    assert messages[0].startswith(WARNING_2027)


@pytest.mark.django_db
def test_no_warning_before_november(superuser_client: Client) -> None:
    with time_machine.travel(datetime(2026, 10, 31, 10, tzinfo=SHANGHAI), tick=False):
        response = superuser_client.get(CHANGELIST)
    assert response.status_code == 200
    assert "尚未导入" not in response.content.decode()


@pytest.mark.django_db
def test_no_warning_once_2027_has_a_row(superuser_client: Client) -> None:
    do_change_holidays([HolidayEntry(date(2027, 1, 1), OFF, "元旦")])
    with time_machine.travel(datetime(2026, 11, 2, 10, tzinfo=SHANGHAI), tick=False):
        response = superuser_client.get(CHANGELIST)
    assert response.status_code == 200
    assert "尚未导入" not in response.content.decode()
    assert "2027年1月1日" in response.content.decode()


@pytest.mark.django_db
def test_adding_a_row_in_the_admin_goes_through_the_action(
    superuser_client: Client, superuser: User
) -> None:
    assert add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 1)
    response = superuser_client.post(
        f"{CHANGELIST}add/", {"date": "2027-01-01", "kind": "off", "name": "元旦"}
    )
    assert response.status_code == 302
    row = HolidayRow.objects.get()
    assert (row.date, row.kind, row.name) == (date(2027, 1, 1), OFF, "元旦")
    assert row.updated_by == superuser
    assert version() == 1
    assert add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)
    with time_machine.travel(datetime(2026, 11, 2, 10, tzinfo=SHANGHAI), tick=False):
        response = superuser_client.get(CHANGELIST)
    assert "尚未导入" not in response.content.decode()


@pytest.mark.django_db
def test_a_duplicate_date_is_refused_by_the_form(superuser_client: Client) -> None:
    do_change_holidays([HolidayEntry(date(2027, 1, 1), OFF, "元旦")])
    response = superuser_client.post(
        f"{CHANGELIST}add/", {"date": "2027-01-01", "kind": "work", "name": "调休"}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["date"]
    assert HolidayRow.objects.get().kind == OFF
    assert version() == 1


@pytest.mark.django_db
def test_editing_a_row_in_the_admin_goes_through_the_action(superuser_client: Client) -> None:
    do_change_holidays([HolidayEntry(date(2027, 1, 4), OFF, "补假")])
    row = HolidayRow.objects.get()
    assert is_working_day(date(2027, 1, 4)) is False
    response = superuser_client.post(
        f"{CHANGELIST}{row.pk}/change/", {"date": "2027-01-04", "kind": "work", "name": "调休"}
    )
    assert response.status_code == 302
    assert is_working_day(date(2027, 1, 4)) is True
    assert version() == 2
    # Moving the row to another date frees the old one.
    response = superuser_client.post(
        f"{CHANGELIST}{row.pk}/change/", {"date": "2027-01-05", "kind": "off", "name": "补假"}
    )
    assert response.status_code == 302
    assert list(HolidayRow.objects.values_list("date", "kind")) == [(date(2027, 1, 5), OFF)]
    assert is_working_day(date(2027, 1, 4)) is True  # a Monday, back to the fallback
    assert is_working_day(date(2027, 1, 5)) is False
    assert version() == 3


@pytest.mark.django_db
def test_deleting_in_the_admin_goes_through_the_action(superuser_client: Client) -> None:
    do_change_holidays(
        [
            HolidayEntry(date(2027, 1, 1), OFF, "元旦"),
            HolidayEntry(date(2027, 1, 4), OFF, "补假"),
            HolidayEntry(date(2027, 1, 5), OFF, "补假"),
        ]
    )
    first = HolidayRow.objects.get(date=date(2027, 1, 1))
    response = superuser_client.post(f"{CHANGELIST}{first.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert is_working_day(date(2027, 1, 1)) is True
    assert version() == 2
    others = list(HolidayRow.objects.values_list("pk", flat=True))
    response = superuser_client.post(
        CHANGELIST,
        {"action": "delete_selected", "_selected_action": others, "post": "yes"},
    )
    assert response.status_code == 302
    assert HolidayRow.objects.count() == 0
    assert is_working_day(date(2027, 1, 4)) is True
    assert version() == 3


@pytest.mark.django_db
def test_staff_without_permission_cannot_see_the_rows(
    client: Client, django_user_model: type[User]
) -> None:
    user = django_user_model.objects.create_user("clerk", is_staff=True)
    client.force_login(user)
    assert client.get(CHANGELIST).status_code == 403
