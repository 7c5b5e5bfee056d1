"""The WSGI entry point for gunicorn (gunicorn.conf.py): refuses to serve with development
defaults in production (o2o/core/checks.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "o2o.settings")
application = get_wsgi_application()

from o2o.core.checks import refuse_unsafe_production  # noqa: E402 - needs the settings loaded above

refuse_unsafe_production()
