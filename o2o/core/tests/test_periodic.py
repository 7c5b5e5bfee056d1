from datetime import timedelta

import pytest
from django.utils import timezone

from o2o.access.actors import SYSTEM
from o2o.core import periodic
from o2o.inventory.services import receive_stock
from o2o.orders.models import Order
from o2o.testing.factories import SKUFactory
from o2o.testing.journeys import place_pickup_order

pytestmark = pytest.mark.django_db


def test_the_scheduler_expires_overdue_unpaid_orders(store, member):
    sku = SKUFactory()
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=3, actor=SYSTEM)
    order = place_pickup_order(member=member, store=store, sku=sku)
    Order.objects.filter(pk=order.pk).update(payment_deadline=timezone.now() - timedelta(seconds=1))

    ran = periodic.run_due()  # a fresh database: every job is due at once

    assert "expire_unpaid_orders" in ran
    order.refresh_from_db()
    assert order.state == "cancelled"
    assert store.stock_levels.get().reserved == 0
