"""Signed chain heads, kept outside the database (乌海第二十六条, 等保三级: audit records
protected against deletion and change).

Whoever can write the audit table could recompute every hash after a change. The heads file
defeats that: `sign_heads()` (the periodic `sign_audit_heads` command) appends each chain's
head (chain, seq, hash, time) to an append-only JSON-lines file, HMAC-SHA256-signed with a key
the database does not hold. The verifier then insists that each chain still contains, at the
newest signed seq, the signed hash; cutting events off the end or rewriting history before a
signed head is detected even if the attacker also rewrote the head row.

File: `WANGBAN_AUDIT_HEADS_DIR` (default `VAR_DIR/audit`) / `heads.jsonl`.
Key: `WANGBAN_AUDIT_SIGNING_KEY`; without it, a key derived from `SECRET_KEY` (demo and tests
only: production must set a separate key, kept off the database host). Retired keys, still
needed to verify older lines, go in `WANGBAN_AUDIT_SIGNING_OLD_KEYS`.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from wangban.audit.chain import iso_utc
from wangban.audit.models import AuditChainHead, AuditEvent

HEADS_FILE = "heads.jsonl"
_BLOCK = 64 * 1024


class HeadsFileError(Exception):
    """The heads file cannot be read: a damaged or foreign line."""


def _as_key(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else value


def signing_key() -> bytes:
    key = getattr(settings, "WANGBAN_AUDIT_SIGNING_KEY", None)
    if key:
        return _as_key(key)
    return hmac.new(
        settings.SECRET_KEY.encode(), b"wangban.audit.heads.v1", hashlib.sha256
    ).digest()


def verification_keys() -> list[bytes]:
    return [
        signing_key(),
        *(_as_key(k) for k in getattr(settings, "WANGBAN_AUDIT_SIGNING_OLD_KEYS", [])),
    ]


def key_id(key: bytes) -> str:
    """A short public name of a key, so that a line says which key signed it."""
    return hashlib.sha256(b"wangban.audit.key-id:" + key).hexdigest()[:16]


def heads_path() -> Path:
    directory = getattr(settings, "WANGBAN_AUDIT_HEADS_DIR", None) or (
        Path(settings.VAR_DIR) / "audit"
    )
    return Path(directory) / HEADS_FILE


def _payload(fields: dict[str, Any]) -> bytes:
    unsigned = {k: v for k, v in fields.items() if k != "mac"}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def mac_of(fields: dict[str, Any], key: bytes) -> str:
    return hmac.new(key, _payload(fields), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class SignedHead:
    chain: int
    seq: int
    hash: str
    head_at: str
    signed_at: str
    key_id: str
    mac: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "chain": self.chain,
            "seq": self.seq,
            "hash": self.hash,
            "head_at": self.head_at,
            "signed_at": self.signed_at,
            "key_id": self.key_id,
            "mac": self.mac,
        }

    def signature_valid(self) -> bool:
        fields = self.as_dict()
        for key in verification_keys():
            if key_id(key) == self.key_id and hmac.compare_digest(mac_of(fields, key), self.mac):
                return True
        return False


def _parse(line: bytes, number_from_end: int) -> SignedHead:
    try:
        data = json.loads(line)
        return SignedHead(
            chain=int(data["chain"]),
            seq=int(data["seq"]),
            hash=str(data["hash"]),
            head_at=str(data["head_at"]),
            signed_at=str(data["signed_at"]),
            key_id=str(data["key_id"]),
            mac=str(data["mac"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise HeadsFileError(
            f"签名链头文件第 {number_from_end} 行（自末尾起）无法解析：{exc}"
        ) from exc


def read_newest_signed_heads(path: Path | None = None) -> dict[int, SignedHead]:
    """The newest signed head of every chain in the file, reading it backwards in blocks
    (the file only grows; its end holds the newest lines)."""
    path = path or heads_path()
    if not path.exists():
        return {}
    newest: dict[int, SignedHead] = {}
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        position = handle.tell()
        remainder = b""
        number = 0
        while position > 0:
            step = min(_BLOCK, position)
            position -= step
            handle.seek(position)
            block = handle.read(step) + remainder
            lines = block.split(b"\n")
            remainder = lines.pop(0) if position > 0 else b""
            for line in reversed(lines):
                if not line.strip():
                    continue
                number += 1
                head = _parse(line, number)
                newest.setdefault(head.chain, head)
    return newest


@dataclass(frozen=True)
class SignResult:
    signed: list[SignedHead]
    unchanged: list[int]
    refused: list[str]


def sign_heads(path: Path | None = None) -> SignResult:
    """Append a signed line for each chain whose head moved since it was last signed.

    Idempotent: an unchanged head is not signed again. A head that disagrees with the table
    (its event is missing or has another hash) or that is behind the newest signed head is
    refused, never signed: signing it would bless a cut-off or rewritten chain."""
    path = path or heads_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = signing_key()
    signed: list[SignedHead] = []
    unchanged: list[int] = []
    refused: list[str] = []
    with path.open("ab") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # one signer appends at a time
        try:
            newest = read_newest_signed_heads(path)
            for head in AuditChainHead.objects.order_by("chain"):
                previous = newest.get(head.chain)
                if head.seq == 0:
                    continue
                if previous is not None and (previous.seq, previous.hash) == (head.seq, head.hash):
                    unchanged.append(head.chain)
                    continue
                problem = _head_problem(head, previous)
                if problem:
                    refused.append(problem)
                    continue
                line = SignedHead(
                    chain=head.chain,
                    seq=head.seq,
                    hash=head.hash,
                    head_at=iso_utc(head.updated_at),
                    signed_at=iso_utc(timezone.now()),
                    key_id=key_id(key),
                    mac="",
                )
                line = replace(line, mac=mac_of(line.as_dict(), key))
                handle.write(
                    json.dumps(line.as_dict(), separators=(",", ":"), ensure_ascii=False).encode()
                    + b"\n"
                )
                signed.append(line)
            handle.flush()
            os.fsync(handle.fileno())
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    return SignResult(signed=signed, unchanged=unchanged, refused=refused)


def _head_problem(head: AuditChainHead, previous: SignedHead | None) -> str:
    tail = AuditEvent.objects.filter(chain=head.chain, seq=head.seq).values_list("hash", flat=True)
    if list(tail) != [head.hash]:
        return f"链 {head.chain}：链头（序号 {head.seq}）与表中事件不符，拒绝签名。"
    if previous is None:
        return ""
    if head.seq < previous.seq:
        return (
            f"链 {head.chain}：链头序号 {head.seq} 小于已签名的序号 {previous.seq}，"
            "事件可能被截断，拒绝签名。"
        )
    at_signed = AuditEvent.objects.filter(chain=head.chain, seq=previous.seq).values_list(
        "hash", flat=True
    )
    if list(at_signed) != [previous.hash]:
        return f"链 {head.chain}：序号 {previous.seq} 的哈希与已签名的链头不符，拒绝签名。"
    return ""
