from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "wangban.cases"
    verbose_name = "办件"
