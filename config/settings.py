"""Settings: the one place that reads the environment.

With nothing set, the platform runs in its embedded mode: SQLite, Celery tasks run eagerly in
the web process, email and SMS printed to the console. Set DATABASE_URL and REDIS_URL to run on
PostgreSQL with real Celery workers; with DJANGO_DEBUG=false the secrets become mandatory.
"""

import base64
import hashlib
import ipaddress
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from core.error_reports import start_error_reports

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()


def _secret(name, default=None):
    path = env.str(f"{name}_FILE", default="")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(
                f"{name}_FILE points at {path!r}, which cannot be read: {exc}"
            ) from exc
    return env.str(name, default=default)


try:
    DEBUG = env.bool("DJANGO_DEBUG", default=True)
except Exception as exc:  # environ raises ValueError on a malformed boolean
    raise ImproperlyConfigured(f"DJANGO_DEBUG must be true or false: {exc}") from exc

SECRET_KEY = _secret("DJANGO_SECRET_KEY", default=None)
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY is required when DJANGO_DEBUG=false.")
    SECRET_KEY = "embedded-mode-insecure-key-do-not-use-in-production"

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "phonenumber_field",
    "django_htmx",
    "csp",
    "django_prometheus",
    "core",
    "accounts",
    "providers",
    "ledger",
    "orders",
    "payments",
    "matching.apps.MatchingConfig",
    "reviews",
    "support",
]

MIDDLEWARE = [
    # First and last: request counts and latencies by view for /metrics (django-prometheus).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # The request id of the logs; answers /healthz, /readyz and /metrics before anything else
    # (no host check, session, language, CSRF or limit applies to them: core/probes.py).
    "core.probes.OperationsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Before anything reads the body (CSRF reads the form): refuses an oversized request by its
    # Content-Length, answering in the visitor's language.
    "core.middleware.RequestBodyLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

try:
    DATABASES = {
        "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
    }
except Exception as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is malformed: {exc}") from exc
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Persistent connections in production (the booking benchmark gains ~40%); checked before reuse.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0 if DEBUG else 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
SILENCED_SYSTEM_CHECKS = []
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The covering indexes of matching's queries (INCLUDE columns) exist only on PostgreSQL;
    # on SQLite they are plain indexes, which is all the embedded mode needs.
    SILENCED_SYSTEM_CHECKS.append("models.W040")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "config.cache.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.PhoneNumberBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home_for_user"
LOGOUT_REDIRECT_URL = "home"

# Internationalisation: Persian is right-to-left; phone numbers parse in the default region.
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
LANGUAGES = [
    ("en", "English"),
    ("fa", "فارسی"),
    ("ru", "Русский"),
    ("zh-hans", "简体中文"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Tehran")
USE_I18N = True
USE_TZ = True
PHONENUMBER_DEFAULT_REGION = env.str("PHONENUMBER_DEFAULT_REGION", default="IR")
PHONENUMBER_DB_FORMAT = "E164"

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "media/"
# In the embedded mode WhiteNoise serves straight from the app and static/ folders.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Email and SMS: printed to the console unless configured.
# EMAIL_URL (smtp+tls://user:password@host:587) configures SMTP in one variable.
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="core.mail.ConsoleEmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="noreply@homeservices.local")
SMS_BACKEND = env.str("SMS_BACKEND", default="core.sms.ConsoleSmsBackend")

# Celery: with no REDIS_URL, tasks run eagerly inside the request (embedded mode).
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
# Publishing must not hang a web request when the broker is down: the sweep catches up.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2}
CELERY_BROKER_CONNECTION_TIMEOUT = 3
# Redis hands an unacknowledged task to another worker after this long: longer than any task
# runs (the longest, a batch assignment, takes seconds), far shorter than Redis's default hour,
# so a task of a killed worker is redone within minutes, not an hour later.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("BROKER_VISIBILITY_TIMEOUT_SECONDS", default=600)
}
# The outbox's relay hands a task over again when it is still not done this long after it was
# handed over (a queue lost in a Redis restart); longer than the visibility timeout.
OUTBOX_REDELIVER_SECONDS = env.int("OUTBOX_REDELIVER_SECONDS", default=900)

# The mobile API (orders/api): token or session auth, one error shape, OpenAPI 3 documented.
REST_FRAMEWORK = {
    # Tokens only: a session cookie would let the API skip the token's own limits and expiry.
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.ApiTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    # drf-spectacular's, saying which request strings may not be blank.
    "DEFAULT_SCHEMA_CLASS": "core.api.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Home services API",
    "DESCRIPTION": "Quotes, free start times and orders for the mobile apps.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Orders and recurring series both have a "status": name their enums apart.
    "ENUM_NAME_OVERRIDES": {
        "OrderStatusEnum": "orders.models.core.OrderStatus",
        "SeriesStatusEnum": "orders.models.recurring.SeriesStatus",
    },
}

# Encryption at rest (accounts/crypto.py). FIELD_ENCRYPTION_KEYS: comma-separated Fernet keys,
# newest first; FIELD_LOOKUP_KEY: the HMAC key for finding duplicates of encrypted values.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
FIELD_LOOKUP_KEY = _secret("FIELD_LOOKUP_KEY", default=None)
if not FIELD_ENCRYPTION_KEYS or not FIELD_LOOKUP_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS and FIELD_LOOKUP_KEY are required when DJANGO_DEBUG=false. "
            "Make a key with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'"
        )
    # Embedded mode only: keys derived from the development secret key.
    _derived = base64.urlsafe_b64encode(hashlib.sha256(SECRET_KEY.encode()).digest()).decode()
    FIELD_ENCRYPTION_KEYS = FIELD_ENCRYPTION_KEYS or [_derived]
    FIELD_LOOKUP_KEY = FIELD_LOOKUP_KEY or _derived
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=BASE_DIR / "private-media")
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
UPLOAD_MAX_PIXELS = env.int("UPLOAD_MAX_PIXELS", default=40_000_000)
# An accepted upload stays in memory: vetting documents are encrypted before they are written,
# and must not sit in clear in a temporary file meanwhile.
FILE_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES
# Everything in a request body but its files (form fields, JSON), read into memory at most.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# A larger body is refused by its Content-Length before anything reads it (413,
# core/middleware.py): one upload (one file per form) plus room for the form's other fields.
MAX_REQUEST_BODY_BYTES = env.int("MAX_REQUEST_BODY_BYTES", default=UPLOAD_MAX_BYTES + 1024 * 1024)

# Business rules that operators tune. Each is documented in docs/operations.md.
CURRENCY = env.str("CURRENCY", default="IRR")
# Show Iranian rials as tomans (1 toman = 10 rials) to Persian readers (orders/money.py).
MONEY_IRR_AS_TOMAN = env.bool("MONEY_IRR_AS_TOMAN", default=False)
# Payments (R-PAY-2): the gateway new payments go through ("sandbox" ships with the platform
# and needs nothing; "zarinpal" needs a merchant id), the sandbox's signing secret, and how long
# a payment may stay at the gateway before the recovery sweep asks the gateway about it.
PAYMENT_GATEWAY = env.str("PAYMENT_GATEWAY", default="sandbox")
SANDBOX_GATEWAY_SECRET = env.str("SANDBOX_GATEWAY_SECRET", default=SECRET_KEY)
PAYMENT_RECHECK_AFTER_MINUTES = env.int("PAYMENT_RECHECK_AFTER_MINUTES", default=10)
# A payment nobody finished is cancelled after this long (once the gateway confirms it is not
# paid).
PAYMENT_EXPIRES_AFTER_MINUTES = env.int("PAYMENT_EXPIRES_AFTER_MINUTES", default=60)
ZARINPAL_MERCHANT_ID = env.str("ZARINPAL_MERCHANT_ID", default="")
ZARINPAL_SANDBOX = env.bool("ZARINPAL_SANDBOX", default=False)
# Refunds through Zarinpal's GraphQL API need an access token from its panel.
ZARINPAL_ACCESS_TOKEN = env.str("ZARINPAL_ACCESS_TOKEN", default="")
# The terminal id that finds a payment's session for a refund (Zarinpal's panel).
ZARINPAL_TERMINAL_ID = env.str("ZARINPAL_TERMINAL_ID", default="")
PAYMENT_GATEWAY_TIMEOUT_SECONDS = env.float("PAYMENT_GATEWAY_TIMEOUT_SECONDS", default=10)
BOOKING_MIN_LEAD_MINUTES = env.int("BOOKING_MIN_LEAD_MINUTES", default=60)
BOOKING_MAX_DAYS_AHEAD = env.int("BOOKING_MAX_DAYS_AHEAD", default=60)
OFFER_TIMEOUT_MINUTES = env.int("OFFER_TIMEOUT_MINUTES", default=30)
# Scheduling (R-ORD-5): time held after each job for travel, and workload limits.
TRAVEL_BUFFER_MINUTES = env.int("TRAVEL_BUFFER_MINUTES", default=30)
MAX_WORK_HOURS_PER_DAY = env.int("MAX_WORK_HOURS_PER_DAY", default=8)
# Slot searches and quotes reuse a day's answer until an assigned order or a provider's
# schedule changes (orders/availability.py), and at most this long.
AVAILABILITY_CACHE_SECONDS = env.int("AVAILABILITY_CACHE_SECONDS", default=300)
MAX_WORK_HOURS_PER_WEEK = env.int("MAX_WORK_HOURS_PER_WEEK", default=44)
MIN_REST_MINUTES = env.int("MIN_REST_MINUTES", default=30)
# Cancellation and the guarantee (R-ORD-3, R-ORD-7).
FREE_CANCELLATION_HOURS = env.int("FREE_CANCELLATION_HOURS", default=24)
LATE_CANCELLATION_FEE_PERCENT = env.int("LATE_CANCELLATION_FEE_PERCENT", default=30)
GUARANTEE_CLAIM_DAYS = env.int("GUARANTEE_CLAIM_DAYS", default=3)
# Recurring series: occurrences are booked this many days ahead (at most BOOKING_MAX_DAYS_AHEAD).
RECURRING_HORIZON_DAYS = env.int("RECURRING_HORIZON_DAYS", default=14)
MATCHING_SWEEP_AFTER_MINUTES = env.int("MATCHING_SWEEP_AFTER_MINUTES", default=5)
# Matching (R-MAT-*): "recommend" (the customer picks one of up to three providers) or "auto"
# (the best candidate gets the offer). Phone orders are always auto-offered.
MATCHING_MODE = env.str("MATCHING_MODE", default="recommend")
if MATCHING_MODE not in ("recommend", "auto"):
    raise ImproperlyConfigured("MATCHING_MODE must be 'recommend' or 'auto'.")
MATCHING_INCLUDE_PROBATION = env.bool("MATCHING_INCLUDE_PROBATION", default=True)
# Largest travel radius honoured (km): a provider's own radius is capped at this.
MATCHING_MAX_TRAVEL_KM = env.int("MATCHING_MAX_TRAVEL_KM", default=50)
# Each part of the score lies in [0, its weight]: overrides of matching.scoring.DEFAULT_WEIGHTS
# (which explains each part), e.g. MATCHING_WEIGHTS=rating=40,reward=0.
MATCHING_WEIGHTS = env.dict("MATCHING_WEIGHTS", cast={"value": float}, default={})
# When the customer does not pick within this time, the best recommendation gets the offer.
RECOMMENDATION_CHOICE_MINUTES = env.int("RECOMMENDATION_CHOICE_MINUTES", default=30)
# After a chosen provider declines or lets the offer expire: False shows the customer the next
# recommendations, True offers the next best candidate at once.
RECOMMENDATION_AUTO_AFTER_DECLINE = env.bool("RECOMMENDATION_AUTO_AFTER_DECLINE", default=False)
# Arrival check-in (R-ORD-6): the provider may check in from this many minutes before the start
# until the scheduled end; the job starts only after it.
CHECK_IN_OPENS_MINUTES_BEFORE = env.int("CHECK_IN_OPENS_MINUTES_BEFORE", default=60)
# The site's address as customers reach it, for absolute links in messages (no trailing slash).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
RATING_WINDOW_HOURS = env.int("RATING_WINDOW_HOURS", default=24)
RATING_ROLLING_COUNT = env.int("RATING_ROLLING_COUNT", default=5)
RATING_SUSPEND_THRESHOLD = env.float("RATING_SUSPEND_THRESHOLD", default=3.0)

# Vetting (R-VET-*).
PHONE_CODE_MINUTES = env.int("PHONE_CODE_MINUTES", default=10)
PHONE_CODE_MAX_ATTEMPTS = env.int("PHONE_CODE_MAX_ATTEMPTS", default=5)
PHONE_CODE_RESEND_SECONDS = env.int("PHONE_CODE_RESEND_SECONDS", default=60)
# Limits on every door (R-SEC-3, core/throttle.py, accounts/limits.py). Each is counted per
# caller in a short window and again in a day, so one who keeps trying waits longer.
# Logins (web, admin, API token): tries per account in 15 minutes and in a day, per address.
LOGIN_TRIES_PER_ACCOUNT = env.int("LOGIN_TRIES_PER_ACCOUNT", default=10)
LOGIN_TRIES_PER_ACCOUNT_PER_DAY = env.int("LOGIN_TRIES_PER_ACCOUNT_PER_DAY", default=30)
LOGIN_TRIES_PER_ADDRESS = env.int("LOGIN_TRIES_PER_ADDRESS", default=30)
LOGIN_TRIES_PER_ADDRESS_PER_DAY = env.int("LOGIN_TRIES_PER_ADDRESS_PER_DAY", default=200)
# The mobile API's tokens (accounts/services/tokens.py): each login gets a new one, good for
# this many days unless revoked first (log-out, password change, deactivation, suspension).
API_TOKEN_TTL_DAYS = env.int("API_TOKEN_TTL_DAYS", default=30)
if API_TOKEN_TTL_DAYS < 1:
    raise ImproperlyConfigured("API_TOKEN_TTL_DAYS must be a whole number of days, at least 1.")
# Phone codes asked for per number in an hour and a day, and per client address in an hour.
PHONE_CODES_PER_NUMBER_PER_HOUR = env.int("PHONE_CODES_PER_NUMBER_PER_HOUR", default=5)
PHONE_CODES_PER_NUMBER_PER_DAY = env.int("PHONE_CODES_PER_NUMBER_PER_DAY", default=10)
PHONE_CODES_PER_IP_PER_HOUR = env.int("PHONE_CODES_PER_IP_PER_HOUR", default=10)
# Codes checked per number in 15 minutes (a new code does not give new tries) and per address.
PHONE_CODE_CHECKS_PER_NUMBER = env.int("PHONE_CODE_CHECKS_PER_NUMBER", default=5)
PHONE_CODE_CHECKS_PER_ADDRESS = env.int("PHONE_CODE_CHECKS_PER_ADDRESS", default=30)
# Open orders (waiting, offered, booked, in progress) one customer may book on the web or API.
MAX_OPEN_ORDERS_PER_CUSTOMER = env.int("MAX_OPEN_ORDERS_PER_CUSTOMER", default=10)
# SMS sent to one number in an hour, whatever they say (a flood of bookings, codes...).
SMS_PER_NUMBER_PER_HOUR = env.int("SMS_PER_NUMBER_PER_HOUR", default=30)
# Only behind our own reverse proxy (DJANGO_BEHIND_PROXY, see "Security" below): the request
# header carrying the client's address; its right-most entry, the one the proxy added, is taken.
TRUSTED_PROXY_HEADER = env.str("TRUSTED_PROXY_HEADER", default="HTTP_X_FORWARDED_FOR")
INTERVIEW_MINUTES = env.int("INTERVIEW_MINUTES", default=45)
# Weights of the six interview criteria; the weighted mean (1-5) must reach the pass mark.
INTERVIEW_WEIGHTS = env.dict(
    "INTERVIEW_WEIGHTS",
    cast={"value": float},
    default={
        "physical_ability": 1.0,
        "skills": 1.5,
        "appearance_ethics": 1.0,
        "responsibility": 1.5,
        "discipline": 1.0,
        "honesty": 2.0,
    },
)
INTERVIEW_PASS_MARK = env.float("INTERVIEW_PASS_MARK", default=3.8)
PROBATION_RATINGS = env.int("PROBATION_RATINGS", default=5)
CERTIFICATE_WARNING_DAYS = env.int("CERTIFICATE_WARNING_DAYS", default=30)
FEEDBACK_CALL_EVERY_N_ORDERS = env.int("FEEDBACK_CALL_EVERY_N_ORDERS", default=10)

# Health, metrics and errors (docs/operations.md, "Health, metrics and errors").
# /readyz waits this long for its checks (run side by side); beat's heartbeat may be this old.
HEALTH_CHECK_TIMEOUT_SECONDS = env.float("HEALTH_CHECK_TIMEOUT_SECONDS", default=2.0)
HEARTBEAT_MAX_AGE_SECONDS = env.int("HEARTBEAT_MAX_AGE_SECONDS", default=180)
# /metrics answers these addresses (IPs or networks), or a request bearing the token; with
# neither set it answers 404 (the default in production; in debug, this machine may read it).
METRICS_TOKEN = _secret("METRICS_TOKEN", default="")
METRICS_ALLOWED_ADDRESSES = env.list(
    "METRICS_ALLOWED_ADDRESSES", default=["127.0.0.1", "::1"] if DEBUG else []
)
try:
    for _address in METRICS_ALLOWED_ADDRESSES:
        ipaddress.ip_network(_address, strict=False)
except ValueError as exc:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_ADDRESSES: {exc}") from exc
# A worker serves its Celery task counters on this port; its pool's processes write them to
# PROMETHEUS_MULTIPROC_DIR (read by prometheus_client itself), one directory per worker.
WORKER_METRICS_PORT = env.int("WORKER_METRICS_PORT", default=0)
PROMETHEUS_MULTIPROC_DIR = env.str("PROMETHEUS_MULTIPROC_DIR", default="")
if WORKER_METRICS_PORT and not PROMETHEUS_MULTIPROC_DIR:
    raise ImproperlyConfigured(
        "WORKER_METRICS_PORT needs PROMETHEUS_MULTIPROC_DIR: a directory, empty or the worker's "
        "own, where its pool's processes write their counters."
    )
# Errors go to Sentry when SENTRY_DSN is set, and nowhere else otherwise.
SENTRY_DSN = _secret("SENTRY_DSN", default="")
start_error_reports(
    dsn=SENTRY_DSN,
    environment=env.str("SENTRY_ENVIRONMENT", default="development" if DEBUG else "production"),
    release=env.str("SENTRY_RELEASE", default=""),
)
# One line per record: readable text, or JSON (time, level, logger, message, request_id).
LOG_FORMAT = env.str("DJANGO_LOG_FORMAT", default="text" if DEBUG else "json")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured("DJANGO_LOG_FORMAT must be 'text' or 'json'.")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.logs.RequestIdFilter"}},
    "formatters": {"json": {"()": "core.logs.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            **({"formatter": "json"} if LOG_FORMAT == "json" else {}),
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own console handler would print each of its lines a second time.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        # Eager tasks in the embedded mode would log every run at INFO.
        "celery.app.trace": {"level": "WARNING"},
        # The embedded mode's in-memory broker has no host name to report.
        "kombu.connection": {"level": "ERROR"},
        # A contract PDF would print a page of font subsetting notes.
        "fontTools": {"level": "ERROR"},
        "weasyprint": {"level": "ERROR"},
    },
}

# Security (docs/operations.md, "Security settings"); `manage.py check --deploy` passes with
# DJANGO_DEBUG=false and TLS on (`make test` runs it).
# Behind our own reverse proxy (nginx in compose), which sets X-Forwarded-Proto and appends the
# client's address to X-Forwarded-For. Without one these headers come from the client: neither
# is believed (rate limits take REMOTE_ADDR, core/throttle.py:client_ip).
BEHIND_PROXY = env.bool("DJANGO_BEHIND_PROXY", default=False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# No script reads the CSRF cookie: pages carry the token in their forms and, for htmx, in the
# body's hx-headers (templates/base.html).
CSRF_COOKIE_HTTPONLY = True
if not DEBUG:
    # "TLS on": the site is reached over https only. Off for plain-http trials (compose on
    # localhost), where secure cookies would make logging in impossible.
    SECURE_COOKIES = env.bool("DJANGO_SECURE_COOKIES", default=True)
    SESSION_COOKIE_SECURE = SECURE_COOKIES
    CSRF_COOKIE_SECURE = SECURE_COOKIES
    # Redirect http to https (behind a proxy, unless X-Forwarded-Proto says https).
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SSL_REDIRECT", default=SECURE_COOKIES)
    # Browsers remember for this long to come only over https (a year with TLS on, else none).
    SECURE_HSTS_SECONDS = env.int(
        "DJANGO_HSTS_SECONDS", default=365 * 24 * 60 * 60 if SECURE_COOKIES else 0
    )
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=True)
    # Preloading is a commitment made by submitting the domain to the browsers' list
    # (hstspreload.org); the operator opts in, so the check's reminder (W021) is not shown.
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS.append("security.W021")

# Content-Security-Policy (django-csp): scripts and styles only from our own files, no inline
# script, style or event handler (tests/core/test_security.py scans the templates for them).
# Data URLs for images: the favicon and Pico's form icons. The API's Swagger page relaxes
# style-src for itself (config/urls.py). A view may set its own header (vetting documents do).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
