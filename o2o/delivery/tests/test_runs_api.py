"""Delivery runs through the API, as a depot's manager, its drivers and outsiders would use it."""

from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone

from o2o.access.actors import SYSTEM, actor_for_member
from o2o.core import events
from o2o.delivery.models import DeliveryRun, RunState, RunStop, StopState, Vehicle
from o2o.delivery.selectors import delivery_status, late_stops
from o2o.delivery.tests.conftest import packed_order, requested_transfer
from o2o.inventory.models import StockLevel, Transfer
from o2o.inventory.services import receive_stock
from o2o.orders.models import Order, OrderState
from o2o.orders.services import LineRequest, OrderRequest, place_order
from o2o.staff.models import Role
from o2o.testing.api import as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, LocationFactory, MemberFactory
from o2o.testing.journeys import pay_online
from o2o.testing.preparation import pick_everything

pytestmark = pytest.mark.django_db

ADDRESSES = ["上海市黄浦区人民大道200号", "上海市静安区南京西路1266号", "上海市徐汇区衡山路10号"]


@pytest.fixture
def published():
    seen: list[tuple[str, dict]] = []
    handlers = {n: (lambda n=n, **payload: seen.append((n, payload)))
                for n in (events.ORDER_OUT_FOR_DELIVERY, events.DELIVERY_FAILED)}  # fmt: skip
    for name, handler in handlers.items():
        events.subscribe(name)(handler)
    yield seen
    for name, handler in handlers.items():
        events._handlers[name].remove(handler)


def _plan(manager, depot, day):
    return as_staff(manager).post("delivery/runs/plan", {"depot_id": depot.pk, "date": day.isoformat()})


def _planned(depot, sku, van, driver, manager, day, orders=2):
    placed = [packed_order(depot, sku, a) for a in ADDRESSES[:orders]]
    response = _plan(manager, depot, day)
    assert response.status_code == 200, response.content
    return placed, DeliveryRun.objects.get(vehicle=van, date=day)


def _dispatched(depot, sku, van, driver, manager, day, orders=2):
    placed, run = _planned(depot, sku, van, driver, manager, day, orders)
    assert as_staff(driver).post(f"delivery/runs/{run.pk}/dispatch").status_code == 200
    return placed, run


def test_planning_routes_packed_orders_and_requested_transfers_into_one_run_with_a_driver(
    depot, sku, van, driver, manager, tomorrow
):
    # given three packed delivery orders, one order still being prepared, and a requested transfer
    orders = [packed_order(depot, sku, a) for a in ADDRESSES]
    transfer = requested_transfer(depot, sku)
    # when the manager plans tomorrow
    response = _plan(manager, depot, tomorrow)
    # then one run carries all four, numbered 1..4, routed by OR-Tools, driven by the depot's driver
    assert response.status_code == 200, response.content
    [run] = response.json()
    assert (run["vehicle_id"], run["driver_id"], run["state"], run["stops"], run["solver"]) == (
        van.pk, driver.pk, "planned", 4, "ortools")  # fmt: skip
    assert run["planned_distance_m"] > 0
    stops = RunStop.objects.filter(run_id=run["id"]).order_by("sequence")
    assert [s.sequence for s in stops] == [1, 2, 3, 4]
    assert {s.order_id for s in stops if s.order_id} == {o.pk for o in orders}
    assert [s.transfer_id for s in stops if s.transfer_id] == [transfer.id]
    start = timezone.localtime(stops[0].window_start)
    assert (start.date(), start.hour, start.minute) == (tomorrow, 9, 0)
    assert all(s.window_start <= s.planned_arrival <= s.window_end for s in stops)
    arrivals = [s.planned_arrival for s in stops]
    assert arrivals == sorted(arrivals)


def test_planning_twice_gives_the_same_stops_never_a_second_copy(depot, sku, van, driver, manager, tomorrow):
    orders = [packed_order(depot, sku, a) for a in ADDRESSES]
    assert _plan(manager, depot, tomorrow).status_code == 200
    first = sorted(RunStop.objects.values_list("order_id", flat=True))
    # when planned again (a retry, or a second click)
    assert _plan(manager, depot, tomorrow).status_code == 200
    # then still one run with one stop per order
    assert DeliveryRun.objects.count() == 1
    assert sorted(RunStop.objects.values_list("order_id", flat=True)) == first == sorted(o.pk for o in orders)


def test_planning_a_day_whose_delivery_hours_are_over_is_409_and_keeps_its_planned_stops(
    depot, sku, van, driver, manager, tomorrow
):
    packed_order(depot, sku, ADDRESSES[0])
    assert _plan(manager, depot, tomorrow).status_code == 200
    planned = list(RunStop.objects.values_list("pk", "order_id"))
    late_evening = datetime.combine(tomorrow, time(22, 0), tzinfo=timezone.get_current_timezone())

    with time_machine.travel(late_evening):
        too_late = _plan(manager, depot, tomorrow)
        yesterday = _plan(manager, depot, tomorrow - timedelta(days=1))

    assert too_late.status_code == yesterday.status_code == 409
    assert problem_code(too_late) == problem_code(yesterday) == "conflict"
    assert too_late.json()["day_end"] == "21:00"
    assert list(RunStop.objects.values_list("pk", "order_id")) == planned


def test_an_order_not_yet_packed_is_not_planned(depot, sku, van, driver, manager, tomorrow):
    packed = packed_order(depot, sku, ADDRESSES[0])
    receive_stock(actor=SYSTEM, location_id=depot.pk, sku_id=sku.pk, quantity=1)
    member = MemberFactory()
    request = OrderRequest(channel="app", fulfilment="delivery", fulfilment_location_id=depot.pk,
                           lines=[LineRequest(sku.pk, 1)], delivery_address=ADDRESSES[1])  # fmt: skip
    pick_everything(pay_online(place_order(actor=actor_for_member(member), member=member, request=request)))
    assert _plan(manager, depot, tomorrow).status_code == 200
    assert list(RunStop.objects.values_list("order_id", flat=True)) == [packed.pk]


def test_capacity_splits_the_orders_over_two_vans(depot, sku, van, driver, other_driver, manager, tomorrow):
    van.capacity_units = 4
    van.save()
    second = Vehicle.objects.create(depot=depot, name="沪A-002", capacity_units=4, max_stops=20)
    for address in ADDRESSES:
        packed_order(depot, sku, address, quantity=3)
    response = _plan(manager, depot, tomorrow)
    assert response.status_code == 200
    runs = {r["vehicle_id"]: r for r in response.json()}
    # 3 orders of 3 units, 4 units a van: two vans cannot carry the third; it waits for the next plan
    assert set(runs) == {van.pk, second.pk}
    assert sum(r["stops"] for r in runs.values()) == 2
    assert {r["driver_id"] for r in runs.values()} == {driver.pk, other_driver.pk}


def test_another_depots_manager_can_neither_plan_nor_see_the_run(depot, sku, van, driver, manager, tomorrow):
    _, run = _planned(depot, sku, van, driver, manager, tomorrow)
    stranger = EmployeeFactory(role=Role.STORE_MANAGER, home_location=LocationFactory())
    client = as_staff(stranger)
    assert client.post("delivery/runs/plan", {"depot_id": depot.pk, "date": tomorrow.isoformat()}).status_code == 404
    assert client.get(f"delivery/runs/{run.pk}").status_code == 404
    response = client.post(f"delivery/runs/{run.pk}/dispatch")
    assert (response.status_code, problem_code(response)) == (404, "not_found")
    assert DeliveryRun.objects.get(pk=run.pk).state == RunState.PLANNED


def test_a_driver_may_not_plan(depot, sku, van, driver, manager, tomorrow):
    response = as_staff(driver).post("delivery/runs/plan", {"depot_id": depot.pk, "date": tomorrow.isoformat()})
    assert (response.status_code, problem_code(response)) == (403, "forbidden")
    assert DeliveryRun.objects.count() == 0


def test_dispatch_sends_orders_out_with_their_eta_and_ships_the_transfers(
    depot, sku, van, driver, manager, tomorrow, published
):
    orders = [packed_order(depot, sku, a) for a in ADDRESSES[:2]]
    transfer = requested_transfer(depot, sku, quantity=3)
    assert _plan(manager, depot, tomorrow).status_code == 200
    run = DeliveryRun.objects.get()
    on_hand_before = StockLevel.objects.get(location=depot, sku=sku).on_hand
    # when the driver dispatches the run
    response = as_staff(driver).post(f"delivery/runs/{run.pk}/dispatch")
    # then the orders are out for delivery with their planned arrival as ETA, the transfer shipped
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "dispatched"
    stops = {s.order_id: s for s in RunStop.objects.filter(order__isnull=False)}
    assert set(Order.objects.filter(pk__in=[o.pk for o in orders]).values_list("state", flat=True)) == {
        OrderState.OUT_FOR_DELIVERY
    }
    etas = {p["order"].pk: p["eta"] for n, p in published if n == events.ORDER_OUT_FOR_DELIVERY}
    assert etas == {o.pk: stops[o.pk].planned_arrival for o in orders}
    assert all(len(s.delivery_code) == 4 and s.delivery_code.isdigit() for s in stops.values())
    assert Transfer.objects.get(pk=transfer.id).state == Transfer.State.IN_TRANSIT
    # the orders' 2 units were reserved and leave with the run; the transfer's 3 leave the depot
    assert StockLevel.objects.get(location=depot, sku=sku).on_hand == on_hand_before - 2 - 3
    # the customer's page has the ETA and the code to give the driver
    status = delivery_status(order_id=orders[0].pk)
    assert (status.eta, status.code) == (stops[orders[0].pk].planned_arrival, stops[orders[0].pk].delivery_code)
    # and dispatching again is refused
    again = as_staff(driver).post(f"delivery/runs/{run.pk}/dispatch")
    assert (again.status_code, problem_code(again)) == (409, "illegal_transition")


def test_the_driver_delivers_with_the_customers_code_and_the_run_finishes(depot, sku, van, driver, manager, tomorrow):
    orders, run = _dispatched(depot, sku, van, driver, manager, tomorrow)
    for order in orders:
        stop = RunStop.objects.get(order=order)
        response = as_staff(driver).post(f"delivery/stops/{stop.pk}/deliver", {"code": stop.delivery_code})
        assert response.status_code == 200, response.content
        assert (response.json()["state"], response.json()["proof"]) == ("delivered", "code")
    assert set(Order.objects.filter(pk__in=[o.pk for o in orders]).values_list("state", flat=True)) == {
        OrderState.DELIVERED
    }
    assert DeliveryRun.objects.get(pk=run.pk).state == RunState.FINISHED


def test_a_wrong_code_is_refused_counted_and_after_five_the_right_one_is_refused_too(
    depot, sku, van, driver, manager, tomorrow
):
    [order], _ = _dispatched(depot, sku, van, driver, manager, tomorrow, orders=1)
    stop = RunStop.objects.get(order=order)
    wrong = f"{(int(stop.delivery_code) + 1) % 10_000:04d}"
    client = as_staff(driver)
    for left in (4, 3, 2, 1, 0):
        response = client.post(f"delivery/stops/{stop.pk}/deliver", {"code": wrong})
        assert (response.status_code, problem_code(response), response.json()["attempts_left"]) == (
            400, "invalid_code", left)  # fmt: skip
    response = client.post(f"delivery/stops/{stop.pk}/deliver", {"code": stop.delivery_code})
    assert (response.status_code, problem_code(response)) == (429, "rate_limited")
    stop.refresh_from_db()
    assert (stop.state, stop.code_attempts) == (StopState.PENDING, 5)
    assert Order.objects.get(pk=order.pk).state == OrderState.OUT_FOR_DELIVERY


def test_delivering_twice_is_refused_the_second_time(depot, sku, van, driver, manager, tomorrow):
    [order], _ = _dispatched(depot, sku, van, driver, manager, tomorrow, orders=1)
    stop = RunStop.objects.get(order=order)
    assert as_staff(driver).post(f"delivery/stops/{stop.pk}/deliver", {"code": stop.delivery_code}).status_code == 200
    again = as_staff(driver).post(f"delivery/stops/{stop.pk}/deliver", {"code": stop.delivery_code})
    assert (again.status_code, problem_code(again)) == (409, "illegal_transition")
    assert order.transitions.filter(to_state=OrderState.DELIVERED).count() == 1


def test_another_driver_cannot_complete_or_fail_the_stop(depot, sku, van, driver, other_driver, manager, tomorrow):
    [order], run = _dispatched(depot, sku, van, driver, manager, tomorrow, orders=1)
    assert run.driver_id in (None, driver.pk)
    stop = RunStop.objects.get(order=order)
    client = as_staff(other_driver)
    response = client.post(f"delivery/stops/{stop.pk}/deliver", {"code": stop.delivery_code})
    assert (response.status_code, problem_code(response)) == (404, "not_found")
    response = client.post(f"delivery/stops/{stop.pk}/fail", {"reason": "nobody_home"})
    assert response.status_code == 404
    assert client.get(f"delivery/runs/{run.pk}").status_code == 404
    stop.refresh_from_db()
    assert (stop.state, stop.code_attempts, stop.completed_by_id) == (StopState.PENDING, 0, None)


def test_a_failed_delivery_needs_a_reason_tells_incidents_and_goes_on_the_next_plan(
    depot, sku, van, driver, manager, tomorrow, published
):
    [order], run = _dispatched(depot, sku, van, driver, manager, tomorrow, orders=1)
    stop = RunStop.objects.get(order=order)
    client = as_staff(driver)
    # no reason, an unknown one, "other" without a note: refused, nothing written
    assert client.post(f"delivery/stops/{stop.pk}/fail", {}).status_code == 422
    assert client.post(f"delivery/stops/{stop.pk}/fail", {"reason": "lazy"}).status_code == 422
    response = client.post(f"delivery/stops/{stop.pk}/fail", {"reason": "other", "note": "  "})
    assert (response.status_code, problem_code(response)) == (422, "invalid")
    assert RunStop.objects.get(pk=stop.pk).state == StopState.PENDING
    assert [n for n, _ in published if n == events.DELIVERY_FAILED] == []
    # a standard reason: failed, the incident is told
    response = client.post(f"delivery/stops/{stop.pk}/fail", {"reason": "nobody_home", "note": "电话未接"})
    assert response.status_code == 200, response.content
    assert (response.json()["state"], response.json()["failure_reason"]) == ("failed", "nobody_home")
    [(_, payload)] = [(n, p) for n, p in published if n == events.DELIVERY_FAILED]
    assert (payload["order"].pk, payload["reason"], payload["actor_id"]) == (order.pk, "nobody_home", driver.user_id)
    assert DeliveryRun.objects.get(pk=run.pk).state == RunState.FINISHED
    # the next day's plan takes it again (a second attempt)
    day_after = tomorrow + timedelta(days=1)
    assert _plan(manager, depot, day_after).status_code == 200
    assert RunStop.objects.filter(order=order, state=StopState.PENDING, run__date=day_after).count() == 1


def test_late_stops_are_the_pending_ones_past_their_window(depot, sku, van, driver, manager, tomorrow):
    [order], _ = _dispatched(depot, sku, van, driver, manager, tomorrow, orders=1)
    stop = RunStop.objects.get(order=order)
    assert list(late_stops(stop.window_end)) == []
    assert list(late_stops(stop.window_end + timedelta(minutes=1))) == [stop]
    as_staff(driver).post(f"delivery/stops/{stop.pk}/deliver", {"code": stop.delivery_code})
    assert list(late_stops(stop.window_end + timedelta(minutes=1))) == []
