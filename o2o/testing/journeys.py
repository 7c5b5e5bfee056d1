"""Short-cuts through the service layer for tests and benchmarks: a paid pickup order in one call."""

from decimal import Decimal

from o2o.access.actors import SYSTEM, actor_for_member, actor_for_user
from o2o.inventory.services import receive_stock
from o2o.orders.models import Order
from o2o.orders.services import LineRequest, OrderRequest, place_order
from o2o.payments.services import start_online_payment
from o2o.payments.simulator import simulate_customer_payment
from o2o.testing.factories import SKUFactory


def place_pickup_order(*, member, store, sku, quantity: int = 1, channel: str = "app") -> Order:
    return place_order(
        actor=actor_for_member(member),
        member=member,
        request=OrderRequest(
            channel=channel, fulfilment="pickup", fulfilment_location_id=store.pk, lines=[LineRequest(sku.pk, quantity)]
        ),
    )


def pay_online(order: Order) -> Order:
    payment, _url = start_online_payment(actor=SYSTEM, order=order)
    simulate_customer_payment(gateway_ref=payment.gateway_ref)
    order.refresh_from_db()
    return order


def paid_pickup_order(*, member, store, sku, quantity: int = 1) -> Order:
    return pay_online(place_pickup_order(member=member, store=store, sku=sku, quantity=quantity))


def place_counter_sale(*, clerk, sku, quantity: int = 1, member=None) -> Order:
    """An unpaid in-store sale at the clerk's counter (its units are reserved until paid)."""
    return place_order(
        actor=actor_for_user(clerk.user),
        member=member,
        request=OrderRequest(
            channel="pos",
            fulfilment="in_store",
            fulfilment_location_id=clerk.home_location_id,
            lines=[LineRequest(sku.pk, quantity)],
        ),
    )


def payment_code_of(member) -> str:
    """The payment code the member's phone shows (what a clerk scans)."""
    from o2o.wallet.services import issue_payment_code

    code, _row = issue_payment_code(actor=actor_for_member(member))
    return code


def stocked_sku(store, *, price: str = "12.50", quantity: int = 50):
    """A SKU at `price` with `quantity` units on hand at the store."""
    sku = SKUFactory(price=Decimal(price))
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=quantity, actor=SYSTEM)
    return sku
