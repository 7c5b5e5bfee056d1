"""Race tests on PostgreSQL: the last place in a pickup slot goes to one order; short pickup
numbers drawn at the same moment are all different."""

from collections import Counter
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine

from o2o.access.actors import SYSTEM, actor_for_member
from o2o.core.errors import ErrorCode
from o2o.inventory.models import StockLevel
from o2o.inventory.services import receive_stock
from o2o.orders.models import Order
from o2o.orders.services import LineRequest, OrderRequest, place_order
from o2o.payments.services import start_online_payment
from o2o.payments.simulator import simulate_customer_payment
from o2o.pickup.models import PickupSlot, PickupSlotBooking, PickupVoucher
from o2o.testing.factories import LocationFactory, MemberFactory, SKUFactory
from o2o.testing.races import domain_errors, requires_postgres, run_together, values

pytestmark = [pytest.mark.postgres, requires_postgres]
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 17, 50, tzinfo=SHANGHAI)
SLOT = datetime(2026, 12, 1, 18, 30, tzinfo=SHANGHAI)


def request(store, sku, pickup_at=None) -> OrderRequest:
    return OrderRequest(
        channel="app",
        fulfilment="pickup",
        fulfilment_location_id=store.pk,
        lines=[LineRequest(sku.pk, 1)],
        pickup_at=pickup_at,
    )


@pytest.mark.django_db(transaction=True)
def test_two_orders_for_the_last_place_in_a_slot_get_one():
    store = LocationFactory(opens_at=time(9), closes_at=time(21), pickup_slot_capacity=3)
    sku = SKUFactory()
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=50, actor=SYSTEM)
    members = MemberFactory.create_batch(10)
    with time_machine.travel(NOW, tick=False):
        # two places are taken; eight customers race for the last one
        for member in members[:2]:
            place_order(actor=actor_for_member(member), member=member, request=request(store, sku, SLOT))
        outcomes = run_together(
            [
                lambda member=member: place_order(
                    actor=actor_for_member(member), member=member, request=request(store, sku, SLOT)
                )
                for member in members[2:]
            ]
        )

    assert len(values(outcomes)) == 1
    assert Counter(error.code for error in domain_errors(outcomes)) == {ErrorCode.PICKUP_SLOT_FULL: 7}
    assert PickupSlot.objects.get().booked == 3
    assert PickupSlotBooking.objects.count() == Order.objects.count() == 3
    assert StockLevel.objects.get(location=store, sku=sku).reserved == 3  # losers kept no stock


@pytest.mark.django_db(transaction=True)
def test_short_numbers_drawn_at_the_same_moment_are_all_different():
    store = LocationFactory(opens_at=time(9), closes_at=time(21))
    sku = SKUFactory()
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=50, actor=SYSTEM)
    members = MemberFactory.create_batch(12)
    with time_machine.travel(NOW, tick=False):
        payments = []
        for member in members:
            order = place_order(actor=actor_for_member(member), member=member, request=request(store, sku))
            payments.append(start_online_payment(actor=SYSTEM, order=order)[0])
        outcomes = run_together(
            [lambda ref=payment.gateway_ref: simulate_customer_payment(gateway_ref=ref) for payment in payments]
        )

    assert values(outcomes) == ["paid"] * 12
    numbers = sorted(PickupVoucher.objects.values_list("short_number", flat=True))
    assert numbers == list(range(1, 13))
