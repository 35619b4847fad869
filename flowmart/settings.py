"""FlowMart settings: one module, configured only by environment variables.

With nothing set FlowMart runs on the embedded default (SQLite, eager Celery,
local-memory cache, console email, DEBUG on). Setting DATABASE_URL and REDIS_URL
gives the production shape. Every variable is listed in README.md.
"""

import ipaddress
import os
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
    "unfold",  # the admin's theme, sidebar per role and dashboard look (before django.contrib.admin)
    "unfold.contrib.import_export",  # the import/export pages in the same theme
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
    "django_countries",  # country names for addresses (flowmart.common.countries)
    "import_export",  # CSV/XLSX import (row-checked, previewed) and export in the admin
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
    "flowmart.promotions",
    "flowmart.reviews",
    "flowmart.recommendations",
    "flowmart.billing",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "flowmart.common.middleware.CorrelationIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "flowmart.common.middleware.ApiInputGuardMiddleware",
    "flowmart.common.middleware.DisplayLocaleMiddleware",
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
# The admin is the only page anyone signs in to: a staff member who opens /admin/login/ itself (a
# bookmark, no ?next=) lands on the back office, not on Django's default /accounts/profile/ (a 404 here).
LOGIN_REDIRECT_URL = "admin:index"

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
if IS_POSTGRES:
    # Each new connection starts in UTC (Django's zone with USE_TZ): a server whose own zone is spelt otherwise
    # ("Etc/UTC", the Debian and Docker default) made Django send SET TIME ZONE on every connect,
    # one more round trip for every waiting request (it reconnects: flowmart/orders/waiting.py).
    _pg_options = DATABASES["default"].setdefault("OPTIONS", {})
    if "timezone" not in _pg_options.get("options", "").lower():
        _pg_options["options"] = f"{_pg_options.get('options', '')} -c TimeZone=UTC".strip()
    if env.bool("DB_PREPARED_STATEMENTS", default=True):
        # Parameters bound on the server, and a statement run twice on a connection is prepared:
        # PostgreSQL then neither parses nor plans it again. Planning alone was about a fifth of
        # PostgreSQL's CPU per checkout (bench/README.md). Off behind a pooler that hands one
        # client's statements to several server connections (PgBouncer in transaction mode
        # before 1.21): a statement prepared on one would be missing on the next.
        _pg_options["server_side_binding"] = True
        _pg_options["prepare_threshold"] = env.int("DB_PREPARE_THRESHOLD", default=2)
    if env.bool("DB_POOL", default=False):
        # A pool per process, shared by its threads (docker/gunicorn.conf.py turns it on for the web):
        # a request takes a connection and gives it back at its end, so a thread that waits for an
        # order's status (flowmart/orders/waiting.py) holds none, and the next request on that thread
        # does not open a new PostgreSQL connection. Pooled connections are not also kept per thread.
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        _pg_options["pool"] = {
            "min_size": env.int("DB_POOL_MIN_SIZE", default=2),
            "max_size": env.int("DB_POOL_MAX_SIZE", default=16),
            "timeout": env.float("DB_POOL_TIMEOUT_SECONDS", default=10.0),
        }
else:
    # SQLite waits for the writer lock instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DB_PREPARED_MAX = env.int("DB_PREPARED_MAX", default=300)  # psycopg's cache per connection (flowmart/common/apps.py)

# --- Redis: Celery broker, cache, throttling ------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # An unreachable Redis answers within a second (callers then serve uncached: flowmart/common/cache.py).
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Requests that wait for an order's status (GET /orders/{id}/?wait=paid) each hold one gunicorn thread
# and no database connection: at most this many per process, so ordinary requests keep a quarter of the
# threads (docker/gunicorn.conf.py, docs/operations.md "Waiting clients"). Past it a wait answers at once.
WAIT_MAX_WAITERS = env.int("WAIT_MAX_WAITERS", default=env.int("GUNICORN_THREADS", default=32) * 3 // 4)

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
# Workers wait for a lost broker for as long as it takes (Celery's default gives up after 100 tries).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # kombu's Redis transport plus the guard that keeps busy workers alive through an outage (flowmart/broker.py).
    CELERY_BROKER_TRANSPORT = "flowmart.broker:Transport"
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
# Beat may run on several machines: only the one holding this Redis lock schedules, the others
# stand by and take over within one TTL of its death (flowmart/beat_lock.py, docs/operations.md).
BEAT_LOCK_TTL_SECONDS = env.float("BEAT_LOCK_TTL_SECONDS", default=30.0)
CELERY_BEAT_SCHEDULE = {
    "events-sweep": {"task": "flowmart.events.tasks.sweep", "schedule": env.float("EVENTS_SWEEP_SECONDS", default=5.0)},
    "payments-webhook-sweep": {"task": "flowmart.payments.tasks.sweep_stripe_events", "schedule": 60.0},
    "payments-reconcile": {"task": "flowmart.payments.tasks.reconcile_payments", "schedule": 24 * 3600.0},
    # Pays each verified seller once per period (safe to fire twice: flowmart/payments/services/payouts.py);
    # hourly, so a run that failed or a seller verified mid-period is paid within the hour.
    "payments-payout-run": {
        "task": "flowmart.payments.tasks.payout_run",
        "schedule": env.float("PAYMENTS_PAYOUT_RUN_SECONDS", default=3600.0),
    },
    "inventory-expire-reservations": {"task": "flowmart.inventory.tasks.expire_reservations", "schedule": 60.0},
    "inventory-check": {"task": "flowmart.inventory.tasks.check_inventory", "schedule": 3600.0},
    "orders-purge-idempotency-keys": {"task": "flowmart.orders.tasks.purge_idempotency_keys", "schedule": 3600.0},
    # Retention (docs/privacy.md): each context deletes what is its own.
    "customers-erase-closed-accounts": {
        "task": "flowmart.customers.tasks.erase_closed_accounts",
        "schedule": 24 * 3600.0,
    },
    "orders-purge-old-carts": {"task": "flowmart.orders.tasks.purge_old_carts", "schedule": 24 * 3600.0},
    # Sales and deals: scheduled → live → ended for the back office, ended sales dropped from the
    # projections (prices themselves follow the windows at read time; safe to fire twice).
    "promotions-run-schedule": {"task": "flowmart.promotions.tasks.run_schedule", "schedule": 60.0},
    "notifications-sweep": {
        "task": "flowmart.notifications.tasks.sweep_messages",
        "schedule": env.float("NOTIFICATIONS_SWEEP_SECONDS", default=5.0),
    },
    # Both digests keep to one per period themselves; running every minute sends a quiet
    # seller's first alert within a minute.
    "notifications-stock-digests": {"task": "flowmart.notifications.tasks.send_stock_digests", "schedule": 60.0},
    "notifications-dead-deliveries": {"task": "flowmart.notifications.tasks.report_dead_deliveries", "schedule": 60.0},
    # Safe to fire twice at once (two beats, a manual run): see flowmart/subscriptions/services/billing.py.
    "subscriptions-billing-run": {
        "task": "flowmart.subscriptions.tasks.billing_run",
        "schedule": env.float("SUBSCRIPTIONS_BILLING_RUN_SECONDS", default=300.0),
    },
}

# --- Subscribe & Save -------------------------------------------------------
SUBSCRIPTIONS = {
    # Dunning: days after a renewal's due moment when a failed payment is retried; after the
    # last one fails, the subscription is cancelled (reason payment_failed).
    "DUNNING_RETRY_DAYS": [int(d) for d in env.list("SUBSCRIPTIONS_DUNNING_RETRY_DAYS", default=["1", "3", "5", "7"])],
    # Decline codes after which no automatic retry is made (the customer must change the card).
    "HARD_DECLINES": env.list(
        "SUBSCRIPTIONS_HARD_DECLINES", default=["lost_card", "stolen_card", "do_not_honor", "pickup_card", "fraudulent"]
    ),
    # A stock-short renewal is retried daily for this many days after it was due, then skipped.
    "STOCK_RETRY_DAYS": env.int("SUBSCRIPTIONS_STOCK_RETRY_DAYS", default=3),
    # Customers per billing-run transaction (the due set is streamed in chunks of this size).
    "CHUNK_SIZE": env.int("SUBSCRIPTIONS_CHUNK_SIZE", default=500),
    "DEFAULT_TIME_ZONE": env.str("SUBSCRIPTIONS_DEFAULT_TIME_ZONE", default="UTC"),
    # SubscriptionRenewalUpcoming (the customer's reminder) this many days before a renewal; 0: none.
    "REMINDER_DAYS": env.int("SUBSCRIPTIONS_REMINDER_DAYS", default=3),
}

# --- Event dispatcher -----------------------------------------------------
EVENTS = {
    # Which Celery queue each context's subscribers are delivered on ("payments=payments,shipping=fulfilment");
    # a context not named uses the default queue. Run a worker with `-Q <queue>` for each (docs/operations.md).
    "QUEUES": env.dict("EVENTS_QUEUES", default={}),
    # Celery workers commit asynchronously on PostgreSQL (see flowmart/celery.py for why it is safe).
    "WORKER_ASYNC_COMMIT": env.bool("EVENTS_WORKER_ASYNC_COMMIT", default=True),
    "MAX_ATTEMPTS": env.int("EVENTS_MAX_ATTEMPTS", default=8),
    "BACKOFF_BASE_SECONDS": env.float("EVENTS_BACKOFF_BASE_SECONDS", default=2.0),
    "BACKOFF_CAP_SECONDS": env.float("EVENTS_BACKOFF_CAP_SECONDS", default=600.0),
    # How long a fresh delivery may wait for its broker message before the sweep resends it.
    "SWEEP_GRACE_SECONDS": env.float("EVENTS_SWEEP_GRACE_SECONDS", default=10.0),
    # A delivery pending longer than this marks the dispatcher stalled (/metrics, /health/ready/, admin).
    "BACKLOG_ALERT_SECONDS": env.float("EVENTS_BACKLOG_ALERT_SECONDS", default=120.0),
    # A task's deliveries share a transaction, this many at most, each in its own savepoint
    # (flowmart/events/relay.py: _deliver_together says why few); 1: a transaction per delivery.
    "DELIVERIES_PER_TRANSACTION": env.int("EVENTS_DELIVERIES_PER_TRANSACTION", default=10),
    # Contexts (or subscriber ids) whose deliveries always get a transaction of their own: their
    # handlers call outside providers (Stripe, carriers) inside it, and a shared transaction would
    # hold its other deliveries' locks through those calls, or roll a call's record back after it.
    "DELIVERED_ALONE": env.list("EVENTS_DELIVERED_ALONE", default=["payments", "shipping"]),
    # Continuation (flowmart/events/continuation.py): a worker's deliver task delivers, right after
    # its batch, the deliveries its commits published for its own queue, instead of a message each:
    # at most this many such batches per task (0: off, every commit nudges), and no new one once
    # this many seconds have passed since it started continuing. Keep it well below
    # SWEEP_GRACE_SECONDS: a held delivery becomes due for the sweep that long after its publish.
    "CONTINUE_ROUNDS": env.int("EVENTS_CONTINUE_ROUNDS", default=20),
    "CONTINUE_SECONDS": env.float("EVENTS_CONTINUE_SECONDS", default=2.0),
}

# --- Email: an email service provider (django-anymail), SMTP, or the console --------
# EMAIL_ESP=postmark (or mailgun, sendgrid, amazon_ses, ...) selects anymail's backend for that
# provider; its settings come from ANYMAIL_<NAME> variables (e.g. ANYMAIL_POSTMARK_SERVER_TOKEN).
# Otherwise EMAIL_URL=smtp+tls://user:password@host:587 configures SMTP; otherwise EMAIL_BACKEND.
EMAIL_ESP = env.str("EMAIL_ESP", default="")
if EMAIL_ESP:
    EMAIL_BACKEND = f"anymail.backends.{EMAIL_ESP}.EmailBackend"
elif env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
ANYMAIL = {key.removeprefix("ANYMAIL_"): value for key, value in os.environ.items() if key.startswith("ANYMAIL_")}
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT_SECONDS", default=10.0)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="FlowMart <orders@flowmart.local>")

# --- Notifications (flowmart/notifications, docs/notifications.md) ----------
# Absolute links in messages: this server (unsubscribe, return labels, admin) and the shop's front end.
# (An empty value, as compose passes an unset variable, means the default.)
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="") or (
    "http://127.0.0.1:8000" if DEBUG else f"https://{ALLOWED_HOSTS[0]}"
)
STOREFRONT_URL = env.str("STOREFRONT_URL", default="") or PUBLIC_BASE_URL
NOTIFICATIONS = {
    "OPS_EMAILS": env.list("NOTIFICATIONS_OPS_EMAILS", default=[]),
    "OPS_LOCALE": env.str("NOTIFICATIONS_OPS_LOCALE", default="en"),
    "MAX_ATTEMPTS": env.int("NOTIFICATIONS_MAX_ATTEMPTS", default=6),
    "BACKOFF_BASE_SECONDS": env.float("NOTIFICATIONS_BACKOFF_BASE_SECONDS", default=30.0),
    "BACKOFF_CAP_SECONDS": env.float("NOTIFICATIONS_BACKOFF_CAP_SECONDS", default=3600.0),
    # How long a fresh message waits for its Celery nudge before the sweep sends it.
    "SWEEP_GRACE_SECONDS": env.float("NOTIFICATIONS_SWEEP_GRACE_SECONDS", default=10.0),
    # A claimed send with no outcome after this long is failed for ops to resend (never resent blindly).
    "SEND_LEASE_SECONDS": env.float("NOTIFICATIONS_SEND_LEASE_SECONDS", default=300.0),
    # An event about an order whose OrderConfirmed has not arrived yet is retried for this long.
    "RECIPIENT_WAIT_SECONDS": env.float("NOTIFICATIONS_RECIPIENT_WAIT_SECONDS", default=120.0),
    "DIGEST_PERIOD_MINUTES": env.float("NOTIFICATIONS_DIGEST_PERIOD_MINUTES", default=60.0),
    "EMAIL_MESSAGE_ID_DOMAIN": env.str(
        "NOTIFICATIONS_MESSAGE_ID_DOMAIN", default=DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >") or "flowmart.local"
    ),
}
TWILIO = {  # SMS; without the SID and token SMS messages are recorded as suppressed
    "ACCOUNT_SID": env.str("TWILIO_ACCOUNT_SID", default=""),
    "AUTH_TOKEN": env.str("TWILIO_AUTH_TOKEN", default=""),
    "FROM_NUMBER": env.str("TWILIO_FROM_NUMBER", default=""),
    "MESSAGING_SERVICE_SID": env.str("TWILIO_MESSAGING_SERVICE_SID", default=""),
    "API_BASE": env.str("TWILIO_API_BASE", default=""),  # tests point the SDK at a local fake
    "TIMEOUT_SECONDS": env.float("TWILIO_TIMEOUT_SECONDS", default=10.0),
}
WEBPUSH = {  # Web Push; without a VAPID key push messages are recorded as suppressed
    "VAPID_PRIVATE_KEY": env.str("WEBPUSH_VAPID_PRIVATE_KEY", default=""),
    "VAPID_SUBJECT": env.str("WEBPUSH_VAPID_SUBJECT", default=""),  # mailto:ops@example.com
    # Push services a subscription may point at (".suffix" matches subdomains): never an arbitrary host.
    "ALLOWED_HOSTS": env.list(
        "WEBPUSH_ALLOWED_HOSTS",
        default=[
            "fcm.googleapis.com",
            "updates.push.services.mozilla.com",
            ".push.apple.com",
            ".notify.windows.com",
        ],
    ),
    "REQUIRE_HTTPS": env.bool("WEBPUSH_REQUIRE_HTTPS", default=True),
    "TIMEOUT_SECONDS": env.float("WEBPUSH_TIMEOUT_SECONDS", default=10.0),
    "TTL_SECONDS": env.int("WEBPUSH_TTL_SECONDS", default=24 * 3600),
}

# --- Payments -------------------------------------------------------------
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")  # tests point the SDK at a local fake
STRIPE_TIMEOUT_SECONDS = env.float("STRIPE_TIMEOUT_SECONDS", default=30.0)
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=2)
# Seller settlements and payouts (docs/settlements.md): the platform's commission on each line's
# net (a seller may have their own in the admin), the hold before a sale can be paid out, and
# the payout period (weekly | monthly | daily) the beat job pays once per seller.
PAYMENTS_COMMISSION_PERCENT = env.str("PAYMENTS_COMMISSION_PERCENT", default="10")
PAYMENTS_PAYOUT_HOLD_DAYS = env.int("PAYMENTS_PAYOUT_HOLD_DAYS", default=7)
PAYMENTS_PAYOUT_PERIOD = env.str("PAYMENTS_PAYOUT_PERIOD", default="weekly")
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
# --- Shipping: EasyPost, the real carrier (flowmart/shipping/carriers/easypost.py) ---
# Methods with carrier "easypost" buy labels through EasyPost's official SDK; without an API key
# such methods cannot be saved. Tests point API_BASE at a local fake of EasyPost's HTTP API.
EASYPOST = {
    "API_KEY": env.str("EASYPOST_API_KEY", default=""),
    "API_BASE": env.str("EASYPOST_API_BASE", default=""),  # "" = EasyPost itself
    "WEBHOOK_SECRET": env.str("EASYPOST_WEBHOOK_SECRET", default=""),  # HMAC of tracker webhooks
    "TIMEOUT_SECONDS": env.int("EASYPOST_TIMEOUT_SECONDS", default=20),
    # Where parcels leave from, per warehouse code: {"US-EAST": {"company", "street1", "city", "state", "zip",
    # "country", "phone"}}; a warehouse not listed is sent as "FlowMart fulfilment <code>, <country>".
    "FROM_ADDRESSES": env.json("EASYPOST_FROM_ADDRESSES", default={}),
}

# --- Commerce defaults ----------------------------------------------------
# How often a web process checks whether the cached product-list pages went stale.
CATALOG_LIST_VERSION_CHECK_SECONDS = env.float("CATALOG_LIST_VERSION_CHECK_SECONDS", default=1.0)
# Recommendations (docs/reviews.md): trending's time decay, and the products of one order counted in pairs.
RECOMMENDATIONS_TRENDING_HALF_LIFE_HOURS = env.float("RECOMMENDATIONS_TRENDING_HALF_LIFE_HOURS", default=72.0)
RECOMMENDATIONS_MAX_PRODUCTS_PER_ORDER = env.int("RECOMMENDATIONS_MAX_PRODUCTS_PER_ORDER", default=20)
# The currencies the shop sells in (docs/currency.md): each has its own price list, a cart
# chooses one of them. DEFAULT_CURRENCY (default: the first) is a cart's when it names none.
SHOP_CURRENCIES = [code.upper() for code in env.list("SHOP_CURRENCIES", default=["USD", "EUR", "JPY"])]
DEFAULT_CURRENCY = env.str("DEFAULT_CURRENCY", default=SHOP_CURRENCIES[0]).upper()
if DEFAULT_CURRENCY not in SHOP_CURRENCIES:
    SHOP_CURRENCIES.insert(0, DEFAULT_CURRENCY)
RESERVATION_TTL = timedelta(minutes=env.int("RESERVATION_TTL_MINUTES", default=15))
# How long a guest's signed order link (checkout answer, confirmation email) keeps working.
GUEST_ORDER_LINK_MAX_AGE_DAYS = env.int("GUEST_ORDER_LINK_MAX_AGE_DAYS", default=90)
# VAT / sales tax per destination country: the seed of orders' TaxRate table (migration 0010_tax) and the
# fallback where that table has no row for a destination and class; 0 where neither has one (docs/tax.md).
ORDERS_TAX_RATES = {"DE": "0.19", "GB": "0.20", "FR": "0.20", "NL": "0.21", "IT": "0.22", "ES": "0.21", "PL": "0.23"}
# Who computes tax per line: a dotted path to a TaxProvider (flowmart/orders/tax.py); the rates table by default.
ORDERS_TAX_PROVIDER = env.str("ORDERS_TAX_PROVIDER", default="flowmart.orders.tax.RatesTableProvider")
# Sales channels: whether their prices are entered with tax included (gross) or without (net, tax added).
# A cart is in ORDERS_DEFAULT_CHANNEL unless POST /carts/ names another; its order keeps the channel.
ORDERS_CHANNELS = env.json(
    "ORDERS_CHANNELS", default={"web": {"prices_include_tax": False}, "web-gross": {"prices_include_tax": True}}
)
ORDERS_DEFAULT_CHANNEL = env.str("ORDERS_DEFAULT_CHANNEL", default="web")
API_TOKEN_TTL = timedelta(days=env.int("API_TOKEN_TTL_DAYS", default=30))
# Account recovery: how long a password-reset link and an email-change confirmation work.
PASSWORD_RESET_TTL = timedelta(minutes=env.int("PASSWORD_RESET_TTL_MINUTES", default=60))
EMAIL_CHANGE_TTL = timedelta(hours=env.int("EMAIL_CHANGE_TTL_HOURS", default=24))
# Key for secrets that travel through the outbox (flowmart/common/sealing.py); "" derives it from SECRET_KEY.
SEALING_KEY = env.str("SEALING_KEY", default="")

# --- Privacy (docs/privacy.md) ----------------------------------------------
# How long the erasure confirmation token of `DELETE /api/v1/me/` works.
PRIVACY_ERASURE_CONFIRMATION_MINUTES = env.int("PRIVACY_ERASURE_CONFIRMATION_MINUTES", default=15)
# A closed (deactivated) account's personal data is erased this long after it was closed.
PRIVACY_CLOSED_ACCOUNT_RETENTION_DAYS = env.int("PRIVACY_CLOSED_ACCOUNT_RETENTION_DAYS", default=365)
# Carts (open or closed, a guest's or a customer's) untouched this long are deleted by orders.
PRIVACY_CART_RETENTION_DAYS = env.int("PRIVACY_CART_RETENTION_DAYS", default=90)

# --- Hostile input (flowmart.common.middleware.ApiInputGuardMiddleware) -----
# Bodies above this answer 413 payload_too_large on /api/ (and Django's 400 elsewhere).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("MAX_REQUEST_BODY_BYTES", default=1024 * 1024)
API_MAX_JSON_DEPTH = env.int("API_MAX_JSON_DEPTH", default=32)

# --- Auth -----------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Client address: believe X-Forwarded-For only as far as our own proxies vouch for it --
# (flowmart/common/client.py). 0 and empty: REMOTE_ADDR, the header ignored.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
for _proxy in TRUSTED_PROXIES:
    ipaddress.ip_network(_proxy.strip(), strict=False)  # a typo fails at start-up, not per request

# --- REST framework -------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["flowmart.customers.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "flowmart.common.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "flowmart.common.schema.AutoSchema",
    "DEFAULT_PARSER_CLASSES": ["flowmart.common.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "flowmart.common.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # Limits (flowmart/common/throttling.py): "N/s|min|h|d", or "N/15m"; an empty value switches one off.
    "DEFAULT_THROTTLE_RATES": {
        "auth": env.str("THROTTLE_AUTH_RATE", default="10/min"),
        "login_account": env.str("THROTTLE_LOGIN_ACCOUNT_RATE", default="10/15m"),
        "register": env.str("THROTTLE_REGISTER_RATE", default="20/h"),
        "checkout": env.str("THROTTLE_CHECKOUT_RATE", default="20/min"),
        # Voucher codes applied to a cart, per customer (guests: per address) and per address.
        "voucher": env.str("THROTTLE_VOUCHER_RATE", default="10/min"),
        "voucher_address": env.str("THROTTLE_VOUCHER_ADDRESS_RATE", default="30/min"),
        "password_reset": env.str("THROTTLE_PASSWORD_RESET_RATE", default="5/h"),
        # Reset emails per account, whoever asks (answered 202 all the same: no enumeration).
        "password_reset_email": env.str("THROTTLE_PASSWORD_RESET_EMAIL_RATE", default="3/h"),
        "email_change": env.str("THROTTLE_EMAIL_CHANGE_RATE", default="5/h"),
        # A full export reads every context: a few per hour is plenty for a person.
        "privacy_export": env.str("THROTTLE_PRIVACY_EXPORT_RATE", default="10/h"),
        "anon": env.str("THROTTLE_ANON_RATE", default="600/min"),
        "user": env.str("THROTTLE_USER_RATE", default="1200/min"),
    },
    # DRF's own get_ident() (any stock throttle) trusts exactly as many proxies as we do.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
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
    "ENUM_NAME_OVERRIDES": {
        "ShipmentStatusEnum": "flowmart.shipping.models.Shipment.Status",
        "SubscriptionStatusEnum": "flowmart.subscriptions.models.Subscription.Status",
        "RenewalStatusEnum": "flowmart.subscriptions.models.Renewal.Status",
    },
    # /api/docs/ loads Swagger UI's JavaScript and CSS from our static files, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# --- i18n, static ---------------------------------------------------------
LANGUAGE_CODE = "en-us"
# The languages customers may choose for their messages (one template set each, see
# docs/notifications.md); the first is the fallback.
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")

# --- Stored files (shipping labels, ...): always through django.core.files.storage ------
# Local disk under MEDIA_ROOT by default: inside the checkout for development, outside the
# source tree in production. With AWS_STORAGE_BUCKET_NAME set, an S3-compatible bucket
# (django-storages + boto3: AWS S3, MinIO, Ceph, R2, ...) that every machine shares.
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media" if DEBUG else "/var/lib/flowmart/media")
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    FILE_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,  # None: AWS itself
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            # Unset keys: boto3's own chain (instance or task role, ~/.aws, ...).
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
            "location": env.str("AWS_LOCATION", default=""),  # a key prefix inside the bucket
            "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="") or None,  # "path" for most S3 clones
            "default_acl": None,  # the bucket's own policy: labels carry addresses, keep the bucket private
            "file_overwrite": False,
        },
    }
else:
    FILE_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": FILE_STORAGE,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

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

# --- Traces: OpenTelemetry over OTLP/HTTP (flowmart/common/tracing.py, docs/operations.md) --
# Off unless an OTLP endpoint is given (the exporter reads OTEL_EXPORTER_OTLP_* itself). Off costs
# nothing: the trace SDK and the instrumentations are not even imported. TRACING_ENABLED=0 keeps
# it off with an endpoint set.
_OTLP_ENDPOINT = env.str("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", default="") or env.str(
    "OTEL_EXPORTER_OTLP_ENDPOINT", default=""
)
TRACING = {
    "ENABLED": env.bool("TRACING_ENABLED", default=bool(_OTLP_ENDPOINT)) and not env.bool("OTEL_SDK_DISABLED", False),
    # service.name in the traces; empty: flowmart-web / flowmart-worker by process.
    "SERVICE_NAME": env.str("OTEL_SERVICE_NAME", default=""),
    # Requests not traced (comma-separated regular expressions searched in the URL): probes and scrapes.
    "EXCLUDED_URLS": env.str("TRACING_EXCLUDED_URLS", default="/health/,/metrics"),
}

# --- Logging: JSON lines carrying the correlation id ----------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"correlation": {"()": "flowmart.common.logging.CorrelationIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(correlation_id)s %(client_ip)s",
        },
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s %(client_ip)s] %(message)s"},
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
        "twilio.http_client": {"level": "WARNING"},  # it logs every request and response at INFO
    },
}

# The admin's theme (django-unfold): a sidebar per role (flowmart.common.navigation); the
# index page is the role's dashboard (flowmart.common.dashboard).
UNFOLD = {
    "SITE_TITLE": "FlowMart back office",
    "SITE_HEADER": "FlowMart",
    "SIDEBAR": {
        "show_search": True,
        "show_all_applications": True,
        "navigation": "flowmart.common.navigation.sidebar",
    },
}

IMPORT_EXPORT_USE_TRANSACTIONS = True  # the import preview runs the services and is rolled back
