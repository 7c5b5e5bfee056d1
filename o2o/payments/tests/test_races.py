"""Race tests on PostgreSQL: an order is paid once, however many callbacks or counter payments arrive together."""

from collections import Counter

import pytest

from o2o.access.actors import SYSTEM, actor_for_member, actor_for_user
from o2o.core.errors import ErrorCode
from o2o.inventory.models import MoveKind, StockLevel, StockMove
from o2o.inventory.selectors import audit_stock
from o2o.inventory.services import receive_stock
from o2o.orders.models import Order, OrderState, OrderTransition
from o2o.orders.services import LineRequest, OrderRequest, place_order
from o2o.payments.gateways import SimulatedGateway
from o2o.payments.models import GatewayCallback, Payment, PaymentMethod
from o2o.payments.services import handle_gateway_callback, start_online_payment, take_in_store_payment
from o2o.payments.simulator import signed_callback
from o2o.testing.factories import EmployeeFactory, SKUFactory
from o2o.testing.races import domain_errors, requires_postgres, run_together, values

pytestmark = [pytest.mark.postgres, requires_postgres]


@pytest.fixture
def tea(store):
    sku = SKUFactory()
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=5, actor=SYSTEM)
    return sku


def pending_pickup_payment(store, member, sku) -> Payment:
    request = OrderRequest(
        channel="app",
        fulfilment="pickup",
        fulfilment_location_id=store.pk,
        lines=[LineRequest(sku_id=sku.pk, quantity=1)],
    )
    order = place_order(actor=actor_for_member(member), member=member, request=request)
    payment, _url = start_online_payment(actor=SYSTEM, order=order)
    return payment


def delivering(body: bytes, signature: str):
    return lambda: handle_gateway_callback(gateway_name=SimulatedGateway.name, body=body, signature=signature)


def assert_paid_once(order: Order) -> None:
    """One successful payment, the order ready for pickup with one issued voucher, the stock held for good."""
    assert list(Payment.objects.filter(order=order).values_list("state", flat=True)) == [Payment.State.SUCCEEDED]
    order.refresh_from_db()
    assert order.state == OrderState.PAID
    assert OrderTransition.objects.filter(order=order, to_state=OrderState.PAID).count() == 1
    assert list(Order.objects.filter(pk=order.pk).values_list("pickup_voucher__state", flat=True)) == ["issued"]
    assert list(order.lines.values_list("reservations__state", "reservations__expires_at")) == [("active", None)]
    assert audit_stock() == []


@pytest.mark.django_db(transaction=True)
def test_the_same_callback_delivered_ten_times_at_once_pays_once(store, member, tea):
    # given a pending online payment and one signed success callback for it
    payment = pending_pickup_payment(store, member, tea)
    body, signature = signed_callback(payment, event_id="fixed")

    # when the gateway delivers that callback ten times at the same moment
    outcomes = run_together([delivering(body, signature) for _ in range(10)])

    # then one delivery pays the order, the nine others are recognised as duplicates
    assert domain_errors(outcomes) == []
    assert Counter(values(outcomes)) == {"paid": 1, "duplicate": 9}
    assert list(GatewayCallback.objects.values_list("event_id", "outcome")) == [("fixed", "paid")]
    assert_paid_once(payment.order)


@pytest.mark.django_db(transaction=True)
def test_ten_different_success_events_for_one_payment_at_once_pay_once(store, member, tea):
    # given a pending online payment and ten success callbacks for it, each with its own event id
    payment = pending_pickup_payment(store, member, tea)
    callbacks = [signed_callback(payment, event_id=f"event-{i}") for i in range(10)]

    # when the gateway delivers them all at the same moment
    outcomes = run_together([delivering(body, signature) for body, signature in callbacks])

    # then one pays the order, nine find the payment already succeeded; every event is recorded once
    assert domain_errors(outcomes) == []
    assert Counter(values(outcomes)) == {"paid": 1, "already_settled": 9}
    assert Counter(GatewayCallback.objects.values_list("outcome", flat=True)) == {"paid": 1, "already_settled": 9}
    assert_paid_once(payment.order)


@pytest.mark.django_db(transaction=True)
def test_ten_clerks_taking_payment_for_one_counter_order_at_once_take_it_once(store, clerk, tea):
    # given a counter order of the store and ten of its clerks, each taking the money a different way
    request = OrderRequest(
        channel="pos",
        fulfilment="in_store",
        fulfilment_location_id=store.pk,
        lines=[LineRequest(sku_id=tea.pk, quantity=1)],
    )
    order = place_order(actor=actor_for_user(clerk.user), member=None, request=request)
    clerks = EmployeeFactory.create_batch(10, home_location=store, user__password=None)
    actors = [actor_for_user(employee.user) for employee in clerks]
    methods = [[PaymentMethod.CASH, PaymentMethod.CARD, PaymentMethod.STORE_QR][i % 3] for i in range(10)]

    # when they all take payment at the same moment, each with the order as they loaded it
    outcomes = run_together(
        [
            lambda actor=actor, method=method: take_in_store_payment(
                actor=actor, order=Order.objects.get(pk=order.pk), method=method
            )
            for actor, method in zip(actors, methods, strict=True)
        ]
    )

    # then one payment is taken; the others are refused with a 409, except a clerk who arrives after
    # it was taken and presses the same method, who is shown that payment (a retry, not a second sale)
    paid = Payment.objects.get()
    assert paid.state == Payment.State.SUCCEEDED
    assert Counter(error.code for error in domain_errors(outcomes)) == {
        ErrorCode.ILLEGAL_TRANSITION: 10 - len(values(outcomes))
    }
    assert {payment.pk for payment in values(outcomes)} == {paid.pk}
    assert {method for method, o in zip(methods, outcomes, strict=True) if o.error is None} == {paid.method}
    order.refresh_from_db()
    assert order.state == OrderState.PICKED_UP
    assert OrderTransition.objects.filter(order=order, to_state=OrderState.PICKED_UP).count() == 1
    assert list(StockMove.objects.filter(kind=MoveKind.SALE).values_list("quantity", flat=True)) == [-1]
    assert list(StockLevel.objects.values_list("on_hand", "reserved")) == [(4, 0)]
    assert audit_stock() == []


@pytest.mark.django_db(transaction=True)
def test_ten_taps_on_pay_at_once_open_one_gateway_payment(store, member, tea):
    # given an order waiting for payment
    request = OrderRequest(channel="app", fulfilment="pickup", fulfilment_location_id=store.pk,
                           lines=[LineRequest(sku_id=tea.pk, quantity=1)])  # fmt: skip
    order = place_order(actor=actor_for_member(member), member=member, request=request)

    # when the customer's pay button sends ten requests at the same moment
    outcomes = run_together(
        [lambda: start_online_payment(actor=actor_for_member(member), order=Order.objects.get(pk=order.pk))] * 10
    )

    # then every request answers with the same pending payment of the whole total
    assert domain_errors(outcomes) == []
    assert len({payment.pk for payment, _url in values(outcomes)}) == 1
    assert list(Payment.objects.filter(order=order).values_list("state", "amount")) == [
        (Payment.State.PENDING, order.total)
    ]
