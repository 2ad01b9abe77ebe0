from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "wangban.certificates"
    verbose_name = "电子证照与印章"
