from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
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
