from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "wangban.api"
    verbose_name = "接口"
