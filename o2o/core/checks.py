"""Production refuses unsafe defaults: system checks (tagged deploy) and the start-up guard that
the WSGI entry point and `o2o serve` run.

With DEBUG off and outside O2O_ENV=development, the payment simulator (anyone could pay any
order for free), the development SECRET_KEY (anyone could forge sessions and sign-in code
hashes), the development gateway secret (anyone could forge payment callbacks) and the
development courier secret (anyone could mark a courier's order delivered) are errors.
In development mode (the embedded demo, the tests) they are warnings."""

import sys

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

TAG = "o2o_production"
_warned = False


def _unsafe_defaults() -> list[tuple[str, str, str]]:
    """(id, what is wrong, how to fix it) for every development default still in use."""
    found = []
    if settings.O2O_PAYMENT_SIMULATOR:
        found.append(("o2o.E001", "the payment simulator is on", "unset O2O_PAYMENT_SIMULATOR"))
    if settings.SECRET_KEY == settings.DEV_SECRET_KEY:
        found.append(("o2o.E002", "SECRET_KEY is the development default", "set SECRET_KEY (or SECRET_KEY_FILE)"))
    if settings.O2O_GATEWAY_SECRET == settings.DEV_GATEWAY_SECRET:
        found.append(
            (
                "o2o.E003",
                "O2O_GATEWAY_SECRET is the development default",
                "set O2O_GATEWAY_SECRET (or O2O_GATEWAY_SECRET_FILE)",
            )
        )
    if settings.O2O_COURIER_SECRET == settings.DEV_COURIER_SECRET:
        found.append(
            (
                "o2o.E004",
                "O2O_COURIER_SECRET is the development default",
                "set O2O_COURIER_SECRET (or O2O_COURIER_SECRET_FILE)",
            )
        )
    return found


def _is_production() -> bool:
    return settings.PRODUCTION


@checks.register(checks.Tags.security, TAG, deploy=True)
def check_unsafe_defaults(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    if _is_production():
        return [checks.Error(what, hint=fix, id=check_id) for check_id, what, fix in _unsafe_defaults()]
    return [
        checks.Warning(f"{what} (allowed in O2O_ENV=development only)", hint=fix, id=check_id.replace(".E0", ".W1"))
        for check_id, what, fix in _unsafe_defaults()
    ]


def refuse_unsafe_production() -> None:
    """Called before serving: raise in production with a development default; warn in development."""
    problems = _unsafe_defaults()
    if not problems:
        return
    lines = "\n".join(f"  - {what}: {fix}" for _, what, fix in problems)
    if _is_production():
        raise ImproperlyConfigured(
            "refusing to start in production (DEBUG off, O2O_ENV is not 'development'):\n"
            f"{lines}\nFor the embedded demo run `make demo` or `o2o serve --demo` (O2O_ENV=development)."
        )
    global _warned
    if not _warned:  # `o2o serve` asks, then loads o2o.wsgi, which asks again
        _warned = True
        print(f"WARNING: development mode (O2O_ENV=development), not for production:\n{lines}", file=sys.stderr)
