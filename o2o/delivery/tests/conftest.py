"""A depot with a van and two drivers, a manager, and packed delivery orders to plan."""

from datetime import timedelta

import pytest
from django.utils import timezone

from o2o.access.actors import SYSTEM, actor_for_member
from o2o.delivery.models import Vehicle
from o2o.inventory.services import receive_stock, request_transfer
from o2o.orders.services import LineRequest, OrderRequest, place_order
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory, LocationFactory, MemberFactory, SKUFactory
from o2o.testing.journeys import pay_online
from o2o.testing.preparation import mark_packed

ONLINE_BUFFER = 5  # units an online order must leave on the shelf (inventory.rules.online_buffer)


@pytest.fixture(autouse=True)
def _quick_solver(settings):
    settings.O2O_ROUTING_TIME_LIMIT_SECONDS = 1


@pytest.fixture
def depot(db):
    return LocationFactory(name="仓库", latitude=31.2304, longitude=121.4737)


@pytest.fixture
def sku(db):
    return SKUFactory()


@pytest.fixture
def van(depot):
    return Vehicle.objects.create(depot=depot, name="沪A-001", capacity_units=50, max_stops=20)


@pytest.fixture
def driver(depot):
    return EmployeeFactory(role=Role.DRIVER, home_location=depot, display_name="司机甲")


@pytest.fixture
def other_driver(depot):
    return EmployeeFactory(role=Role.DRIVER, home_location=depot, display_name="司机乙")


@pytest.fixture
def manager(depot):
    return EmployeeFactory(role=Role.STORE_MANAGER, home_location=depot)


@pytest.fixture
def tomorrow():
    return timezone.localdate() + timedelta(days=1)


def packed_order(depot, sku, address: str, quantity: int = 1, member=None):
    """A paid delivery order the store has packed: it waits for a run."""
    receive_stock(actor=SYSTEM, location_id=depot.pk, sku_id=sku.pk, quantity=quantity + ONLINE_BUFFER)
    member = member or MemberFactory()
    request = OrderRequest(channel="app", fulfilment="delivery", fulfilment_location_id=depot.pk,
                           lines=[LineRequest(sku.pk, quantity)], delivery_address=address)  # fmt: skip
    return mark_packed(pay_online(place_order(actor=actor_for_member(member), member=member, request=request)))


def requested_transfer(depot, sku, quantity: int = 3):
    store = LocationFactory(name="门店B", latitude=31.25, longitude=121.50)
    receive_stock(actor=SYSTEM, location_id=depot.pk, sku_id=sku.pk, quantity=quantity)
    return request_transfer(actor=SYSTEM, source_id=depot.pk, destination_id=store.pk, lines={sku.pk: quantity})
