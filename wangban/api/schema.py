"""OpenAPI extensions: how drf-spectacular describes our authentication."""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from wangban.api.idempotency import is_exempt_path


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "wangban.api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "POST /api/v1/auth/token 取得的访问令牌：`Authorization: Bearer <token>`。"
            ),
        }


ERROR_SCHEMA = {
    "type": "object",
    "description": "所有拒绝的统一格式（API.md, Conventions）。",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "properties": {
                "code": {"type": "string", "description": "稳定的错误代码"},
                "message": {"type": "string", "description": "中文说明"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
        }
    },
}

# The refusals every operation may answer with, in the order API.md checks them.
ERROR_STATUSES = {
    "400": "输入无效（validation_failed、malformed_request）",
    "401": "未认证（not_authenticated、authentication_failed）",
    "403": "无权执行（permission_denied、csrf_failed）",
    "404": "对象不存在或无权查看（not_found）",
    "405": "不支持该请求方法（method_not_allowed）",
    "406": "无法提供 Accept 所要求的格式（not_acceptable）",
    "409": "当前状态不允许（conflict、idempotency_key_reused 等）",
    "413": "上传内容过大（payload_too_large）",
    "415": "不支持的内容类型（unsupported_media_type）",
    "429": "请求过于频繁或账户已临时锁定（rate_limited、locked_out）",
}


#: API.md: every POST accepts it (wangban/api/idempotency.py).
IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "幂等键：同一用户、方法和路径下 24 小时内以相同的键和请求体重复提交，返回首次的"
    "响应且不再办理；相同的键配不同的请求体返回 409 idempotency_key_reused。",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}


#: Where nothing is kept for replay (`idempotency_exempt`: tokens, progress queries).
IGNORED_IDEMPOTENCY_KEY = {
    **IDEMPOTENCY_KEY,
    "description": "接受但不起作用：该操作不保存响应，重复提交即重新办理（如每次签发新的令牌）。",
}


def add_error_responses(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: document the error envelope on every operation,
    so that clients (and schema-driven tests) know every answer the API can give, and the
    Idempotency-Key header on every POST."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    reference = {"$ref": "#/components/schemas/Error"}
    for route, path in result.get("paths", {}).items():
        for method, operation in path.items():
            if method == "post":
                exempt = is_exempt_path(re.sub(r"\{[^}]+\}", "x", route))
                header = IGNORED_IDEMPOTENCY_KEY if exempt else IDEMPOTENCY_KEY
                operation.setdefault("parameters", []).append(header)
            responses = operation.setdefault("responses", {})
            for status, description in ERROR_STATUSES.items():
                responses.setdefault(
                    status,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": reference}},
                    },
                )
    return result
