"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py` (docs/operations.md).

Every value can be overridden from the environment (GUNICORN_*), or on the command line."""

import multiprocessing
import os

wsgi_app = "o2o.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Sync workers: each holds one database connection. (2 x cores) + 1 is the usual start; mind the
# database's max_connections (or PgBouncer) when adding machines.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
# The app reads it too: the rate-limit check warns when a per-process store meets several workers.
os.environ["WEB_CONCURRENCY"] = str(workers)
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# A worker is replaced after this many requests (and some jitter), so a slow leak cannot grow.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
# Load the application once in the master: the production guard (o2o/core/checks.py) stops the
# whole server at start instead of every worker failing in turn.
preload_app = True
accesslog = None  # o2o.request logs one line per request with its X-Request-ID (settings.LOGGING)
errorlog = "-"
# Behind a proxy that ends TLS: trust its X-Forwarded-* headers (set SECURE_PROXY_SSL_HEADER too).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
