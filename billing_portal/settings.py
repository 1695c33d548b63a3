"""Settings for the DID portal, read from the environment.

DATABASE_URL   default: SQLite file db.sqlite3 in the project folder
SECRET_KEY     required when DEBUG=0
DEBUG          1 (default, development) or 0 (production profile)
ALLOWED_HOSTS  comma-separated; default localhost names in development
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from whitenoise.compress import Compressor

import core.countries

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
    "core",  # app-free parts: money, listing, forms and widgets, CSV, import machinery, the template tags
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "django_otp",  # two-factor login (accounts/two_factor.py): TOTP devices and recovery codes
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_countries",
    "djmoney",
    "django_tasks",
    "django_tasks_db",  # the task queue's table (migrate label: django_tasks_database)
    "accounts",
    "audit",  # the audit trail: imports only accounts and Django, so every app below may write to it
    "notices",  # in-app notices and their e-mails (low balance, renewals, price changes)
    "webhooks",  # signed webhooks: endpoints, the events outbox, deliveries on the task queue (docs/api.md)
    "dids",
    "billing",
    "calls",
    "routing",
    "resellers",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc as static files (no CDN)
    "api",  # the REST API (/api/v1/, docs/api.md) and the API tokens page
]

MIDDLEWARE = [
    # First: /healthz for the load balancer, before the host check, the HTTPS redirect and sessions.
    "core.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # CSP and Permissions-Policy on every response, static files included (CSP_POLICY below).
    "core.security_headers.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): the second factor of this session
    "accounts.middleware_two_factor.SecondFactorRequiredMiddleware",  # the code first (REQUIRE_2FA_FOR_ADMINS: admins)
    "audit.middleware.AuditContextMiddleware",  # who and from where, for audit rows (after auth)
    "api.middleware.ApiMiddleware",  # /api/: audit source "API", a JSON 404 for an unknown path
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SuspendedAccountLogoutMiddleware",  # after messages: it says why
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # lock_timeout / statement_timeout in a view: 503 "busy, nothing changed" instead of a 500.
    "core.db_timeouts.DatabaseBusyMiddleware",
    # Keep last: turns a locked-out login into the lockout response.
    "axes.middleware.AxesMiddleware",
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
                "notices.context_processors.unread_notices",  # the header's unread count, read lazily
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,  # a reused connection the database dropped is replaced, not a 500
    )
}
# PostgreSQL gives up on a lock wait after DB_LOCK_TIMEOUT_MS and on a statement after
# DB_STATEMENT_TIMEOUT_MS (0 = never): the request answers 503 "busy, nothing changed"
# (core/db_timeouts.py). Long-running commands (@long_running) have no statement
# timeout and wait for locks up to DB_COMMAND_LOCK_TIMEOUT_MS.
DB_LOCK_TIMEOUT_MS = int(os.environ.get("DB_LOCK_TIMEOUT_MS", "5000"))
DB_STATEMENT_TIMEOUT_MS = int(os.environ.get("DB_STATEMENT_TIMEOUT_MS", "30000"))
DB_COMMAND_LOCK_TIMEOUT_MS = int(os.environ.get("DB_COMMAND_LOCK_TIMEOUT_MS", "60000"))
if DATABASES["default"]["ENGINE"] in ("django.db.backends.postgresql", "django.contrib.gis.db.backends.postgis"):
    _db_options = DATABASES["default"].setdefault("OPTIONS", {})
    _db_options["options"] = " ".join(filter(None, [
        _db_options.get("options", ""),
        f"-c lock_timeout={DB_LOCK_TIMEOUT_MS} -c statement_timeout={DB_STATEMENT_TIMEOUT_MS}",
    ]))
    _db_options.setdefault("connect_timeout", int(os.environ.get("DB_CONNECT_TIMEOUT_S", "5")))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
# The zone of CDR times written without a UTC offset (the switch's clock): docs/cdr-import.md.
CDR_TIME_ZONE = os.environ.get("CDR_TIME_ZONE", TIME_ZONE)
USE_I18N = True
USE_TZ = True
# Off: it would also group pks in URLs and numbers in form inputs. Pages group counts with
# f"{n:,}" / intcomma and money with core.money.fmt_page (docs/decisions.md).
USE_THOUSAND_SEPARATOR = False
# Countries by their everyday names ("United States"), from the one list in core/countries.py.
COUNTRIES_OVERRIDE = dict(core.countries.EVERYDAY_NAMES)

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

# collectstatic compresses each file (gzip and brotli) for whitenoise; source maps (the API docs'
# 6 MB of them) are for a developer's tools, not worth the minutes: served as they are.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (*Compressor.SKIP_COMPRESS_EXTENSIONS, "map")

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
# Browser imports of files this large go to the task worker (manage.py db_worker), with a progress page.
DID_IMPORT_QUEUE_MB = int(os.environ.get("DID_IMPORT_QUEUE_MB", "5"))
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# Webhooks (webhooks/): plain http to localhost, and IP addresses of private networks, only where
# this is on (a developer's receiver; the tests' own). Production: HTTPS to public addresses.
WEBHOOKS_ALLOW_LOCAL_HTTP = os.environ.get("WEBHOOKS_ALLOW_LOCAL_HTTP", "1" if DEBUG else "") == "1"

# Billing run (billing/subscriptions/renewals.py, `manage.py run_billing`).
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
# No script reads the CSRF cookie: every form sends the token in its hidden field.
CSRF_COOKIE_HTTPONLY = True
# Lax, not Strict: cross-site POSTs carry no cookie either way, and Lax keeps a link from an
# email or a bookmark opening the page logged in.
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# A working day from login (not renewed by activity), and gone when the browser closes.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"  # Django's default, said out loud
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (core/security_headers.py): everything from this site,
# nothing inline (no <script> blocks, style= attributes or on...= handlers in templates).
# CSP_POLICY replaces the whole policy (e.g. to allow an analytics host in script-src and
# connect-src); empty = no CSP header. CSP_REPORT_ONLY=1 sends it as
# Content-Security-Policy-Report-Only: violations are reported, nothing is blocked.
CSP_POLICY = os.environ.get("CSP_POLICY", "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
]))
CSP_REPORT_ONLY = env_bool("CSP_REPORT_ONLY", False)
PERMISSIONS_POLICY = os.environ.get("PERMISSIONS_POLICY", "camera=(), microphone=(), geolocation=()")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
# Axes first: it refuses a locked-out (username, address) pair before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "accounts.backends.PortalBackend"]

# Login lockout (django-axes, accounts/security.py): AXES_FAILURE_LIMIT failures for one
# username from one address lock that pair for AXES_COOLOFF_MINUTES; other addresses can still
# log in as that user. A successful login clears the pair's failures.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "accounts.security.lockout_username"  # case-folded: Admin = admin
AXES_CLIENT_IP_CALLABLE = "accounts.security.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.views.lockout_response"  # the login page, 429
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # the Login security page lists every failure
# The proxies in front of the app (nginx's address), as addresses or CIDR ranges, comma-separated:
# X-Forwarded-For is believed only from a peer in this list, and only as far back as the chain
# stays inside it (accounts.security.client_ip). Empty (the default) = the client is REMOTE_ADDR,
# whatever header it sends. Used by the login lockout and the audit trail.
TRUSTED_PROXIES = [p.strip() for p in os.environ.get("TRUSTED_PROXIES", "").split(",") if p.strip()]

# Two-factor login (django-otp, accounts/two_factor.py): optional for everyone; admins must
# enrol before using any page when this is on (on by default in the production profile).
REQUIRE_2FA_FOR_ADMINS = env_bool("REQUIRE_2FA_FOR_ADMINS", not DEBUG)
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "DID portal")

# Forgot password: a reset link by e-mail, valid this long; at most PASSWORD_RESET_RATE requests
# per address and per e-mail address per hour (accounts/passwords.py).
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_TIMEOUT", str(3 * 3600)))
PASSWORD_RESET_RATE = int(os.environ.get("PASSWORD_RESET_RATE", "5"))

# The address in links sent by e-mail when there is no request (notices from the billing run).
PORTAL_BASE_URL = os.environ.get("PORTAL_BASE_URL", "http://127.0.0.1:8000")

# The REST API (api/, docs/api.md): bearer tokens only (no session, so no CSRF), JSON only,
# problem details for every error (api/problems.py), cursor pages, a per-token throttle of
# API_THROTTLE_RATE requests ("120/min": per sec, min, hour or day), counted in the database.
API_THROTTLE_RATE = os.environ.get("API_THROTTLE_RATE", "120/min")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.CursorPage",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.problems.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "DID Portal API",
    "DESCRIPTION": "Search, buy, release and route DIDs and manage customers from code: the same rules, prices "
                   "and audit trail as the pages. Authenticate with `Authorization: Bearer <token>` (the API "
                   "tokens page). Errors are RFC 9457 problem details. docs/api.md has the guide.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": False},
    # The bearer scheme (api/schema.py) and the problem responses of every operation.
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "api.schema.add_problems"],
    # Choice sets that share a field name ("kind", "status") get names of their own in the schema.
    # (The values only: the serializers' choices are values, without the pages' labels.)
    "ENUM_NAME_OVERRIDES": {
        "AccountKindsEnum": ["reseller", "customer"],
        "AccountStatusEnum": ["active", "suspended"],
        "ProductStatusEnum": ["active", "inactive"],
        "LedgerEntryKindEnum": "api.serializers_accounts.LEDGER_KINDS",
        "FundsKindEnum": ["refill", "adjustment"],
    },
}
