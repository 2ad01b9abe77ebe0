"""Sealing a document and checking a seal stamp (电子签章与验章).

A stamp is what a sealed document carries: the seal's key id, the SM3 digest of the document
and the SM2 signature of that digest (`wangban.core.signing`: SM2 with SM3, Z over the
default user id, DER). What is signed is the 32 bytes of the digest, so anyone can check a
stamp from the document alone, with this module or with OpenSSL (docs/seals.md):

    digest = SM3(document)                       # 64 hexadecimal characters
    signature = SM2-sign(private key, digest)    # over SM3(Z ‖ digest), DER, hexadecimal

`sealed_at` is when the stamp was made, kept beside it; it is not part of what is signed.
Checking needs no secret: the public key is found by key id, active or retired, so rotation
(`actions.do_rotate_seal`) never breaks a document sealed before it. A retired key is never
used to seal again, so a valid signature under it was made while it was in use.

The rule: 大安办法第二十六条 (the decision document bearing the department's electronic seal
ends the procedure and the clock).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from wangban.accounts.models import Department
from wangban.certificates.choices import SealPurpose, VerificationCode
from wangban.certificates.models import Seal
from wangban.certificates.queries import active_seal, seal_by_key_id
from wangban.core import signing
from wangban.core.errors import Conflict

_DIGEST = re.compile(r"^[0-9a-f]{64}$")


class SealIntegrityError(RuntimeError):
    """The stored private key does not match the seal's public key (a damaged or swapped
    row): nothing is sealed, and the seal must be rotated."""


@dataclass(frozen=True)
class SealStamp:
    key_id: str
    digest: str  # SM3 of the document, 64 hexadecimal characters
    signature: str  # DER, hexadecimal
    sealed_at: datetime


@dataclass(frozen=True)
class VerificationResult:
    valid: bool
    code: str  # a VerificationCode
    reason: str  # in Chinese, for the verification page
    key_id: str
    digest: str
    seal_name: str = ""
    department: str = ""  # the department's name
    department_code: str = ""
    seal_active: bool = False
    seal_retired_at: datetime | None = None


def seal_document(
    department: Department, document: bytes, *, purpose: str = SealPurpose.APPROVAL
) -> SealStamp:
    """Seal `document` with the department's seal in use for `purpose`.

    Refused with Conflict `no_active_seal` (409) when the department has none. The stamp is
    checked against the public key before it is returned, so a stamp handed out always
    verifies; a mismatch raises SealIntegrityError. Writes nothing: the caller keeps the
    stamp with the document."""
    seal = active_seal(department, purpose)
    if seal is None:
        raise Conflict(
            f"{department.name}尚无在用的{SealPurpose(purpose).label}，无法加盖电子印章。",
            code="no_active_seal",
        )
    digest = signing.sm3_hex(document)
    message = bytes.fromhex(digest)
    signature = signing.sign(seal.decrypt_private_key(), message, public_key_hex=seal.public_key)
    if not signing.verify(seal.public_key, message, signature):
        raise SealIntegrityError(f"电子印章 {seal.key_id} 的私钥与公钥不匹配，请轮换该印章。")
    return SealStamp(
        key_id=seal.key_id, digest=digest, signature=signature, sealed_at=timezone.now()
    )


def verify_stamp(
    key_id: str, document_or_digest: bytes | str, signature: str
) -> VerificationResult:
    """Check a stamp. Give the document's bytes (its digest is recomputed: the check then
    says whether this very file was sealed) or, as a string, its SM3 digest in hexadecimal.
    Never raises for bad input: the result says what is wrong, in Chinese."""
    if isinstance(document_or_digest, bytes):
        digest = signing.sm3_hex(document_or_digest)
    else:
        digest = document_or_digest.strip().lower()
    key_id = (key_id or "").strip()
    seal = seal_by_key_id(key_id) if key_id else None
    if seal is None:
        return _result(
            VerificationCode.UNKNOWN_KEY, "未找到该印章：印章编号不存在。", key_id, digest
        )
    if not _DIGEST.match(digest):
        return _result(
            VerificationCode.MALFORMED_DIGEST,
            "文件摘要格式有误：应为 64 位十六进制的 SM3 摘要。",
            key_id,
            digest,
            seal,
        )
    signature = (signature or "").strip().lower()
    if not _well_formed(signature):
        return _result(
            VerificationCode.MALFORMED_SIGNATURE,
            "签名格式有误：应为十六进制的 DER 编码 SM2 签名。",
            key_id,
            digest,
            seal,
        )
    if not signing.verify(seal.public_key, bytes.fromhex(digest), signature):
        return _result(
            VerificationCode.BAD_SIGNATURE,
            "签章无效：签名与文件不符，文件可能已被改动，或签名并非该印章所加盖。",
            key_id,
            digest,
            seal,
        )
    reason = "签章有效：文件自加盖电子印章以来未被改动。"
    if seal.retired_at is not None:
        retired_on = timezone.localdate(seal.retired_at)
        reason += f"该印章已于 {retired_on:%Y-%m-%d} 停用，停用前加盖的文件仍然有效。"
    return _result(VerificationCode.VALID, reason, key_id, digest, seal)


def _well_formed(signature: str) -> bool:
    try:
        signing.decode_signature(bytes.fromhex(signature))
    except ValueError:
        return False
    return True


def _result(
    code: VerificationCode, reason: str, key_id: str, digest: str, seal: Seal | None = None
) -> VerificationResult:
    if seal is None:
        return VerificationResult(False, code.value, reason, key_id, digest)
    return VerificationResult(
        valid=code == VerificationCode.VALID,
        code=code.value,
        reason=reason,
        key_id=key_id,
        digest=digest,
        seal_name=seal.name,
        department=seal.department.name,
        department_code=seal.department.code,
        seal_active=seal.is_active,
        seal_retired_at=seal.retired_at,
    )
