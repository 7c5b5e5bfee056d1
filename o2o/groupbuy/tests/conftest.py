from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from o2o.access.actors import SYSTEM
from o2o.groupbuy.models import GroupBuyOffer
from o2o.inventory.services import receive_stock
from o2o.testing.factories import SKUFactory


@pytest.fixture
def sku():
    return SKUFactory(price=Decimal("10.00"))


@pytest.fixture
def offer(store, sku):
    """Groups of 3 at 6.00 instead of 10.00, 24 hours to fill, picked up at the store (20 in stock)."""
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=20)
    now = timezone.now()
    offer = GroupBuyOffer.objects.create(
        name="三人团",
        sku=sku,
        group_price=Decimal("6.00"),
        group_size=3,
        time_limit_hours=24,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=7),
    )
    offer.locations.set([store])
    return offer
