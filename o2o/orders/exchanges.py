"""换货 (exchanges at the counter): handed-over units of a line swapped for another variant of the same
product (another SKU: size, colour) at the same unit price. No money moves, so a price difference is
refused: that is a return and a new sale.

The exchanged units stay with the customer as the new SKU; the line counts them in
`exchanged_quantity`, and returns refuse them (orders.services.refund_goods): a later return of the
replacement would otherwise put the old SKU back on the shelf. One exchange per unit: the exchanged
units cannot be exchanged again either.
"""

import uuid

from django.db.models import F

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.catalog.models import SKU, Channel
from o2o.catalog.selectors import skus_by_id, unit_prices
from o2o.core.errors import DomainError, ErrorCode
from o2o.core.idempotency import fingerprint, run_once
from o2o.inventory import services as inventory
from o2o.inventory.models import Reservation
from o2o.orders.locks import lock_order
from o2o.orders.models import Exchange, Order, OrderLine, OrderTransition
from o2o.orders.states import HANDED_OVER, PAID_NOT_HANDED_OVER


def exchange_goods(
    *, actor: Actor, order: Order, line_id: int, to_sku_id: int, quantity: int, idempotency_key: str | None = None
) -> Exchange:
    """Swap `quantity` handed-over units of the line for `to_sku_id`, at the store that handed them over.

    A retry with the same idempotency key returns the first exchange and moves no stock again; a
    request without a key is its own (its row gets a fresh key)."""
    authorize(actor, Operation.EXCHANGE_GOODS, location_id=order.fulfilment_location_id)
    if quantity <= 0:
        raise DomainError(ErrorCode.INVALID, "exchange at least one unit")
    result = run_once(
        scope=actor.idempotency_scope,
        operation=f"exchange_goods:{order.pk}",
        key=idempotency_key,
        fingerprint=fingerprint(order=order.pk, line=line_id, to_sku=to_sku_id, quantity=quantity),
        perform=lambda: {
            "exchange_id": _exchange(
                actor=actor,
                order_id=order.pk,
                line_id=line_id,
                to_sku_id=to_sku_id,
                quantity=quantity,
                key=idempotency_key or uuid.uuid4().hex,
            ).pk
        },  # fmt: skip
    )
    return Exchange.objects.select_related("from_sku", "to_sku").get(pk=result["exchange_id"])


def _replacement(line: OrderLine, to_sku_id: int, location_id: int) -> SKU:
    """The other variant, if it may replace the line's SKU: same product, active, same counter price."""
    to_sku = skus_by_id({to_sku_id})[to_sku_id]
    if to_sku.product_id != line.sku.product_id or to_sku.pk == line.sku_id:
        raise DomainError(ErrorCode.INVALID, "not another variant of the same product", reason="not_a_variant")
    price = unit_prices(sku_ids={to_sku.pk}, channel=Channel.POS, location_id=location_id)[to_sku.pk]
    if price != line.unit_price:
        raise DomainError(
            ErrorCode.INVALID, "the prices differ: a return and a new sale", reason="prices_differ", price=str(price)
        )
    return to_sku


def _count_exchanged(line: OrderLine, quantity: int) -> bool:
    """`quantity` more units of the line swapped, unless that is more than the customer still
    keeps (neither returned nor swapped before): one conditional UPDATE, so two racing swaps
    never take the same units."""
    still_kept = F("quantity") - F("returned_quantity") - quantity
    swapped = OrderLine.objects.filter(pk=line.pk, exchanged_quantity__lte=still_kept)
    return bool(swapped.update(exchanged_quantity=F("exchanged_quantity") + quantity))


def _exchange(*, actor: Actor, order_id: int, line_id: int, to_sku_id: int, quantity: int, key: str) -> Exchange:
    # Lock order: the order row, then its line (the conditional UPDATE), then stock rows in SKU order.
    order = lock_order(order_id)
    if order.state not in HANDED_OVER:
        raise DomainError(
            ErrorCode.ILLEGAL_TRANSITION, f"an order that is {order.state} takes no exchanges", state=order.state
        )
    line = OrderLine.objects.select_related("sku").filter(order=order, pk=line_id).first()
    if line is None:
        raise DomainError(ErrorCode.INVALID, "no such line in this order", line_id=line_id)
    to_sku = _replacement(line, to_sku_id, order.fulfilment_location_id)
    if Exchange.objects.filter(order=order, idempotency_key=key).exists():  # another actor's request, same key
        raise DomainError(ErrorCode.IDEMPOTENCY_CONFLICT, "this key was used for another exchange")
    if not _count_exchanged(line, quantity):
        raise DomainError(ErrorCode.RETURN_EXCEEDS_SOLD, "more than the customer still has", line_id=line.pk)
    inventory.exchange_stock(
        location_id=order.fulfilment_location_id, from_sku_id=line.sku_id, to_sku_id=to_sku.pk, quantity=quantity,
        actor_id=actor.user_id, reference=f"order:{order.number}",
    )  # fmt: skip
    exchange = Exchange.objects.create(
        order=order, line=line, from_sku_id=line.sku_id, to_sku=to_sku, quantity=quantity, actor_id=actor.user_id,
        idempotency_key=key,
    )  # fmt: skip
    OrderTransition.objects.create(
        order=order, from_state=order.state, to_state=order.state, actor_id=actor.user_id,
        note=f"exchanged {quantity} x {line.sku.code} for {to_sku.code}",
    )  # fmt: skip
    return exchange


def substitute_missing_units(
    *, order: Order, line_id: int, quantity: int, sku_id: int, actor_id: int | None, key: str
) -> Exchange:
    """Before hand-over, units of a line the store lacks go out as another product the customer
    agreed to, at the line's price (no money moves: an incident's remedy). The line's reservation
    shrinks by `quantity` and the substitute is reserved in its place at the order's store (a 409
    INSUFFICIENT_STOCK when it is not there); the Exchange row records the swap, so the stock audit
    counts those units as the substitute and returns refuse them, as for an exchange at the counter.
    The caller authorised and holds the order's lock; stock rows are touched in SKU order."""
    if order.state not in PAID_NOT_HANDED_OVER:
        raise DomainError(ErrorCode.ILLEGAL_TRANSITION, f"an order that is {order.state} is handed over or closed",
                          state=order.state)  # fmt: skip
    line = OrderLine.objects.filter(order=order, pk=line_id).first()
    if line is None or line.sku_id == sku_id:
        raise DomainError(ErrorCode.INVALID, "substitute another product for a line of this order", line_id=line_id)
    if not _count_exchanged(line, quantity):
        raise DomainError(ErrorCode.RETURN_EXCEEDS_SOLD, "more units than the line still holds", line_id=line.pk)
    held = list(Reservation.objects.filter(order_line=line, sku_id=line.sku_id, state=Reservation.State.ACTIVE))
    left = sum(r.quantity for r in held) - quantity
    if left < 0:
        raise DomainError(ErrorCode.RESERVATION_NOT_ACTIVE, "those units are not held for the order", line_id=line.pk)
    at = order.fulfilment_location_id

    def shrink_line() -> None:
        inventory.release_reservations(reservations=held)
        if left:
            inventory.reserve_stock(requests=[inventory.StockRequest(at, line.sku_id, left, line.pk)], online=False,
                                    expires_at=None)  # fmt: skip

    def hold_substitute() -> None:
        inventory.reserve_stock(requests=[inventory.StockRequest(at, sku_id, quantity, line.pk)], online=False,
                                expires_at=None)  # fmt: skip

    steps = {line.sku_id: shrink_line, sku_id: hold_substitute}
    for sku in sorted(steps):
        steps[sku]()
    exchange = Exchange.objects.create(order=order, line=line, from_sku_id=line.sku_id, to_sku_id=sku_id,
                                       quantity=quantity, actor_id=actor_id, idempotency_key=key)  # fmt: skip
    OrderTransition.objects.create(order=order, from_state=order.state, to_state=order.state, actor_id=actor_id,
                                   note=f"substitute for {quantity} missing of line {line.pk}")  # fmt: skip
    return exchange
