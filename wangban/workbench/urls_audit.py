"""Audit pages of the workbench (supervisors and centre admins), under /workbench/audit/."""

from django.urls import URLPattern, path

from wangban.workbench import audit_views

urlpatterns: list[URLPattern] = [
    path("", audit_views.audit_list, name="audit-list"),
    path("export/", audit_views.audit_export, name="audit-export"),
    path(
        "object/<str:object_type>/<path:object_id>/",
        audit_views.audit_object,
        name="audit-object",
    ),
]
