from decimal import Decimal

import pytest

from o2o.access.actors import SYSTEM
from o2o.inventory.services import receive_stock
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory, SKUFactory


@pytest.fixture
def tea(store):
    sku = SKUFactory(price=Decimal("12.50"))
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=50, actor=SYSTEM)
    return sku


@pytest.fixture
def manager(store):
    return EmployeeFactory(home_location=store, role=Role.STORE_MANAGER)


@pytest.fixture
def hq():
    return EmployeeFactory(home_location=None, role=Role.HQ)


@pytest.fixture
def cs_agent():
    return EmployeeFactory(home_location=None, role=Role.CS_AGENT)
