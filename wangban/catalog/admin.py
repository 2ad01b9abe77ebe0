"""The catalogue in the admin. The online service levels are the centre's master data and are
kept here (each change audited); items and versions are shown read-only: every write to them
goes through `wangban.catalog.actions` and the workbench's 事项管理 pages (drafting, review and
publication are audited there). Materials, steps and files appear only inside a version."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from wangban.audit.actions import record
from wangban.catalog.models import (
    ItemVersion,
    Material,
    OnlineServiceLevel,
    ServiceItem,
    WorkflowStep,
)


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


@admin.register(OnlineServiceLevel)
class OnlineServiceLevelAdmin(admin.ModelAdmin[OnlineServiceLevel]):
    """网上办理等级: code, label and the acceptance clock of the items at that level. A level
    that items use cannot be deleted (the versions protect it)."""

    list_display = ("code", "label", "order", "sign_in_hours", "reply_working_days")
    ordering = ("order", "code")

    def get_readonly_fields(self, request: Any, obj: Any = None) -> tuple[str, ...]:
        return ("code",) if obj is not None else ()  # versions and the API refer to the code

    def save_model(self, request: Any, obj: OnlineServiceLevel, form: Any, change: bool) -> None:
        before = (
            dict(OnlineServiceLevel.objects.filter(pk=obj.pk).values(*LEVEL_FIELDS).first() or {})
            if change
            else None
        )
        super().save_model(request, obj, form, change)
        after = {name: getattr(obj, name) for name in LEVEL_FIELDS}
        if before is not None:
            changed = [name for name in LEVEL_FIELDS if before.get(name) != after[name]]
            before, after = {n: before[n] for n in changed}, {n: after[n] for n in changed}
        record(
            "catalog.level_save",
            actor=request.user,
            request=request,
            obj=obj,
            before=before,
            after=after,
        )

    def delete_model(self, request: Any, obj: OnlineServiceLevel) -> None:
        self._record_delete(request, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        for obj in queryset:
            self._record_delete(request, obj)
        super().delete_queryset(request, queryset)

    def _record_delete(self, request: Any, obj: OnlineServiceLevel) -> None:
        before = {name: getattr(obj, name) for name in LEVEL_FIELDS}
        record("catalog.level_delete", actor=request.user, request=request, obj=obj, before=before)


LEVEL_FIELDS = ("code", "label", "description", "order", "sign_in_hours", "reply_working_days")
