"""The periodic sweep: incidents for orders late against their target, from the selectors of the
apps that know the targets (preparation: `late_preparations(now=...)`, delivery:
`late_stops(now=...)`). Each item they return is an order, or has its `order`. An order already
having the incident is left alone (ON CONFLICT DO NOTHING), so the sweep may run as often as it likes."""

import logging
from datetime import datetime
from importlib import import_module

from django.utils import timezone

from o2o.incidents import services
from o2o.incidents.catalogue import IncidentKind
from o2o.orders.models import Order

logger = logging.getLogger("o2o.incidents")

SOURCES = (
    (IncidentKind.LATE_PREPARATION, "o2o.preparation.selectors", "late_preparations"),
    (IncidentKind.LATE_DELIVERY, "o2o.delivery.selectors", "late_stops"),
)


def _orders(items) -> list[Order]:
    found: dict[int, Order] = {}
    for item in items:
        order = item if isinstance(item, Order) else getattr(item, "order", None)
        if isinstance(order, Order):
            found.setdefault(order.pk, order)
    return [found[pk] for pk in sorted(found)]


def _selector(module: str, name: str):
    try:
        return getattr(import_module(module), name)
    except (ImportError, AttributeError):
        logger.warning("incident sweep: %s.%s is not there; skipped", module, name)
        return None


def sweep_late(*, now: datetime | None = None) -> dict[str, int]:
    """Open late-preparation and late-delivery incidents; returns how many opened of each kind."""
    now = now or timezone.now()
    opened = {}
    for kind, module, name in SOURCES:
        selector = _selector(module, name)
        if selector is None:
            continue
        opened[str(kind)] = services.open_late(kind=kind, orders_late=_orders(selector(now=now)), now=now)
    return opened
