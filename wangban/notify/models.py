"""The notify outbox and the webhook endpoints it delivers to.

A `Message` is written in the same transaction as the change it announces
(`actions.publish_event`), so it exists exactly when the change committed; the task worker
and the periodic `deliver_outbox` command deliver it afterwards (`delivery.py`).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from wangban.core import pii
from wangban.notify.choices import OPEN_STATES, MessageChannel, MessageState

URL_MESSAGE = "请输入以 http:// 或 https:// 开头的有效网址。"

validate_webhook_url = URLValidator(schemes=["http", "https"], message=URL_MESSAGE)


class WebhookEndpoint(models.Model):
    """A system that receives signed event notifications: a department's website, the
    provincial platform. Master data of the service centre, kept in the admin."""

    name = models.CharField("名称", max_length=100)
    url = models.URLField("接收地址", max_length=500, validators=[validate_webhook_url])
    # Standard Webhooks secret ("whsec_" + base64), encrypted at rest with the PII keys.
    secret_encrypted = models.TextField("签名密钥（加密）", editable=False)
    event_types = models.JSONField("订阅的事件", default=list, blank=True)
    active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = "Webhook 接收端"
        verbose_name_plural = "Webhook 接收端"
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def secret(self) -> str:
        return pii.decrypt(self.secret_encrypted)

    @secret.setter
    def secret(self, plain: str) -> None:
        self.secret_encrypted = pii.encrypt(plain)

    def subscribes_to(self, event_type: str) -> bool:
        return self.active and event_type in (self.event_types or [])


class MessageQuerySet(models.QuerySet["Message"]):
    def due(self, now: datetime) -> MessageQuerySet:
        """Messages a worker should take now: pending and due, or sending with an expired
        lease (the worker that took it crashed or hung)."""
        return self.filter(state__in=OPEN_STATES, next_attempt_at__lte=now)


class Message(models.Model):
    """One message to one recipient through one channel, delivered at least once.

    `next_attempt_at` is when a worker should next look at the row: for a pending message
    the time of its next attempt, for a sending one the end of the worker's lease."""

    uuid = models.UUIDField("消息标识", default=uuid.uuid4, unique=True, editable=False)
    key = models.CharField("幂等键", max_length=255, unique=True)
    channel = models.CharField("渠道", max_length=20, choices=MessageChannel.choices)
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        verbose_name="Webhook 接收端",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
    )
    recipient = models.CharField("接收方", max_length=500)
    event_type = models.CharField("事件", max_length=100)
    payload = models.JSONField("内容", default=dict)
    state = models.CharField(
        "状态", max_length=10, choices=MessageState.choices, default=MessageState.PENDING
    )
    attempts = models.PositiveIntegerField("投递次数", default=0)
    next_attempt_at = models.DateTimeField("下次投递时间")
    last_error = models.TextField("最近一次错误", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    sent_at = models.DateTimeField("投递成功时间", null=True, blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = "消息"
        verbose_name_plural = "消息"
        ordering = ["-pk"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state__in=OPEN_STATES),
                name="notify_message_due",
            ),
            models.Index(fields=["state", "channel"], name="notify_message_state"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.get_channel_display()} #{self.pk}"

    @property
    def webhook_id(self) -> str:
        """The `webhook-id` header: the same on every attempt, so receivers dedupe on it."""
        return f"msg_{self.uuid.hex}"


class SiteMessageQuerySet(models.QuerySet["SiteMessage"]):
    def unread(self) -> SiteMessageQuerySet:
        return self.filter(read_at__isnull=True)


class SiteMessage(models.Model):
    """An in-site message (站内信) in a user's inbox, written by the `site` channel when it
    delivers an outbox message: one per outbox message, so a retried delivery never makes
    a second one."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="收件人",
        on_delete=models.CASCADE,
        related_name="site_messages",
    )
    message = models.OneToOneField(
        Message,
        verbose_name="出站消息",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="site_message",
    )
    title = models.CharField("标题", max_length=100)
    body = models.TextField("内容")
    # A path on this site (e.g. the case's page), never another origin.
    link = models.CharField("链接", max_length=500, blank=True)
    # When the event happened (the outbox message's time), not when it was delivered.
    created_at = models.DateTimeField("时间", default=timezone.now)
    read_at = models.DateTimeField("阅读时间", null=True, blank=True)

    objects = SiteMessageQuerySet.as_manager()

    class Meta:
        verbose_name = "站内信"
        verbose_name_plural = "站内信"
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="site_message_inbox"),
            models.Index(
                fields=["recipient"],
                condition=Q(read_at__isnull=True),
                name="site_message_unread",
            ),
        ]

    def __str__(self) -> str:
        return self.title
