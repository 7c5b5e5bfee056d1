"""`o2o audit` can fail: each test builds honest books through the services (the audit passes),
then corrupts one fact the way a bug or a hand-written UPDATE would, and the audit exits non-zero
naming it. The stock corruptions keep the cached stock and its ledger in step, so only the
business facts (order lines, transfers) can catch them."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F
from django.utils import timezone

from o2o.access.actors import SYSTEM
from o2o.inventory.models import MoveKind, Reservation, StockLevel, StockMove
from o2o.inventory.services import receive_stock, receive_transfer, send_transfer
from o2o.orders.models import Order, OrderLine
from o2o.payments.models import Payment
from o2o.payments.services import start_online_payment
from o2o.pickup.models import PickupVoucher
from o2o.staff.models import Role
from o2o.testing.api import as_member, as_staff
from o2o.testing.factories import EmployeeFactory, SKUFactory
from o2o.testing.journeys import paid_pickup_order, place_pickup_order

pytestmark = pytest.mark.django_db


def audit() -> tuple[bool, str]:
    out = StringIO()
    try:
        call_command("audit", stdout=out)
    except CommandError as failed:
        return False, out.getvalue() + str(failed)
    return True, out.getvalue()


@pytest.fixture
def books(store, other_store, member, clerk):
    """A day of honest business: a handed-over order with a return, a waiting pickup, a cancelled
    one, a counter sale, a transfer on its way and one received, an unpaid order."""
    tea = SKUFactory(price=Decimal("5.00"))
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=30, actor=SYSTEM)
    manager = as_staff(EmployeeFactory(home_location=store, role=Role.STORE_MANAGER))
    picked = paid_pickup_order(member=member, store=store, sku=tea, quantity=3)
    as_staff(clerk).post("pickup/redeem", {"code": picked.pickup_voucher.code})
    manager.post(f"orders/{picked.pk}/returns", {"lines": [{"line_id": picked.lines.get().pk, "quantity": 1}],
                                                 "reason": "dented"})  # fmt: skip
    waiting = paid_pickup_order(member=member, store=store, sku=tea, quantity=2)
    cancelled = paid_pickup_order(member=member, store=store, sku=tea, quantity=1)
    as_member(member).post(f"orders/{cancelled.pk}/cancel")
    sale = as_staff(clerk).post("orders", {"channel": "pos", "fulfilment": "in_store", "location_id": store.pk,
                                           "lines": [{"sku_id": tea.pk, "quantity": 2}]}).json()  # fmt: skip
    as_staff(clerk).post(f"payments/orders/{sale['id']}/in-store", {"method": "cash"})
    send_transfer(source_id=store.pk, destination_id=other_store.pk, lines={tea.pk: 4}, actor=SYSTEM)
    received = send_transfer(source_id=store.pk, destination_id=other_store.pk, lines={tea.pk: 1}, actor=SYSTEM)
    receive_transfer(actor=SYSTEM, transfer_id=received.id)
    unpaid = place_pickup_order(member=member, store=store, sku=tea, quantity=1)
    start_online_payment(actor=SYSTEM, order=unpaid)
    ok, report = audit()
    assert ok, report
    return {"tea": tea, "picked": picked, "waiting": waiting, "cancelled": cancelled, "unpaid": unpaid,
            "store": store}  # fmt: skip


def _book(location, sku, kind, quantity) -> None:
    """A change of stock written to the cache and the ledger alike (so the ledger audit agrees)."""
    StockLevel.objects.filter(location=location, sku=sku).update(on_hand=F("on_hand") + quantity)
    StockMove.objects.create(location=location, sku=sku, kind=kind, quantity=quantity)


def test_a_sale_booked_twice_is_caught_by_the_business_facts(books):
    _book(books["store"], books["tea"], MoveKind.SALE, -3)  # the hand-over booked a second time

    ok, report = audit()

    assert not ok
    assert f"stock_from_facts: location {books['store'].pk} sku {books['tea'].pk}: on hand" in report
    assert "stock_ledger" not in report  # the ledger agrees with itself: only the facts catch it


def test_a_return_put_on_the_shelf_without_a_returned_line_is_caught(books):
    _book(books["store"], books["tea"], MoveKind.RETURN, 1)

    ok, report = audit()

    assert not ok and "stock_from_facts" in report


def test_a_transfer_received_twice_is_caught(books, other_store):
    _book(other_store, books["tea"], MoveKind.TRANSFER_IN, 1)

    ok, report = audit()

    assert not ok and f"stock_from_facts: location {other_store.pk}" in report


def test_a_refund_the_order_does_not_know_about_is_caught(books):
    Payment.objects.filter(order=books["picked"]).update(refunded_amount=Decimal("15.00"))

    ok, report = audit()

    assert not ok
    assert "payment_against_order" in report and "refunds_against_payment" in report


def test_a_paid_pickup_order_without_its_voucher_is_caught(books):
    PickupVoucher.objects.filter(order=books["waiting"]).delete()

    ok, report = audit()

    assert not ok and f"paid_pickup_without_voucher: order {books['waiting'].number}" in report


def test_a_reservation_held_for_a_cancelled_order_is_caught(books):
    Reservation.objects.filter(order_line__order=books["cancelled"]).update(state=Reservation.State.ACTIVE)
    StockLevel.objects.filter(location=books["store"], sku=books["tea"]).update(reserved=3)

    ok, report = audit()

    assert not ok and "reservation_not_needed" in report


def test_a_payment_still_pending_long_after_its_deadline_is_caught(books):
    Order.objects.filter(pk=books["unpaid"].pk).update(payment_deadline=timezone.now() - timedelta(hours=2))

    ok, report = audit()

    assert not ok and "pending_payment_past_its_time" in report


def test_a_paid_order_whose_payment_is_missing_is_caught(books):
    Payment.objects.filter(order=books["waiting"]).update(state=Payment.State.FAILED)

    ok, report = audit()

    assert not ok and f"paid_order_without_payment: order {books['waiting'].number}" in report


def test_an_order_line_that_says_fewer_units_left_than_did_is_caught(books):
    OrderLine.objects.filter(order=books["picked"]).update(returned_quantity=2)

    ok, report = audit()

    assert not ok and "stock_from_facts" in report
