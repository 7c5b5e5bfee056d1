"""Reactions to order events that change a past day's sales: mark that day's rollup stale, in the
transaction that changed it (see services.py for why this cannot lose a change to a running rollup).

Paying and placing publish other events: the hot path gets no statement from here. A refund of an
order paid today touches nothing either (today is never rolled up)."""

from django.utils import timezone

from o2o.analytics import services
from o2o.core import events
from o2o.orders.models import Order


@events.subscribe(events.ORDER_RETURNED)  # goods back after hand-over, or missing units refunded
@events.subscribe(events.ORDER_REFUNDED)  # refunded in full (cancelled after payment, all returned)
@events.subscribe(events.ORDER_UNCOLLECTED)  # the pickup's money goes back
def mark_paid_day_stale(*, order: Order, **_) -> None:
    if order.paid_at is None:
        return
    day = timezone.localdate(order.paid_at)
    if day < timezone.localdate():
        services.mark_stale(day=day)
