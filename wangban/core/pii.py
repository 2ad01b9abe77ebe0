"""Personal data at rest: encrypted with SM4-GCM, found through a keyed SM3 digest.

Keys come from settings (`WANGBAN_PII_KEYS`, `WANGBAN_PII_DIGEST_KEY`; see README). Each
ciphertext names its key id, so a new key can be put first while old rows stay readable
(rotation); the digest key never rotates, because it is how rows are looked up.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from functools import cache

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

SCHEME = "sm4gcm"
NONCE_BYTES = 12
TAG_BYTES = 16


def _derived(purpose: str) -> bytes:
    """A key derived from SECRET_KEY: allowed only in demo and debug mode."""
    return hashlib.sha256(f"wangban-{purpose}:{settings.SECRET_KEY}".encode()).digest()[:16]


@cache
def _keys() -> tuple[str, dict[str, bytes]]:
    """(current key id, {key id: 16-byte key}) from `WANGBAN_PII_KEYS`."""
    configured = getattr(settings, "WANGBAN_PII_KEYS", "")
    if not configured:
        if not (settings.DEMO or settings.DEBUG):
            raise ImproperlyConfigured("WANGBAN_PII_KEYS must be set outside demo mode.")
        return "demo", {"demo": _derived("pii")}
    keys: dict[str, bytes] = {}
    for entry in configured.split(","):
        key_id, _, encoded = entry.strip().partition(":")
        key = base64.b64decode(encoded)
        if len(key) != 16 or not key_id:
            raise ImproperlyConfigured("WANGBAN_PII_KEYS entries are id:base64(16 bytes).")
        keys[key_id] = key
    return next(iter(keys)), keys


@cache
def _digest_key() -> bytes:
    configured = getattr(settings, "WANGBAN_PII_DIGEST_KEY", "")
    if not configured:
        if not (settings.DEMO or settings.DEBUG):
            raise ImproperlyConfigured("WANGBAN_PII_DIGEST_KEY must be set outside demo mode.")
        return _derived("pii-digest")
    return base64.b64decode(configured)


def encrypt(plain: str) -> str:
    key_id, keys = _keys()
    nonce = secrets.token_bytes(NONCE_BYTES)
    encryptor = Cipher(algorithms.SM4(keys[key_id]), modes.GCM(nonce)).encryptor()
    body = encryptor.update(plain.encode()) + encryptor.finalize()
    packed = base64.b64encode(nonce + body + encryptor.tag).decode()
    return f"{SCHEME}:{key_id}:{packed}"


def decrypt(token: str) -> str:
    scheme, key_id, packed = token.split(":", 2)
    if scheme != SCHEME:
        raise ValueError(f"unknown PII scheme {scheme!r}")
    raw = base64.b64decode(packed)
    nonce, body, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
    decryptor = Cipher(algorithms.SM4(_keys()[1][key_id]), modes.GCM(nonce, tag)).decryptor()
    return (decryptor.update(body) + decryptor.finalize()).decode()


def digest(plain: str) -> str:
    """Keyed HMAC-SM3 of a normalised value: equal values find each other, nothing else."""
    mac = hmac.HMAC(_digest_key(), hashes.SM3())
    mac.update(plain.strip().upper().encode())
    return mac.finalize().hex()


def new_key() -> str:
    """A fresh base64 key for WANGBAN_PII_KEYS or WANGBAN_PII_DIGEST_KEY."""
    return base64.b64encode(secrets.token_bytes(16)).decode()
