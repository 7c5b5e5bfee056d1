"""Race tests on PostgreSQL: a pickup code is redeemed once, however many clerks scan it at the same moment."""

from collections import Counter

import pytest

from o2o.access.actors import SYSTEM, actor_for_member, actor_for_user
from o2o.core.errors import ErrorCode
from o2o.inventory.models import MoveKind, StockLevel, StockMove
from o2o.inventory.selectors import audit_stock
from o2o.inventory.services import receive_stock
from o2o.orders.models import Order, OrderState, OrderTransition
from o2o.orders.services import LineRequest, OrderRequest, place_order
from o2o.payments.services import start_online_payment
from o2o.payments.simulator import simulate_customer_payment
from o2o.pickup.models import PickupVoucher, VoucherAttempt
from o2o.pickup.services import redeem_pickup_voucher
from o2o.testing.factories import EmployeeFactory, SKUFactory
from o2o.testing.races import domain_errors, requires_postgres, run_together, values

pytestmark = [pytest.mark.postgres, requires_postgres]


def paid_pickup_order(store, member, lines: dict) -> Order:
    request = OrderRequest(channel="app", fulfilment="pickup", fulfilment_location_id=store.pk,
                           lines=[LineRequest(sku_id=sku.pk, quantity=q) for sku, q in lines.items()])
    order = place_order(actor=actor_for_member(member), member=member, request=request)
    payment, _url = start_online_payment(actor=SYSTEM, order=order)
    assert simulate_customer_payment(gateway_ref=payment.gateway_ref) == "paid"
    return Order.objects.get(pk=order.pk)


@pytest.mark.django_db(transaction=True)
def test_twenty_clerks_redeeming_one_code_hand_the_order_over_once(store, member):
    # given a paid pickup order of two lines and twenty clerks of the pickup store
    tea, cake = SKUFactory(), SKUFactory()
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=5, actor=SYSTEM)
    receive_stock(location_id=store.pk, sku_id=cake.pk, quantity=5, actor=SYSTEM)
    order = paid_pickup_order(store, member, {tea: 1, cake: 2})
    code = order.pickup_voucher.code
    clerks = EmployeeFactory.create_batch(20, home_location=store, user__password=None)
    actors = [actor_for_user(clerk.user) for clerk in clerks]

    # when they all redeem the code at the same moment
    outcomes = run_together([
        lambda actor=actor: redeem_pickup_voucher(actor=actor, presented=code) for actor in actors
    ])

    # then one hands the order over; the others are told the code is used, and the goods left once
    redeemed = values(outcomes)
    assert Counter(error.code for error in domain_errors(outcomes)) == {ErrorCode.VOUCHER_NOT_REDEEMABLE: 19}
    assert [voucher.state for voucher in redeemed] == [PickupVoucher.State.REDEEMED]
    voucher = PickupVoucher.objects.get()
    assert voucher.state == PickupVoucher.State.REDEEMED
    assert voucher.redeemed_by_id == actors[[o.error for o in outcomes].index(None)].user_id
    assert Counter(VoucherAttempt.objects.values_list("result", flat=True)) == {
        VoucherAttempt.Result.REDEEMED: 1, VoucherAttempt.Result.NOT_REDEEMABLE: 19,
    }
    assert Order.objects.get(pk=order.pk).state == OrderState.PICKED_UP
    assert OrderTransition.objects.filter(order=order, to_state=OrderState.PICKED_UP).count() == 1
    assert sorted(StockMove.objects.filter(kind=MoveKind.SALE).values_list("sku_id", "quantity")) == [
        (tea.pk, -1), (cake.pk, -2),
    ]
    assert sorted(StockLevel.objects.values_list("sku_id", "on_hand", "reserved")) == [(tea.pk, 4, 0), (cake.pk, 3, 0)]
    assert audit_stock() == []
