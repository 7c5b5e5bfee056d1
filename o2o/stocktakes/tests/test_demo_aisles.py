"""The demo shelves every store's stock in aisles, laid out differently per store, so an aisle
count has something to count."""

from datetime import date

import pytest

from o2o.access.actors import actor_for_user
from o2o.demo.generator import generate_demo
from o2o.inventory.models import StockLevel
from o2o.staff.models import Role
from o2o.stocktakes import services
from o2o.stores.models import Location
from o2o.testing.factories import EmployeeFactory

pytestmark = pytest.mark.django_db


def test_the_demo_shelves_each_stores_stock_in_aisles():
    generate_demo(seed=1, stores=2, skus=12, members=10, days=1, orders_per_store_day=2, today=date(2025, 3, 10))

    store = Location.objects.filter(kind=Location.Kind.STORE).order_by("code").first()
    levels = StockLevel.objects.filter(location__kind=Location.Kind.STORE)
    plans = [dict(levels.filter(location=s).values_list("sku_id", "aisle"))
             for s in Location.objects.filter(kind=Location.Kind.STORE)]  # fmt: skip
    aisle = levels.filter(location=store).values_list("aisle", flat=True).first()
    manager = actor_for_user(EmployeeFactory(role=Role.STORE_MANAGER, home_location=store).user)
    count = services.start_count(actor=manager, location_id=store.pk, aisle=aisle)

    assert not levels.filter(aisle="").exists()
    assert plans[0] != plans[1]
    assert count["lines"] == levels.filter(location=store, aisle=aisle).count() > 0
