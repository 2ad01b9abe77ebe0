"""Fixes from the review: Unicode digits in identifiers, holiday audit object ids, concurrent
holiday creation."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from wangban.accounts import actions as account_actions
from wangban.audit.models import AuditEvent
from wangban.core.actions import do_change_holidays
from wangban.core.calendar import HolidayEntry
from wangban.core.errors import Conflict, InvalidInput
from wangban.core.identifiers import (
    clean_credit_code,
    clean_mobile,
    clean_organisation_code,
    clean_resident_id,
)
from wangban.core.models import HolidayRow

FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
PASSWORD = "a-good-long-password-2"


def test_full_width_digits_are_normalised_to_ascii() -> None:
    assert clean_resident_id("11010519491231002X".translate(FULL_WIDTH)) == "11010519491231002X"
    assert clean_credit_code("91350100M000100Y43".translate(FULL_WIDTH)) == "91350100M000100Y43"
    assert clean_organisation_code("M000100Y-4".translate(FULL_WIDTH)) == "M000100Y4"
    assert clean_mobile("13800138000".translate(FULL_WIDTH)) == "13800138000"


def test_arabic_indic_digits_are_refused() -> None:
    # NFKC keeps these (they are digits of another script), str.isdigit() accepts them.
    with pytest.raises(InvalidInput) as error:
        clean_resident_id("11010519491231002X".translate(ARABIC_INDIC))
    assert error.value.message == "身份证号码前 17 位应为数字，最后一位为数字或 X。"
    with pytest.raises(InvalidInput) as error:
        clean_credit_code("91" + "350100".translate(ARABIC_INDIC) + "M000100Y43")
    assert error.value.message == "统一社会信用代码第 3 至 8 位应为行政区划码（数字）。"
    with pytest.raises(InvalidInput) as error:
        clean_organisation_code("M000100Y-4".translate(ARABIC_INDIC))
    assert error.value.message == "组织机构代码应为 9 位：8 位数字或大写字母，加 1 位校验码。"
    with pytest.raises(InvalidInput) as error:
        clean_mobile("13800138000".translate(ARABIC_INDIC))
    assert error.value.message == "手机号码应为 11 位数字，以 1 开头。"


@pytest.mark.django_db
def test_a_full_width_id_number_cannot_register_twice() -> None:
    number = "11010519491231002X"
    account_actions.do_register_person(
        username="zhangsan",
        password=PASSWORD,
        real_name="张三",
        id_number=number,
        phone="13800138000",
    )
    with pytest.raises(InvalidInput) as error:
        account_actions.do_register_person(
            username="zhangsan2",
            password=PASSWORD,
            real_name="张三",
            id_number=number.translate(FULL_WIDTH),
            phone="13800138001",
        )
    assert error.value.fields == {"id_number": ["该身份证号码已注册，请直接登录或找回密码。"]}


@pytest.mark.django_db
def test_a_change_spanning_many_years_is_audited_with_a_year_range() -> None:
    entries = [HolidayEntry(date(year, 1, 1), "off", "元旦") for year in range(2027, 2046)]
    summary = do_change_holidays(entries)

    assert len(summary.created) == 19
    event = AuditEvent.objects.get(action="holiday.change")
    assert event.object_id == "2027-2045"
    assert sorted(event.after or {}) == [f"{year}-01-01" for year in range(2027, 2046)]


@pytest.mark.django_db
def test_a_row_created_concurrently_is_a_conflict(monkeypatch: Any) -> None:
    # Another transaction inserted the row after our lock query found nothing: the lock
    # query is made to see nothing, as it would have at that moment.
    HolidayRow.objects.create(date=date(2027, 1, 1), kind="off", name="元旦")
    monkeypatch.setattr(HolidayRow.objects, "select_for_update", HolidayRow.objects.none)

    with pytest.raises(Conflict) as error:
        do_change_holidays([HolidayEntry(date(2027, 1, 1), "off", "元旦节")])

    assert error.value.code == "holidays_changed_concurrently"
    assert error.value.message == "节假日安排已被他人同时修改，请重试。"
    assert list(HolidayRow.objects.values_list("name", flat=True)) == ["元旦"]
    assert not AuditEvent.objects.filter(action="holiday.change").exists()
