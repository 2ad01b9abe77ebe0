from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "wangban.notify"
    verbose_name = "消息通知"

    def ready(self) -> None:
        from wangban.notify import checks  # noqa: F401 - registers the checks
