"""An order handed to the simulated courier: booked, its signed status callbacks applied once."""

import pytest
from django.test import Client

from o2o.delivery.couriers import BACKENDS, SimulatedCourier
from o2o.delivery.models import CourierBooking, CourierEvent, RunStop
from o2o.delivery.tests.conftest import packed_order
from o2o.orders.models import Order, OrderState
from o2o.testing.api import as_staff, problem_code

pytestmark = pytest.mark.django_db

COURIER = SimulatedCourier()


def _callback(booking, status, event_id="e1", signature=None):
    body, signed = COURIER.callback(external_id=booking.external_id, status=status, event_id=event_id)
    return Client().post("/api/v1/delivery/couriers/simulated/callbacks", body, content_type="application/json",
                         headers={"X-Courier-Signature": signature or signed})  # fmt: skip


def _book(manager, order):
    response = as_staff(manager).post("delivery/couriers/bookings", {"order_id": order.pk})
    assert response.status_code == 201, response.content
    return CourierBooking.objects.get(pk=response.json()["id"])


def test_a_booked_order_goes_out_and_is_delivered_by_the_couriers_callbacks_once(depot, sku, manager):
    order = packed_order(depot, sku, "上海市黄浦区人民大道200号")
    booking = _book(manager, order)
    assert booking.fee > 6 and booking.state == "booked"
    assert _callback(booking, "out_for_delivery", "e1").json() == {"outcome": "applied"}
    assert Order.objects.get(pk=order.pk).state == OrderState.OUT_FOR_DELIVERY
    # the same event again changes nothing
    assert _callback(booking, "out_for_delivery", "e1").json() == {"outcome": "duplicate"}
    assert _callback(booking, "delivered", "e2").json() == {"outcome": "applied"}
    assert Order.objects.get(pk=order.pk).state == OrderState.DELIVERED
    assert CourierBooking.objects.get(pk=booking.pk).state == "delivered"
    assert order.transitions.filter(to_state=OrderState.DELIVERED).count() == 1


def test_a_forged_callback_is_refused_and_changes_nothing(depot, sku, manager):
    order = packed_order(depot, sku, "上海市黄浦区人民大道200号")
    booking = _book(manager, order)
    response = _callback(booking, "delivered", signature="0" * 64)
    assert (response.status_code, problem_code(response)) == (400, "bad_signature")
    assert Order.objects.get(pk=order.pk).state == OrderState.PAID
    assert CourierEvent.objects.count() == 0


def test_a_booked_order_is_not_planned_on_a_run_and_cannot_be_booked_twice(depot, sku, van, manager, tomorrow):
    order = packed_order(depot, sku, "上海市黄浦区人民大道200号")
    _book(manager, order)
    again = as_staff(manager).post("delivery/couriers/bookings", {"order_id": order.pk})
    assert (again.status_code, problem_code(again)) == (409, "conflict")
    assert (
        as_staff(manager).post("delivery/runs/plan", {"depot_id": depot.pk, "date": tomorrow.isoformat()}).json() == []
    )
    assert RunStop.objects.count() == 0


def test_a_failed_courier_delivery_is_planned_again(depot, sku, van, manager, tomorrow):
    order = packed_order(depot, sku, "上海市黄浦区人民大道200号")
    booking = _book(manager, order)
    _callback(booking, "out_for_delivery", "e1")
    assert _callback(booking, "failed", "e2").json() == {"outcome": "applied"}
    response = as_staff(manager).post("delivery/runs/plan", {"depot_id": depot.pk, "date": tomorrow.isoformat()})
    assert list(RunStop.objects.values_list("order_id", flat=True)) == [order.pk], response.content


def test_a_retried_booking_with_the_same_key_answers_with_the_same_booking(depot, sku, manager):
    order = packed_order(depot, sku, "上海市黄浦区人民大道200号")
    staff = as_staff(manager)
    first = staff.post("delivery/couriers/bookings", {"order_id": order.pk}, headers={"Idempotency-Key": "book-1"})
    again = staff.post("delivery/couriers/bookings", {"order_id": order.pk}, headers={"Idempotency-Key": "book-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert CourierBooking.objects.count() == 1
    # another key for the same order is a second booking: refused
    other = staff.post("delivery/couriers/bookings", {"order_id": order.pk}, headers={"Idempotency-Key": "book-2"})
    assert (other.status_code, problem_code(other)) == (409, "conflict")
    assert CourierBooking.objects.count() == 1


class _DownCourier(SimulatedCourier):
    name = "down"

    def book(self, *, reference, origin, destination):
        raise ConnectionError("no route to the courier")


def test_a_courier_that_does_not_answer_leaves_the_order_free_to_book_or_plan(
    depot, sku, van, manager, tomorrow, monkeypatch
):
    monkeypatch.setitem(BACKENDS, "down", _DownCourier())
    order = packed_order(depot, sku, "上海市黄浦区人民大道200号")
    staff = as_staff(manager)
    headers = {"Idempotency-Key": "book-1"}
    down = staff.post("delivery/couriers/bookings", {"order_id": order.pk, "courier": "down"}, headers=headers)
    assert (down.status_code, problem_code(down)) == (503, "service_unavailable")
    assert list(CourierBooking.objects.values_list("state", "external_id")) == [("cancelled", "")]
    # the same key asks again (nothing was booked the first time), this time of a courier that answers
    booked = staff.post("delivery/couriers/bookings", {"order_id": order.pk}, headers=headers)
    assert booked.status_code == 201, booked.content
    assert booked.json()["state"] == "booked"
    assert Order.objects.get(pk=order.pk).state == OrderState.PAID


def test_an_order_claimed_for_a_courier_is_not_planned_while_the_courier_answers(depot, sku, van, manager, tomorrow):
    order = packed_order(depot, sku, "上海市黄浦区人民大道200号")
    CourierBooking.objects.create(order=order, courier="simulated")  # claimed, no answer yet
    planned = as_staff(manager).post("delivery/runs/plan", {"depot_id": depot.pk, "date": tomorrow.isoformat()})
    assert planned.json() == [] and RunStop.objects.count() == 0
    again = as_staff(manager).post("delivery/couriers/bookings", {"order_id": order.pk})
    assert (again.status_code, problem_code(again)) == (409, "conflict")
