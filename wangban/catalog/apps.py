from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "wangban.catalog"
    verbose_name = "事项目录"
