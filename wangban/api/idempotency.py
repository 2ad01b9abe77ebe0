"""`Idempotency-Key` on every POST of the API (API.md, Conventions).

The first response is stored per caller, method, path and key for 24 hours. A repeat
with the same key and body returns that response and does nothing again; the same key
with another body is 409 `idempotency_key_reused`. The record and the view's writes
share one transaction: a crash rolls back both, so a retry runs the request afresh,
and a concurrent twin waits on the key's unique index and then replays the winner.

A view class may name work that must commit on its own, before the request's transaction
(`before_transaction(request, user, **url_kwargs)`, e.g. what the law has done by itself
whatever the request's outcome): the middleware runs it before opening its transaction and
marks the request (`before_transaction_done`), so that the view does not run it again.

"The same body" is the same bytes for JSON. For a multipart upload it is the same fields
and the same files (name and content, hashed as they stream from the parsed upload): the
raw body cannot be read whole — a file above DATA_UPLOAD_MAX_MEMORY_SIZE would refuse it —
and a client's retry sends the same parts under a new boundary.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import Resolver404, resolve
from django.utils import timezone

from wangban.api.authentication import token_from_header, user_for_token
from wangban.api.errors import error_response
from wangban.api.models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
MAX_PATH_LENGTH = 500  # IdempotencyRecord.path's column
# Refusals that depend on the moment or on the caller's credentials, not on the request:
# replaying them would repeat a stale answer for 24 hours, so they are never stored.
NOT_STORED_STATUSES = frozenset({401, 403, 429})


def idempotency_exempt(view: Callable) -> Callable:
    """Mark a view whose response must not be stored (it carries a secret, such as a
    freshly issued token); the header is accepted and the request simply runs."""
    view.idempotency_exempt = True  # type: ignore[attr-defined]
    return view


def _caller(request: HttpRequest) -> Any:
    """The user the request comes from: the bearer token's, else the session's."""
    raw = token_from_header(request)
    if raw is not None:
        found = user_for_token(raw)
        if found is not None:
            return found[0]
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def _scope(request: HttpRequest) -> str:
    user = _caller(request)
    if user is not None:
        return f"user:{user.pk}"
    return f"anon:{request.META.get('REMOTE_ADDR', '')}"


def _run_before_transaction(request: HttpRequest) -> None:
    """The view's `before_transaction` work, for a signed-in caller, committed on its own."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return
    hook = getattr(getattr(match.func, "cls", None), "before_transaction", None)
    user = _caller(request) if hook is not None else None  # a token lookup only if needed
    if hook is not None and user is not None:
        hook(request, user, **match.kwargs)
    request.before_transaction_done = True  # type: ignore[attr-defined]


def _is_exempt(request: HttpRequest) -> bool:
    return is_exempt_path(request.path_info)


def is_exempt_path(path: str) -> bool:
    """The view at `path` keeps no answers for replay (a new token each time, a progress
    query): the header is accepted and ignored there. Unknown paths too (404 anyway)."""
    try:
        match = resolve(path)
    except Resolver404:
        return True
    view = match.func
    return bool(
        getattr(view, "idempotency_exempt", False)
        or getattr(getattr(view, "cls", None), "idempotency_exempt", False)
    )


def _multipart_hash(request: HttpRequest) -> str:
    """The fields and files of a parsed multipart body, in a fixed order: each file by its
    field, name, size and SHA-256, read in chunks from where Django put it (memory or a
    temporary file), never held whole. The files are rewound for the view."""
    digest = hashlib.sha256(b"multipart\n")
    for name in sorted(request.POST):
        for value in request.POST.getlist(name):
            digest.update(json.dumps(["field", name, value]).encode() + b"\n")
    for name in sorted(request.FILES):
        for upload in request.FILES.getlist(name):
            content = hashlib.sha256()
            for chunk in upload.chunks():
                content.update(chunk)
            upload.seek(0)
            part = ["file", name, upload.name, upload.size, content.hexdigest()]
            digest.update(json.dumps(part).encode() + b"\n")
    return digest.hexdigest()


def request_hash(request: HttpRequest) -> str:
    """What makes two requests "the same body" (see the module's docstring)."""
    if request.content_type == "multipart/form-data":
        return _multipart_hash(request)
    return hashlib.sha256(request.body).hexdigest()


#: Headers of the first answer that a replay carries too: "a repeat returns the first
#: response" (API.md), and a created draft's address is part of it.
REPLAYED_HEADERS = ("Location", "Retry-After")


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(
        bytes(record.body), status=record.status_code, content_type=record.content_type
    )
    for name, value in (record.headers or {}).items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None or not request.path.startswith("/api/"):
            return self.get_response(request)
        if not key or len(key) > MAX_KEY_LENGTH:
            return error_response(
                400,
                "validation_failed",
                "Idempotency-Key 须为 1 至 255 个字符。",
                {HEADER: ["长度须为 1 至 255 个字符。"]},
            )
        if _is_exempt(request):
            return self.get_response(request)
        if len(request.path) > MAX_PATH_LENGTH:
            return error_response(
                400,
                "validation_failed",
                "请求路径过长，不能使用 Idempotency-Key。",
                {HEADER: ["请求路径最长 500 个字符。"]},
            )
        try:
            body_hash = request_hash(request)
        except RequestDataTooBig:
            return error_response(413, "payload_too_large", "上传内容过大。")
        except (MultiPartParserError, TooManyFieldsSent, TooManyFilesSent):
            return error_response(400, "malformed_request", "请求内容无法解析，请检查表单格式。")
        identity = {
            "scope": _scope(request),
            "method": request.method,
            "path": request.path,
            "key": key,
        }
        _run_before_transaction(request)
        with transaction.atomic():
            expired = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)
            IdempotencyRecord.objects.filter(**identity, created_at__lt=expired).delete()
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(**identity, request_hash=body_hash)
            except IntegrityError:
                first = IdempotencyRecord.objects.get(**identity)
                if first.request_hash != body_hash:
                    return error_response(
                        409,
                        "idempotency_key_reused",
                        "该 Idempotency-Key 已用于内容不同的请求，请换用新的键。",
                    )
                return _replay(first)
            response = self.get_response(request)
            if (
                response.status_code >= 500
                or response.status_code in NOT_STORED_STATUSES
                or response.streaming
            ):
                # Nothing of a failed or refused request is kept, so that the retry runs
                # afresh (a refusal rolls back the view's writes too, as a 5xx does).
                transaction.set_rollback(True)
                return response
            record.status_code = response.status_code
            record.content_type = response.get("Content-Type", "")
            record.body = response.content
            record.headers = {
                name: response[name] for name in REPLAYED_HEADERS if response.has_header(name)
            }
            record.save(update_fields=["status_code", "content_type", "body", "headers"])
        return response
