"""The one lock order, raced on PostgreSQL: for each pair of use cases that touch the same order
(refund x redeem, return x undo, expiry x callback, cancel x pay), 40 races each, and after every
race no deadlock, no error other than a clear refusal (what the API answers 4xx), and the books
agree: `o2o audit`'s checks (stock against ledger and business facts, reservations, money,
vouchers) find nothing.

Run with -s to see the figures (`lock order races: ...`)."""

from collections import Counter
from datetime import timedelta
from functools import partial

import pytest
from django.utils import timezone

from o2o.access.actors import SYSTEM, actor_for_member, actor_for_user
from o2o.core.errors import DomainError
from o2o.inventory.selectors import audit_stock
from o2o.inventory.services import receive_stock
from o2o.orders import audit as orders_audit
from o2o.orders.models import Order, OrderState
from o2o.orders.services import expire_unpaid_orders
from o2o.payments import audit as payments_audit
from o2o.payments.gateways import SimulatedGateway
from o2o.payments.models import Payment, PaymentMethod
from o2o.payments.services import (
    cancel_order,
    handle_gateway_callback,
    refund_order,
    start_online_payment,
    take_in_store_payment,
)
from o2o.payments.simulator import signed_callback
from o2o.pickup import audit as pickup_audit
from o2o.pickup.services import redeem_pickup_voucher, undo_redemption
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory, SKUFactory
from o2o.testing.journeys import paid_pickup_order, place_counter_sale, place_pickup_order
from o2o.testing.races import Outcome, requires_postgres, run_together

pytestmark = [pytest.mark.postgres, requires_postgres, pytest.mark.django_db(transaction=True)]

RUNS = 40


class Tally:
    """What the races came to: outcomes by name, deadlocks, and errors that are not refusals (5xx)."""

    def __init__(self, name: str) -> None:
        self.name, self.outcomes, self.deadlocks, self.server_errors = name, Counter(), 0, []

    def record(self, labels: tuple[str, str], outcomes: list[Outcome]) -> None:
        for label, outcome in zip(labels, outcomes, strict=True):
            if outcome.error is None:
                self.outcomes[f"{label} ok"] += 1
            elif isinstance(outcome.error, DomainError):
                self.outcomes[f"{label} {outcome.error.code}"] += 1
            else:
                self.deadlocks += "deadlock" in str(outcome.error).lower()
                self.server_errors.append(outcome.error)

    def report(self) -> None:
        print(
            f"\nlock order races: {self.name}: {RUNS} runs, {self.deadlocks} deadlocks, "
            f"{len(self.server_errors)} 5xx, outcomes {dict(sorted(self.outcomes.items()))}"
        )
        assert (self.deadlocks, self.server_errors) == (0, [])


def assert_books_agree() -> None:
    findings = [*audit_stock(), *orders_audit.run(), *payments_audit.run(), *pickup_audit.run()]
    assert findings == []


@pytest.fixture
def tea(store):
    sku = SKUFactory()
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=10 * RUNS, actor=SYSTEM)
    return sku


@pytest.fixture
def manager(store):
    return actor_for_user(EmployeeFactory(home_location=store, role=Role.STORE_MANAGER).user)


def counter_clerk(store):
    return actor_for_user(EmployeeFactory(home_location=store, user__password=None).user)


def test_refund_and_redeem_of_one_order_never_deadlock(store, member, tea, manager):
    tally = Tally("refund x redeem")
    for _run in range(RUNS):
        # given a paid pickup order, ready at the counter, and a clerk (each run its own: a clerk
        # refused ten times a minute is rate-limited)
        order = paid_pickup_order(member=member, store=store, sku=tea, quantity=2)
        clerk_actor = counter_clerk(store)

        # when a manager refunds it in full while a clerk hands it over
        outcomes = run_together(
            [
                partial(refund_order, actor=manager, order=order, returned=None, reason="x"),
                partial(redeem_pickup_voucher, actor=clerk_actor, presented=order.pickup_voucher.code),
            ]
        )

        # then either the refund came first (the code is then refused) or the hand-over did (and
        # the refund took the goods back); the order is refunded and the books agree
        tally.record(("refund", "redeem"), outcomes)
        assert outcomes[0].error is None
        assert Order.objects.get(pk=order.pk).state == OrderState.REFUNDED
        assert_books_agree()
    tally.report()


def test_return_and_undo_of_one_hand_over_never_deadlock(store, member, tea, manager):
    tally = Tally("return x undo")
    for _run in range(RUNS):
        # given a pickup order of 3 units, handed over a moment ago
        order = paid_pickup_order(member=member, store=store, sku=tea, quantity=3)
        voucher = redeem_pickup_voucher(actor=counter_clerk(store), presented=order.pickup_voucher.code)
        line = order.lines.get()

        # when the manager takes 1 unit back while undoing the hand-over
        outcomes = run_together(
            [
                partial(refund_order, actor=manager, order=order, returned={line.pk: 1}, reason="x"),
                partial(undo_redemption, actor=manager, voucher_id=voucher.pk, reason="wrong customer"),
            ]
        )

        # then the undo always goes through (it reserves only the units not returned); the return
        # either came first or finds the goods back in the store (409); the books agree
        tally.record(("return", "undo"), outcomes)
        assert outcomes[1].error is None
        assert Order.objects.get(pk=order.pk).state == OrderState.READY_FOR_PICKUP
        assert_books_agree()
    tally.report()


def test_expiry_and_a_late_callback_of_one_order_never_deadlock(store, member, tea):
    tally = Tally("expiry x callback")
    gateway = SimulatedGateway.name
    for _run in range(RUNS):
        # given an unpaid order past its deadline whose payment is just arriving
        order = place_pickup_order(member=member, store=store, sku=tea, quantity=1)
        payment, _url = start_online_payment(actor=SYSTEM, order=order)
        Order.objects.filter(pk=order.pk).update(payment_deadline=timezone.now() - timedelta(seconds=1))
        body, signature = signed_callback(payment)

        # when the expiry job and the callback run at once
        outcomes = run_together(
            [
                expire_unpaid_orders,
                partial(handle_gateway_callback, gateway_name=gateway, body=body, signature=signature),
            ]
        )

        # then the order is paid (and not expired) or expired (and the money returned)
        tally.record(("expiry", "callback"), outcomes)
        state = Order.objects.get(pk=order.pk).state
        callback = outcomes[1].value
        assert (state, callback) in {(OrderState.PAID, "paid"), (OrderState.CANCELLED, "returned")}
        tally.outcomes[f"order {state}"] += 1
        assert_books_agree()
    tally.report()


def test_cancel_and_pay_of_one_order_never_deadlock(store, member, tea):
    tally = Tally("cancel x pay (online)")
    gateway = SimulatedGateway.name
    customer = actor_for_member(member)
    for _run in range(RUNS):
        # given an unpaid pickup order whose payment is arriving
        order = place_pickup_order(member=member, store=store, sku=tea, quantity=1)
        payment, _url = start_online_payment(actor=SYSTEM, order=order)
        body, signature = signed_callback(payment)

        # when the customer cancels it as the money arrives
        outcomes = run_together(
            [
                partial(cancel_order, actor=customer, order=order),
                partial(handle_gateway_callback, gateway_name=gateway, body=body, signature=signature),
            ]
        )

        # then cancelled before the money (returned) or refunded after it: never kept, never lost
        tally.record(("cancel", "callback"), outcomes)
        assert outcomes[0].error is None
        state = Order.objects.get(pk=order.pk).state
        assert (state, outcomes[1].value) in {(OrderState.CANCELLED, "returned"), (OrderState.REFUNDED, "paid")}
        assert Payment.objects.get(pk=payment.pk).refunded_amount == payment.amount
        assert_books_agree()
    tally.report()


def test_cancel_and_counter_payment_of_one_order_never_deadlock(store, clerk, tea, manager):
    tally = Tally("cancel x pay (counter)")
    cashier = actor_for_user(EmployeeFactory(home_location=store).user)
    for _run in range(RUNS):
        # given an unpaid counter sale
        order = place_counter_sale(clerk=clerk, sku=tea, quantity=1)

        # when the manager cancels it as the cashier takes the cash
        outcomes = run_together(
            [
                partial(cancel_order, actor=manager, order=order),
                partial(take_in_store_payment, actor=cashier, order=order, method=PaymentMethod.CASH),
            ]
        )

        # then exactly one of them happened, with a 409 for the other
        tally.record(("cancel", "pay"), outcomes)
        assert sorted(o.error is None for o in outcomes) == [False, True]
        state = Order.objects.get(pk=order.pk).state
        assert state == (OrderState.CANCELLED if outcomes[0].error is None else OrderState.PICKED_UP)
        assert_books_agree()
    tally.report()


def test_ten_cancellations_of_one_paid_order_at_once_refund_it_once_and_the_others_get_409(store, member, tea):
    # given a paid pickup order and its customer tapping "cancel" on ten devices at once
    order = paid_pickup_order(member=member, store=store, sku=tea, quantity=2)
    customer = actor_for_member(member)

    outcomes = run_together([partial(cancel_order, actor=customer, order=order) for _ in range(10)])

    # then one cancellation refunds it; the nine others find it refunded: 409, not 422
    assert sum(o.error is None for o in outcomes) == 1
    assert Counter(o.error.code for o in outcomes if o.error is not None) == {"illegal_transition": 9}
    assert Payment.objects.get().refunded_amount == order.total
    assert_books_agree()
