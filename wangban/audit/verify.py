"""Verifying the audit trail: every chain, every hash, every link, every head.

`verify_trail()` walks each chain in seq order, recomputes each event's hash from its content
and its predecessor's hash, checks that seq runs 1, 2, 3… without a gap, that each event links
to the one before it, that the chain's head row names its last event, and that the newest
signed head (`wangban.audit.heads`) is still in the chain with the signed hash. It names the
first broken event of each chain and why (大安第三十四条: no silent additions, deletions or
changes; 乌海第二十六条: 信息审计跟踪).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from wangban.audit.chain import CONTENT_FIELDS, content_of, event_hash
from wangban.audit.heads import HeadsFileError, SignedHead, heads_path, read_newest_signed_heads
from wangban.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent

UNCHAINED_GRACE_SECONDS = 600
BATCH = 5000
SEARCH_WINDOW = 10_000  # rows searched for the true place of an event that does not fit


class BreakKind(models.TextChoices):
    CONTENT_CHANGED = "content_changed", "内容被修改"
    MISSING = "missing", "事件缺失"
    ORDER_CHANGED = "order_changed", "顺序被改变"
    HEAD_MISMATCH = "head_mismatch", "链头不符"
    TRUNCATED = "truncated", "链头之后的事件被截断"
    BAD_SIGNATURE = "bad_signature", "签名链头无效"


@dataclass(frozen=True)
class Break:
    """The first broken place of a chain."""

    chain: int
    seq: int
    event_id: int | None
    kind: BreakKind
    detail: str

    def __str__(self) -> str:
        event = f"事件 id {self.event_id}" if self.event_id is not None else "无对应事件"
        return f"链 {self.chain} 序号 {self.seq}（{event}）：{self.kind.label}。{self.detail}"


@dataclass
class ChainResult:
    chain: int
    events: int = 0
    last_seq: int = 0
    last_hash: str = GENESIS_HASH
    signed: SignedHead | None = None
    problem: Break | None = None


@dataclass
class VerifyResult:
    chains: list[ChainResult] = field(default_factory=list)
    unchained: int = 0
    oldest_unchained_at: datetime | None = None
    heads_file: Path | None = None
    heads_error: str = ""
    unchained_error: str = ""
    seconds: float = 0.0

    @property
    def problems(self) -> list[Break]:
        return [chain.problem for chain in self.chains if chain.problem is not None]

    @property
    def ok(self) -> bool:
        return not self.problems and not self.heads_error and not self.unchained_error

    @property
    def errors(self) -> list[str]:
        """Every reason the trail failed, one line each."""
        return [
            *(str(problem) for problem in self.problems),
            *(e for e in (self.heads_error, self.unchained_error) if e),
        ]

    @property
    def events(self) -> int:
        return sum(chain.events for chain in self.chains)


ROW_FIELDS = (*CONTENT_FIELDS, "id", "seq", "prev_hash", "hash")


def _rows_after(chain: int, seq: int, limit: int) -> list[tuple[Any, ...]]:
    return list(
        AuditEvent.objects.filter(chain=chain, seq__gt=seq)
        .order_by("seq")
        .values_list(*ROW_FIELDS)[:limit]
    )


def _true_place(chain: int, content: dict[str, Any], after_seq: int) -> int | None:
    """The seq at which this content would hash correctly, searched in the following rows: an
    event whose content moved there (contents swapped) rather than an edited one."""
    for row in _rows_after(chain, after_seq, SEARCH_WINDOW):
        seq, prev, digest = row[-3], row[-2], row[-1]
        if prev and event_hash(content, chain=chain, seq=seq, prev_hash=prev) == digest:
            return int(seq)
    return None


def _walk(result: ChainResult) -> None:
    chain = result.chain
    expected_prev = GENESIS_HASH
    expected_seq = 1
    signed = result.signed
    cursor = 0
    while True:
        rows = _rows_after(chain, cursor, BATCH)
        for row in rows:
            event_id, seq, prev, digest = row[-4:]
            content = content_of(row)
            if seq != expected_seq:
                missing = (
                    f"{expected_seq}" if seq == expected_seq + 1 else f"{expected_seq}–{seq - 1}"
                )
                result.problem = Break(
                    chain,
                    seq,
                    event_id,
                    BreakKind.MISSING,
                    f"此前序号 {missing} 的事件已不在表中。",
                )
                return
            if prev != expected_prev:
                result.problem = Break(
                    chain,
                    seq,
                    event_id,
                    BreakKind.ORDER_CHANGED,
                    f"它记录的前一哈希与序号 {seq - 1} 的事件的哈希不符"
                    "（事件被移动、替换、插入，或前一事件被改写）。",
                )
                return
            if event_hash(content, chain=chain, seq=seq, prev_hash=prev) != digest:
                place = _true_place(chain, content, seq)
                if place is not None:
                    result.problem = Break(
                        chain,
                        seq,
                        event_id,
                        BreakKind.ORDER_CHANGED,
                        f"它的内容属于序号 {place} 的位置（事件内容被互换）。",
                    )
                else:
                    result.problem = Break(
                        chain,
                        seq,
                        event_id,
                        BreakKind.CONTENT_CHANGED,
                        "按内容重新计算的哈希与记录的哈希不符。",
                    )
                return
            if signed is not None and seq == signed.seq and digest != signed.hash:
                result.problem = Break(
                    chain,
                    seq,
                    event_id,
                    BreakKind.HEAD_MISMATCH,
                    f"哈希与 {signed.signed_at} 签名的链头不符（签名链头之前的记录被改写）。",
                )
                return
            result.events += 1
            result.last_seq, result.last_hash = seq, digest
            expected_prev, expected_seq = digest, seq + 1
        if len(rows) < BATCH:
            return
        cursor = rows[-1][-3]


def _check_heads(result: ChainResult, head: AuditChainHead | None) -> None:
    chain, last = result.chain, result.last_seq
    signed = result.signed
    if signed is not None:
        if not signed.signature_valid():
            result.problem = Break(
                chain,
                signed.seq,
                None,
                BreakKind.BAD_SIGNATURE,
                f"签名链头文件中该链的最新记录（{signed.signed_at}）签名校验失败。",
            )
            return
        if last < signed.seq:
            result.problem = Break(
                chain,
                last + 1,
                None,
                BreakKind.TRUNCATED,
                f"{signed.signed_at} 签名的链头为序号 {signed.seq}，"
                f"表中该链只到序号 {last}：其后的事件被截断。",
            )
            return
    if head is None:
        if result.events:
            result.problem = Break(chain, last, None, BreakKind.HEAD_MISMATCH, "该链缺少链头记录。")
        return
    if head.seq > last:
        result.problem = Break(
            chain,
            last + 1,
            None,
            BreakKind.TRUNCATED,
            f"链头记录为序号 {head.seq}，表中该链只到序号 {last}：其后的事件被截断。",
        )
    elif (head.seq, head.hash) != (last, result.last_hash):
        result.problem = Break(
            chain,
            head.seq,
            None,
            BreakKind.HEAD_MISMATCH,
            f"链头记录（序号 {head.seq}）与表中最后一条（序号 {last}）不符。",
        )


def unchained_grace() -> timedelta:
    """How long an event may stay unchained (or a chained event unsigned) before the
    verifier fails: `WANGBAN_AUDIT_UNCHAINED_GRACE_SECONDS`, 600 by default."""
    seconds = getattr(settings, "WANGBAN_AUDIT_UNCHAINED_GRACE_SECONDS", UNCHAINED_GRACE_SECONDS)
    return timedelta(seconds=float(seconds))


def _check_unchained(result: VerifyResult, cutoff: datetime) -> None:
    """Unchained events are protected by nothing: past the grace period they fail."""
    unchained = AuditEvent.objects.filter(hash__isnull=True)
    result.unchained = unchained.count()
    if not result.unchained:
        return
    result.oldest_unchained_at = unchained.order_by("id").values_list("at", flat=True).first()
    stale = unchained.filter(at__lt=cutoff).order_by("at", "id").values_list("id", "at").first()
    if stale is not None:
        event_id, at = stale
        result.unchained_error = (
            f"事件 id {event_id}（{timezone.localtime(at):%Y-%m-%d %H:%M:%S}）未上链已超过 "
            f"{unchained_grace().total_seconds():g} 秒：未上链的事件可被修改或删除而不被发现。"
            "请运行 chain_audit，并检查 db_worker 与定时任务。"
        )


def _check_heads_file(
    result: VerifyResult, signed: dict[int, SignedHead], cutoff: datetime
) -> None:
    """No signed head at all (file missing or empty) while events were chained before the
    grace period: deleting the file must not switch off truncation detection."""
    if signed or result.heads_error:
        return
    if AuditEvent.objects.filter(hash__isnull=False, at__lt=cutoff).exists():
        result.heads_error = (
            f"签名链头文件 {result.heads_file} 不存在或为空，而已有上链超过 "
            f"{unchained_grace().total_seconds():g} 秒的事件：无法检测链尾截断。"
            "若文件被删除，请从异地副本恢复；新安装请运行 sign_audit_heads。"
        )


def verify_trail(*, heads_file: Path | None = None) -> VerifyResult:
    """Verify every chain; see the module docstring."""
    began = time.perf_counter()
    cutoff = timezone.now() - unchained_grace()
    result = VerifyResult(heads_file=heads_file or heads_path())
    try:
        signed = read_newest_signed_heads(result.heads_file)
    except HeadsFileError as exc:
        signed = {}
        result.heads_error = str(exc)
    heads = {head.chain: head for head in AuditChainHead.objects.all()}
    stored = set(
        AuditEvent.objects.filter(seq__isnull=False)
        .order_by()
        .values_list("chain", flat=True)
        .distinct()
    )
    for chain in sorted(stored | set(heads) | set(signed)):
        chain_result = ChainResult(chain=chain, signed=signed.get(chain))
        _walk(chain_result)
        if chain_result.problem is None:
            _check_heads(chain_result, heads.get(chain))
        result.chains.append(chain_result)
    _check_heads_file(result, signed, cutoff)
    _check_unchained(result, cutoff)
    result.seconds = time.perf_counter() - began
    return result
