from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "wangban.audit"
    verbose_name = "审计"
