"""Read-only views of the catalogue for the centre: every write goes through
`wangban.catalog.actions` (drafting, review and publication are audited there)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from wangban.catalog.models import ItemVersion, Material, ServiceItem, WorkflowStep


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class MaterialInline(admin.TabularInline):
    model = Material
    extra = 0
    fields = ("order", "code", "name", "required", "form", "certificate_type")

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class StepInline(MaterialInline):
    model = WorkflowStep  # type: ignore[assignment]
    fields = ("order", "name", "role", "budget_days", "assignment", "assignee")


@admin.register(ServiceItem)
class ServiceItemAdmin(ReadOnlyAdmin):
    list_display = ("code", "basic_code", "department", "created_at")
    list_filter = ("department",)
    search_fields = ("code", "basic_code", "versions__name")


@admin.register(ItemVersion)
class ItemVersionAdmin(ReadOnlyAdmin):
    list_display = ("item", "number", "name", "change_kind", "state", "effective_on")
    list_filter = ("state", "change_kind", "item_type", "item__department")
    search_fields = ("item__code", "name")
    inlines = (MaterialInline, StepInline)
