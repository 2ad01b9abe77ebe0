from django.contrib.auth import views as auth_views
from django.urls import include, path

from wangban.portal.account import auth
from wangban.workbench import views

app_name = "workbench"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login, name="login"),
    path("login/otp/", views.login_otp, name="login-otp"),
    path("logout/", auth_views.LogoutView.as_view(next_page="workbench:login"), name="logout"),
    path("otp/", views.otp_enrol, name="otp-enrol"),
    path("password/", auth.workbench_password_change, name="password-change"),
    path("password/reset/", auth.workbench_password_reset, name="password-reset"),
    path("password/reset/code/", auth.workbench_password_reset_code, name="password-reset-code"),
    path("audit/", include("wangban.workbench.urls_audit")),
    path("catalog/", include("wangban.workbench.urls_catalog")),
    path("cases/", include("wangban.workbench.urls_cases")),
    path("", include("wangban.workbench.urls_staff")),
]
