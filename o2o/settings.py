"""One settings module, read from the environment (see README for the variables)."""

import json
import os
from decimal import Decimal
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_EVAL, UNSAFE_INLINE

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("O2O_VAR_DIR", BASE_DIR / "var"))


def env_str(name: str, default: str = "") -> str:
    """A setting from NAME, or from the file named by NAME_FILE (for secrets)."""
    if path := os.environ.get(f"{name}_FILE"):
        return Path(path).read_text().strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    return env_str(name, str(default)).lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(env_str(name, str(default)))


# O2O_ENV=development is the embedded demo and the test suite (`make demo`, `make serve`,
# pytest): the payment simulator is on and the development secrets are allowed, with a warning.
# Anything else is production: the server refuses to start with those (o2o/core/checks.py).
O2O_ENV = env_str("O2O_ENV", "production")
DEVELOPMENT = O2O_ENV == "development"
DEBUG = env_bool("DEBUG", False)
PRODUCTION = not DEVELOPMENT and not DEBUG  # HTTPS enforced, simulator off by default
DEV_SECRET_KEY = "dev-only-insecure-key-change-me"
DEV_GATEWAY_SECRET = "dev-gateway-secret"
DEV_COURIER_SECRET = "dev-courier-secret"
SECRET_KEY = env_str("SECRET_KEY", DEV_SECRET_KEY)
ALLOWED_HOSTS = [h for h in env_str("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # its templates and static files: the API docs page served locally, not from a CDN
    "csp",
    "django_tasks",
    "django_tasks_db",
    "template_partials",
    "o2o.core",
    "o2o.catalog",
    "o2o.stores",
    "o2o.staff",
    "o2o.members",
    "o2o.access",
    "o2o.pricing",
    "o2o.wallet",
    "o2o.loyalty",
    "o2o.coupons",
    "o2o.promotions",
    "o2o.flashsale",
    "o2o.inventory",
    "o2o.orders",
    "o2o.payments",
    "o2o.pickup",
    "o2o.groupbuy",
    "o2o.rewards",
    "o2o.marketing",
    "o2o.staffing",
    "o2o.leads",
    "o2o.knowledge",
    "o2o.stocktakes",
    "o2o.preparation",
    "o2o.delivery",
    "o2o.replenishment",
    "o2o.notifications",
    "o2o.incidents",
    "o2o.service",
    "o2o.aftercare",
    "o2o.toolbox",
    "o2o.outreach",
    "o2o.attribution",
    "o2o.commission",
    "o2o.cashbook",
    "o2o.installments",
    "o2o.privacy",
    "o2o.analytics",
    "o2o.demo",
    "o2o.web",
]

MIDDLEWARE = [
    "o2o.core.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "o2o.core.middleware.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "o2o.api.middleware.ApiProblemMiddleware",
]

ROOT_URLCONF = "o2o.urls"
WSGI_APPLICATION = "o2o.wsgi.application"

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
                "django.template.context_processors.i18n",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'o2o.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
        # With persistent connections, test a reused connection first, so that the first request
        # after a database restart does not fail on a dead socket.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE makes a write transaction take the
    # write lock at BEGIN, so concurrent writers queue instead of failing on lock upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool("DB_PREPARED_STATEMENTS", True):
    # Server-side binding with prepared statements: PostgreSQL parses and plans each statement of a
    # connection once, not on every execution (2.4x less PostgreSQL CPU per order, bench/README.md).
    # Behind PgBouncer in transaction mode use 1.21+ with max_prepared_statements set, or set
    # DB_PREPARED_STATEMENTS=0 (docs/operations.md).
    DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 1}
# PostgreSQL: the transaction that places an unpaid order commits without waiting for the disk's
# flush (a crash in the next ~0.6 s may lose the order whole; never a payment; docs/operations.md).
O2O_ASYNC_COMMIT_UNPAID_ORDERS = env_bool("DB_ASYNC_COMMIT_UNPAID_ORDERS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "o2o"},
}
if cache_url := env_str("CACHE_LOCATION"):
    CACHES["default"] = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": cache_url}
# Without a shared cache, how often a worker process looks at the version row of the reference data
# it keeps (promotions, the attribution matrix, points rules) for changes made by another process
# (seconds; o2o/core/versioned.py).
O2O_REFERENCE_RECHECK_SECONDS = float(env_str("O2O_REFERENCE_RECHECK_SECONDS", "1.0"))
# Rate limits: `database` (shared by every process), redis://..., or memory:// (one process only).
O2O_RATE_LIMIT_STORAGE = env_str("RATE_LIMIT_STORAGE", "database")
# Sign-in and code-sending budgets ("5/10minute"): the defaults live beside the rules that spend
# them (members.services, access.services; docs/security.md); the environment may override each.
SIGN_IN_BUDGETS = (
    "O2O_OTP_PER_PHONE",
    "O2O_OTP_PER_CLIENT",
    "O2O_OTP_PER_MINUTE",
    "O2O_SIGN_IN_MISSES_PER_PHONE",
    "O2O_SIGN_IN_TRIES_PER_CLIENT",
    "O2O_PASSWORD_MISSES_PER_USERNAME",
    "O2O_PASSWORD_TRIES_PER_CLIENT",
)
globals().update({name: value for name in SIGN_IN_BUDGETS if (value := env_str(name))})
# Reverse proxies in front of the web processes: the client address is read from X-Forwarded-For.
O2O_TRUSTED_PROXIES = env_int("O2O_TRUSTED_PROXIES", 0)

TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks.backends.immediate.ImmediateBackend"),
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "o2o" / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# Uploaded files (product photos and their thumbnails, delivery proofs). Names carry a content
# hash, so whoever serves /media/ (the app itself, or the web server in front) may cache for good.
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
# Front-end libraries come from the npm registry (package-lock.json, `npm ci` in `make setup`)
# and are served straight from node_modules; nothing third-party is committed.
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/alpinejs", NODE_MODULES / "alpinejs" / "dist"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
    ("vendor/qr-scanner", NODE_MODULES / "qr-scanner"),
]

LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

# Everything to stdout (the process manager keeps it): one line per request (o2o.request), every
# 5xx with its traceback (django.request, o2o.api), each line with the request's X-Request-ID.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "o2o.core.middleware.RequestIdLogFilter"}},
    "formatters": {"line": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "filters": ["request_id"],
            "formatter": "line",
        }
    },
    "loggers": {
        "o2o": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}

# Production security (`o2o check --deploy` is clean with these defaults). Behind a proxy that
# ends TLS, set SECURE_PROXY_SSL_HEADER to the header it sets (e.g. X-Forwarded-Proto) so that
# Django knows the request came in over HTTPS; SECURE_SSL_REDIRECT=false if the proxy redirects.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]  # load balancers probe over plain HTTP
if proxy_header := env_str("SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + proxy_header.upper().replace("-", "_"), "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", PRODUCTION)
CSRF_TRUSTED_ORIGINS = [o for o in env_str("CSRF_TRUSTED_ORIGINS").split(",") if o]

# Content-Security-Policy (django-csp): only our own files. 'unsafe-eval' because Alpine.js
# evaluates its x-/@ attributes with new Function(); no inline <script> and no on* handler in the
# pages (a nonce is there for the day one is needed: {{ request.csp_nonce }}). Inline style
# *attributes* are allowed (Alpine's x-show, the admin), <style> elements are not (htmx's own
# indicator style is switched off in base.html). qr-scanner starts its decoder worker from a Blob.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, UNSAFE_EVAL, NONCE],
        "style-src": [SELF],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "worker-src": [SELF, "blob:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# The counter scans pickup QR codes with the camera; the storefront finds the nearest store.
O2O_PERMISSIONS_POLICY = "camera=(self), geolocation=(self), microphone=(), payment=(), usb=()"

# Domain settings
O2O_CURRENCY = "CNY"
O2O_PAYMENT_DEADLINE_MINUTES = env_int("O2O_PAYMENT_DEADLINE_MINUTES", 15)
O2O_ONLINE_SAFETY_BUFFER = env_int("O2O_ONLINE_SAFETY_BUFFER", 1)
O2O_GATEWAY_SECRET = env_str("O2O_GATEWAY_SECRET", DEV_GATEWAY_SECRET)
O2O_VOUCHER_UNDO_MINUTES = env_int("O2O_VOUCHER_UNDO_MINUTES", 10)
# Pricing (docs/pricing.md): a delivery costs O2O_DELIVERY_FEE, free from O2O_FREE_DELIVERY_FROM of net goods.
O2O_DELIVERY_FEE = Decimal(env_str("O2O_DELIVERY_FEE", "8.00"))
O2O_FREE_DELIVERY_FROM = Decimal(env_str("O2O_FREE_DELIVERY_FROM", "99.00"))
# Order lifecycle and refunds (docs/money.md): returns are taken for O2O_RETURN_WINDOW_DAYS after
# hand-over, then the order is completed; an expired pickup is kept O2O_UNCOLLECTED_GRACE_DAYS
# more (0: refunded at once); a gateway refund is tried O2O_REFUND_MAX_ATTEMPTS times, waiting
# O2O_REFUND_RETRY_SECONDS, doubling each time.
O2O_RETURN_WINDOW_DAYS = env_int("O2O_RETURN_WINDOW_DAYS", 7)
O2O_UNCOLLECTED_GRACE_DAYS = env_int("O2O_UNCOLLECTED_GRACE_DAYS", 0)
O2O_REFUND_MAX_ATTEMPTS = env_int("O2O_REFUND_MAX_ATTEMPTS", 8)
O2O_REFUND_RETRY_SECONDS = env_int("O2O_REFUND_RETRY_SECONDS", 60)
# Marketing broadcasts (docs/marketing.md): at most this many marketing messages per member in 7 days.
O2O_MARKETING_MESSAGES_PER_WEEK = env_int("O2O_MARKETING_MESSAGES_PER_WEEK", 2)
# Installments through the gateway's own product (docs/money.md): orders of at least
# O2O_INSTALLMENT_MIN_AMOUNT; the gateway's fee per number of periods, borne by the merchant or the customer.
O2O_INSTALLMENT_MIN_AMOUNT = Decimal(env_str("O2O_INSTALLMENT_MIN_AMOUNT", "1000.00"))
_FEES = env_str("O2O_GATEWAY_INSTALLMENT_FEE_PERCENT", '{"3": "2.3", "6": "4.5", "12": "7.5"}')
O2O_GATEWAY_INSTALLMENT_FEE_PERCENT = {int(n): Decimal(str(pct)) for n, pct in json.loads(_FEES).items()}
O2O_INSTALLMENT_FEE_BORNE_BY = env_str("O2O_INSTALLMENT_FEE_BORNE_BY", "merchant")
if O2O_INSTALLMENT_FEE_BORNE_BY not in {"merchant", "customer"}:
    raise ValueError("O2O_INSTALLMENT_FEE_BORNE_BY is merchant or customer")
O2O_VOUCHER_FAILED_ATTEMPTS = env_str("O2O_VOUCHER_FAILED_ATTEMPTS", "10/minute")
O2O_OTP_TTL_MINUTES = 5
# Points (docs/loyalty.md): earned per yuan of net goods, spent at O2O_POINTS_PER_YUAN_TENDER points
# a yuan, and expiring on Dec 31 of the year they became available + O2O_POINTS_EXPIRE_YEARS.
O2O_POINTS_PER_YUAN = env_int("O2O_POINTS_PER_YUAN", 1)
O2O_POINTS_PER_YUAN_TENDER = env_int("O2O_POINTS_PER_YUAN_TENDER", 100)
O2O_POINTS_EXPIRE_YEARS = env_int("O2O_POINTS_EXPIRE_YEARS", 1)
O2O_MESSAGE_BACKEND = env_str("O2O_MESSAGE_BACKEND", "o2o.core.messaging.ConsoleBackend")
# Customer notifications (docs/notifications.md): a backend per channel as JSON ({"sms": "dotted.path"};
# a channel not named goes to O2O_MESSAGE_BACKEND), the SMS sender signature, and how many hours
# before a pickup voucher expires the customer is reminded.
O2O_MESSAGE_BACKENDS = json.loads(env_str("O2O_MESSAGE_BACKENDS", "{}"))
O2O_SMS_SIGNATURE = env_str("O2O_SMS_SIGNATURE", "【O2O】")
O2O_PICKUP_REMINDER_HOURS = env_int("O2O_PICKUP_REMINDER_HOURS", 24)
# The public address (https://shop.example) for links in QR codes and pay URLs; unset: the request's.
O2O_SITE_URL = env_str("O2O_SITE_URL", "")
# Outbox: a message that fails is retried after O2O_OUTBOX_RETRY_SECONDS, doubling each time,
# and marked failed after O2O_OUTBOX_MAX_ATTEMPTS tries.
O2O_OUTBOX_MAX_ATTEMPTS = env_int("O2O_OUTBOX_MAX_ATTEMPTS", 6)
O2O_OUTBOX_RETRY_SECONDS = env_int("O2O_OUTBOX_RETRY_SECONDS", 30)
# The scheduler beats every tick; older than this, readiness and the HQ dashboard say it is stale.
O2O_SCHEDULER_STALE_SECONDS = env_int("O2O_SCHEDULER_STALE_SECONDS", 120)
# /readyz answers 503 for a stale scheduler only when asked: web nodes can serve without it.
O2O_READINESS_REQUIRES_SCHEDULER = env_bool("O2O_READINESS_REQUIRES_SCHEDULER", False)
# The simulated gateway pays any order for free: on by default only in development (or DEBUG).
O2O_PAYMENT_SIMULATOR = env_bool("O2O_PAYMENT_SIMULATOR", not PRODUCTION)
# Cash book (docs/cashbook.md): the float each store's drawer opens with, and the variance of a
# daily close (either way, yuan) above which the close is flagged. Read as two-place decimals.
O2O_CASH_FLOAT = env_str("O2O_CASH_FLOAT", "0.00")
O2O_CASH_VARIANCE_ALERT = env_str("O2O_CASH_VARIANCE_ALERT", "50.00")
# Stored value (docs/wallet.md): how a spend takes principal and bonus (proportional,
# bonus_first or principal_first), how long a member's payment code lives, the largest top-up.
O2O_WALLET_SPEND_ORDER = env_str("O2O_WALLET_SPEND_ORDER", "proportional")
O2O_PAYMENT_CODE_SECONDS = env_int("O2O_PAYMENT_CODE_SECONDS", 60)
O2O_WALLET_MAX_TOP_UP = env_str("O2O_WALLET_MAX_TOP_UP", "5000.00")
O2O_PAYMENT_CODE_FAILED_ATTEMPTS = env_str("O2O_PAYMENT_CODE_FAILED_ATTEMPTS", "10/minute")
O2O_TOP_UP_PENDING_HOURS = env_int("O2O_TOP_UP_PENDING_HOURS", 24)
# Store credit plans (docs/installments.md): the fee percent of the financed amount by plan length
# ("3:0,6:1.5,12:3", or one number for every length), and how many days before a due date the
# customer is reminded.
O2O_STORE_CREDIT_FEE_PERCENT = env_str("O2O_STORE_CREDIT_FEE_PERCENT", "0")
O2O_INSTALLMENT_REMINDER_DAYS = env_int("O2O_INSTALLMENT_REMINDER_DAYS", 3)
# Customer service (docs/service.md): how a new ticket finds an agent (least_load: fewest open
# tickets first; round_robin: longest since their last assignment), and how many days a resolved
# ticket waits for the customer's confirmation before it closes by itself.
O2O_SERVICE_ASSIGNMENT = env_str("O2O_SERVICE_ASSIGNMENT", "least_load")
O2O_SERVICE_CONFIRM_DAYS = env_int("O2O_SERVICE_CONFIRM_DAYS", 3)
# Follow-up visits (docs/aftercare.md): orders handed over within the look-back get a visit (older
# ones never do); a phone visit is tried this many times; a survey link expires after these days.
O2O_FOLLOWUP_LOOKBACK_DAYS = env_int("O2O_FOLLOWUP_LOOKBACK_DAYS", 30)
O2O_FOLLOWUP_MAX_ATTEMPTS = env_int("O2O_FOLLOWUP_MAX_ATTEMPTS", 3)
O2O_FOLLOWUP_LINK_DAYS = env_int("O2O_FOLLOWUP_LINK_DAYS", 7)
# Delivery runs (docs/delivery.md): how long the routing solver may search before the heuristic's
# answer is taken, the day's delivery window (local HH:MM) when an order has no slot, the vans'
# average speed in town, and the secret the simulated courier signs its status callbacks with.
O2O_ROUTING_TIME_LIMIT_SECONDS = env_int("O2O_ROUTING_TIME_LIMIT_SECONDS", 5)
O2O_DELIVERY_DAY_START = env_str("O2O_DELIVERY_DAY_START", "09:00")
O2O_DELIVERY_DAY_END = env_str("O2O_DELIVERY_DAY_END", "21:00")
O2O_DELIVERY_SPEED_KMH = env_int("O2O_DELIVERY_SPEED_KMH", 25)
O2O_COURIER_SECRET = env_str("O2O_COURIER_SECRET", DEV_COURIER_SECRET)
# Replenishment (docs/replenishment.md): the days of sales the moving average looks back on, the
# days until the next delivery run a proposal covers, how far a store may be to give its surplus,
# and the demand forecast a proposal asks (dotted path; the forecasting work may replace it).
O2O_REPLENISHMENT_DEMAND_DAYS = env_int("O2O_REPLENISHMENT_DEMAND_DAYS", 14)
O2O_REPLENISHMENT_DAYS_AHEAD = env_int("O2O_REPLENISHMENT_DAYS_AHEAD", 1)
O2O_REPLENISHMENT_NEARBY_KM = env_int("O2O_REPLENISHMENT_NEARBY_KM", 10)
O2O_DEMAND_FORECAST = env_str("O2O_DEMAND_FORECAST", "o2o.replenishment.selectors.moving_average_demand")
