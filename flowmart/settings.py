"""FlowMart settings: one module, configured only by environment variables.

With nothing set FlowMart runs on the embedded default (SQLite, eager Celery,
local-memory cache, console email, DEBUG on). Setting DATABASE_URL and REDIS_URL
gives the production shape. Every variable is listed in README.md.
"""

from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-change-me-" + "x" * 32)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI as static files: /api/docs/ works offline
    "django_prometheus",
    "flowmart.common",
    "flowmart.events",
    "flowmart.contracts",  # an app only so that every event contract is registered at start-up
    "flowmart.customers",
    "flowmart.catalog",
    "flowmart.inventory",
    "flowmart.orders",
    "flowmart.payments",
    "flowmart.shipping",
    "flowmart.subscriptions",
    "flowmart.notifications",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "flowmart.common.middleware.CorrelationIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "flowmart.urls"
WSGI_APPLICATION = "flowmart.wsgi.application"
ASGI_APPLICATION = "flowmart.asgi.application"
AUTH_USER_MODEL = "customers.User"

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
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
if not IS_POSTGRES:
    # SQLite waits for the writer lock instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: Celery broker, cache, throttling ------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://localhost/")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True  # a killed worker must not lose the task
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
# Celery closes Django's DB connections around every task unless told to reuse them; a new
# PostgreSQL connection per task tripled the cost of a delivery (bench/events). Recycled every 2000 tasks.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A dead broker must fail a publish fast (one immediate retry), not retry for the whole connection timeout.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_connect_timeout": 2,
    "max_retries": 1,
    "interval_start": 0,
}
# A request that publishes must never hang on a dead broker: the outbox sweep resends.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "events-sweep": {"task": "flowmart.events.tasks.sweep", "schedule": env.float("EVENTS_SWEEP_SECONDS", default=5.0)},
    "payments-webhook-sweep": {"task": "flowmart.payments.tasks.sweep_stripe_events", "schedule": 60.0},
    "payments-reconcile": {"task": "flowmart.payments.tasks.reconcile_payments", "schedule": 24 * 3600.0},
    "inventory-expire-reservations": {"task": "flowmart.inventory.tasks.expire_reservations", "schedule": 60.0},
    "inventory-check": {"task": "flowmart.inventory.tasks.check_inventory", "schedule": 3600.0},
    "orders-purge-idempotency-keys": {"task": "flowmart.orders.tasks.purge_idempotency_keys", "schedule": 3600.0},
}

# --- Event dispatcher -----------------------------------------------------
EVENTS = {
    # Celery workers commit asynchronously on PostgreSQL (see flowmart/celery.py for why it is safe).
    "WORKER_ASYNC_COMMIT": env.bool("EVENTS_WORKER_ASYNC_COMMIT", default=True),
    "MAX_ATTEMPTS": env.int("EVENTS_MAX_ATTEMPTS", default=8),
    "BACKOFF_BASE_SECONDS": env.float("EVENTS_BACKOFF_BASE_SECONDS", default=2.0),
    "BACKOFF_CAP_SECONDS": env.float("EVENTS_BACKOFF_CAP_SECONDS", default=600.0),
    # How long a fresh delivery may wait for its broker message before the sweep resends it.
    "SWEEP_GRACE_SECONDS": env.float("EVENTS_SWEEP_GRACE_SECONDS", default=10.0),
}

# --- Email ----------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="FlowMart <orders@flowmart.local>")

# --- Payments -------------------------------------------------------------
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")  # tests point the SDK at a local fake
STRIPE_TIMEOUT_SECONDS = env.float("STRIPE_TIMEOUT_SECONDS", default=30.0)
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=2)
# Fraud screening thresholds (flowmart/payments/fraud.py has every knob and rule weight).
PAYMENTS_FRAUD = {
    "REVIEW_SCORE": env.int("FRAUD_REVIEW_SCORE", default=50),
    "BLOCK_SCORE": env.int("FRAUD_BLOCK_SCORE", default=90),
    "WINDOW_MINUTES": env.int("FRAUD_WINDOW_MINUTES", default=60),
    "MAX_ORDERS_PER_CUSTOMER": env.int("FRAUD_MAX_ORDERS_PER_CUSTOMER", default=10),
    "MAX_ORDERS_PER_CARD": env.int("FRAUD_MAX_ORDERS_PER_CARD", default=20),
    "MAX_ORDERS_PER_IP": env.int("FRAUD_MAX_ORDERS_PER_IP", default=20),
}

# --- Shipping: carrier webhook HMAC secrets, "postal=...,courier=..." -------
SHIPPING_CARRIER_SECRETS = env.dict(
    "SHIPPING_CARRIER_SECRETS", default={"postal": "dev-postal-webhook-secret", "courier": "dev-courier-webhook-secret"}
)

# --- Commerce defaults ----------------------------------------------------
# How often a web process checks whether the cached product-list pages went stale.
CATALOG_LIST_VERSION_CHECK_SECONDS = env.float("CATALOG_LIST_VERSION_CHECK_SECONDS", default=1.0)
DEFAULT_CURRENCY = env.str("DEFAULT_CURRENCY", default="USD")
RESERVATION_TTL = timedelta(minutes=env.int("RESERVATION_TTL_MINUTES", default=15))
# VAT / sales tax per destination country (orders: carts and checkout); 0 where none is listed.
ORDERS_TAX_RATES = {"DE": "0.19", "GB": "0.20", "FR": "0.20", "NL": "0.21", "IT": "0.22", "ES": "0.21", "PL": "0.23"}
API_TOKEN_TTL = timedelta(days=env.int("API_TOKEN_TTL_DAYS", default=30))

# --- Auth -----------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- REST framework -------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["flowmart.customers.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "flowmart.common.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "flowmart.common.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_RATES": {
        "auth": env.str("THROTTLE_AUTH_RATE", default="10/min"),
        "anon": env.str("THROTTLE_ANON_RATE", default="600/min"),
        "user": env.str("THROTTLE_USER_RATE", default="1200/min"),
    },
    "COERCE_DECIMAL_TO_STRING": True,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")

SPECTACULAR_SETTINGS = {
    "TITLE": "FlowMart storefront API",
    "DESCRIPTION": "Catalogue, carts, checkout, orders, payments, shipping and subscriptions.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Several models call their choices "Status"; name the shared ones so `check --deploy` stays warning-free.
    "ENUM_NAME_OVERRIDES": {"ShipmentStatusEnum": "flowmart.shipping.models.Shipment.Status"},
    # /api/docs/ loads Swagger UI's JavaScript and CSS from our static files, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# --- i18n, static ---------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

# --- Security (production shape: DEBUG=0) ---------------------------------
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Logging: JSON lines carrying the correlation id ----------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"correlation": {"()": "flowmart.common.logging.CorrelationIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(correlation_id)s",
        },
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env.str("LOG_FORMAT", default="json"),
            "filters": ["correlation"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "celery.app.trace": {"level": "WARNING"},  # one line per task is noise; failures are logged by the relay
    },
}
