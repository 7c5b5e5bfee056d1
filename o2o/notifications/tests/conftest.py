from decimal import Decimal

import pytest

from o2o.access.actors import SYSTEM
from o2o.inventory.services import receive_stock
from o2o.testing.factories import SKUFactory


@pytest.fixture(autouse=True)
def _templates(request):
    """The seeded texts (a transactional test's flush takes the migration's rows with it)."""
    if request.node.get_closest_marker("django_db") is not None:
        from o2o.notifications.services import ensure_templates

        ensure_templates()


@pytest.fixture
def sku(store):
    sku = SKUFactory(name="洗衣液", price=Decimal("39.90"))
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=10, actor=SYSTEM)
    return sku
