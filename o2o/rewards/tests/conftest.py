from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from o2o.access.actors import SYSTEM
from o2o.inventory.services import receive_stock
from o2o.pricing.models import Campaign
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory, SKUFactory


@pytest.fixture
def tea(store):
    sku = SKUFactory(price=Decimal("12.50"))
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=200, actor=SYSTEM)
    return sku


@pytest.fixture
def marketer():
    return EmployeeFactory(home_location=None, role=Role.MARKETER)


@pytest.fixture
def campaign():
    return Campaign.objects.create(name="Spring friends", starts_at=timezone.now() - timedelta(days=1))
