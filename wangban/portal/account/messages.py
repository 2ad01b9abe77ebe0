"""站内信: the signed-in user's in-site messages, newest first, and "全部标为已读".

The messages are written by the notify outbox's `site` channel (docs/notify.md); this page
only reads the user's own inbox and marks it read through `notify.actions`.
"""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from wangban.notify.actions import mark_site_messages_read
from wangban.notify.models import SiteMessage

LOGIN = "portal:login"
PAGE_SIZE = 20


@login_required(login_url=LOGIN)
@require_GET
def message_list(request: HttpRequest) -> HttpResponse:
    """`/account/messages/`: newest first, 20 a page, unread ones marked."""
    inbox = SiteMessage.objects.filter(recipient_id=request.user.pk).order_by("-created_at", "-pk")
    page = Paginator(inbox, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "unread": inbox.unread().count()}
    return render(request, "portal/account/messages.html", context)


@login_required(login_url=LOGIN)
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = mark_site_messages_read(request.user)
    flash.success(request, f"已将 {count} 条消息标为已读。" if count else "没有未读消息。")
    return redirect("portal:messages")
