"""Every order reaches an end: uncollected pickups are refunded, handed-over orders complete when
the return window closes, and each end publishes an event commission and points can listen to."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from o2o.access.actors import SYSTEM
from o2o.core import events
from o2o.core.models import OutboxMessage
from o2o.inventory.models import Reservation, StockLevel
from o2o.inventory.selectors import audit_stock
from o2o.inventory.services import receive_stock
from o2o.orders.models import Order, OrderState
from o2o.orders.services import complete_orders
from o2o.payments.gateways import get_gateway
from o2o.payments.models import Payment, Refund
from o2o.pickup.models import PickupVoucher
from o2o.pickup.services import expire_vouchers
from o2o.staff.models import Role
from o2o.testing.api import as_member, as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, SKUFactory
from o2o.testing.journeys import paid_pickup_order
from o2o.testing.preparation import mark_ready

pytestmark = pytest.mark.django_db


@pytest.fixture
def tea(store):
    sku = SKUFactory(price=Decimal("12.50"))
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=10, actor=SYSTEM)
    return sku


@pytest.fixture
def manager(store):
    return EmployeeFactory(home_location=store, role=Role.STORE_MANAGER)


@pytest.fixture
def published():
    """The order events published during the test, as (event, payload) pairs."""
    seen: list[tuple[str, dict]] = []
    handlers = {name: (lambda name=name, **payload: seen.append((name, payload))) for name in (
        events.ORDER_COMPLETED, events.ORDER_RETURNED, events.ORDER_UNCOLLECTED)}  # fmt: skip
    for name, handler in handlers.items():
        events.subscribe(name)(handler)
    yield seen
    for name, handler in handlers.items():
        events._handlers[name].remove(handler)


@pytest.fixture
def gateway():
    simulated = get_gateway("simulated")
    simulated.refunds.clear()
    simulated.failures_to_come = 0
    return simulated


def stock(store, sku) -> tuple[int, int]:
    return StockLevel.objects.filter(location=store, sku=sku).values_list("on_hand", "reserved").get()


def test_an_expired_pickup_is_uncollected_its_stock_released_its_money_returned_and_the_customer_told(
    store, member, tea, gateway, published, django_capture_on_commit_callbacks
):
    # given a paid pickup order of 2 teas nobody comes for
    order = mark_ready(paid_pickup_order(member=member, store=store, sku=tea, quantity=2))
    voucher = order.pickup_voucher
    assert stock(store, tea) == (10, 2)

    # when the expiry job runs after the voucher's time
    with django_capture_on_commit_callbacks(execute=True):
        handled = expire_vouchers(now=voucher.expires_at + timedelta(seconds=1))

    # then the order has an end of its own, the stock is free, the money went back through the
    # gateway under the refund's own id, and the customer has a message
    assert handled == 1
    assert as_member(member).get(f"orders/{order.pk}").json()["state"] == "uncollected"
    voucher.refresh_from_db()
    assert voucher.state == PickupVoucher.State.EXPIRED
    assert stock(store, tea) == (10, 0)
    assert list(Reservation.objects.values_list("state", flat=True)) == ["released"]
    refund = Refund.objects.get()
    assert (refund.amount, refund.state) == (Decimal("25.00"), Refund.State.SUCCEEDED)
    payment = Payment.objects.get()
    assert gateway.refunds == {refund.gateway_refund_id: (payment.gateway_txn_id, Decimal("25.00"))}
    assert (payment.refunded_amount, Order.objects.get(pk=order.pk).refunded_total) == (Decimal("25.00"),) * 2
    message = OutboxMessage.objects.filter(recipient=member.phone).latest("pk")  # after the paid/ready notices
    assert order.number in message.body and "25.00" in message.body
    assert [(name, payload["amount"]) for name, payload in published] == [(events.ORDER_UNCOLLECTED, Decimal("25.00"))]
    assert audit_stock() == []


def test_with_grace_days_an_expired_pickup_is_kept_once_more_then_refunded(store, member, tea, settings, gateway):
    # given a paid pickup order, and a chain that keeps uncollected orders 3 more days
    settings.O2O_UNCOLLECTED_GRACE_DAYS = 3
    order = mark_ready(paid_pickup_order(member=member, store=store, sku=tea, quantity=1))
    first_deadline = order.pickup_voucher.expires_at
    notices = OutboxMessage.objects.filter(recipient=member.phone).count()  # paid / ready messages, if any

    # when the voucher's time is up
    expire_vouchers(now=first_deadline + timedelta(seconds=1))

    # then the order waits 3 more days (still redeemable, stock still held) and the customer is told
    voucher = PickupVoucher.objects.get()
    assert voucher.state == PickupVoucher.State.ISSUED
    assert voucher.expires_at == first_deadline + timedelta(days=3, seconds=1)
    assert Order.objects.get(pk=order.pk).state == OrderState.READY_FOR_PICKUP
    assert stock(store, tea) == (10, 1)
    assert OutboxMessage.objects.filter(recipient=member.phone).count() == notices + 1

    # and when that time is up too, it is refunded (no second extension)
    expire_vouchers(now=voucher.expires_at + timedelta(seconds=1))
    assert Order.objects.get(pk=order.pk).state == OrderState.UNCOLLECTED
    assert PickupVoucher.objects.get().state == PickupVoucher.State.EXPIRED
    assert stock(store, tea) == (10, 0)
    assert OutboxMessage.objects.filter(recipient=member.phone).count() == notices + 2


def test_a_voucher_not_yet_expired_is_left_alone(store, member, tea):
    order = mark_ready(paid_pickup_order(member=member, store=store, sku=tea, quantity=1))

    handled = expire_vouchers(now=order.pickup_voucher.expires_at - timedelta(seconds=1))

    assert handled == 0
    assert Order.objects.get(pk=order.pk).state == OrderState.READY_FOR_PICKUP
    assert not Refund.objects.exists()


def test_a_picked_up_order_completes_when_the_return_window_closes_with_what_the_customer_kept(
    store, member, tea, clerk, manager, published, settings
):
    # given a picked-up order of 3 teas, one of them returned
    settings.O2O_RETURN_WINDOW_DAYS = 7
    order = paid_pickup_order(member=member, store=store, sku=tea, quantity=3)
    as_staff(clerk).post("pickup/redeem", {"code": order.pickup_voucher.code})
    line = order.lines.get()
    returned = as_staff(manager).post(
        f"orders/{order.pk}/returns", {"lines": [{"line_id": line.pk, "quantity": 1}], "reason": "dented"}
    )
    assert returned.status_code == 200, returned.content
    handed_over_at = Order.objects.get(pk=order.pk).closed_at

    # when the completion job runs a moment before the window closes, and again after it
    before = complete_orders(now=handed_over_at + timedelta(days=7) - timedelta(seconds=1))
    after = complete_orders(now=handed_over_at + timedelta(days=7))

    # then it completes once, after; the return and the completion were published with their lines
    assert (before, after) == (0, 1)
    assert as_member(member).get(f"orders/{order.pk}").json()["state"] == "completed"
    assert [(name, payload["lines"], payload["amount"]) for name, payload in published] == [
        (
            events.ORDER_RETURNED,
            [dict(line_id=line.pk, sku_id=tea.pk, quantity=1, unit_price=Decimal("12.50"), amount=Decimal("12.50"))],
            Decimal("12.50"),
        ),
        (
            events.ORDER_COMPLETED,
            [dict(line_id=line.pk, sku_id=tea.pk, quantity=2, unit_price=Decimal("12.50"), amount=Decimal("25.00"))],
            Decimal("25.00"),
        ),
    ]


def test_a_completed_order_takes_no_more_returns(store, member, tea, clerk, manager):
    # given a picked-up order whose return window closed
    order = paid_pickup_order(member=member, store=store, sku=tea, quantity=1)
    as_staff(clerk).post("pickup/redeem", {"code": order.pickup_voucher.code})
    complete_orders(now=timezone.now() + timedelta(days=8))

    # when the manager tries to take it back
    response = as_staff(manager).post(
        f"orders/{order.pk}/returns", {"lines": [{"line_id": order.lines.get().pk, "quantity": 1}], "reason": "late"}
    )

    # then it is refused and nothing moves
    assert (response.status_code, problem_code(response)) == (409, "illegal_transition")
    assert stock(store, tea) == (9, 0)
    assert not Refund.objects.exists()


def test_an_in_store_sale_is_handed_over_at_once_and_completed_after_the_window(store, clerk, tea, published):
    # given a counter sale paid in cash
    counter = as_staff(clerk)
    sale = counter.post(
        "orders",
        {
            "channel": "pos",
            "fulfilment": "in_store",
            "location_id": store.pk,
            "lines": [{"sku_id": tea.pk, "quantity": 2}],
        },
    ).json()
    counter.post(f"payments/orders/{sale['id']}/in-store", {"method": "cash"})
    assert counter.get(f"orders/{sale['id']}").json()["state"] == "picked_up"

    # when the return window has closed
    completed = complete_orders(now=timezone.now() + timedelta(days=8))

    # then it is completed with its two units
    assert completed == 1
    assert counter.get(f"orders/{sale['id']}").json()["state"] == "completed"
    assert [(name, payload["amount"]) for name, payload in published] == [(events.ORDER_COMPLETED, Decimal("25.00"))]


def test_a_pickup_the_store_never_made_ready_is_refunded_when_its_voucher_expires(store, member, tea, gateway):
    # given a paid pickup order the store never prepared (still "paid", 备货中)
    order = paid_pickup_order(member=member, store=store, sku=tea, quantity=2)
    assert order.state == OrderState.PAID

    # when its voucher expires
    expire_vouchers(now=order.pickup_voucher.expires_at + timedelta(seconds=1))

    # then the money and the stock are not stranded: uncollected, refunded in full, stock free
    order.refresh_from_db()
    assert (order.state, order.refunded_total) == (OrderState.UNCOLLECTED, Decimal("25.00"))
    assert Refund.objects.get().amount == Decimal("25.00")
    assert stock(store, tea) == (10, 0)
    assert audit_stock() == []
