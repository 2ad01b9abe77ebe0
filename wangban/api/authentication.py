from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from rest_framework import authentication, exceptions

from wangban.accounts.models import ApiToken, User, hash_token
from wangban.core.prepared import Prepared


def token_from_header(request: HttpRequest) -> str | None:
    """The raw bearer token of `Authorization: Bearer <token>`, or None."""
    parts = request.headers.get("Authorization", "").split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return None
    return parts[1]


def user_for_token(raw: str) -> tuple[User, ApiToken] | None:
    """The active user of a usable token, with their department (the audit trail copies
    its code at every write)."""
    token = _TOKEN_BY_HASH.first(hash_token(raw))
    if token is None or not token.is_usable() or not token.user.is_active:
        return None
    return token.user, token


# Every API request reads its token so: compiled once (wangban/core/prepared.py).
_TOKEN_BY_HASH = Prepared(
    lambda key_hash: (
        ApiToken.objects.select_related("user", "user__department")
        .filter(key_hash=key_hash)
        .order_by()
    ),
    "str",
)


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>`; tokens are stored hashed, expire and can be revoked."""

    def authenticate(self, request: Any) -> tuple[User, ApiToken] | None:
        raw = token_from_header(request)
        if raw is None:
            if request.headers.get("Authorization", "").lower().startswith("bearer"):
                raise exceptions.AuthenticationFailed("访问令牌格式错误。")
            return None
        found = user_for_token(raw)
        if found is None:
            raise exceptions.AuthenticationFailed("访问令牌无效、已过期或已吊销。")
        user, token = found
        now = timezone.now()
        # Touch last_used_at at most once a minute: a write per request would be waste.
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return user, token

    def authenticate_header(self, request: Any) -> str:
        return 'Bearer realm="api"'
