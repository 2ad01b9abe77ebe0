"""A tiny API used only by the API-convention tests: each POST writes a row; one list."""

from __future__ import annotations

from django.urls import include, path, re_path
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from wangban.accounts.models import User


class CreateUser(APIView):
    def post(self, request: Request) -> Response:
        created = User.objects.create(username=str(request.data.get("username")))  # type: ignore[union-attr]
        return Response({"id": str(created.pk), "username": created.username}, status=201)


class CreateThenCrash(APIView):
    def post(self, request: Request) -> Response:
        User.objects.create(username=str(request.data.get("username")))  # type: ignore[union-attr]
        raise RuntimeError("crash after the write")


class CreateThenRefuse(APIView):
    """Writes a row, then answers with the status asked for (`?status=403`)."""

    def post(self, request: Request) -> Response:
        User.objects.create(username=str(request.data.get("username")))  # type: ignore[union-attr]
        status = int(request.query_params.get("status", "403"))
        return Response({"error": {"code": "refused", "message": "", "fields": {}}}, status=status)


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["username"]


class ListUsers(generics.ListAPIView):
    queryset = User.objects.order_by("username")
    serializer_class = UserSerializer


urlpatterns = [
    path("api/v1/test-users-list", ListUsers.as_view()),
    path("api/v1/test-users", CreateUser.as_view()),
    path("api/v1/test-crash", CreateThenCrash.as_view()),
    path("api/v1/test-refuse", CreateThenRefuse.as_view()),
    re_path(r"^api/v1/test-long/a+$", CreateUser.as_view()),
    path("api/v1/", include("wangban.api.urls")),
]

handler500 = "wangban.core.views.server_error"
