"""The demo's promotions price carts like any promotion (spend tiers everywhere)."""

from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.utils import timezone

from o2o.demo.generator.base import Run
from o2o.demo.generator.promotions import create_promotions
from o2o.pricing.cart import CartLine, price_cart
from o2o.promotions.models import Promotion
from o2o.testing.factories import SKUFactory

pytestmark = pytest.mark.django_db


def test_the_demo_promotions_apply():
    sku = SKUFactory(price=Decimal("120.00"))
    run = Run(seed=1, today=timezone.localdate(), days=1, tz=ZoneInfo("Asia/Shanghai"), batch_size=100)

    with transaction.atomic():  # as the generator runs it
        assert create_promotions(run) == 3

    assert Promotion.objects.filter(is_active=True).count() == 3
    priced = price_cart(lines=[CartLine(sku.pk, 1)], channel="app", location_id=None, member=None, fulfilment="pickup")
    assert priced.discount_total == Decimal("22.00")  # 10% of its category online, then 108.00 reaches 100: -10
