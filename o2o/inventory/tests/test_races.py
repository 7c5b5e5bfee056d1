"""Race tests on PostgreSQL: buyers storming the same shelf never oversell it or leave half an order reserved."""

from collections import Counter
from collections.abc import Callable

import pytest

from o2o.access.actors import SYSTEM, actor_for_member, actor_for_user
from o2o.core.errors import ErrorCode
from o2o.inventory.models import MoveKind, Reservation, StockLevel, StockMove
from o2o.inventory.selectors import audit_stock
from o2o.inventory.services import adjust_stock, receive_stock
from o2o.orders.models import Order, OrderLine, OrderState
from o2o.orders.services import LineRequest, OrderRequest, place_order
from o2o.payments.services import start_online_payment
from o2o.payments.simulator import simulate_customer_payment
from o2o.pickup.services import redeem_pickup_voucher
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory, MemberFactory, SKUFactory
from o2o.testing.races import domain_errors, requires_postgres, run_together, values

pytestmark = [pytest.mark.postgres, requires_postgres]


def buying(member, store, skus) -> Callable[[], Order]:
    """One buyer in the app: one unit of each SKU, for pickup at `store`, in the order given."""
    request = OrderRequest(
        channel="app",
        fulfilment="pickup",
        fulfilment_location_id=store.pk,
        lines=[LineRequest(sku_id=sku.pk, quantity=1) for sku in skus],
    )
    return lambda: place_order(actor=actor_for_member(member), member=member, request=request)


def paying_and_collecting(order: Order, counter_actor) -> Callable[[], str]:
    """The customer pays through the gateway, then shows the pickup code at the counter."""

    def run() -> str:
        payment, _url = start_online_payment(actor=SYSTEM, order=Order.objects.get(pk=order.pk))
        assert simulate_customer_payment(gateway_ref=payment.gateway_ref) == "paid"
        code = Order.objects.get(pk=order.pk).pickup_voucher.code
        return redeem_pickup_voucher(actor=counter_actor, presented=code).state

    return run


def levels(store, *skus) -> list[tuple[int, int]]:
    return [tuple(StockLevel.objects.values_list("on_hand", "reserved").get(location=store, sku=sku)) for sku in skus]


@pytest.mark.django_db(transaction=True)
def test_fifty_buyers_racing_for_ten_units_get_exactly_ten_orders(store, settings):
    # given ten units on the shelf, none kept back from online orders, and fifty buyers
    settings.O2O_ONLINE_SAFETY_BUFFER = 0
    sku = SKUFactory()
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=10, actor=SYSTEM)
    buyers = MemberFactory.create_batch(50)

    # when they all order one unit at the same moment
    outcomes = run_together([buying(member, store, [sku]) for member in buyers])

    # then ten win, forty are told the stock ran out, and nothing is oversold or left behind
    placed = values(outcomes)
    assert Counter(error.code for error in domain_errors(outcomes)) == {ErrorCode.INSUFFICIENT_STOCK: 40}
    assert len(placed) == 10
    assert sorted(Order.objects.values_list("pk", flat=True)) == sorted(order.pk for order in placed)
    assert Order.objects.filter(state=OrderState.PENDING_PAYMENT).count() == 10
    assert len({order.member_id for order in placed}) == 10
    assert OrderLine.objects.count() == 10
    assert Reservation.objects.filter(state=Reservation.State.ACTIVE).count() == 10
    assert levels(store, sku) == [(10, 10)]
    assert audit_stock() == []


@pytest.mark.django_db(transaction=True)
def test_the_ten_winners_pay_and_collect_while_latecomers_are_turned_away(store, clerk, settings):
    # given ten units won by ten buyers
    settings.O2O_ONLINE_SAFETY_BUFFER = 0
    sku = SKUFactory()
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=10, actor=SYSTEM)
    winners = values(run_together([buying(member, store, [sku]) for member in MemberFactory.create_batch(15)]))
    assert len(winners) == 10
    counter = actor_for_user(clerk.user)
    latecomers = MemberFactory.create_batch(10)

    # when the winners pay and collect at the counter while ten more buyers try their luck
    outcomes = run_together(
        [paying_and_collecting(order, counter) for order in winners]
        + [buying(member, store, [sku]) for member in latecomers]
    )

    # then every winner walks out with the goods, every latecomer is refused, the books balance
    assert Counter(error.code for error in domain_errors(outcomes)) == {ErrorCode.INSUFFICIENT_STOCK: 10}
    assert [outcome.value for outcome in outcomes[:10]] == ["redeemed"] * 10
    assert Order.objects.count() == 10
    assert Order.objects.filter(state=OrderState.PICKED_UP).count() == 10
    assert list(StockMove.objects.filter(kind=MoveKind.SALE).values_list("quantity", flat=True)) == [-1] * 10
    assert Reservation.objects.filter(state=Reservation.State.FULFILLED).count() == 10
    assert levels(store, sku) == [(0, 0)]
    assert audit_stock() == []


@pytest.mark.django_db(transaction=True)
def test_buyers_of_two_skus_in_opposite_orders_neither_deadlock_nor_half_reserve(store, settings):
    # given A (10 units) and B (5 units), B's stock row written first, and thirty buyers of one of each,
    # half of them listing A first and half B first
    settings.O2O_ONLINE_SAFETY_BUFFER = 0
    sku_a, sku_b = SKUFactory(), SKUFactory()
    receive_stock(location_id=store.pk, sku_id=sku_b.pk, quantity=5, actor=SYSTEM)
    receive_stock(location_id=store.pk, sku_id=sku_a.pk, quantity=10, actor=SYSTEM)
    buyers = MemberFactory.create_batch(30)
    orders_of_lines = [[sku_a, sku_b], [sku_b, sku_a]]

    # when they all order at the same moment
    outcomes = run_together([buying(member, store, orders_of_lines[i % 2]) for i, member in enumerate(buyers)])

    # then five get both items, the rest are refused cleanly (no deadlock, no 500), no A is held for a lost B
    placed = values(outcomes)
    assert Counter(error.code for error in domain_errors(outcomes)) == {ErrorCode.INSUFFICIENT_STOCK: 25}
    assert len(placed) == 5
    assert Order.objects.count() == 5
    assert OrderLine.objects.count() == 10
    assert Counter(Reservation.objects.filter(state=Reservation.State.ACTIVE).values_list("sku_id", flat=True)) == {
        sku_a.pk: 5,
        sku_b.pk: 5,
    }
    assert levels(store, sku_a, sku_b) == [(10, 5), (5, 5)]
    assert audit_stock() == []


@pytest.mark.django_db(transaction=True)
def test_retries_of_one_delivery_racing_each_other_book_it_once(store, settings):
    # given a store manager whose network retries one receipt (same Idempotency-Key) ten times at once
    manager = actor_for_user(EmployeeFactory(role=Role.STORE_MANAGER, home_location=store).user)
    sku = SKUFactory()

    def receiving():
        return receive_stock(actor=manager, location_id=store.pk, sku_id=sku.pk, quantity=5, idempotency_key="d-1")

    # when the ten copies arrive together
    outcomes = run_together([receiving for _ in range(10)])

    # then every copy answers with the one receipt: five units, one ledger row, no error
    assert [o.error for o in outcomes] == [None] * 10
    assert {o.value.on_hand for o in outcomes} == {5}
    assert levels(store, sku) == [(5, 0)]
    assert StockMove.objects.filter(kind=MoveKind.RECEIPT).count() == 1
    assert audit_stock() == []


@pytest.mark.django_db(transaction=True)
def test_retries_of_one_write_off_racing_each_other_take_the_units_once(store, settings):
    # given ten units and a write-off of three retried ten times at once with the same key
    manager = actor_for_user(EmployeeFactory(role=Role.STORE_MANAGER, home_location=store).user)
    sku = SKUFactory()
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=10, actor=SYSTEM)

    def writing_off():
        return adjust_stock(actor=manager, location_id=store.pk, sku_id=sku.pk, delta=-3, reason="broken",
                            idempotency_key="wo-1")  # fmt: skip

    # when they arrive together
    outcomes = run_together([writing_off for _ in range(10)])

    # then three units go, once
    assert [o.error for o in outcomes] == [None] * 10
    assert {o.value.on_hand for o in outcomes} == {7}
    assert levels(store, sku) == [(7, 0)]
    assert StockMove.objects.filter(kind=MoveKind.ADJUSTMENT).count() == 1
