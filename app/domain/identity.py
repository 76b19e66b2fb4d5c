"""Checksums of Chinese identity numbers: resident ID (GB 11643) and credit code (GB 32100)."""
from __future__ import annotations

import re
from datetime import date

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_PATTERN = re.compile(r"^[1-9]\d{16}[\dX]$")

# GB 32100-2015 alphabet: digits and capitals without I, O, Z, S, V.
_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_PATTERN = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def normalize_id_number(value: str) -> str:
    return value.strip().upper()


def id_number_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def id_number_error(value: str) -> str | None:
    """Why an 18-character resident ID number is invalid, in Chinese; None when valid."""
    number = normalize_id_number(value)
    if not _ID_PATTERN.match(number):
        return "身份证号应为18位，前17位为数字，末位为数字或X"
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return "身份证号中的出生日期无效"
    if birth.year < 1900 or birth > date.today():
        return "身份证号中的出生日期无效"
    if id_number_check_char(number[:17]) != number[17]:
        return "身份证号校验位错误"
    return None


def gender_from_id_number(value: str) -> str:
    """'male' or 'female' from the 17th digit (odd is male)."""
    return "male" if int(normalize_id_number(value)[16]) % 2 else "female"


def normalize_credit_code(value: str) -> str:
    return value.strip().upper()


def credit_code_check_char(first17: str) -> str:
    total = sum(_CREDIT_ALPHABET.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return _CREDIT_ALPHABET[(31 - total % 31) % 31]


def credit_code_error(value: str) -> str | None:
    """Why a unified social credit code is invalid, in Chinese; None when valid."""
    code = normalize_credit_code(value)
    if len(code) != 18:
        return "统一社会信用代码应为18位"
    if not _CREDIT_PATTERN.match(code):
        return "统一社会信用代码含有不允许的字符（不使用I、O、Z、S、V）"
    if credit_code_check_char(code[:17]) != code[17]:
        return "统一社会信用代码校验位错误"
    return None


def normalize_phone(value: str) -> str:
    digits = re.sub(r"[\s-]", "", value.strip())
    return digits[3:] if digits.startswith("+86") else digits


def phone_error(value: str) -> str | None:
    if not re.fullmatch(r"1[3-9]\d{9}", normalize_phone(value)):
        return "手机号应为11位中国大陆手机号"
    return None
