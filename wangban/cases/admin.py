"""Read-only admin: cases change only through `wangban.cases.actions`."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from wangban.cases.documents import retry_document
from wangban.cases.models import (
    Case,
    CaseDocument,
    CaseEvent,
    CaseExtension,
    CaseMaterial,
    CaseStep,
    ClockStop,
    CorrectionNotice,
    ReplacedMaterial,
)
from wangban.core.errors import DomainError


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    fields = ["at", "actor_name", "action", "from_state", "to_state", "note"]
    readonly_fields = ["at", "actor_name", "action", "from_state", "to_state", "note"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "receipt_no",
        "item",
        "department",
        "state",
        "channel",
        "received_on",
        "due_date",
    ]
    list_filter = ["state", "channel", "deemed_accepted", "clock_running", "accepting_department"]
    search_fields = ["id", "receipt_no", "item__code"]
    inlines = [CaseEventInline]


@admin.register(CaseMaterial)
class CaseMaterialAdmin(ReadOnlyAdmin):
    list_display = ["case", "material_code", "material_name", "paper", "file_name", "size"]


@admin.register(ReplacedMaterial)
class ReplacedMaterialAdmin(ReadOnlyAdmin):
    list_display = ["case", "material_code", "submission", "file_name", "replaced_at"]


@admin.register(CorrectionNotice)
class CorrectionNoticeAdmin(ReadOnlyAdmin):
    list_display = ["case", "issued_on", "handler_name", "answer_due_on", "is_repeat"]
    list_filter = ["is_repeat"]


@admin.register(CaseDocument)
class CaseDocumentAdmin(ReadOnlyAdmin):
    """Written notices and their rendering. A document that failed every attempt is
    rendered again with the action, after the cause (storage, fonts) is fixed."""

    list_display = ["case", "title", "state", "attempts", "created_at", "rendered_at"]
    list_filter = ["state", "kind"]
    search_fields = ["case__id", "case__receipt_no"]
    exclude = ["facts"]
    actions = ["retry"]

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("cases.change_casedocument"))

    @admin.action(description="重新生成所选的生成失败文书", permissions=["retry"])
    def retry(self, request: HttpRequest, queryset: QuerySet[CaseDocument]) -> None:
        retried = skipped = 0
        for document in queryset:
            try:
                retry_document(document, actor=request.user, request=request)
            except DomainError:
                skipped += 1
            else:
                retried += 1
        if retried:
            self.message_user(request, f"已安排重新生成 {retried} 份文书。", messages.SUCCESS)
        if skipped:
            self.message_user(
                request, f"{skipped} 份文书不是“生成失败”状态，未处理。", messages.WARNING
            )


@admin.register(CaseStep)
class CaseStepAdmin(ReadOnlyAdmin):
    list_display = ["case", "visit", "name", "role", "department", "assignee", "due_on", "outcome"]
    list_filter = ["outcome", "role"]


@admin.register(ClockStop)
class ClockStopAdmin(ReadOnlyAdmin):
    list_display = ["case", "kind", "procedure", "started_on", "ended_on", "ended_by_action"]
    list_filter = ["kind", "procedure"]


@admin.register(CaseExtension)
class CaseExtensionAdmin(ReadOnlyAdmin):
    list_display = ["case", "on", "working_days", "approver_name", "exceeds_statutory"]
    list_filter = ["exceeds_statutory"]
