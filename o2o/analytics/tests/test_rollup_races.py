"""A refund that commits while its day is being rolled up: the day must end stale, never fresh with the
refund missing (PostgreSQL: real threads, real row locks)."""

import threading
import time
from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from o2o.access.actors import SYSTEM, actor_for_user
from o2o.analytics import audit, services
from o2o.analytics.models import SalesDay
from o2o.analytics.selectors import Period, dashboard, period_bounds
from o2o.inventory.services import receive_stock
from o2o.payments.services import refund_order
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory, SKUFactory
from o2o.testing.journeys import paid_pickup_order
from o2o.testing.races import requires_postgres, run_together

pytestmark = [pytest.mark.django_db(transaction=True), requires_postgres]

TODAY, PAID = date(2026, 3, 10), date(2026, 3, 9)


def _at(day: date, hour: int = 12):
    return time_machine.travel(datetime(day.year, day.month, day.day, hour, tzinfo=timezone.get_current_timezone()))


def test_a_refund_during_the_rollup_of_its_day_leaves_the_day_stale(store, member, monkeypatch):
    manager = EmployeeFactory(home_location=store, role=Role.STORE_MANAGER)
    sku = SKUFactory(price=Decimal("12.50"))
    with _at(PAID):
        receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=10, actor=SYSTEM)
        order = paid_pickup_order(member=member, store=store, sku=sku, quantity=2)
    with _at(TODAY):
        services.roll_up_closed_days()  # creates the days' rows (committed)

    # The rollup has read the orders (before the refund) and holds the day's lock while the refund runs.
    aggregated = threading.Event()
    live_sales_rows = services.live_sales_rows

    def slow_rows(*args, **kwargs):
        rows = live_sales_rows(*args, **kwargs)
        aggregated.set()
        time.sleep(1.0)  # the refund reaches its stale mark and waits for this transaction
        return rows

    monkeypatch.setattr(services, "live_sales_rows", slow_rows)

    def refund():
        assert aggregated.wait(10)
        refund_order(actor=actor_for_user(manager.user), order=order, returned=None, reason="late")

    with _at(TODAY):
        outcomes = run_together([lambda: services.roll_up_day(day=PAID), refund])
        assert [o.error for o in outcomes] == [None, None]

        assert SalesDay.objects.get(day=PAID).fresh is False
        assert audit.run() == []
        start, end = period_bounds(Period.LAST_7_DAYS)
        assert dashboard(location_ids=None, start=start, end=end).totals.sales == Decimal("0.00")
