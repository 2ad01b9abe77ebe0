"""Recording audit events: the one way into the audit trail.

Every module that must leave a trace calls `record(...)` inside its own transaction, next to
the write it audits (DESIGN.md §4: "appends the case event and the audit event in the same
transaction"). If the transaction rolls back, the event goes with it; if it commits, the event
is linked into its hash chain right after (see `wangban.audit.chain`).

    from wangban.audit.actions import record

    with transaction.atomic():
        grant = RoleGrant.objects.create(user=user, department=dept, role=Role.CLERK)
        record("role.grant", actor=admin, request=request, obj=grant, role=Role.DEPT_ADMIN,
               after={"user": user.pk, "department": dept.code, "role": grant.role})

The rules: 大安第三十四条 (no silent changes of platform data), 淮安第十五条 (operations that
lose data are violations, so every change is traced), 乌海第二十六条 (身份认证、存取访问控制
和信息审计跟踪).
"""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any

from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.http import HttpRequest

from wangban.audit.chain import chain_for, schedule_chaining
from wangban.audit.choices import Channel, Outcome
from wangban.audit.models import AuditEvent

ACTION_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
OBJECT_TYPE_PATTERN = re.compile(r"^[a-z0-9_.-]*$")
MAX_OBJECT_ID = AuditEvent._meta.get_field("object_id").max_length or 64


def json_safe(value: Any) -> Any:
    """`value` as plain JSON types (dates, times, decimals and UUIDs as strings), so that
    what the chainer hashes is exactly what the database gives back."""
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


def snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    """The values of `fields` of `obj` for `before=`/`after=` (foreign keys as their id)."""
    values: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        attname = getattr(field, "attname", name)
        values[name] = getattr(obj, attname)
    return json_safe(values)


def client_ip(request: HttpRequest | None) -> str:
    """REMOTE_ADDR when it is an IP address (a proxy in front must set it, e.g. granian's
    forwarded-header support), otherwise empty."""
    if request is None:
        return ""
    raw = request.META.get("REMOTE_ADDR", "") or ""
    try:
        return str(ipaddress.ip_address(raw.strip()))
    except ValueError:
        return ""


def request_channel(request: HttpRequest | None) -> str:
    if request is None:
        return Channel.SYSTEM
    return Channel.API if request.path.startswith("/api/") else Channel.WEB


def record(
    action: str,
    *,
    actor: Any = None,
    request: HttpRequest | None = None,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    outcome: Outcome | str = Outcome.SUCCESS,
    channel: Channel | str | None = None,
    role: str = "",
    department: str | None = None,
    username: str | None = None,
) -> AuditEvent:
    """Append one audit event in the caller's transaction and return it (still unchained).

    - `action`: a `domain.verb` code, e.g. `role.grant` (labels in `choices.ACTION_LABELS`).
    - `actor`: the user who acted (id, user name and department code are copied), or None for
      the system. `username` overrides the user name snapshot (e.g. the name attempted in a
      failed login, where there is no actor).
    - `request`: gives the IP address (REMOTE_ADDR) and the channel (`api` under /api/, else
      `web`); without a request the channel is `system`. `channel` overrides it (`window`
      for acts at a hall window).
    - `obj` (a model instance) or `object_type` + `object_id`: what was acted upon; from
      `obj` the type is its `app_label.model` (e.g. `accounts.rolegrant`) and the id its pk.
    - `before` / `after`: the changed fields' old and new values (JSON; dates and decimals
      become strings). Never pass secrets; pass masked values for personal data.
    - `outcome`: `success`, `denied` (refused by a rule or permission) or `failure`.
    - `role`: the role under which the actor acted (a `Role` code); `department`: the
      department code, by default the actor's own department.
    """
    event = build_event(
        action,
        actor=actor,
        request=request,
        obj=obj,
        object_type=object_type,
        object_id=object_id,
        before=before,
        after=after,
        outcome=outcome,
        channel=channel,
        role=role,
        department=department,
        username=username,
    )
    event.save(force_insert=True)
    schedule_chaining()
    return event


def build_event(
    action: str,
    *,
    actor: Any = None,
    request: HttpRequest | None = None,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    outcome: Outcome | str = Outcome.SUCCESS,
    channel: Channel | str | None = None,
    role: str = "",
    department: str | None = None,
    username: str | None = None,
) -> AuditEvent:
    """The event `record` would append, checked but not saved: for writers that insert many
    at once (`bulk_create`, then `schedule_chaining()`), such as the catalogue import."""
    if not ACTION_PATTERN.match(action):
        raise ValueError(f"audit action must look like 'domain.verb', not {action!r}")
    if outcome not in Outcome.values:
        raise ValueError(f"audit outcome must be one of {Outcome.values}, not {outcome!r}")
    channel = channel or request_channel(request)
    if channel not in Channel.values:
        raise ValueError(f"audit channel must be one of {Channel.values}, not {channel!r}")
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk if object_id is None else object_id
    object_type = object_type or ""
    if not OBJECT_TYPE_PATTERN.match(object_type):
        raise ValueError(f"audit object type must look like 'app.model', not {object_type!r}")
    object_id = "" if object_id is None else str(object_id)
    if len(object_id) > MAX_OBJECT_ID:
        raise ValueError(f"audit object id longer than {MAX_OBJECT_ID} characters")

    actor_id: int | None = None
    actor_username = ""
    actor_department = ""
    if actor is not None and getattr(actor, "is_authenticated", False):
        actor_id = actor.pk
        actor_username = actor.get_username()
        if getattr(actor, "department_id", None):
            actor_department = actor.department.code
    if username is not None:
        actor_username = username

    return AuditEvent(
        actor_id=actor_id,
        actor_username=actor_username[:150],
        role=str(role),
        department=actor_department if department is None else department,
        ip=client_ip(request),
        channel=str(channel),
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=json_safe(before),
        after=json_safe(after),
        outcome=str(outcome),
        chain=chain_for(object_type, object_id),
    )


# Sign-in events ---------------------------------------------------------------------------


def _account_id(username: str) -> str:
    """The pk of the account with this user name, as a string, or "" if there is none."""
    user_model = get_user_model()
    pk = (
        user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username})
        .values_list("pk", flat=True)
        .first()
    )
    return "" if pk is None else str(pk)


def record_login(request: HttpRequest | None, user: Any) -> AuditEvent:
    """`auth.login`: a user signed in (乌海第二十六条: 身份认证 traced)."""
    return record("auth.login", actor=user, request=request, obj=user)


def record_login_failed(request: HttpRequest | None, username: str) -> AuditEvent:
    """`auth.login_failed`: a sign-in was refused; records the user name attempted and the IP,
    never the password."""
    return record(
        "auth.login_failed",
        request=request,
        username=username,
        object_type=get_user_model()._meta.label_lower,
        object_id=_account_id(username),
        outcome=Outcome.FAILURE,
    )


def record_lockout(request: HttpRequest | None, username: str) -> AuditEvent:
    """`auth.lockout`: an account (or IP) was locked out after repeated failures. To be
    called by the lockout handler (django-axes' `user_locked_out`)."""
    return record(
        "auth.lockout",
        request=request,
        username=username,
        object_type=get_user_model()._meta.label_lower,
        object_id=_account_id(username),
        outcome=Outcome.DENIED,
    )


def on_user_logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    record_login(request, user)


def on_user_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username_field = get_user_model().USERNAME_FIELD
    username = str(credentials.get(username_field) or credentials.get("username") or "")
    record_login_failed(request, username)
