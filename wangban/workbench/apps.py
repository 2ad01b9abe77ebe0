from django.apps import AppConfig


class WorkbenchConfig(AppConfig):
    name = "wangban.workbench"
    verbose_name = "工作台"
