"""Returns of the same discounted line racing on PostgreSQL: whatever order the unit-by-unit returns
land in, they pay back the line's net exactly (each reads the line under the order's lock)."""

from decimal import Decimal

import pytest

from o2o.access.actors import SYSTEM, actor_for_member, actor_for_user
from o2o.inventory.services import receive_stock
from o2o.members.models import MemberLevel
from o2o.orders import audit as orders_audit
from o2o.orders.models import Order, OrderState
from o2o.orders.services import LineRequest, OrderRequest, place_order
from o2o.payments import services as payments
from o2o.payments.models import Refund
from o2o.pickup.services import redeem_pickup_voucher
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory, MemberFactory, SKUFactory
from o2o.testing.journeys import pay_online
from o2o.testing.races import domain_errors, requires_postgres, run_together

pytestmark = [pytest.mark.postgres, requires_postgres, pytest.mark.django_db(transaction=True)]
RACES = 10


def test_three_returns_of_one_unit_each_racing_pay_back_the_net_exactly(store):
    sku = SKUFactory(price=Decimal("3.33"))
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=3 * RACES, actor=SYSTEM)
    level = MemberLevel.objects.create(code="gold", name="Gold", rank=2, min_growth=1000, discount_percent=10)
    member = MemberFactory(level=level)
    clerk = actor_for_user(EmployeeFactory(home_location=store).user)
    manager = actor_for_user(EmployeeFactory(home_location=store, role=Role.STORE_MANAGER).user)
    request = OrderRequest(channel="app", fulfilment="pickup", fulfilment_location_id=store.pk,
                           lines=[LineRequest(sku.pk, 3)])  # fmt: skip
    paid_back = []
    for _race in range(RACES):
        order = pay_online(place_order(actor=actor_for_member(member), member=member, request=request))
        redeem_pickup_voucher(actor=clerk, presented=order.pickup_voucher.code)
        line = order.lines.get()

        outcomes = run_together(
            [
                lambda order=order, line=line: payments.refund_order(
                    actor=manager, order=order, returned={line.pk: 1}, reason="race"
                )
                for _ in range(3)
            ]
        )

        assert domain_errors(outcomes) == []
        order = Order.objects.get(pk=order.pk)
        refunds = sorted(Refund.objects.filter(payment__order=order).values_list("amount", flat=True))
        assert refunds == [Decimal("2.99"), Decimal("3.00"), Decimal("3.00")]
        assert (order.state, order.refunded_total) == (OrderState.REFUNDED, Decimal("8.99"))
        paid_back.append(sum(refunds))
    assert paid_back == [Decimal("8.99")] * RACES
    assert orders_audit.run() == []
