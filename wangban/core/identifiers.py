"""Chinese identifiers: 居民身份证号码 (GB 11643) and 统一社会信用代码 (GB 32100).

Validation goes through python-stdnum, one check at a time, so that the message tells the
applicant which check failed: length, characters, birth date or check digit.
"""

from __future__ import annotations

import re
import unicodedata

from stdnum.cn import ric, uscc  # GB 11643, GB 32100
from stdnum.exceptions import InvalidChecksum, ValidationError

from wangban.core.errors import InvalidInput

_ORGANISATION_CODE = re.compile(r"^[0-9A-Z]{8}[0-9X]$")
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_DIGITS = re.compile(r"[0-9]+")


def _nfkc(value: str | None) -> str:
    """NFKC form: full-width digits and letters typed on a Chinese IME become ASCII. Other
    Unicode digits (Arabic-Indic, Devanagari…) stay as they are and fail the ASCII-only checks
    below, so the same number cannot be written two ways."""
    return unicodedata.normalize("NFKC", value or "")


def _ascii_digits(text: str) -> bool:
    return _DIGITS.fullmatch(text) is not None


def clean_resident_id(value: str, *, field: str = "id_number") -> str:
    """A valid 18-digit resident identity number in canonical form (upper-case X)."""
    number = re.sub(r"[\s-]", "", _nfkc(value)).upper()

    def refuse(message: str) -> InvalidInput:
        return InvalidInput(message, fields={field: [message]})

    if len(number) != 18:
        raise refuse(f"身份证号码应为 18 位，您输入了 {len(number)} 位。")
    if not (_ascii_digits(number[:17]) and (_ascii_digits(number[17]) or number[17] == "X")):
        raise refuse("身份证号码前 17 位应为数字，最后一位为数字或 X。")
    try:
        ric.get_birth_date(number)
    except ValidationError:
        raise refuse("身份证号码中的出生日期无效。") from None
    if ric.calc_check_digit(number) != number[17]:
        raise refuse("身份证号码校验码不正确，请核对后重新输入。")
    return number


def clean_credit_code(value: str, *, field: str = "credit_code") -> str:
    """A valid 18-character unified social credit code (GB 32100)."""
    code = re.sub(r"[\s-]", "", _nfkc(value)).upper()

    def refuse(message: str) -> InvalidInput:
        return InvalidInput(message, fields={field: [message]})

    if len(code) != 18:
        raise refuse(f"统一社会信用代码应为 18 位，您输入了 {len(code)} 位。")
    if not _ascii_digits(code[2:8]):
        raise refuse("统一社会信用代码第 3 至 8 位应为行政区划码（数字）。")
    try:
        uscc.validate(code)
    except InvalidChecksum:
        raise refuse("统一社会信用代码校验码不正确，请核对后重新输入。") from None
    except ValidationError:
        raise refuse("统一社会信用代码含有不允许的字符（不使用 I、O、Z、S、V）。") from None
    return code


def clean_organisation_code(value: str, *, field: str = "organisation_code") -> str:
    """A 9-character 组织机构代码 (GB 11714), accepted with or without its hyphen."""
    code = _nfkc(value).replace("-", "").strip().upper()
    if not _ORGANISATION_CODE.fullmatch(code):
        message = "组织机构代码应为 9 位：8 位数字或大写字母，加 1 位校验码。"
        raise InvalidInput(message, fields={field: [message]})
    return code


def clean_mobile(value: str, *, field: str = "phone") -> str:
    number = _nfkc(value).strip().replace(" ", "").removeprefix("+86")
    if not _MOBILE.fullmatch(number):
        message = "手机号码应为 11 位数字，以 1 开头。"
        raise InvalidInput(message, fields={field: [message]})
    return number


def mask_resident_id(number: str) -> str:
    """`110105********002X`: region and last four shown, birth date hidden."""
    return number[:6] + "*" * (len(number) - 10) + number[-4:]
