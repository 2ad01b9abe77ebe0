"""Staff and department management pages of the workbench."""

from django.urls import path

from wangban.workbench import staff_views

urlpatterns = [
    path("staff/", staff_views.staff_list, name="staff-list"),
    path("staff/new/", staff_views.staff_create, name="staff-create"),
    path("staff/<int:user_id>/", staff_views.staff_detail, name="staff-detail"),
    path(
        "staff/<int:user_id>/roles/<int:grant_id>/revoke/",
        staff_views.role_revoke,
        name="role-revoke",
    ),
    path("departments/", staff_views.department_list, name="department-list"),
    path("departments/new/", staff_views.department_edit, name="department-create"),
    path("departments/<str:code>/", staff_views.department_edit, name="department-edit"),
]
