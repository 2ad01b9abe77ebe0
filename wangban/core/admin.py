"""Admin of the core app: the holiday rows of the working-day calendar.

Every save and delete goes through `do_change_holidays`, so that the cached calendar of
every process is rebuilt; the changelist warns when a year has no schedule.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from wangban.core.actions import do_change_holidays
from wangban.core.calendar import HolidayEntry, active_calendar, calendar_warnings
from wangban.core.models import HolidayRow

WEEKDAYS = "一二三四五六日"


@admin.register(HolidayRow)
class HolidayRowAdmin(admin.ModelAdmin[HolidayRow]):
    list_display = ("date", "weekday", "kind", "name", "updated_at", "updated_by")
    list_filter = ("kind",)
    date_hierarchy = "date"
    search_fields = ("name",)
    fields = ("date", "kind", "name", "created_at", "updated_at", "updated_by")
    readonly_fields = ("created_at", "updated_at", "updated_by")
    list_select_related = ("updated_by",)

    @admin.display(description="星期")
    def weekday(self, obj: HolidayRow) -> str:
        return f"星期{WEEKDAYS[obj.date.weekday()]}"

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse | HttpResponse:
        if request.method == "GET":
            for warning in calendar_warnings(timezone.localdate(), active_calendar()):
                messages.warning(request, warning)
        return super().changelist_view(request, extra_context)

    def save_model(
        self, request: HttpRequest, obj: HolidayRow, form: ModelForm[HolidayRow], change: bool
    ) -> None:
        delete = []
        if change:
            old_date = HolidayRow.objects.filter(pk=obj.pk).values_list("date", flat=True).first()
            if old_date is not None and old_date != obj.date:
                delete.append(old_date)  # the date itself was edited: move the row
        do_change_holidays(
            [HolidayEntry(obj.date, obj.kind, obj.name)], delete=delete, actor=request.user
        )
        saved = HolidayRow.objects.get(date=obj.date)
        obj.pk, obj.name = saved.pk, saved.name
        obj.created_at, obj.updated_at = saved.created_at, saved.updated_at
        obj.updated_by_id = saved.updated_by_id

    def delete_model(self, request: HttpRequest, obj: HolidayRow) -> None:
        do_change_holidays(delete=[obj.date], actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[HolidayRow]) -> None:
        do_change_holidays(delete=list(queryset.values_list("date", flat=True)), actor=request.user)
