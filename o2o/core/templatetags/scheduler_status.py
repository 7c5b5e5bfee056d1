"""{% scheduler_warning %}: a banner when no scheduler has beaten lately (unpaid orders are then
not expired, pickup vouchers not expired, failed messages not retried)."""

from django import template
from django.conf import settings

from o2o.core import periodic

register = template.Library()


@register.inclusion_tag("core/scheduler_warning.html")
def scheduler_warning() -> dict:
    last = periodic.last_heartbeat()
    return {
        "stale": periodic.heartbeat_is_stale(last),
        "last": last,
        "stale_seconds": settings.O2O_SCHEDULER_STALE_SECONDS,
    }
