from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "wangban.core"
    verbose_name = "基础设施"

    def ready(self) -> None:
        from wangban.core import calendar_checks, checks  # noqa: F401 - registers the checks
