"""The gateway's paid callback of an online pickup order is the hot path's longest step: every
reaction to the payment (points, voucher, preparation queue, message, attribution) runs in it.
Its statements are listed here so that a change that adds one is a decision, not an accident
(bench/README.md has the figures)."""

from contextlib import nullcontext
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from o2o.access.actors import SYSTEM, actor_for_member
from o2o.inventory.services import receive_stock
from o2o.members.models import Member
from o2o.orders.models import Order, OrderState
from o2o.orders.services import LineRequest, OrderRequest, place_order
from o2o.payments.gateways import SimulatedGateway
from o2o.payments.services import handle_gateway_callback, start_online_payment
from o2o.payments.simulator import signed_callback
from o2o.pickup.models import PickupVoucher
from o2o.preparation.models import Preparation
from o2o.testing.factories import MemberFactory, SKUFactory
from o2o.testing.statements import tables_of

pytestmark = pytest.mark.django_db  # (on_commit work does not run: the callback's own transaction is listed)


def _paid_by_gateway(store, sku, captured=None) -> Order:
    member = Member.objects.get(pk=MemberFactory().pk)
    request = OrderRequest(channel="app", fulfilment="pickup", fulfilment_location_id=store.pk,
                           lines=[LineRequest(sku.pk, 1)])  # fmt: skip
    order = place_order(actor=actor_for_member(member), member=member, request=request)
    payment, _url = start_online_payment(actor=SYSTEM, order=order)
    body, signature = signed_callback(payment)
    with captured if captured is not None else nullcontext():
        assert handle_gateway_callback(gateway_name=SimulatedGateway.name, body=body, signature=signature) == "paid"
    order.refresh_from_db()
    return order


def test_the_paid_callback_of_a_pickup_order_reads_each_thing_once(store):
    sku = SKUFactory(price=Decimal("12.50"))
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=10, actor=SYSTEM)
    _paid_by_gateway(store, sku)  # the process's first: reads the message's text, the matrix, points rules
    captured = CaptureQueriesContext(connection)

    order = _paid_by_gateway(store, sku, captured)

    assert order.state == OrderState.PAID
    voucher = PickupVoucher.objects.get(order=order)
    assert voucher.short_number == 2 and Preparation.objects.filter(order=order).count() == 1
    assert tables_of(captured) == [
        # Before the transaction: the order this payment pays in full, and the store's short number
        # of the day drawn for its voucher in a statement of its own. The store's counter row is
        # locked only while that statement runs, not until the payment commits: every other payment
        # at the store waits for it (pickup.numbers).
        "SELECT payments_payment",
        "INSERT pickup_pickupnumbercounter",
        # the order locked with its member (their level and notification channels), store and lines
        # with their categories: read once, for every reaction below (preparation, attribution, points)
        "SELECT orders_order",
        "SELECT payments_payment",
        "UPDATE payments_payment",
        "UPDATE orders_order",
        "INSERT orders_ordertransition",
        "UPDATE inventory_reservation",  # kept: no longer expires
        "INSERT loyalty_pointsearning",
        "INSERT preparation_preparation",
        "INSERT preparation_preparationpick",
        # (the attribution matrix is cached until a version is published)
        "INSERT attribution_linecredit",  # RETURNING: in, or credited already
        "INSERT pickup_pickupvoucher",  # the number drawn ahead; RETURNING: in, or a code collision draws again
        # (the message's text is cached a minute)
        "INSERT notifications_notification",  # RETURNING: in, or told already
        "INSERT core_outboxmessage",
        "INSERT notifications_notificationmessage",
        "INSERT payments_gatewaycallback",
    ]  # (then, after commit, the message is sent: o2o.core.messaging)
