"""Domain errors with stable codes.

Actions raise these; the API maps each kind once to an HTTP status and the error
envelope of API.md, and pages show the message beside the field.
"""

from __future__ import annotations


class DomainError(Exception):
    """A refused request. `code` is stable: integrators rely on it."""

    status = 400
    code = "invalid"
    default_message = "请求无效。"

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        fields: dict[str, list[str]] | None = None,
    ) -> None:
        self.message = message or self.default_message
        if code:
            self.code = code
        self.fields = fields or {}
        super().__init__(self.message)


class InvalidInput(DomainError):
    status = 400
    code = "validation_failed"
    default_message = "提交的内容有误，请按提示修改。"


class NotFound(DomainError):
    status = 404
    code = "not_found"
    default_message = "对象不存在，或您无权查看。"


class Forbidden(DomainError):
    status = 403
    code = "permission_denied"
    default_message = "您无权执行此操作。"


class Conflict(DomainError):
    """Not allowed in the current state, a stale write, or an idempotency conflict."""

    status = 409
    code = "conflict"
    default_message = "当前状态不允许此操作。"


class FileTooLarge(DomainError):
    status = 413
    code = "file_too_large"
    default_message = "文件太大。"


class FileTypeRefused(DomainError):
    status = 415
    code = "unsupported_file_type"
    default_message = "不支持该文件类型。"
