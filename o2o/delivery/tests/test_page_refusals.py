"""Who the delivery pages turn away: nobody signed in goes to the sign-in page, a role the
permission table does not allow gets 403, and nothing is written either way."""

import pytest
from django.test import Client
from django.urls import reverse

from o2o.access.actors import actor_for_user
from o2o.delivery import services
from o2o.delivery.models import DeliveryRun, RunState, RunStop, StopState
from o2o.delivery.tests.conftest import packed_order
from o2o.orders.models import Order, OrderState
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory

pytestmark = pytest.mark.django_db

ADDRESS = "上海市黄浦区人民大道200号"


def _signed_in(employee) -> Client:
    client = Client()
    client.force_login(employee.user)
    return client


def _to_sign_in(response) -> bool:
    return response.status_code == 302 and response.url.startswith(f"{reverse('web:login')}?next=")


@pytest.fixture
def planned_run(depot, sku, van, driver, manager, tomorrow):
    order = packed_order(depot, sku, ADDRESS)
    services.plan_runs(actor=actor_for_user(manager.user), depot_id=depot.pk, day=tomorrow)
    return DeliveryRun.objects.get(), order


@pytest.mark.parametrize("path", ["/driver/", "/manager/delivery/"])
def test_nobody_signed_in_is_sent_to_sign_in(path):
    response = Client().get(path)

    assert _to_sign_in(response)


@pytest.mark.parametrize("role", [Role.CLERK, Role.MARKETER])
def test_a_role_that_does_not_plan_gets_403_on_plan_and_no_run_is_made(depot, sku, van, driver, tomorrow, role):
    packed_order(depot, sku, ADDRESS)
    client = _signed_in(EmployeeFactory(role=role, home_location=depot))

    response = client.post(f"/manager/delivery/plan/?location={depot.pk}", {"date": tomorrow.isoformat()})

    assert response.status_code == 403
    assert not DeliveryRun.objects.exists()
    assert not RunStop.objects.exists()


@pytest.mark.parametrize("role", [Role.CLERK, Role.MARKETER])
def test_a_role_that_does_not_dispatch_gets_403_and_the_run_stays_at_the_depot(depot, planned_run, role):
    run, order = planned_run
    client = _signed_in(EmployeeFactory(role=role, home_location=depot))

    response = client.post(f"/manager/delivery/runs/{run.pk}/dispatch/?location={depot.pk}")

    assert response.status_code == 403
    run.refresh_from_db()
    assert (run.state, run.dispatched_at) == (RunState.PLANNED, None)
    assert Order.objects.get(pk=order.pk).state == OrderState.PAID
    assert RunStop.objects.get(run=run).delivery_code == ""


def test_nobody_signed_in_cannot_deliver_a_stop(manager, planned_run):
    run, order = planned_run
    services.dispatch_run(actor=actor_for_user(manager.user), run_id=run.pk)
    stop = RunStop.objects.get(run=run)

    response = Client().post(f"/driver/stops/{stop.pk}/deliver/", {"code": stop.delivery_code})

    assert _to_sign_in(response)
    stop.refresh_from_db()
    assert (stop.state, stop.code_attempts, stop.completed_at) == (StopState.PENDING, 0, None)
    assert Order.objects.get(pk=order.pk).state == OrderState.OUT_FOR_DELIVERY
