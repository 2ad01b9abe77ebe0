"""Models of the core app: the holiday rows of the working-day calendar."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from wangban.core import calendar


class HolidayKind(models.TextChoices):
    OFF = calendar.OFF, "休息日"
    WORK = calendar.WORK, "调休上班日"


class HolidayRow(models.Model):
    """One day of an official holiday schedule (国务院办公厅关于部分节假日安排的通知)
    loaded by an administrator, usually for a year the `chinesecalendar` package does not
    know yet. `off` makes the date a day off, `work` a make-up working day (调休上班日);
    rows win over the package on the same date.

    Rows change only through `wangban.core.actions.do_change_holidays`, which keeps the
    active calendar's cache in step (see `wangban.core.calendar.active_calendar`).
    """

    date = models.DateField("日期", unique=True)
    kind = models.CharField("类型", max_length=8, choices=HolidayKind.choices)
    name = models.CharField("名称", max_length=50, help_text="如：春节、国庆节")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="最后修改人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["date"]
        verbose_name = "节假日安排"
        verbose_name_plural = "节假日安排"

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.get_kind_display()} {self.name}"


class HolidayCalendarVersion(models.Model):
    """A single row (pk 1) whose `version` the holiday action increments in the same
    transaction as its changes; every process compares it with the version of its cached
    calendar at most every few seconds (`wangban.core.calendar.active_calendar`)."""

    version = models.PositiveBigIntegerField("版本", default=0)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "工作日历版本"
        verbose_name_plural = "工作日历版本"

    def __str__(self) -> str:
        return f"v{self.version}"
