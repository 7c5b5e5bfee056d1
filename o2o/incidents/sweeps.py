"""The periodic sweep: incidents for orders late against their target, from the selectors of the
apps that know the targets (preparation: a preparation not ready or packed by its due time;
delivery: a stop on the road whose window closed). An order that has the incident already is left
alone (ON CONFLICT DO NOTHING), so the sweep may run as often as it likes."""

from datetime import datetime

from django.utils import timezone

from o2o.delivery.selectors import late_stops
from o2o.incidents import services
from o2o.incidents.catalogue import IncidentKind
from o2o.orders.models import Order
from o2o.preparation.selectors import late_preparations


def _orders(rows) -> list[Order]:
    """The orders of the late rows (a transfer's stop has none), each once, in id order."""
    found = {row.order.pk: row.order for row in rows if getattr(row, "order", None) is not None}
    return [found[pk] for pk in sorted(found)]


def sweep_late(*, now: datetime | None = None) -> dict[str, int]:
    """Open late-preparation and late-delivery incidents; returns how many opened of each kind."""
    now = now or timezone.now()
    return {
        IncidentKind.LATE_PREPARATION.value: services.open_late(
            kind=IncidentKind.LATE_PREPARATION, orders_late=_orders(late_preparations(now=now)), now=now
        ),
        IncidentKind.LATE_DELIVERY.value: services.open_late(
            kind=IncidentKind.LATE_DELIVERY, orders_late=_orders(late_stops(now)), now=now
        ),
    }
