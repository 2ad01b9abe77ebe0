from __future__ import annotations

from collections.abc import Callable

from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every dynamic response that did not choose its own
    caching. Pages and API answers may carry personal data, and a shared or browser
    cache must never keep them; public pages opt in to caching explicitly. Static files
    are answered earlier, by WhiteNoise, with their own long-lived headers."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            response["Cache-Control"] = "no-store"
        patch_vary_headers(response, ["Cookie"])
        return response


#: What a page or the API answers when PostgreSQL refused a character it cannot store.
UNSTORABLE_MESSAGE = "内容中含有无法保存的字符（如空字符），请删除后重试。"


class UnstorableCharacterMiddleware:
    """A 400 with the reason in Chinese, not a server error, for input that PostgreSQL
    refuses as text: a NUL character (SQLite takes it) in a query string or a form field
    that no check caught before it reached the database. The transaction that tried to
    store it has been rolled back, so the request changed nothing. The actions refuse such
    text themselves, field by field; this is the net under them. An address with a NUL is
    not found (404), whatever the database."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path:  # no page has such an address, on any database
            from wangban.core.views import page_not_found

            return page_not_found(request, Http404())
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not _unstorable_text(exception):
            return None
        from wangban.api.errors import error_response, wants_json

        if wants_json(request):
            return error_response(400, "validation_failed", UNSTORABLE_MESSAGE)
        return render(request, "errors/400.html", {"message": UNSTORABLE_MESSAGE}, status=400)


def _unstorable_text(exception: Exception) -> bool:
    """psycopg's refusal of a NUL in a text parameter, or PostgreSQL's of a character its
    encoding cannot hold (SQLSTATE 22021, 22P05: `\\u0000` in jsonb)."""
    if not isinstance(exception, DataError):
        return False
    cause = exception.__cause__
    return "NUL" in str(cause) or getattr(cause, "sqlstate", None) in ("22021", "22P05")
