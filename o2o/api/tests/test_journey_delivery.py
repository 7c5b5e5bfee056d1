"""Buy online, delivered home (journeys 1 and 2's delivery leg) end to end over the API: the store
packs the order from its queue, the manager plans the day's run, the driver takes it out and hands it
over against the customer's code; the customer is told each step once."""

from datetime import datetime, time
from decimal import Decimal

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from o2o.access.actors import SYSTEM
from o2o.delivery.models import RunStop, Vehicle
from o2o.inventory.selectors import audit_stock
from o2o.inventory.services import receive_stock
from o2o.notifications.models import Notification
from o2o.payments.gateways import SIGNATURE_HEADER
from o2o.payments.models import Payment
from o2o.payments.simulator import signed_callback
from o2o.staff.models import Role
from o2o.testing.api import ApiClient, as_member, as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, SKUFactory
from o2o.web.auth import MEMBER_SESSION_KEY

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _quick_solver(settings):
    settings.O2O_ROUTING_TIME_LIMIT_SECONDS = 1
    settings.O2O_ONLINE_SAFETY_BUFFER = 0


@pytest.fixture(autouse=True)
def _within_the_delivery_day():
    """The journey plans today's run, which holds nothing once today's delivery hours are over:
    the clock runs from ten in the morning, whatever the hour the suite runs at."""
    morning = datetime.combine(timezone.localdate(), time(10), tzinfo=timezone.get_current_timezone())
    with time_machine.travel(morning, tick=True):
        yield


def _order_page(member, order_id: int) -> str:
    browser = Client()
    browser.cookies["django_language"] = "en"
    session = browser.session
    session[MEMBER_SESSION_KEY] = member.pk
    session.save()
    return browser.get(f"/shop/orders/{order_id}/").content.decode()


def test_member_orders_for_delivery_and_the_driver_hands_it_over(store, clerk, member):
    rice = SKUFactory(name="东北大米 5kg", price=Decimal("59.00"))
    receive_stock(location_id=store.pk, sku_id=rice.pk, quantity=4, actor=SYSTEM)
    Vehicle.objects.create(depot=store, name="沪A-001", capacity_units=50, max_stops=20)
    manager = EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)
    driver = EmployeeFactory(role=Role.DRIVER, home_location=store, display_name="司机甲")
    customer = as_member(member)

    # the member orders two bags for delivery home and pays through the gateway
    placed = customer.post(
        "orders",
        {
            "channel": "app",
            "fulfilment": "delivery",
            "location_id": store.pk,
            "delivery_address": "上海市黄浦区人民大道200号",
            "lines": [{"sku_id": rice.pk, "quantity": 2}],
        },
    )
    assert placed.status_code == 201, placed.content
    order = placed.json()
    payment = Payment.objects.get(pk=customer.post(f"payments/orders/{order['id']}/online").json()["payment"]["id"])
    body, signature = signed_callback(payment)
    assert ApiClient().post("payments/callbacks/simulated", body, headers={SIGNATURE_HEADER: signature}).json() == {
        "outcome": "paid"
    }
    assert customer.get(f"orders/{order['id']}").json()["state"] == "paid"

    # the store's clerk takes it from the queue, scans both bags and packs it
    preparing = as_staff(clerk)
    (queued,) = preparing.get("preparations").json()["results"]
    assert preparing.post(f"preparations/{queued['id']}/accept").status_code == 200
    assert preparing.post(f"preparations/{queued['id']}/picks", {"sku_id": rice.pk, "quantity": 2}).status_code == 200
    assert preparing.post(f"preparations/{queued['id']}/packed").json()["state"] == "packed"

    # the manager plans today's run; a clerk may not
    today = timezone.localdate().isoformat()
    assert as_staff(clerk).post("delivery/runs/plan", {"depot_id": store.pk, "date": today}).status_code == 403
    planned = as_staff(manager).post("delivery/runs/plan", {"depot_id": store.pk, "date": today})
    assert planned.status_code == 200, planned.content
    stop = RunStop.objects.get(order_id=order["id"])

    # the driver takes the run out: the order is on its way, and the customer's page shows the code
    assert as_staff(driver).post(f"delivery/runs/{stop.run_id}/dispatch").status_code == 200
    assert customer.get(f"orders/{order['id']}").json()["state"] == "out_for_delivery"
    stop.refresh_from_db()
    assert f'data-delivery-code="{stop.delivery_code}"' in _order_page(member, order["id"])

    # at the door: a wrong code is refused, the customer's code hands it over, once
    wrong = "0000" if stop.delivery_code != "0000" else "1111"
    refused = as_staff(driver).post(f"delivery/stops/{stop.pk}/deliver", {"code": wrong})
    assert (refused.status_code, problem_code(refused)) == (400, "invalid_code")
    assert customer.get(f"orders/{order['id']}").json()["state"] == "out_for_delivery"
    handed = as_staff(driver).post(f"delivery/stops/{stop.pk}/deliver", {"code": stop.delivery_code})
    assert handed.status_code == 200, handed.content
    again = as_staff(driver).post(f"delivery/stops/{stop.pk}/deliver", {"code": stop.delivery_code})
    assert again.status_code == 409, problem_code(again)

    # delivered; the bags left the store's books; the customer was told each step exactly once
    assert customer.get(f"orders/{order['id']}").json()["state"] == "delivered"
    level = store.stock_levels.get(sku=rice)
    assert (level.on_hand, level.reserved) == (2, 0)
    assert audit_stock() == []
    told = sorted(Notification.objects.filter(order_id=order["id"]).values_list("kind", flat=True))
    assert told == ["delivered", "out_for_delivery", "paid"]
