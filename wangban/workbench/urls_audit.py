"""Audit pages of the workbench (supervisors and centre admins)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
