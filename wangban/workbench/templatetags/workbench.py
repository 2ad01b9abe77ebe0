from __future__ import annotations

from typing import Any

from django import template

from wangban.workbench.navigation import Section, sections_for

register = template.Library()


@register.simple_tag
def workbench_sections(user: Any) -> list[Section]:
    return sections_for(user) if getattr(user, "is_authenticated", False) else []
