"""Commission races on PostgreSQL with real threads: many sales of one clerk paid at once. Each
accrual locks the clerk's balance row first, so the month's volume, tier and cap are read and moved
one accrual at a time: the cap holds to the fen and the ledger agrees with the balances. Run with -s
to see the figures."""

from decimal import Decimal
from functools import partial

import pytest

from o2o.access.actors import actor_for_user
from o2o.commission import audit
from o2o.commission.models import CommissionBalance, CommissionEntry, CommissionMonth, EntryKind
from o2o.commission.tests.conftest import create_plan, stocked_sku
from o2o.orders.models import Order
from o2o.payments.services import take_in_store_payment
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory, LocationFactory
from o2o.testing.journeys import place_counter_sale
from o2o.testing.races import requires_postgres, run_together

pytestmark = [pytest.mark.postgres, requires_postgres, pytest.mark.django_db(transaction=True)]

SALES = 12


def _pay(clerk, order_id: int):
    order = Order.objects.get(pk=order_id)
    return take_in_store_payment(actor=actor_for_user(clerk.user), order=order, method="cash")


def test_concurrent_accruals_of_one_clerk_stop_exactly_at_the_monthly_cap():
    store = LocationFactory()
    clerk = EmployeeFactory(home_location=store)
    create_plan(EmployeeFactory(role=Role.HQ, home_location=None), default="5.00", cap="23.45",
                tiers=[{"monthly_volume_from": "300.00", "bonus_percent": "1.00"}])  # fmt: skip
    sku = stocked_sku(store, "100.00")
    orders = [place_counter_sale(clerk=clerk, sku=sku).pk for _ in range(SALES)]

    outcomes = run_together([partial(_pay, clerk, order_id) for order_id in orders])

    assert [o.error for o in outcomes] == [None] * SALES
    accruals = CommissionEntry.objects.filter(employee=clerk, kind=EntryKind.ACCRUAL).order_by("pk")
    amounts = [a.amount for a in accruals]
    # 12 x 100.00 credited (80 + 20 each); 5.00 a credit until the volume reached 300, then 6%
    assert len(amounts) == 2 * SALES
    assert sum(amounts) == Decimal("23.45")
    month = CommissionMonth.objects.get(employee=clerk)
    assert (month.volume, month.accrued) == (Decimal("1200.00"), Decimal("23.45"))
    assert CommissionBalance.objects.get(employee=clerk).frozen == Decimal("23.45")
    # serialized: the rates follow the volume credited before each line, in the order they were written
    volume, expected = Decimal(0), []
    for accrual in accruals:
        expected.append(Decimal("6.00") if volume >= 300 else Decimal("5.00"))
        volume += accrual.base
    assert [a.rate for a in accruals] == expected
    assert sum(1 for a in accruals if a.clipped and a.amount > 0) == 1  # exactly one line crossed the cap
    assert audit.run() == []
    print(f"\n{SALES} concurrent sales: {len(amounts)} accruals, {sum(amounts)} accrued under a 23.45 cap")
