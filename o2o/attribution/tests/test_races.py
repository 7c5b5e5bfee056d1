"""PostgreSQL, real threads: payments and returns of one order racing never credit or reverse twice."""

from decimal import Decimal

import pytest

from o2o.access.actors import actor_for_user
from o2o.attribution.models import CreditKind, LineCredit
from o2o.orders.models import Order, OrderState
from o2o.payments import services as payments
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory, MemberFactory
from o2o.testing.journeys import place_counter_sale
from o2o.testing.races import requires_postgres, run_together

pytestmark = [pytest.mark.postgres, requires_postgres, pytest.mark.django_db(transaction=True)]
RACES = 5


def test_two_payments_of_one_order_racing_credit_its_lines_once(store, tea):
    clerk = EmployeeFactory(home_location=store)
    member = MemberFactory(acquiring_employee=EmployeeFactory(home_location=store))
    for _race in range(RACES):
        order = place_counter_sale(clerk=clerk, sku=tea, quantity=2, member=member)

        outcomes = run_together(
            [
                lambda method=method, order=order: payments.take_in_store_payment(
                    actor=actor_for_user(clerk.user), order=order, method=method
                )
                for method in ("cash", "card")
            ]
        )

        assert sum(o.error is None for o in outcomes) >= 1, outcomes
        credits = LineCredit.objects.filter(order=order)
        assert sorted((c.party, str(c.amount)) for c in credits) == [
            ("acquiring_employee", "4.00"),
            ("cashier", "15.98"),
        ]


def test_returns_of_one_order_racing_reverse_its_credits_exactly(store, tea):
    clerk = EmployeeFactory(home_location=store)
    manager = actor_for_user(EmployeeFactory(home_location=store, role=Role.STORE_MANAGER).user)
    for _race in range(RACES):
        order = place_counter_sale(clerk=clerk, sku=tea, quantity=3)
        payments.take_in_store_payment(actor=actor_for_user(clerk.user), order=order, method="cash")
        order = Order.objects.get(pk=order.pk)
        line = order.lines.get()

        outcomes = run_together(
            [
                lambda order=order, line=line: payments.refund_order(
                    actor=manager, order=order, returned={line.pk: 1}, reason="race"
                )
                for _ in range(3)
            ]
        )

        assert [o.error for o in outcomes] == [None, None, None]
        assert Order.objects.get(pk=order.pk).state == OrderState.REFUNDED
        for credit in LineCredit.objects.filter(order=order, kind=CreditKind.CREDIT):
            reversals = list(credit.reversals.all())
            assert sum(r.quantity for r in reversals) == 3
            assert credit.amount + sum(r.amount for r in reversals) == Decimal("0.00")
        assert LineCredit.objects.filter(order=order, kind=CreditKind.REVERSAL).count() == 6
