"""Demo preparations (docs/preparation.md): the rows behind the orders still at the stores, so
/counter/queue/ and the customer's order page have something to show. A pickup order waiting for
its customer was prepared (ready, every line picked); one paid last evening and a delivery order
not dispatched yet are still in the queue (to prepare)."""

from datetime import timedelta

from o2o.demo.generator.base import Run
from o2o.orders.models import Fulfilment, Order, OrderLine, OrderState
from o2o.preparation.models import Preparation, PreparationKind, PreparationPick, PreparationState

PREPARED_IN = timedelta(minutes=10)  # as o2o/demo/generator/orders.py: ready 10 minutes after payment


def _preparation(order: Order) -> Preparation:
    due = order.paid_at + timedelta(minutes=order.fulfilment_location.preparation_minutes)
    if order.state == OrderState.READY_FOR_PICKUP:
        done = order.paid_at + PREPARED_IN
        return Preparation(order=order, location_id=order.fulfilment_location_id, kind=PreparationKind.PICKUP,
                           state=PreparationState.READY, accepted_at=order.paid_at, ready_at=done,
                           due_at=due)  # fmt: skip
    return Preparation(order=order, location_id=order.fulfilment_location_id, kind=PreparationKind(order.fulfilment),
                       state=PreparationState.TO_PREPARE, due_at=due)  # fmt: skip


def create_preparations(run: Run) -> int:
    waiting = (
        Order.objects.filter(fulfilment__in=(Fulfilment.PICKUP, Fulfilment.DELIVERY))
        .filter(state__in=(OrderState.PAID, OrderState.READY_FOR_PICKUP))
        .select_related("fulfilment_location")
        .order_by("pk")
    )
    created = Preparation.objects.bulk_create((_preparation(order) for order in waiting.iterator()),
                                              batch_size=run.batch_size)  # fmt: skip
    by_order = {p.order_id: p for p in created}
    lines = OrderLine.objects.filter(order__in=waiting.values("pk")).order_by("pk")
    PreparationPick.objects.bulk_create(
        (
            PreparationPick(preparation=by_order[line.order_id], line=line, sku_id=line.sku_id, ordered=line.quantity,
                            picked_quantity=line.quantity if by_order[line.order_id].state == "ready" else 0)
            for line in lines.iterator()
        ),
        batch_size=run.batch_size,
    )  # fmt: skip
    run.say(f"preparations: {len(created)} orders at the stores")
    return len(created)
