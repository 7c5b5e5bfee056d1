"""Idempotency keys where money or stock moves: returns, cancellations and counter payments. A
retry with the same key returns the first result; a second cancellation without one is a 409."""

from decimal import Decimal

import pytest

from o2o.access.actors import SYSTEM
from o2o.inventory.models import StockLevel, StockMove
from o2o.inventory.services import receive_stock
from o2o.orders import audit as orders_audit
from o2o.orders.models import Order
from o2o.payments.models import Payment, Refund
from o2o.staff.models import Role
from o2o.testing.api import as_member, as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, SKUFactory
from o2o.testing.journeys import paid_pickup_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def tea(store):
    sku = SKUFactory(price=Decimal("8.00"))
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=10, actor=SYSTEM)
    return sku


@pytest.fixture
def manager(store):
    return as_staff(EmployeeFactory(home_location=store, role=Role.STORE_MANAGER))


def on_hand(store, sku) -> int:
    return StockLevel.objects.get(location=store, sku=sku).on_hand


def counter_sale(clerk, store, sku, quantity: int) -> dict:
    return as_staff(clerk).post(
        "orders",
        {"channel": "pos", "fulfilment": "in_store", "location_id": store.pk,
         "lines": [{"sku_id": sku.pk, "quantity": quantity}]},
    ).json()  # fmt: skip


def test_a_return_retried_with_the_same_key_is_booked_once(store, clerk, tea, manager):
    # given a paid counter sale of 3 teas
    sale = counter_sale(clerk, store, tea, 3)
    as_staff(clerk).post(f"payments/orders/{sale['id']}/in-store", {"method": "cash"})
    body = {"lines": [{"line_id": sale["lines"][0]["id"], "quantity": 1}], "reason": "broken seal"}

    # when the manager's tablet sends the return twice with one key (the first answer was lost)
    first = manager.post(f"orders/{sale['id']}/returns", body, headers={"Idempotency-Key": "ret-1"})
    second = manager.post(f"orders/{sale['id']}/returns", body, headers={"Idempotency-Key": "ret-1"})

    # then both answer the same order, with one unit returned, refunded and back on the shelf once
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json()["refunded_total"] == second.json()["refunded_total"] == "8.00"
    assert second.json()["lines"][0]["returned_quantity"] == 1
    assert list(Refund.objects.values_list("amount", flat=True)) == [Decimal("8.00")]
    assert on_hand(store, tea) == 8
    assert StockMove.objects.filter(kind="return").count() == 1


def test_the_same_key_for_another_return_is_a_409_and_moves_nothing(store, clerk, tea, manager):
    sale = counter_sale(clerk, store, tea, 3)
    as_staff(clerk).post(f"payments/orders/{sale['id']}/in-store", {"method": "cash"})
    line_id = sale["lines"][0]["id"]
    manager.post(f"orders/{sale['id']}/returns", {"lines": [{"line_id": line_id, "quantity": 1}], "reason": "a"},
                 headers={"Idempotency-Key": "ret-2"})  # fmt: skip

    response = manager.post(
        f"orders/{sale['id']}/returns",
        {"lines": [{"line_id": line_id, "quantity": 2}], "reason": "a"},
        headers={"Idempotency-Key": "ret-2"},
    )

    assert (response.status_code, problem_code(response)) == (409, "idempotency_conflict")
    assert Refund.objects.count() == 1
    assert on_hand(store, tea) == 8


def test_a_second_cancellation_of_a_paid_order_is_a_409_and_refunds_nothing_more(store, member, tea):
    # given a paid pickup order, cancelled by its customer
    order = paid_pickup_order(member=member, store=store, sku=tea, quantity=2)
    customer = as_member(member)
    assert customer.post(f"orders/{order.pk}/cancel").json()["state"] == "refunded"

    # when the customer taps cancel again
    again = customer.post(f"orders/{order.pk}/cancel")

    # then it is a conflict with the order's state, and the money went back once
    assert (again.status_code, problem_code(again)) == (409, "illegal_transition")
    assert list(Refund.objects.values_list("amount", flat=True)) == [Decimal("16.00")]


def test_a_cancellation_retried_with_its_key_gets_the_first_answer(store, member, tea):
    order = paid_pickup_order(member=member, store=store, sku=tea, quantity=2)
    customer = as_member(member)

    first = customer.post(f"orders/{order.pk}/cancel", headers={"Idempotency-Key": "c-1"})
    second = customer.post(f"orders/{order.pk}/cancel", headers={"Idempotency-Key": "c-1"})

    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json()["state"] == second.json()["state"] == "refunded"
    assert Refund.objects.count() == 1
    assert Order.objects.get(pk=order.pk).refunded_total == Decimal("16.00")


def test_a_counter_payment_retried_with_its_key_returns_the_first_payment(store, clerk, tea):
    # given an unpaid counter sale
    sale = counter_sale(clerk, store, tea, 1)
    counter = as_staff(clerk)

    # when the till sends "paid by card" twice with one key, then with that key but cash
    first = counter.post(f"payments/orders/{sale['id']}/in-store", {"method": "card"}, headers={"Idempotency-Key": "p"})
    second = counter.post(
        f"payments/orders/{sale['id']}/in-store", {"method": "card"}, headers={"Idempotency-Key": "p"}
    )
    other = counter.post(f"payments/orders/{sale['id']}/in-store", {"method": "cash"}, headers={"Idempotency-Key": "p"})

    # then one payment was taken and returned twice; the different request under the key is refused
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json() == second.json()
    assert (other.status_code, problem_code(other)) == (409, "idempotency_conflict")
    assert list(Payment.objects.values_list("method", "amount")) == [("card", Decimal("8.00"))]
    assert on_hand(store, tea) == 9


def test_undo_after_a_partial_return_reserves_only_the_units_not_returned(store, member, tea, clerk, manager):
    # given a pickup order of 3 teas, handed over, then 1 returned
    order = paid_pickup_order(member=member, store=store, sku=tea, quantity=3)
    redeemed = as_staff(clerk).post("pickup/redeem", {"code": order.pickup_voucher.code}).json()
    line = order.lines.get()
    manager.post(f"orders/{order.pk}/returns", {"lines": [{"line_id": line.pk, "quantity": 1}], "reason": "dented"})
    assert StockLevel.objects.filter(location=store, sku=tea).values_list("on_hand", "reserved").get() == (8, 0)

    # when the manager undoes the hand-over (the customer left without the other two)
    response = manager.post(f"pickup/vouchers/{redeemed['id']}/undo", {"reason": "customer left them"})

    # then the 2 kept units are back and reserved; the returned one is on the shelf once, not twice
    assert response.status_code == 200, response.content
    assert StockLevel.objects.filter(location=store, sku=tea).values_list("on_hand", "reserved").get() == (10, 2)
    assert order.lines.get().reservations.get().quantity == 2

    # and when the order is handed over again, 2 units leave and the books agree
    as_staff(clerk).post("pickup/redeem", {"code": order.pickup_voucher.code})
    assert StockLevel.objects.filter(location=store, sku=tea).values_list("on_hand", "reserved").get() == (8, 0)
    assert orders_audit.run() == []
