from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "wangban.audit"
    verbose_name = "审计"

    def ready(self) -> None:
        """Sign-ins are audited through Django's auth signals: infrastructure, the one
        place this project uses signals (乌海第二十六条: 身份认证 and 审计跟踪)."""
        from django.contrib.auth.signals import user_logged_in, user_login_failed

        from wangban.audit.actions import on_user_logged_in, on_user_login_failed

        user_logged_in.connect(on_user_logged_in, dispatch_uid="wangban.audit.login")
        user_login_failed.connect(on_user_login_failed, dispatch_uid="wangban.audit.login_failed")
