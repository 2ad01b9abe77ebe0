"""System check wangban.W002: a year without a holiday schedule (DESIGN.md §5).

Tagged `database`, as it reads the holiday rows: Django runs it on
`manage.py check --database default` and before `migrate`, not on every command. The
rule is `wangban.core.calendar.calendar_warnings` (the same one the admin shows).
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.checks import Tags, Warning, register
from django.db import DatabaseError
from django.utils import timezone

from wangban.core.calendar import (
    WorkingCalendar,
    active_calendar,
    calendar_warnings,
    package_calendar,
)

logger = logging.getLogger("wangban.calendar")


@register(Tags.database)
def holiday_schedule_is_loaded(
    app_configs: Any, databases: Any = None, **kwargs: Any
) -> list[Warning]:
    if not databases:
        return []
    calendar: WorkingCalendar
    try:
        calendar = active_calendar()
    except DatabaseError:  # not migrated yet: judge by the package alone
        logger.debug("holiday rows unavailable; checking the package's years only")
        calendar = package_calendar()
    return [
        Warning(
            message,
            hint="用 manage.py import_holidays 文件 导入节假日安排（见 docs/calendar.md）。",
            id="wangban.W002",
        )
        for message in calendar_warnings(timezone.localdate(), calendar)
    ]
