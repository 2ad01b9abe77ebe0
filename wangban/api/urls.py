from django.urls import path

from wangban.api import views

app_name = "api"

urlpatterns = [
    path("auth/token", views.TokenView.as_view(), name="token"),
]
