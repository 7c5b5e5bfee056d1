"""Short-cuts through the preparation services for tests, demo and benchmarks: a paid pickup order
is `paid` (preparing) until the store marks it ready; these do what the clerk does."""

from o2o.access.actors import SYSTEM, Actor
from o2o.orders.models import Order
from o2o.preparation import services
from o2o.preparation.models import PreparationState


def pick_everything(order: Order, *, actor: Actor = SYSTEM) -> None:
    """Accept the order's preparation (unless accepted) and pick every line in full."""
    preparation = order.preparation
    if preparation.state == PreparationState.TO_PREPARE:
        services.accept_preparation(actor=actor, preparation_id=preparation.pk)
    for pick in preparation.picks.all():
        left = pick.ordered - pick.picked_quantity - pick.short_quantity
        if left:
            services.pick_line(actor=actor, preparation_id=preparation.pk, sku_id=pick.sku_id, quantity=left)


def mark_ready(order: Order, *, actor: Actor = SYSTEM) -> Order:
    """The store prepared the paid pickup order: it is ready_for_pickup now."""
    pick_everything(order, actor=actor)
    services.mark_ready(actor=actor, preparation_id=order.preparation.pk)
    order.refresh_from_db()
    return order


def mark_packed(order: Order, *, actor: Actor = SYSTEM) -> Order:
    """The store packed the paid delivery order (it stays paid until dispatched)."""
    pick_everything(order, actor=actor)
    services.mark_packed(actor=actor, preparation_id=order.preparation.pk)
    order.refresh_from_db()
    return order
