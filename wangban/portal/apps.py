from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "wangban.portal"
    verbose_name = "门户"
