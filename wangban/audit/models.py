"""The audit trail: append-only, hash-chained events (大安第三十四条, 淮安第十五条,
乌海第二十六条).

An event is written once by `wangban.audit.actions.record` in the caller's transaction, with
its chain fields (`seq`, `prev_hash`, `hash`) empty; the chainer (`wangban.audit.chain`)
fills them in right after the commit, once and for all. From then on the row never changes:
`save()` and `delete()` refuse here on every database, the queryset refuses bulk `update()`
and `delete()`, and on PostgreSQL a trigger refuses UPDATE and DELETE of the table's rows
(migration 0002), letting through only the chainer's own first write of the chain fields.

Who, where and what are stored as snapshots (ids, user names, codes as plain values, never
foreign keys), so that an event outlives the user, department or object it names.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models
from django.utils import timezone

from wangban.audit.choices import Channel, Outcome, action_label

GENESIS_HASH = "0" * 64


class AuditImmutableError(Exception):
    """Raised on any attempt to change or delete an audit event (大安第三十四条)."""

    def __init__(self, message: str = "审计事件只能追加，不能修改或删除。") -> None:
        super().__init__(message)


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditImmutableError

    def delete(self) -> NoReturn:
        raise AuditImmutableError

    def chained(self) -> AuditEventQuerySet:
        return self.filter(hash__isnull=False)

    def unchained(self) -> AuditEventQuerySet:
        return self.filter(hash__isnull=True)


class AuditEvent(models.Model):
    """One audited act: when, who (as who, in which department), from where, what, to which
    object, the values before and after, and the outcome."""

    at = models.DateTimeField("时间", default=timezone.now)
    actor_id = models.BigIntegerField("用户编号", null=True, blank=True)
    actor_username = models.CharField("用户名", max_length=150, blank=True)
    role = models.CharField("角色", max_length=32, blank=True)
    department = models.CharField("部门编码", max_length=32, blank=True)
    ip = models.CharField("IP 地址", max_length=45, blank=True)
    channel = models.CharField("渠道", max_length=16, choices=Channel.choices)
    action = models.CharField("操作", max_length=64)
    object_type = models.CharField("对象类型", max_length=64, blank=True)
    object_id = models.CharField("对象编号", max_length=64, blank=True)
    before = models.JSONField("变更前", null=True, blank=True)
    after = models.JSONField("变更后", null=True, blank=True)
    outcome = models.CharField(
        "结果", max_length=16, choices=Outcome.choices, default=Outcome.SUCCESS
    )
    # Chain fields: `chain` is fixed when the event is written; the rest by the chainer.
    chain = models.PositiveSmallIntegerField("链")
    seq = models.BigIntegerField("序号", null=True, blank=True)
    # NULL, not "", means "not chained yet": the partial index, the trigger and the chainer's
    # `hash IS NULL` guard rely on it.
    prev_hash = models.CharField("前一哈希", max_length=64, null=True, blank=True)  # noqa: DJ001
    hash = models.CharField("哈希", max_length=64, null=True, blank=True)  # noqa: DJ001

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = "审计事件"
        verbose_name_plural = "审计事件"
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="audit_event_chain_seq"),
        ]
        indexes = [
            models.Index(fields=["at", "id"], name="audit_event_at"),
            models.Index(fields=["actor_username", "at"], name="audit_event_username"),
            models.Index(fields=["object_type", "object_id", "at"], name="audit_event_object"),
            models.Index(fields=["action", "at"], name="audit_event_action"),
            models.Index(
                fields=["chain", "id"],
                name="audit_event_unchained",
                condition=models.Q(hash__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        who = self.actor_username or "系统"
        return f"{self.at:%Y-%m-%d %H:%M:%S} {who} {action_label(self.action)}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditImmutableError
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditImmutableError

    @property
    def is_chained(self) -> bool:
        return self.hash is not None

    @property
    def action_label(self) -> str:
        return action_label(self.action)


class AuditChainHead(models.Model):
    """The newest linked event of one chain. The chainer locks this row
    (`select_for_update`) while it links, so two chainers never link the same chain at once;
    the verifier compares it with the chain's last event."""

    chain = models.PositiveSmallIntegerField("链", primary_key=True)
    seq = models.BigIntegerField("序号", default=0)
    hash = models.CharField("哈希", max_length=64, default=GENESIS_HASH)
    updated_at = models.DateTimeField("更新时间", default=timezone.now)

    class Meta:
        verbose_name = "审计链头"
        verbose_name_plural = "审计链头"
        ordering = ["chain"]

    def __str__(self) -> str:
        return f"链 {self.chain} · {self.seq}"
