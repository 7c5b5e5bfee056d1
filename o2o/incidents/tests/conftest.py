"""An incident the system opened: 1 of 3 units missing at pick time on a paid pickup order."""

from decimal import Decimal

import pytest
from django.db import transaction

from o2o.access.actors import SYSTEM
from o2o.core import events
from o2o.incidents.models import Incident
from o2o.inventory.services import receive_stock
from o2o.orders.locks import lock_order
from o2o.orders.models import OrderLine
from o2o.testing.factories import SKUFactory
from o2o.testing.journeys import paid_pickup_order


@pytest.fixture
def incident(store, member) -> Incident:
    tea = SKUFactory(name="乌龙茶 500ml", price=Decimal("6.50"))
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=5, actor=SYSTEM)
    order = paid_pickup_order(member=member, store=store, sku=tea, quantity=3)
    with transaction.atomic():
        locked = lock_order(order.pk)
        events.publish(
            events.PICK_SHORTAGE, order=locked, line=OrderLine.objects.get(order=locked), missing=1, actor_id=None
        )
    return Incident.objects.get()
