from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from wangban.accounts import otp
from wangban.accounts.models import ApiToken
from wangban.api.throttling import ClientAddressThrottle
from wangban.audit.actions import record
from wangban.core.errors import Forbidden

SECOND_FACTOR_REQUIRED = "second_factor_required"
SECOND_FACTOR_MESSAGE = "工作人员请在工作台登录并完成动态口令验证；接口令牌暂不支持动态口令。"


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(label="用户名", max_length=150)
    password = serializers.CharField(label="密码", max_length=128, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(label="访问令牌", help_text="只在签发时返回一次")
    expires_at = serializers.DateTimeField(label="过期时间")


class TokenView(APIView):
    """Issue a bearer token (`POST`) or revoke the one in use (`DELETE`).

    The token response is never stored for Idempotency-Key replay: it carries the
    only copy of the secret. A retried request simply issues another token.

    A password alone is not enough for staff who have a confirmed TOTP device or must
    enrol one (centre admins outside demo mode): they get 403 `second_factor_required`,
    since a token cannot carry the second factor. Each issued token is audited as
    `auth.login` on the `api` channel.
    """

    throttle_scope = "auth"
    idempotency_exempt = True

    def get_permissions(self) -> list[Any]:
        return [AllowAny()] if self.request.method == "POST" else [IsAuthenticated()]

    def get_throttles(self) -> list[Any]:
        return [ClientAddressThrottle()] if self.request.method == "POST" else []

    @extend_schema(request=TokenRequestSerializer, responses={201: TokenSerializer}, auth=[])
    def post(self, request: Request) -> Response:
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
        )
        if user is None or not user.is_active:
            raise AuthenticationFailed("用户名或密码错误。")
        if otp.second_factor_needed(user) is not None:
            raise Forbidden(SECOND_FACTOR_MESSAGE, code=SECOND_FACTOR_REQUIRED)
        with transaction.atomic():
            token, raw = ApiToken.issue(user)
            record("auth.login", actor=user, request=request._request, obj=user, channel="api")
        body = TokenSerializer({"token": raw, "expires_at": token.expires_at}).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request) -> Response:
        if isinstance(request.auth, ApiToken):
            request.auth.revoke()
        return Response(status=status.HTTP_204_NO_CONTENT)
