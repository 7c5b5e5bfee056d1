"""A failed delivery and its re-delivery: the incident opens, the re-delivery is arranged, and the
next plan puts the order on a new run's stop (the planner takes orders out for delivery whose last
stop failed and that have no live stop: delivery.services.plannable_orders)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from o2o.delivery.models import DeliveryRun, RunStop, StopState, Vehicle
from o2o.delivery.tests.conftest import packed_order
from o2o.incidents.models import Incident, IncidentAction
from o2o.orders.models import OrderState
from o2o.staff.models import Role
from o2o.testing.api import as_staff
from o2o.testing.factories import EmployeeFactory, LocationFactory, SKUFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _quick_solver(settings):
    settings.O2O_ROUTING_TIME_LIMIT_SECONDS = 1


def _plan(manager, depot, day):
    response = as_staff(manager).post("delivery/runs/plan", {"depot_id": depot.pk, "date": day.isoformat()})
    assert response.status_code == 200, response.content


def test_a_failed_delivery_with_a_redelivery_arranged_is_on_the_next_plan():
    # given: an order out for delivery whose stop failed
    depot = LocationFactory(name="仓库", latitude=31.2304, longitude=121.4737)
    Vehicle.objects.create(depot=depot, name="沪A-001", capacity_units=50, max_stops=20)
    driver = EmployeeFactory(role=Role.DRIVER, home_location=depot)
    manager = EmployeeFactory(role=Role.STORE_MANAGER, home_location=depot)
    tomorrow = timezone.localdate() + timedelta(days=1)
    order = packed_order(depot, SKUFactory(), "上海市黄浦区人民大道200号")
    _plan(manager, depot, tomorrow)
    run = DeliveryRun.objects.get(date=tomorrow)
    assert as_staff(driver).post(f"delivery/runs/{run.pk}/dispatch").status_code == 200
    stop = RunStop.objects.get(order=order)
    assert as_staff(driver).post(f"delivery/stops/{stop.pk}/fail", {"reason": "nobody_home"}).status_code == 200
    incident = Incident.objects.get(order=order, kind="delivery_failed")

    # when: the manager arranges the re-delivery and plans the day after
    arranged = as_staff(manager).post(f"incidents/{incident.pk}/redeliveries", {"note": "后天上午再送"})
    day_after = tomorrow + timedelta(days=1)
    _plan(manager, depot, day_after)

    # then: the order is on a new run's stop, once; the customer was told
    assert arranged.status_code == 201, arranged.content
    again = RunStop.objects.get(order=order, state=StopState.PENDING)
    assert again.pk != stop.pk and again.run.date == day_after and again.run_id != run.pk
    assert RunStop.objects.filter(order=order).count() == 2
    order.refresh_from_db()
    assert order.state == OrderState.OUT_FOR_DELIVERY
    assert IncidentAction.objects.filter(incident=incident, kind="customer_told").count() == 1
    # planning again changes nothing: still one live stop
    _plan(manager, depot, day_after)
    assert RunStop.objects.filter(order=order, state=StopState.PENDING).count() == 1
