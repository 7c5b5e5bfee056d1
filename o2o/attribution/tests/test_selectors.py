"""credited_sales: credits less reversals per employee and per store, for other apps."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from o2o.access.actors import actor_for_user
from o2o.attribution.selectors import CreditedRow, credited_sales, credits_for_order
from o2o.attribution.tests.conftest import counter_sale, online_order
from o2o.payments.services import refund_order
from o2o.testing.factories import EmployeeFactory, MemberFactory

pytestmark = pytest.mark.django_db


def test_credited_sales_per_employee_and_store(store, other_store, clerk, manager, tea, django_assert_max_num_queries):
    # given: a counter sale (19.98) with one unit returned, and a pickup order (9.99)
    acquirer = EmployeeFactory(home_location=store)
    sold = counter_sale(clerk, tea, quantity=2, member=MemberFactory(acquiring_employee=acquirer))
    refund_order(actor=actor_for_user(manager.user), order=sold, returned={sold.lines.get().pk: 1}, reason="x")
    online_order(MemberFactory(), store, tea)
    now = timezone.now()

    # when
    with django_assert_max_num_queries(4):
        sales = credited_sales(since=now - timedelta(hours=1), until=now + timedelta(hours=1))

    # then
    assert sales.by_employee == sorted(
        [
            CreditedRow(clerk.pk, Decimal("15.98"), Decimal("-7.99"), 1),
            CreditedRow(acquirer.pk, Decimal("4.00"), Decimal("-2.00"), 1),
        ],
        key=lambda row: row.key,
    )
    assert [row.net for row in sales.by_employee] == [Decimal("7.99"), Decimal("2.00")]
    assert sales.by_location == [CreditedRow(store.pk, Decimal("3.00"), Decimal("0.00"), 1)]
    assert sales.franchise_share == []
    assert sales.online_operations == Decimal("6.99")
    assert [row.party for row in credits_for_order(sold.pk)] == ["cashier", "acquiring_employee"] * 2
    elsewhere = credited_sales(
        since=now - timedelta(hours=1), until=now + timedelta(hours=1), location_ids=[other_store.pk]
    )
    assert (elsewhere.by_employee, elsewhere.by_location) == ([], [])
    later = credited_sales(since=now + timedelta(hours=1), until=now + timedelta(hours=2))
    assert (later.by_employee, later.by_location, later.online_operations) == ([], [], Decimal("0.00"))
