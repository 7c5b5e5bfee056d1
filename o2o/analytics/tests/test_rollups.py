"""Daily sales rollups: the dashboard reads closed days from them and gives the same numbers as the
orders, a refund of a past day shows at once, the audit finds a tampered rollup, the job is idempotent.

Today is 10 March 2026 (Shanghai). Sales (price 12.50) at noon of:
- 10 March (today, never rolled up): store, counter sale of 1
- 9 March: store, counter sale of 2 (1 returned on 9 March) and an app pickup of 4; other store, counter 1
- 7 March: store, H5 pickup of 1 cancelled unpaid, an app pickup of 2 refunded in full before pickup
- 1 March (in the 30 days, not in the 7): other store, counter sale of 3
- 5 February (in the 30 days before the 30: the trend's previous period): store, counter sale of 1
"""

from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from o2o.access.actors import SYSTEM, actor_for_member, actor_for_user
from o2o.analytics import audit
from o2o.analytics.models import DailySales, SalesDay
from o2o.analytics.selectors import Period, dashboard, dashboard_scope, period_bounds
from o2o.analytics.services import roll_up_closed_days
from o2o.analytics.trends import sales_trend
from o2o.inventory.services import receive_stock
from o2o.orders.models import Order
from o2o.payments.services import cancel_order, refund_order, take_in_store_payment
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory, LocationFactory, RegionFactory, SKUFactory
from o2o.testing.journeys import paid_pickup_order, place_counter_sale, place_pickup_order

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 10)


def _noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=timezone.get_current_timezone())


def _on(day: date):
    return time_machine.travel(_noon(day), tick=False)


def _sale(clerk, sku, quantity: int) -> Order:
    order = place_counter_sale(clerk=clerk, sku=sku, quantity=quantity)
    take_in_store_payment(actor=actor_for_user(clerk.user), order=order, method="cash")
    order.refresh_from_db()
    return order


@pytest.fixture
def history(store, clerk, member):
    other_store = LocationFactory(region=RegionFactory(code="SH-XH", name="徐汇区"))
    other_clerk = EmployeeFactory(home_location=other_store)
    manager = EmployeeFactory(home_location=store, role=Role.STORE_MANAGER)
    sku = SKUFactory(price=Decimal("12.50"))
    with _on(date(2026, 2, 5)):
        for location in (store, other_store):
            receive_stock(location_id=location.pk, sku_id=sku.pk, quantity=100, actor=SYSTEM)
        _sale(clerk, sku, 1)
    with _on(date(2026, 3, 1)):
        _sale(other_clerk, sku, 3)
    with _on(date(2026, 3, 7)):
        cancel_order(actor=actor_for_member(member), order=place_pickup_order(member=member, store=store, sku=sku))
        refunded = paid_pickup_order(member=member, store=store, sku=sku, quantity=2)
        refund_order(actor=actor_for_user(manager.user), order=refunded, returned=None, reason="changed mind")
    with _on(date(2026, 3, 9)):
        returned = _sale(clerk, sku, 2)
        refund_order(
            actor=actor_for_user(manager.user), order=returned, returned={returned.lines.get().pk: 1}, reason="size"
        )
        pickup = paid_pickup_order(member=member, store=store, sku=sku, quantity=4)
        _sale(other_clerk, sku, 1)
        place_pickup_order(member=member, store=store, sku=sku, channel="h5")  # never paid
    with _on(TODAY):
        _sale(clerk, sku, 1)
    return {"store": store, "other_store": other_store, "manager": manager, "pickup": pickup}


def _rolled_up():
    """Two runs: the first creates the days' rows, the second rolls them up (see services.py)."""
    roll_up_closed_days()
    return roll_up_closed_days()


def _both(location_ids, period):
    start, end = period_bounds(period)
    rolled = dashboard(location_ids=location_ids, start=start, end=end)
    live = dashboard(location_ids=location_ids, start=start, end=end, rollups=False)
    return rolled, live


def _trends(location_ids, period):
    start, end = period_bounds(period)
    rolled = sales_trend(location_ids=location_ids, start=start, end=end)
    live = sales_trend(location_ids=location_ids, start=start, end=end, rollups=False)
    return rolled, live


@pytest.mark.parametrize("period", list(Period))
@pytest.mark.parametrize("scope", ["hq", "region"])
def test_rolled_up_days_give_the_live_numbers(history, period, scope):
    location_ids = None if scope == "hq" else frozenset({history["store"].pk})
    with _on(TODAY):
        assert len(_rolled_up()) == 61  # 8 January .. 9 March

        rolled, live = _both(location_ids, period)
        trend, live_trend = _trends(location_ids, period)

    assert asdict(rolled) == asdict(live)
    assert trend == live_trend


def test_rollup_rows_hold_the_days_sales(history):
    with _on(TODAY):
        _rolled_up()

    rows = {
        (r.day_id, r.selling_location_id): (
            r.sales,
            r.orders,
            r.sales_pos,
            r.sales_app,
            r.sales_in_store,
            r.sales_pickup,
        )
        for r in DailySales.objects.all()
    }
    store, other = history["store"].pk, history["other_store"].pk
    zero = Decimal("0.00")
    assert rows == {
        (date(2026, 2, 5), store): (Decimal("12.50"), 1, Decimal("12.50"), zero, Decimal("12.50"), zero),
        (date(2026, 3, 1), other): (Decimal("37.50"), 1, Decimal("37.50"), zero, Decimal("37.50"), zero),
        (date(2026, 3, 7), store): (zero, 1, zero, zero, zero, zero),  # refunded in full: an order, no sales
        (date(2026, 3, 9), store): (
            Decimal("62.50"),
            2,
            Decimal("12.50"),
            Decimal("50.00"),
            Decimal("12.50"),
            Decimal("50.00"),
        ),
        (date(2026, 3, 9), other): (Decimal("12.50"), 1, Decimal("12.50"), zero, Decimal("12.50"), zero),
    }
    assert DailySales.objects.get(day=date(2026, 3, 7)).orders_app == 1
    assert not SalesDay.objects.filter(day=TODAY, fresh=True).exists()  # today is always live


def test_the_30_days_totals_to_the_fen(history):
    with _on(TODAY):
        _rolled_up()
        rolled, _live = _both(None, Period.LAST_30_DAYS)
        trend, _ = _trends(None, Period.LAST_30_DAYS)

    # 37.50 + 0 + 12.50 + 50.00 + 12.50 + today's 12.50
    assert (rolled.totals.sales, rolled.totals.orders) == (Decimal("125.00"), 6)
    assert (trend.sales, trend.orders, trend.previous_sales, trend.previous_orders) == (
        Decimal("125.00"),
        6,
        Decimal("12.50"),
        1,
    )


def test_a_refund_of_a_past_days_order_shows_at_once(history):
    with _on(TODAY):
        _rolled_up()
        refund_order(
            actor=actor_for_user(history["manager"].user), order=history["pickup"], returned=None, reason="late"
        )

        rolled, live = _both(None, Period.LAST_7_DAYS)
        assert not SalesDay.objects.get(day=date(2026, 3, 9)).fresh
        assert asdict(rolled) == asdict(live)
        assert rolled.totals.sales == Decimal("37.50")  # 87.50 before: the 50.00 pickup went back

        assert roll_up_closed_days() == [date(2026, 3, 9)]  # the next run rolls the day up again
        rolled, live = _both(None, Period.LAST_7_DAYS)
    assert asdict(rolled) == asdict(live)
    row = DailySales.objects.get(day=date(2026, 3, 9), selling_location=history["store"])
    assert (row.sales, row.sales_app, row.orders_app) == (Decimal("12.50"), Decimal("0.00"), 1)


def test_a_refund_of_todays_order_touches_no_rollup(history):
    with _on(TODAY):
        _rolled_up()
        today = Order.objects.get(paid_at__date=TODAY)
        refund_order(
            actor=actor_for_user(history["manager"].user),
            order=today,
            returned={today.lines.get().pk: 1},
            reason="size",
        )

    assert SalesDay.objects.filter(fresh=False, day__lt=TODAY).count() == 0


def test_a_day_is_rolled_up_only_once_it_has_settled(history):
    with time_machine.travel(_noon(TODAY).replace(hour=0, minute=10), tick=False):
        _rolled_up()
        assert SalesDay.objects.filter(day=date(2026, 3, 9), fresh=True).count() == 0  # 10 min after midnight
    with time_machine.travel(_noon(TODAY).replace(hour=0, minute=20), tick=False):
        assert roll_up_closed_days() == [date(2026, 3, 9)]


def test_the_job_is_idempotent(history):
    with _on(TODAY):
        _rolled_up()
        before = sorted(DailySales.objects.values_list("day", "selling_location", "orders", "sales"))

        assert roll_up_closed_days() == []

    after = sorted(DailySales.objects.values_list("day", "selling_location", "orders", "sales"))
    assert after == before


def test_the_audit_finds_a_tampered_rollup(history):
    with _on(TODAY):
        _rolled_up()
        assert audit.run() == []
        wrong = Decimal("37.49")  # the constraints keep a row whole: every sum is changed with it
        DailySales.objects.filter(day=date(2026, 3, 1)).update(sales=wrong, sales_pos=wrong, sales_in_store=wrong)
        DailySales.objects.filter(day=date(2026, 2, 5)).delete()  # a missing row of a fresh day

        findings = audit.run()

    other, store = history["other_store"].pk, history["store"].pk
    assert [str(f) for f in findings] == [
        f"sales_rollup: 2026-02-05 location {store}: orders rollup 0 orders 1, sales rollup 0.00 orders 12.50, "
        "orders_pos rollup 0 orders 1, sales_pos rollup 0.00 orders 12.50, "
        "orders_in_store rollup 0 orders 1, sales_in_store rollup 0.00 orders 12.50",
        f"sales_rollup: 2026-03-01 location {other}: sales rollup 37.49 orders 37.50, "
        "sales_pos rollup 37.49 orders 37.50, sales_in_store rollup 37.49 orders 37.50",
    ]


def test_the_audit_finds_an_order_changed_behind_the_rollups_back(history):
    with _on(TODAY):
        _rolled_up()
        Order.objects.filter(pk=history["pickup"].pk).update(refunded_total=Decimal("10.00"))  # no event

        findings = audit.run()

    assert [f.check for f in findings] == ["sales_rollup"]
    assert findings[0].detail.startswith("sales rollup 62.50 orders 52.50, sales_app rollup 50.00 orders 40.00")


def test_a_regional_supervisor_sees_their_region_from_the_rollups(history):
    region = history["store"].region
    supervisor = EmployeeFactory(role=Role.REGIONAL_SUPERVISOR, home_location=None, region=region)
    scope = dashboard_scope(actor_for_user(supervisor.user))
    with _on(TODAY):
        _rolled_up()
        rolled, live = _both(scope, Period.LAST_30_DAYS)

    assert asdict(rolled) == asdict(live)
    assert [s.location_id for s in rolled.by_store] == [history["store"].pk]
    assert (rolled.totals.sales, rolled.totals.orders) == (Decimal("75.00"), 4)


def test_the_dashboard_reads_few_queries_with_rollups(history, django_assert_max_num_queries):
    with _on(TODAY):
        _rolled_up()
        start, end = period_bounds(Period.LAST_30_DAYS)
        # fresh days; rollups per store and their channel sums; today live per store and per channel;
        # members x2, pickups, stores: nine, whatever the number of stores
        with django_assert_max_num_queries(9):
            dashboard(location_ids=None, start=start, end=end)
        with django_assert_max_num_queries(3):  # fresh days, rollup rows, today live
            sales_trend(location_ids=None, start=start, end=end)


def test_a_missing_rollup_is_counted_live(history):
    with _on(TODAY):
        _rolled_up()
        SalesDay.objects.filter(day=date(2026, 3, 9)).update(fresh=False)
        DailySales.objects.filter(day=date(2026, 3, 9)).delete()

        rolled, live = _both(None, Period.LAST_7_DAYS)

    assert asdict(rolled) == asdict(live)
    assert rolled.totals.orders == 5
