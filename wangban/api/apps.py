from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "wangban.api"
    verbose_name = "接口"

    def ready(self) -> None:
        from wangban.api import schema  # noqa: F401 - registers the OpenAPI extensions
