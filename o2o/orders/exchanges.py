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
from o2o.orders.locks import lock_order
from o2o.orders.models import Exchange, Order, OrderLine, OrderTransition
from o2o.orders.states import HANDED_OVER


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
    still_kept = F("quantity") - F("returned_quantity") - quantity
    swapped = OrderLine.objects.filter(pk=line.pk, exchanged_quantity__lte=still_kept)
    if not swapped.update(exchanged_quantity=F("exchanged_quantity") + quantity):
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
