"""Rules the database holds even when code (or a hand-written UPDATE) gets them wrong."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from o2o.access.actors import SYSTEM
from o2o.inventory.models import Transfer
from o2o.inventory.services import receive_stock, send_transfer
from o2o.orders.models import Order, OrderLine, OrderState
from o2o.testing.factories import SKUFactory
from o2o.testing.journeys import place_pickup_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(store, member):
    sku = SKUFactory(price=Decimal("3.30"))
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=5, actor=SYSTEM)
    return place_pickup_order(member=member, store=store, sku=sku, quantity=3)


def refused(update) -> bool:
    try:
        with transaction.atomic():
            update()
    except IntegrityError:
        return True
    return False


def test_a_line_total_is_its_unit_price_times_its_quantity(order):
    line = order.lines.get()
    assert line.line_total == Decimal("9.90")

    assert refused(lambda: OrderLine.objects.filter(pk=line.pk).update(line_total=Decimal("9.89")))
    assert refused(lambda: OrderLine.objects.filter(pk=line.pk).update(quantity=4))
    assert not refused(
        lambda: OrderLine.objects.filter(pk=line.pk).update(
            quantity=4, line_total=Decimal("13.20"), net_amount=Decimal("13.20")
        )
    )


@pytest.mark.parametrize("state", [OrderState.PAID, OrderState.PICKED_UP, OrderState.REFUNDED, OrderState.UNCOLLECTED])
def test_an_order_in_a_paid_state_has_a_paid_time(order, state):
    assert refused(lambda: Order.objects.filter(pk=order.pk).update(state=state))
    assert not refused(lambda: Order.objects.filter(pk=order.pk).update(state=state, paid_at=timezone.now()))


def test_a_transfer_is_in_transit_or_received_with_its_time(store, other_store):
    sku = SKUFactory()
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=5, actor=SYSTEM)
    transfer_id = send_transfer(source_id=store.pk, destination_id=other_store.pk, lines={sku.pk: 2}, actor=SYSTEM).id
    transfers = Transfer.objects.filter(pk=transfer_id)

    assert refused(lambda: transfers.update(state="lost"))
    assert refused(lambda: transfers.update(state=Transfer.State.RECEIVED))
    assert refused(lambda: transfers.update(received_at=timezone.now()))
    assert not refused(lambda: transfers.update(state=Transfer.State.RECEIVED, received_at=timezone.now()))
