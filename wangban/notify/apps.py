from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "wangban.notify"
    verbose_name = "消息通知"
