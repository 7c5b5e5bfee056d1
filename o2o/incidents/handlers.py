"""Incidents opened where the system sees the failure, inside the publisher's transaction (which
holds the order's lock): the incident commits with its cause, and an event seen twice opens one."""

from typing import Any

from o2o.core import events
from o2o.incidents import services
from o2o.incidents.catalogue import IncidentKind
from o2o.orders.models import OrderState


@events.subscribe(events.PICK_SHORTAGE)
def open_item_missing(*, order: Any, line: Any, missing: int, actor_id: int | None = None, **_: Any) -> None:
    services.open_automatically(
        kind=IncidentKind.ITEM_MISSING, order=order, line=line, quantity=missing, actor_id=actor_id
    )


@events.subscribe(events.DELIVERY_FAILED)
def open_delivery_failed(*, order: Any, reason: str = "", actor_id: int | None = None, **_: Any) -> None:
    services.open_automatically(kind=IncidentKind.DELIVERY_FAILED, order=order, detail=reason, actor_id=actor_id)


@events.subscribe(events.ORDER_UNCOLLECTED)
def open_no_show(*, order: Any, **_: Any) -> None:
    """The customer did not come for a ready order; an order the store never made ready is the
    store's failure (late preparation), not the customer's."""
    was_ready = order.transitions.filter(to_state=OrderState.READY_FOR_PICKUP).exists()
    services.open_automatically(kind=IncidentKind.NO_SHOW if was_ready else IncidentKind.LATE_PREPARATION, order=order)
