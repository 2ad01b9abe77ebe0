from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from wangban.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("prefs/elder", core_views.toggle_elder_mode, name="toggle-elder-mode"),
    path("api/v1/", include("wangban.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/docs/",
        # Swagger UI sets style attributes from its own (local) script; scripts stay 'self'.
        csp_update({"style-src": [UNSAFE_INLINE]})(
            SpectacularSwaggerSplitView.as_view(url_name="schema")
        ),
        name="api-docs",
    ),
    path("admin/", admin.site.urls),
    path("workbench/", include("wangban.workbench.urls")),
    path("", include("wangban.portal.urls")),
]

handler400 = "wangban.core.views.bad_request"
handler403 = "wangban.core.views.permission_denied"
handler404 = "wangban.core.views.page_not_found"
handler500 = "wangban.core.views.server_error"
