"""Rate limits on the `limits` library, with the storage chosen by settings."""

from functools import cache

from django.conf import settings
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter


@cache
def _limiter(storage_uri: str) -> MovingWindowRateLimiter:
    return MovingWindowRateLimiter(storage_from_string(storage_uri))


def _limiter_now() -> MovingWindowRateLimiter:
    return _limiter(settings.O2O_RATE_LIMIT_STORAGE)


def is_exhausted(rate: str, *identifiers: str) -> bool:
    """True when the budget for these identifiers is used up (does not spend any)."""
    item: RateLimitItem = parse(rate)
    return not _limiter_now().test(item, *identifiers)


def spend(rate: str, *identifiers: str) -> bool:
    """Spend one unit; False when none was left."""
    return _limiter_now().hit(parse(rate), *identifiers)


def reset(rate: str, *identifiers: str) -> None:
    _limiter_now().clear(parse(rate), *identifiers)
