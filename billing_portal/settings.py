"""Settings for the DID portal, read from the environment.

DATABASE_URL   default: SQLite file db.sqlite3 in the project folder
SECRET_KEY     required when DEBUG=0
DEBUG          1 (default, development) or 0 (production profile)
ALLOWED_HOSTS  comma-separated; default localhost names in development
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DEBUG", True)

_DEV_SECRET = "dev-only-insecure-key-never-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", _DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise RuntimeError("SECRET_KEY must be set when DEBUG=0")

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "billing_portal",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_countries",
    "djmoney",
    "accounts",
    "dids",
    "billing",
    "calls",
    "routing",
    "resellers",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.SuspendedAccountLogoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "billing_portal.urls"
WSGI_APPLICATION = "billing_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
# Thousands separators in counters ("1 - 25 of 1,234 Records").
USE_THOUSAND_SEPARATOR = False

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))  # collectstatic writes here
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Money: one currency for now. Changing this list changes field choices and migrations.
PORTAL_CURRENCY = "USD"
CURRENCIES = ("USD",)
DEFAULT_CURRENCY = PORTAL_CURRENCY

# The seed's "default provider (3673942894)".
DEFAULT_PROVIDER_NAME = "default provider"

# DID imports (dids/importing/): where uploads wait for confirmation and error
# reports are kept (shared by all app servers), the largest upload, the largest range.
DID_IMPORT_DIR = os.environ.get("DID_IMPORT_DIR", str(BASE_DIR / "var" / "imports"))
DID_IMPORT_MAX_MB = int(os.environ.get("DID_IMPORT_MAX_MB", "50"))
DID_RANGE_MAX = int(os.environ.get("DID_RANGE_MAX", "100000"))
# Files this large (PostgreSQL) are written by a background thread while they are checked.
DID_IMPORT_BACKGROUND_MB = int(os.environ.get("DID_IMPORT_BACKGROUND_MB", "5"))

# Billing run (billing/renewals.py, `manage.py run_billing`).
BILLING_GRACE_DAYS = int(os.environ.get("BILLING_GRACE_DAYS", "3"))  # suspended this long before release
LOW_BALANCE_NOTICE_DAYS = int(os.environ.get("LOW_BALANCE_NOTICE_DAYS", "3"))  # warn this long before a renewal
BILLING_BATCH_SIZE = int(os.environ.get("BILLING_BATCH_SIZE", "200"))  # DIDs per transaction

# Routing lookups for FreeSWITCH (routing/freeswitch.py): the dialplan context answered
# (other contexts fall back to FreeSWITCH's own files), the Sofia profile for SIP URIs,
# the gateway for PSTN destinations.
ROUTING_FREESWITCH_CONTEXT = os.environ.get("ROUTING_FREESWITCH_CONTEXT", "public")
ROUTING_SIP_PROFILE = os.environ.get("ROUTING_SIP_PROFILE", "external")
ROUTING_PSTN_GATEWAY = os.environ.get("ROUTING_PSTN_GATEWAY", "pstn")

# Notifications go through Django's email framework: printed to the console
# unless an SMTP server is configured.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "0") == "1"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "billing@did-portal.local")

if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
AUTHENTICATION_BACKENDS = ["accounts.backends.PortalBackend"]
