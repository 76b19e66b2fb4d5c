"""Personal information at rest: Fernet encryption, a keyed hash for exact lookup, masking.

ID numbers and phones are stored encrypted (cryptography's MultiFernet, so keys can rotate:
the first key encrypts, all decrypt) next to an HMAC-SHA256 of the normalised value, which is
what exact-match search compares. Serializers show values only through the mask helpers.
"""
from __future__ import annotations

import hashlib
import hmac
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import String
from sqlalchemy.types import TypeDecorator


class PIICipher:
    def __init__(self, keys: list[str], hash_key: str) -> None:
        self._fernet = MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])
        self._hash_key = hash_key.encode()

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:  # a wrong key must never look like empty data
            raise RuntimeError("PII could not be decrypted with the configured PII_KEYS") from exc

    def lookup_hash(self, value: str) -> str:
        return hmac.new(self._hash_key, value.encode(), hashlib.sha256).hexdigest()


_cipher: PIICipher | None = None


def configure(keys: list[str], hash_key: str) -> None:
    global _cipher
    _cipher = PIICipher(keys, hash_key)


def cipher() -> PIICipher:
    if _cipher is None:
        raise RuntimeError("PII cipher used before create_app() configured it")
    return _cipher


class EncryptedString(TypeDecorator):
    """A column holding a Fernet token; Python sees the plaintext."""

    impl = String(255)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else cipher().encrypt(str(value))

    def process_result_value(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else cipher().decrypt(value)


def lookup_hash(value: str) -> str:
    return cipher().lookup_hash(value)


def mask_id_number(value: str | None) -> str | None:
    """110101199003070839 -> 110101********0839"""
    if not value:
        return value
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str | None:
    """13312345660 -> 133****5660"""
    if not value:
        return value
    if len(value) < 8:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str | None) -> str | None:
    """张三丰 -> 张*丰 ; 李四 -> 李*"""
    if not value:
        return value
    if len(value) == 1:
        return value
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]
