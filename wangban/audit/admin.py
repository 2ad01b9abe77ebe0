"""Read-only admin of the audit trail: events are never added, changed or deleted here
(大安第三十四条; retention: docs/audit.md)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from wangban.audit.models import AuditChainHead, AuditEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = (
        "at",
        "actor_username",
        "role",
        "department",
        "ip",
        "channel",
        "action",
        "object_type",
        "object_id",
        "outcome",
        "chain",
        "seq",
    )
    list_filter = ("channel", "outcome", "chain")
    search_fields = ("actor_username", "action", "object_id")
    date_hierarchy = "at"
    show_full_result_count = False


@admin.register(AuditChainHead)
class AuditChainHeadAdmin(ReadOnlyAdmin):
    list_display = ("chain", "seq", "hash", "updated_at")
