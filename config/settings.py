"""wangban settings: one module, driven by environment variables.

The defaults are the production ones (HTTPS only, no debug, secret key required).
`WANGBAN_DEMO=1` relaxes exactly what a local demonstration needs and is refused
together with production settings (a public host name).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from wangban.accounts.passwords import password_validators

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("WANGBAN_VAR_DIR", BASE_DIR / "var"))

LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]"}


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1 or 0, not {value!r}")


def env_list(name: str, default: str = "") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


DEBUG = env_bool("DEBUG", False)
DEMO = env_bool("WANGBAN_DEMO", False)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
if DEMO and not set(ALLOWED_HOSTS) <= LOCAL_HOSTS:
    raise ImproperlyConfigured(
        "WANGBAN_DEMO=1 only serves localhost: demo accounts and plain HTTP must never "
        f"face a public host, but ALLOWED_HOSTS is {ALLOWED_HOSTS}."
    )

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not (DEMO or DEBUG):
        raise ImproperlyConfigured("SECRET_KEY must be set outside demo and debug mode.")
    SECRET_KEY = "demo-only-insecure-secret-key-" + "x" * 40

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "axes",  # login lockout after repeated failures
    "django_otp",  # second factor (TOTP) for staff
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "wangban.core",
    "wangban.accounts",
    "wangban.audit",
    "wangban.catalog",
    "wangban.notify",
    "wangban.cases",
    "wangban.certificates",
    "wangban.api",
    "wangban.portal",
    "wangban.workbench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified()
    "django.contrib.messages.middleware.MessageMiddleware",
    # Login security (wangban/accounts/middleware.py): idle timeout, then the second factor
    # for the workbench, then a forced change of an expired password.
    "wangban.accounts.middleware.IdleTimeoutMiddleware",
    "wangban.accounts.middleware.SecondFactorMiddleware",
    "wangban.accounts.middleware.PasswordExpiryMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wangban.core.middleware.NoStoreMiddleware",
    "wangban.core.middleware.UnstorableCharacterMiddleware",
    "wangban.api.idempotency.IdempotencyMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into its 429 answer
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wangban.core.context_processors.site",
            ],
        },
    },
]

# Database: embedded SQLite by default, PostgreSQL 15+ through DATABASE_URL.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'wangban.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers take the lock when their transaction begins (IMMEDIATE) and wait up to
    # the timeout, so concurrent writes queue instead of failing with "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
    # Tests use a file, not memory, so that WAL, locking and the busy timeout are real.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test_wangban.sqlite3")}
elif os.environ.get("DB_PREPARED_STATEMENTS", "1") == "1":
    # PostgreSQL: parameters bound by the server, and a statement run a few times on one
    # connection is prepared once and then only executed: the case actions repeat the same
    # queries, and planning them anew each time was a fifth of a lifecycle (bench/cases.py).
    # Behind a pooler in transaction mode (PgBouncer < 1.21) set DB_PREPARED_STATEMENTS=0.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=5
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# django-axes watches every authenticate() call (pages and API token alike) and refuses it
# while locked; it must come first. The real check is Django's ModelBackend.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# Password policy (wangban/accounts/passwords.py): "asvs" (OWASP ASVS: 12 to 128 characters,
# not a common password, no composition rules, no rotation) or "dengbao" (等保 2.0: 8 or more
# characters of 3 of 4 kinds, changed every WANGBAN_PASSWORD_MAX_AGE_DAYS days).
WANGBAN_PASSWORD_POLICY = os.environ.get("WANGBAN_PASSWORD_POLICY", "asvs")
WANGBAN_PASSWORD_MAX_AGE_DAYS = int(os.environ.get("WANGBAN_PASSWORD_MAX_AGE_DAYS", "90"))
AUTH_PASSWORD_VALIDATORS = password_validators(
    WANGBAN_PASSWORD_POLICY, max_age_days=WANGBAN_PASSWORD_MAX_AGE_DAYS
)

# Lockout (django-axes): WANGBAN_LOGIN_FAILURE_LIMIT failures lock that user name *from that
# address* for WANGBAN_LOGIN_LOCKOUT_MINUTES. Not by address alone (a government office
# behind one NAT address would lock itself out), not by user name alone (anyone anywhere
# could lock any citizen out by typing their user name five times).
AXES_FAILURE_LIMIT = int(os.environ.get("WANGBAN_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("WANGBAN_LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # the lock lasts exactly the cool-off
AXES_LOCKOUT_CALLABLE = "wangban.accounts.lockout.lockout_response"  # Chinese page, API 429

# Sessions end when the browser closes and after this many idle minutes (NIST SP 800-63B
# AAL2: 30); staff are users with a department.
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
WANGBAN_STAFF_IDLE_MINUTES = int(os.environ.get("WANGBAN_STAFF_IDLE_MINUTES", "30"))
WANGBAN_APPLICANT_IDLE_MINUTES = int(os.environ.get("WANGBAN_APPLICANT_IDLE_MINUTES", "30"))

# TOTP second factor: the name authenticator apps show beside the account.
OTP_TOTP_ISSUER = "网办"

# SMS gateway plugin (wangban/accounts/sms.py); "local" is the offline development gateway,
# "http" a provider's HTTP API in the protocol of docs/notify.md ("The HTTP SMS gateway").
WANGBAN_SMS_GATEWAY = os.environ.get("WANGBAN_SMS_GATEWAY", "local")
WANGBAN_SMS_HTTP_URL = os.environ.get("WANGBAN_SMS_HTTP_URL", "")
WANGBAN_SMS_HTTP_KEY_ID = os.environ.get("WANGBAN_SMS_HTTP_KEY_ID", "")
WANGBAN_SMS_HTTP_SECRET = os.environ.get("WANGBAN_SMS_HTTP_SECRET", "")
WANGBAN_SMS_HTTP_SIGN_NAME = os.environ.get("WANGBAN_SMS_HTTP_SIGN_NAME", "网办")
WANGBAN_SMS_HTTP_TEMPLATE = os.environ.get("WANGBAN_SMS_HTTP_TEMPLATE", "WANGBAN_NOTICE")
WANGBAN_SMS_HTTP_TIMEOUT_SECONDS = float(os.environ.get("WANGBAN_SMS_HTTP_TIMEOUT_SECONDS", "5"))

# Language and time: Chinese first, Beijing time.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "wangban" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if os.environ.get("REDIS_URL"):
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["REDIS_URL"],
    }

# HTTPS: production serves only HTTPS; demo mode alone allows plain HTTP on localhost.
HTTPS = not (DEMO or DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Content-Security-Policy: nothing inline, nothing from another origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "wangban.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "wangban.api.pagination.PageNumberPagination",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        # Turns a body nested too deeply for Python into a 400 rather than a 500.
        "wangban.api.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "wangban.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {"auth": "10/minute", "public": "30/minute"},
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
API_TOKEN_TTL_HOURS = int(os.environ.get("API_TOKEN_TTL_HOURS", "12"))
IDEMPOTENCY_TTL_HOURS = 24

SPECTACULAR_SETTINGS = {
    "TITLE": "wangban REST API",
    "DESCRIPTION": "网办 REST API v1：事项目录、办件、电子证照与健康检查。",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "wangban.api.schema.add_error_responses",
    ],
}

# Background tasks: Django's tasks API on the database, run by `manage.py db_worker`.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
# The catalogue editor posts every material, step and fee as form fields (about 25 each).
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000
CSRF_FAILURE_VIEW = "wangban.core.views.csrf_failure"
LOGIN_URL = "workbench:login"
LOGIN_REDIRECT_URL = "workbench:home"

# Idempotent management commands that the scheduler (cron, a systemd timer, or the loop
# of `manage.py serve`) runs every minute.
# `verify_audit` is heavier: run it daily from cron (docs/audit.md).
WANGBAN_PERIODIC_COMMANDS = [
    "purge_idempotency",
    "chain_audit",
    "sign_audit_heads",
    "deliver_outbox",
    "activate_items",
    "deem_acceptance",
    "render_documents",
    "remind_corrections",
    "purge_orphan_files",
]

# Personal data at rest (wangban/core/pii.py): SM4-GCM keys as "id:base64,id:base64" (the
# first encrypts, all decrypt) and the fixed key of the lookup digest. Demo mode derives both.
WANGBAN_PII_KEYS = os.environ.get("WANGBAN_PII_KEYS", "")
WANGBAN_PII_DIGEST_KEY = os.environ.get("WANGBAN_PII_DIGEST_KEY", "")
if not (DEMO or DEBUG) and not (WANGBAN_PII_KEYS and WANGBAN_PII_DIGEST_KEY):
    raise ImproperlyConfigured(
        "WANGBAN_PII_KEYS and WANGBAN_PII_DIGEST_KEY must be set outside demo and debug mode "
        "(python -c 'import base64,secrets; print(base64.b64encode(secrets.token_bytes(16)))')."
    )
WANGBAN_IDENTITY_VERIFIER = os.environ.get("WANGBAN_IDENTITY_VERIFIER", "local")

# The HMAC key that signs audit chain heads (docs/audit.md); keep it off the database host.
WANGBAN_AUDIT_SIGNING_KEY = os.environ.get("WANGBAN_AUDIT_SIGNING_KEY", "")
if not (DEMO or DEBUG) and not WANGBAN_AUDIT_SIGNING_KEY:
    raise ImproperlyConfigured("WANGBAN_AUDIT_SIGNING_KEY must be set outside demo and debug mode.")

# Notify outbox and signed webhooks (docs/notify.md): attempts before a message is dead, the
# retry schedule (base × 4^(n−1) seconds, capped, ±20 % jitter), the timeout of one webhook
# call, and the lease of a message being sent (longer than the timeout: after it, another
# worker takes the message again).
WANGBAN_NOTIFY_MAX_ATTEMPTS = int(os.environ.get("WANGBAN_NOTIFY_MAX_ATTEMPTS", "8"))
WANGBAN_NOTIFY_RETRY_BASE_SECONDS = int(os.environ.get("WANGBAN_NOTIFY_RETRY_BASE_SECONDS", "60"))
WANGBAN_NOTIFY_RETRY_MAX_SECONDS = int(os.environ.get("WANGBAN_NOTIFY_RETRY_MAX_SECONDS", "43200"))
WANGBAN_NOTIFY_TIMEOUT_SECONDS = float(os.environ.get("WANGBAN_NOTIFY_TIMEOUT_SECONDS", "10"))
WANGBAN_NOTIFY_LEASE_SECONDS = int(os.environ.get("WANGBAN_NOTIFY_LEASE_SECONDS", "120"))

# The portal's public origin, for links that leave the site: the QR code on a sealed
# decision points to its verification page there.
WANGBAN_PUBLIC_URL = os.environ.get("WANGBAN_PUBLIC_URL", "http://localhost:8000")
