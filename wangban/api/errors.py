"""The error envelope of API.md, produced in one place.

Every refusal leaves the API as
`{"error": {"code", "message", "fields"}}` with a stable code and a Chinese message.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

from wangban.core.errors import DomainError

# DRF exception class -> (stable code, Chinese message); first match wins.
_DRF_ERRORS: list[tuple[type[exceptions.APIException], str, str]] = [
    (exceptions.NotAuthenticated, "not_authenticated", "请先登录或提供有效的访问令牌。"),
    (exceptions.AuthenticationFailed, "authentication_failed", "身份认证失败。"),
    (exceptions.NotFound, "not_found", "对象不存在，或您无权查看。"),
    (exceptions.PermissionDenied, "permission_denied", "您无权执行此操作。"),
    (exceptions.MethodNotAllowed, "method_not_allowed", "不支持该请求方法。"),
    (exceptions.NotAcceptable, "not_acceptable", "无法提供所请求的格式。"),
    (exceptions.UnsupportedMediaType, "unsupported_media_type", "不支持该内容类型。"),
    (exceptions.Throttled, "rate_limited", "请求过于频繁，请稍后再试。"),
    (exceptions.ParseError, "malformed_request", "请求内容无法解析，请检查 JSON 格式。"),
    (exceptions.ValidationError, "validation_failed", "提交的内容有误，请按提示修改。"),
]


def envelope(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def error_response(
    status: int, code: str, message: str, fields: dict[str, list[str]] | None = None
) -> JsonResponse:
    """For refusals made outside DRF views (middleware, Django's error handlers)."""
    return JsonResponse(
        envelope(code, message, fields), status=status, json_dumps_params={"ensure_ascii": False}
    )


def _flatten_fields(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail -> {"field" or "field.sub" or "items.0.reason": [messages]}."""
    fields: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for name, sub in detail.items():
            key = f"{prefix}.{name}" if prefix else str(name)
            fields.update(_flatten_fields(sub, key))
    elif isinstance(detail, list) and any(isinstance(d, dict | list) for d in detail):
        for index, sub in enumerate(detail):
            fields.update(_flatten_fields(sub, f"{prefix}.{index}" if prefix else str(index)))
    elif isinstance(detail, list):
        fields[prefix or "non_field_errors"] = [str(d) for d in detail]
    else:
        fields[prefix or "non_field_errors"] = [str(detail)]
    return fields


#: A list's entry as the domain names it, `items[0]` (only at the start: material codes,
#: which follow `materials.`, may hold any text).
_INDEX = re.compile(r"^(\w+)\[(\d+)\]")


def _dotted(fields: dict[str, list[str]]) -> dict[str, list[str]]:
    """The domain's `items[0].reason` as the API writes every nested field: `items.0.reason`
    (the serializers' errors of the same request come so, through `_flatten_fields`)."""
    return {_INDEX.sub(r"\1.\2", name): messages for name, messages in fields.items()}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    headers: dict[str, str] = {}
    if isinstance(exc, DomainError):
        set_rollback()
        return Response(envelope(exc.code, exc.message, _dotted(exc.fields)), status=exc.status)
    if isinstance(exc, RequestDataTooBig):
        return Response(envelope("payload_too_large", "上传内容过大。"), status=413)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None  # a real server error: Django's handler500 answers and logs it
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
    wait = getattr(exc, "wait", None)  # set by Throttled
    if wait is not None:
        headers["Retry-After"] = str(int(wait))
    set_rollback()
    code, message = next(
        ((code, message) for cls, code, message in _DRF_ERRORS if isinstance(exc, cls)),
        ("error", "请求无法处理。"),
    )
    fields: dict[str, list[str]] = {}
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten_fields(exc.detail)
    elif isinstance(exc.detail, str) and code in {"authentication_failed"}:
        message = str(exc.detail)
    return Response(envelope(code, message, fields), status=exc.status_code, headers=headers)


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")
