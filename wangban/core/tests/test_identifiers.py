from __future__ import annotations

import pytest

from wangban.core.errors import InvalidInput
from wangban.core.identifiers import (
    clean_credit_code,
    clean_mobile,
    clean_organisation_code,
    clean_resident_id,
    mask_resident_id,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("11010519491231002X", "11010519491231002X"),
        ("11010519491231002x", "11010519491231002X"),
        (" 110105 19491231 002X ", "11010519491231002X"),
        ("440524188001010014", "440524188001010014"),
    ],
)
def test_valid_resident_ids_are_normalised(raw: str, expected: str) -> None:
    assert clean_resident_id(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("1101051949123100", "身份证号码应为 18 位，您输入了 16 位。"),
        ("11010519491231002X1", "身份证号码应为 18 位，您输入了 19 位。"),
        ("", "身份证号码应为 18 位，您输入了 0 位。"),
        ("1101051949123100AX", "身份证号码前 17 位应为数字，最后一位为数字或 X。"),
        ("11010519491331002X", "身份证号码中的出生日期无效。"),
        ("110105194902300020", "身份证号码中的出生日期无效。"),
        ("110105194912310021", "身份证号码校验码不正确，请核对后重新输入。"),
    ],
)
def test_invalid_resident_ids_say_which_check_failed(raw: str, message: str) -> None:
    with pytest.raises(InvalidInput) as error:
        clean_resident_id(raw)
    assert error.value.message == message
    assert error.value.fields == {"id_number": [message]}


def test_valid_credit_code() -> None:
    assert clean_credit_code("91350100m000100y43") == "91350100M000100Y43"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("91350100M000100Y4", "统一社会信用代码应为 18 位，您输入了 17 位。"),
        ("91AB0100M000100Y43", "统一社会信用代码第 3 至 8 位应为行政区划码（数字）。"),
        ("91350100I000100Y43", "统一社会信用代码含有不允许的字符（不使用 I、O、Z、S、V）。"),
        ("91350100M000100Y4X", "统一社会信用代码校验码不正确，请核对后重新输入。"),
    ],
)
def test_invalid_credit_codes_say_which_check_failed(raw: str, message: str) -> None:
    with pytest.raises(InvalidInput) as error:
        clean_credit_code(raw)
    assert error.value.message == message


def test_organisation_code_with_or_without_hyphen() -> None:
    assert clean_organisation_code("M000100Y-4") == "M000100Y4"
    with pytest.raises(InvalidInput):
        clean_organisation_code("M0001")


def test_mobile_numbers() -> None:
    assert clean_mobile("+86 138 0013 8000") == "13800138000"
    for bad in ["1380013800", "23800138000", "138001380001", "abc"]:
        with pytest.raises(InvalidInput) as error:
            clean_mobile(bad)
        assert error.value.message == "手机号码应为 11 位数字，以 1 开头。"


def test_mask_hides_the_birth_date() -> None:
    assert mask_resident_id("11010519491231002X") == "110105********002X"
