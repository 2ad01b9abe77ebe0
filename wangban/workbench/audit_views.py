"""Audit pages of the workbench: the trail, its export, and the history of one object.

Only supervisors (电子监察) and centre admins read the trail (乌海第二十六条: 存取访问控制和
信息审计跟踪; 大安第三十四条). Anonymous visitors are sent to the login page; anyone else
signed in gets 403. A filter that does not parse (e.g. a malformed date) gives the page with
an error summary and no results, status 200.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from io import BytesIO
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from wangban.accounts.choices import Role
from wangban.accounts.models import Department
from wangban.accounts.roles import user_has_role
from wangban.audit.actions import record
from wangban.audit.choices import ACTION_LABELS, Channel, Outcome, action_label
from wangban.audit.models import AuditEvent
from wangban.audit.queries import AuditFilter, object_history, search_events

PER_PAGE = 50
EXPORT_CAP = 100_000
ROLE_LABELS = dict(Role.choices)
CHANNEL_LABELS = dict(Channel.choices)
OUTCOME_LABELS = dict(Outcome.choices)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_HEADERS = [
    "时间",
    "用户名",
    "用户编号",
    "角色",
    "部门编码",
    "IP 地址",
    "渠道",
    "操作",
    "操作编码",
    "对象类型",
    "对象编号",
    "结果",
    "变更前",
    "变更后",
    "链",
    "序号",
    "哈希",
]

View = Callable[..., HttpResponse]


def audit_reader_required(view: View) -> View:
    """Supervisors and centre admins only; anonymous → login, others → 403."""

    @login_required(login_url="workbench:login")
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not user_has_role(request.user, Role.SUPERVISOR, Role.CENTRE_ADMIN):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


DATE_ERRORS = {"invalid": "请按“年-月-日”填写日期，如 2026-11-25。"}


class AuditFilterForm(forms.Form):
    username = forms.CharField(label="用户名", required=False, max_length=150)
    action = forms.CharField(
        label="操作",
        required=False,
        max_length=64,
        help_text="操作编码，如 auth.login；以“.”结尾表示该类全部，如 role.",
        widget=forms.TextInput(attrs={"list": "audit-actions"}),
    )
    object_type = forms.CharField(
        label="对象类型", required=False, max_length=64, help_text="如 accounts.user"
    )
    object_id = forms.CharField(label="对象编号", required=False, max_length=64)
    start = forms.DateField(
        label="起始日期",
        required=False,
        error_messages=DATE_ERRORS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label="截止日期",
        required=False,
        error_messages=DATE_ERRORS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "截止日期不能早于起始日期。")
        return data

    def criteria(self) -> AuditFilter:
        data = self.cleaned_data
        return AuditFilter(
            username=data.get("username", "").strip(),
            object_type=data.get("object_type", "").strip(),
            object_id=data.get("object_id", "").strip(),
            action=data.get("action", "").strip(),
            start=data.get("start"),
            end=data.get("end"),
        )


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class EventRow:
    """An event with everything a page shows, in Chinese."""

    event: AuditEvent
    role: str
    department: str
    channel: str
    action: str
    outcome: str
    object_text: str
    object_url: str
    changes: list[Change]


def _show(value: Any) -> str:
    if value is None:
        return "（空）"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def changes_of(event: AuditEvent) -> list[Change]:
    before = event.before if isinstance(event.before, dict) else {}
    after = event.after if isinstance(event.after, dict) else {}
    fields = list(dict.fromkeys([*before, *after]))
    return [
        Change(
            field=name,
            before=_show(before.get(name)) if name in before else "—",
            after=_show(after.get(name)) if name in after else "—",
        )
        for name in fields
    ]


def object_url(object_type: str, object_id: str) -> str:
    """The history page of an object, or "" when the event names none (or an id that no URL
    can carry)."""
    if not (object_type and object_id) or "/" in object_type:
        return ""
    try:
        return reverse("workbench:audit-object", args=[object_type, object_id])
    except NoReverseMatch:
        return ""


def _rows(events: list[AuditEvent]) -> list[EventRow]:
    codes = {event.department for event in events if event.department}
    names = dict(Department.objects.filter(code__in=codes).values_list("code", "name"))
    return [
        EventRow(
            event=event,
            role=ROLE_LABELS.get(event.role, event.role),
            department=names.get(event.department, event.department),
            channel=CHANNEL_LABELS.get(event.channel, event.channel),
            action=action_label(event.action),
            outcome=OUTCOME_LABELS.get(event.outcome, event.outcome),
            object_text=" #".join(part for part in (event.object_type, event.object_id) if part),
            object_url=object_url(event.object_type, event.object_id),
            changes=changes_of(event),
        )
        for event in events
    ]


def _page(request: HttpRequest, events: Any) -> tuple[Page, list[EventRow]]:
    page = Paginator(events, PER_PAGE).get_page(request.GET.get("page"))
    return page, _rows(list(page.object_list))


def _list_context(request: HttpRequest, form: AuditFilterForm) -> dict[str, Any]:
    context: dict[str, Any] = {
        "form": form,
        "actions": sorted(ACTION_LABELS.items()),
        "page": None,
        "rows": [],
        "query": "",
    }
    if form.is_valid():
        criteria = form.criteria()
        context["page"], context["rows"] = _page(request, search_events(criteria))
        context["query"] = urlencode({k: v for k, v in criteria.as_dict().items() if v})
    return context


@audit_reader_required
def audit_list(request: HttpRequest) -> HttpResponse:
    """审计日志: the trail, filtered, newest first, 50 a page."""
    form = AuditFilterForm(request.GET)
    return render(request, "workbench/audit/list.html", _list_context(request, form))


def export_cap() -> int:
    return int(getattr(settings, "WANGBAN_AUDIT_EXPORT_CAP", EXPORT_CAP))


def _export_cell(sheet: Any, value: Any) -> Any:
    """A cell of the export. Every string is a text cell, whatever it starts with: openpyxl
    would store `=HYPERLINK(...)` (an attacker's failed-login user name) as a formula, which
    the spreadsheet program then runs. Control characters that XML cannot hold are shown as
    `\\xNN` instead of failing the export."""
    if not isinstance(value, str):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    return cell


@audit_reader_required
def audit_export(request: HttpRequest) -> HttpResponse:
    """The current filter as an .xlsx workbook (at most `WANGBAN_AUDIT_EXPORT_CAP` rows,
    100,000 by default; beyond that the page asks to narrow the filter). The export itself is
    audited (`audit.export`)."""
    form = AuditFilterForm(request.GET)
    context = _list_context(request, form)
    if not form.is_valid():
        return render(request, "workbench/audit/list.html", context)
    criteria = form.criteria()
    events = search_events(criteria)
    count = context["page"].paginator.count
    cap = export_cap()
    if count > cap:
        context["export_error"] = (
            f"符合条件的事件有 {count:,} 条，超过单次导出上限 {cap:,} 条。"
            "请缩小时间范围或增加筛选条件后再导出。"
        )
        return render(request, "workbench/audit/list.html", context)

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("审计事件")
    sheet.append(EXPORT_HEADERS)
    for event in events.iterator(chunk_size=2000):
        row = [
            timezone.localtime(event.at).replace(tzinfo=None),
            event.actor_username,
            event.actor_id,
            ROLE_LABELS.get(event.role, event.role),
            event.department,
            event.ip,
            CHANNEL_LABELS.get(event.channel, event.channel),
            action_label(event.action),
            event.action,
            event.object_type,
            event.object_id,
            OUTCOME_LABELS.get(event.outcome, event.outcome),
            "" if event.before is None else json.dumps(event.before, ensure_ascii=False),
            "" if event.after is None else json.dumps(event.after, ensure_ascii=False),
            event.chain,
            event.seq,
            event.hash or "",
        ]
        sheet.append([_export_cell(sheet, value) for value in row])
    buffer = BytesIO()
    workbook.save(buffer)
    role = Role.SUPERVISOR if user_has_role(request.user, Role.SUPERVISOR) else Role.CENTRE_ADMIN
    record(
        "audit.export",
        actor=request.user,
        request=request,
        role=role,
        object_type="audit.auditevent",
        after={"filter": criteria.as_dict(), "rows": count},
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.xlsx"'
    return response


def object_label(object_type: str) -> str:
    """The Chinese name of a model label such as `accounts.user`, or the label itself."""
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return object_type
    return str(model._meta.verbose_name)


@audit_reader_required
def audit_object(request: HttpRequest, object_type: str, object_id: str) -> HttpResponse:
    """The history of one object: every event about it, with the values before and after."""
    page, rows = _page(request, object_history(object_type, object_id))
    return render(
        request,
        "workbench/audit/object.html",
        {
            "object_type": object_type,
            "object_id": object_id,
            "object_label": object_label(object_type),
            "page": page,
            "rows": rows,
        },
    )
