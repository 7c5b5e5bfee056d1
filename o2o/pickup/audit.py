"""Audit checks on pickup vouchers: every paid pickup order has its voucher, and a voucher's
state agrees with its order's."""

from django.db.models import Exists, OuterRef

from o2o.core.findings import Finding
from o2o.orders.models import PAID_STATES, Fulfilment, Order, OrderState
from o2o.pickup.models import PickupVoucher

LIMIT = 1000
# The order states each voucher state may go with.
_AGREES = {
    # paid: the store is still preparing it (o2o.preparation); it may be handed over on the spot
    PickupVoucher.State.ISSUED: (OrderState.PAID, OrderState.READY_FOR_PICKUP),
    PickupVoucher.State.REDEEMED: (OrderState.PICKED_UP, OrderState.COMPLETED, OrderState.REFUNDED),
    PickupVoucher.State.REVOKED: (OrderState.REFUNDED, OrderState.CANCELLED),
    PickupVoucher.State.EXPIRED: (OrderState.UNCOLLECTED, OrderState.REFUNDED),
}


def paid_pickups_without_voucher() -> list[Finding]:
    voucher = PickupVoucher.objects.filter(order=OuterRef("pk"))
    orders = (
        Order.objects.filter(fulfilment=Fulfilment.PICKUP, state__in=PAID_STATES)
        .filter(~Exists(voucher))
        .values_list("number", "state")
    )
    return [Finding("paid_pickup_without_voucher", f"order {n}", f"{s}, no pickup voucher") for n, s in orders[:LIMIT]]


def vouchers_against_orders() -> list[Finding]:
    findings = []
    for state, order_states in _AGREES.items():
        wrong = (
            PickupVoucher.objects.filter(state=state)
            .exclude(order__state__in=order_states)
            .values_list("pk", "order__number", "order__state")
        )
        findings += [
            Finding("voucher_against_order", f"voucher {pk}", f"{state}, but order {number} is {order_state}")
            for pk, number, order_state in wrong[:LIMIT]
        ]
    return findings


def run() -> list[Finding]:
    return [*paid_pickups_without_voucher(), *vouchers_against_orders()]
