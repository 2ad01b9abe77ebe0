from django.contrib.auth import views as auth_views
from django.urls import include, path

from wangban.workbench import views

app_name = "workbench"

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="workbench/login.html"),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(next_page="workbench:login"), name="logout"),
    path("audit/", include("wangban.workbench.urls_audit")),
]
