"""`{% unread_site_messages as count %}`: how many in-site messages (站内信) the signed-in
user has not read, for the navigation's 消息 link."""

from __future__ import annotations

from typing import Any

from django import template

from wangban.notify.models import SiteMessage

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_site_messages(context: dict[str, Any]) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return SiteMessage.objects.filter(recipient_id=user.pk).unread().count()
