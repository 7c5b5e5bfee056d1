"""One settings module, read from the environment (see README for the variables)."""

import os
from pathlib import Path

import dj_database_url

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


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-change-me")
ALLOWED_HOSTS = [h for h in env_str("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "template_partials",
    "o2o.core",
    "o2o.catalog",
    "o2o.stores",
    "o2o.staff",
    "o2o.members",
    "o2o.access",
    "o2o.inventory",
    "o2o.orders",
    "o2o.payments",
    "o2o.pickup",
    "o2o.analytics",
    "o2o.demo",
    "o2o.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
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
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool("DB_PREPARED_STATEMENTS"):
    # Server-side binding with prepared statements: about a third less PostgreSQL CPU per order
    # (bench/README.md). Off by default: PgBouncer in transaction mode needs 1.21+ for it.
    DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 1}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "o2o"},
}
if cache_url := env_str("CACHE_LOCATION"):
    CACHES["default"] = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": cache_url}
# Rate limits: `database` (shared by every process), redis://..., or memory:// (one process only).
O2O_RATE_LIMIT_STORAGE = env_str("RATE_LIMIT_STORAGE", "database")

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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"o2o": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")}},
}

# Domain settings
O2O_CURRENCY = "CNY"
O2O_PAYMENT_DEADLINE_MINUTES = env_int("O2O_PAYMENT_DEADLINE_MINUTES", 15)
O2O_ONLINE_SAFETY_BUFFER = env_int("O2O_ONLINE_SAFETY_BUFFER", 1)
O2O_GATEWAY_SECRET = env_str("O2O_GATEWAY_SECRET", "dev-gateway-secret")
O2O_VOUCHER_UNDO_MINUTES = env_int("O2O_VOUCHER_UNDO_MINUTES", 10)
O2O_VOUCHER_FAILED_ATTEMPTS = env_str("O2O_VOUCHER_FAILED_ATTEMPTS", "10/minute")
O2O_OTP_TTL_MINUTES = 5
O2O_MESSAGE_BACKEND = env_str("O2O_MESSAGE_BACKEND", "o2o.core.messaging.ConsoleBackend")
O2O_SITE_URL = env_str("O2O_SITE_URL", "http://127.0.0.1:8000")
O2O_PAYMENT_SIMULATOR = env_bool("O2O_PAYMENT_SIMULATOR", True)
