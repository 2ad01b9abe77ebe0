"""Admin of the notify app: webhook endpoints (the centre's master data) and the outbox.

Every write goes through the actions, so it is validated and audited. A signing secret is
shown once, right after it was generated (on creation, or by "更换签名密钥"), and is
stored only encrypted; the outbox is read-only except for retrying dead messages.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from wangban.accounts.sms import get_sms_gateway
from wangban.core.errors import DomainError
from wangban.notify.actions import delete_webhook_endpoint, retry_message, save_webhook_endpoint
from wangban.notify.choices import EventType, MessageChannel, MessageState
from wangban.notify.models import URL_MESSAGE, Message, SiteMessage, WebhookEndpoint
from wangban.notify.webhooks import generate_secret, secret_problem

SHOW_GENERATED_FLAG = "_wangban_notify_show_generated"


class WebhookEndpointForm(forms.ModelForm[WebhookEndpoint]):
    url = forms.URLField(
        label="接收地址",
        max_length=500,
        assume_scheme="https",
        error_messages={"invalid": URL_MESSAGE},
        help_text="接收方提供的 http:// 或 https:// 网址；每个事件以签名的 POST 请求送达。",
    )
    event_types = forms.MultipleChoiceField(
        label="订阅的事件",
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "请至少选择一个事件。"},
    )
    secret = forms.CharField(
        label="签名密钥",
        required=False,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "off", "size": 60}),
        help_text="留空：新建时自动生成（只显示一次），修改时保持不变。"
        "也可填入接收方提供的 whsec_ 开头的密钥。",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "event_types", "active"]

    def clean_secret(self) -> str:
        secret: str = self.cleaned_data.get("secret", "")
        if secret and (problem := secret_problem(secret)):
            raise forms.ValidationError(problem)
        return secret


def show_secret(request: HttpRequest, model_admin: Any, endpoint: WebhookEndpoint) -> HttpResponse:
    """The only time a generated secret is shown (admin pages are sent `no-store`)."""
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": "请保存签名密钥",
        "endpoint": endpoint,
        "secret": endpoint.secret,
    }
    return TemplateResponse(request, "admin/notify/webhookendpoint/secret.html", context)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin[WebhookEndpoint]):
    form = WebhookEndpointForm
    list_display = ("name", "url", "subscriptions", "active", "pending", "dead", "created_at")
    list_filter = ("active",)
    search_fields = ("name", "url")
    fields = ("name", "url", "event_types", "active", "secret", "created_at", "updated_at")
    readonly_fields = ("created_at", "updated_at")
    actions = ("rotate_secret",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookEndpoint]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                pending_count=Count("messages", filter=Q(messages__state=MessageState.PENDING)),
                dead_count=Count("messages", filter=Q(messages__state=MessageState.DEAD)),
            )
        )

    @admin.display(description="订阅的事件")
    def subscriptions(self, obj: WebhookEndpoint) -> str:
        labels = dict(EventType.choices)
        return "、".join(str(labels.get(code, code)) for code in obj.event_types)

    @admin.display(description="待投递")
    def pending(self, obj: WebhookEndpoint) -> int:
        return getattr(obj, "pending_count", 0)

    @admin.display(description="投递失败")
    def dead(self, obj: WebhookEndpoint) -> int:
        return getattr(obj, "dead_count", 0)

    def save_model(
        self,
        request: HttpRequest,
        obj: WebhookEndpoint,
        form: forms.ModelForm[WebhookEndpoint],
        change: bool,
    ) -> None:
        secret = form.cleaned_data.get("secret") or None
        save_webhook_endpoint(obj, actor=request.user, request=request, secret=secret)
        if not change and secret is None:
            setattr(request, SHOW_GENERATED_FLAG, True)

    def response_add(
        self, request: HttpRequest, obj: WebhookEndpoint, post_url_continue: str | None = None
    ) -> HttpResponse:
        if getattr(request, SHOW_GENERATED_FLAG, False):
            return show_secret(request, self, obj)
        return super().response_add(request, obj, post_url_continue)

    def delete_model(self, request: HttpRequest, obj: WebhookEndpoint) -> None:
        delete_webhook_endpoint(obj, actor=request.user, request=request)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset:
            delete_webhook_endpoint(endpoint, actor=request.user, request=request)

    @admin.action(description="更换签名密钥（选择一个接收端）", permissions=["change"])
    def rotate_secret(
        self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]
    ) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, "请只选择一个接收端更换密钥。", messages.ERROR)
            return None
        endpoint = queryset.get()
        save_webhook_endpoint(
            endpoint, actor=request.user, request=request, secret=generate_secret()
        )
        return show_secret(request, self, endpoint)


def mask_phone(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 8 else "****"


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin[Message]):
    """The outbox, read-only. Dead messages are retried with the action after the cause
    (an endpoint's URL, a receiver's outage) is fixed."""

    list_display = (
        "pk",
        "created_at",
        "event_type",
        "channel",
        "recipient_shown",
        "state",
        "attempts",
        "next_attempt_at",
        "sent_at",
    )
    list_filter = ("state", "channel", "event_type")
    search_fields = ("key", "event_type")
    list_select_related = ("endpoint",)
    exclude = ("recipient",)
    readonly_fields = ("webhook_id", "recipient_shown")
    actions = ("retry",)

    @admin.display(description="接收方")
    def recipient_shown(self, obj: Message) -> str:
        if obj.channel == MessageChannel.SMS:
            return mask_phone(obj.recipient)
        if obj.channel == MessageChannel.SITE:
            return f"用户 #{obj.recipient}"
        return f"{obj.endpoint} ({obj.recipient})" if obj.endpoint else obj.recipient

    @admin.display(description="webhook-id")
    def webhook_id(self, obj: Message) -> str:
        return obj.webhook_id

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Message], search_term: str
    ) -> tuple[QuerySet[Message], bool]:
        """A receiver reports a problem by its `webhook-id` (msg_…): find that message."""
        term = search_term.strip()
        if term.startswith("msg_"):
            try:
                return queryset.filter(uuid=uuid.UUID(term.removeprefix("msg_"))), False
            except ValueError:
                return queryset.none(), False
        return super().get_search_results(request, queryset, search_term)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Message | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Message | None = None) -> bool:
        return False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("notify.change_message")

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse | HttpResponse:
        if request.method == "GET":
            dead = Message.objects.filter(state=MessageState.DEAD).count()
            if dead:
                messages.warning(request, f"有 {dead} 条消息投递失败，已停止重试，请处理。")
            # The SMS gateway's health check (DESIGN.md §4: shown to the centre admin).
            gateway = get_sms_gateway()
            healthy, detail = gateway.health()
            report = messages.info if healthy else messages.warning
            report(
                request, f"短信网关（{gateway.label}）：{'正常' if healthy else '异常'}，{detail}"
            )
        return super().changelist_view(request, extra_context)

    @admin.action(description="重新投递所选的投递失败消息", permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        retried = skipped = 0
        for message in queryset:
            try:
                retry_message(message, actor=request.user, request=request)
            except DomainError:
                skipped += 1
            else:
                retried += 1
        if retried:
            self.message_user(request, f"已安排重新投递 {retried} 条消息。", messages.SUCCESS)
        if skipped:
            self.message_user(
                request, f"{skipped} 条消息不是“投递失败”状态，未处理。", messages.WARNING
            )


@admin.register(SiteMessage)
class SiteMessageAdmin(admin.ModelAdmin[SiteMessage]):
    """The users' inboxes, read-only: written by the `site` channel, read by their owners."""

    list_display = ("pk", "created_at", "recipient", "title", "read_at")
    list_filter = ("read_at",)
    search_fields = ("title", "recipient__username")
    list_select_related = ("recipient",)
    readonly_fields = ("recipient", "message", "title", "body", "link", "created_at", "read_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SiteMessage | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: SiteMessage | None = None) -> bool:
        return False
