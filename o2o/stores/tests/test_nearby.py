import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from o2o.access.actors import SYSTEM
from o2o.inventory.selectors import nearby_supply
from o2o.inventory.services import receive_stock
from o2o.stores.geo import haversine_km
from o2o.stores.models import Location
from o2o.stores.selectors import locations_within
from o2o.testing.factories import LocationFactory, SKUFactory

pytestmark = pytest.mark.django_db


def test_haversine_matches_a_known_distance():
    # People's Square to Xujiahui, Shanghai: about 5.4 km
    assert haversine_km(31.2304, 121.4737, 31.1955, 121.4365) == pytest.approx(5.24, abs=0.2)


def test_locations_within_are_nearest_first_and_exclude_the_box_corners():
    near = LocationFactory(latitude=31.2310, longitude=121.4740)
    far = LocationFactory(latitude=31.2800, longitude=121.4740)  # ~5.5 km north
    corner = LocationFactory(latitude=31.2304 + 0.085, longitude=121.4737 + 0.1)  # in the box, outside the circle

    found = locations_within(latitude=31.2304, longitude=121.4737, radius_km=10)

    assert [n.location for n in found] == [near, far]
    assert corner not in [n.location for n in found]


def test_nearby_supply_says_which_stores_can_supply_and_needs_two_queries(settings):
    settings.O2O_ONLINE_SAFETY_BUFFER = 0
    sku = SKUFactory()
    empty = LocationFactory(latitude=31.2305, longitude=121.4738)
    stocked = LocationFactory(latitude=31.2400, longitude=121.4800)
    LocationFactory(latitude=31.2306, longitude=121.4739, kind=Location.Kind.WAREHOUSE, pickup_enabled=False)
    receive_stock(location_id=stocked.pk, sku_id=sku.pk, quantity=3, actor=SYSTEM)

    with CaptureQueriesContext(connection) as queries:
        complete = nearby_supply(
            latitude=31.2304, longitude=121.4737, wanted={sku.pk: 2}, only_complete=True, pickup_only=True
        )

    assert [s.nearby.location for s in complete] == [stocked]
    assert complete[0].available == {sku.pk: 3}
    assert len(queries) == 2
    every = nearby_supply(latitude=31.2304, longitude=121.4737, wanted={sku.pk: 2}, pickup_only=True)
    assert [(s.nearby.location, s.can_supply_all) for s in every] == [(empty, False), (stocked, True)]
