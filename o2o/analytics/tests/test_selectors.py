"""The dashboard's numbers on a small chain, computed by hand.

Price 12.50 on every channel. In the hour around now:
- store: an in-store sale of 2 (25.00), 1 returned (-12.50)  -> 12.50, pos, in_store
- store: an app pickup order of 4, paid                      -> 50.00, app, pickup (voucher waiting)
- store: an app order, cancelled unpaid; an H5 order, unpaid -> not sales
- other store: an in-store sale of 1                         -> 12.50, pos, in_store
Sales 75.00 in 3 orders, average 25.00.
"""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from o2o.access.actors import SYSTEM, actor_for_member, actor_for_user
from o2o.analytics.selectors import Period, dashboard, dashboard_scope, period_bounds
from o2o.core.errors import DomainError
from o2o.inventory.services import receive_stock
from o2o.members.models import Member
from o2o.orders.models import Order
from o2o.payments.services import cancel_order, refund_order, take_in_store_payment
from o2o.pickup.models import PickupVoucher
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory, LocationFactory, MemberFactory, RegionFactory, SKUFactory
from o2o.testing.journeys import paid_pickup_order, place_counter_sale, place_pickup_order

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _sale(clerk, sku, quantity: int) -> Order:
    order = place_counter_sale(clerk=clerk, sku=sku, quantity=quantity)
    take_in_store_payment(actor=actor_for_user(clerk.user), order=order, method="cash")
    order.refresh_from_db()
    return order


@pytest.fixture
def chain(store, clerk, member):
    other_store = LocationFactory(name="徐家汇店", region=RegionFactory(code="SH-XH", name="徐汇区"))
    other_clerk = EmployeeFactory(home_location=other_store)
    sku = SKUFactory(price=Decimal("12.50"))
    for location in (store, other_store):
        receive_stock(location_id=location.pk, sku_id=sku.pk, quantity=100, actor=SYSTEM)

    returned_sale = _sale(clerk, sku, 2)
    line = returned_sale.lines.get()
    manager = EmployeeFactory(home_location=store, role=Role.STORE_MANAGER)  # refunds need a manager
    refund_order(actor=actor_for_user(manager.user), order=returned_sale, returned={line.pk: 1}, reason="wrong size")
    pickup = paid_pickup_order(member=member, store=store, sku=sku, quantity=4)
    cancel_order(actor=actor_for_member(member), order=place_pickup_order(member=member, store=store, sku=sku))
    place_pickup_order(member=member, store=store, sku=sku, channel="h5")
    _sale(other_clerk, sku, 1)

    # Members who joined now: `member` (online, no store) and four more; one joined long ago.
    MemberFactory(acquiring_location=store, acquiring_employee=clerk)
    MemberFactory(acquiring_location=store)
    MemberFactory(acquiring_location=other_store, acquiring_employee=other_clerk)
    MemberFactory()
    old = MemberFactory(acquiring_location=store, acquiring_employee=clerk)
    Member.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=10))
    return {"store": store, "other_store": other_store, "clerk": clerk, "other_clerk": other_clerk, "pickup": pickup}


def _now_window():
    now = timezone.now()
    return {"start": now - timedelta(hours=1), "end": now + timedelta(hours=1)}


def test_chain_wide_totals_count_paid_orders_net_of_refunds(chain):
    data = dashboard(location_ids=None, **_now_window())

    assert data.totals.sales == Decimal("75.00")
    assert data.totals.orders == 3
    assert data.totals.average_order_value == Decimal("25.00")
    assert data.totals.new_members == 5
    assert (data.totals.pickups_waiting, data.totals.pickups_overdue) == (1, 0)


def test_sales_by_store_channel_and_fulfilment(chain):
    data = dashboard(location_ids=None, **_now_window())

    by_store = {s.location_id: (s.sales, s.orders, s.average_order_value) for s in data.by_store}
    assert by_store == {
        chain["store"].pk: (Decimal("62.50"), 2, Decimal("31.25")),
        chain["other_store"].pk: (Decimal("12.50"), 1, Decimal("12.50")),
        None: (Decimal("0.00"), 0, Decimal("0.00")),  # the members who joined online
    }
    assert [(c.key, c.sales, c.orders) for c in data.by_channel] == [
        ("app", Decimal("50.00"), 1),
        ("h5", Decimal("0.00"), 0),
        ("share_link", Decimal("0.00"), 0),
        ("pos", Decimal("25.00"), 2),
    ]
    assert [(g.key, g.sales, g.orders) for g in data.by_channel_group] == [
        ("online", Decimal("50.00"), 1),
        ("in_store", Decimal("25.00"), 2),
    ]
    assert [(f.key, f.sales, f.orders) for f in data.by_fulfilment] == [
        ("pickup", Decimal("50.00"), 1),
        ("delivery", Decimal("0.00"), 0),
        ("in_store", Decimal("25.00"), 2),
    ]


def test_new_members_by_store_and_by_employee(chain):
    data = dashboard(location_ids=None, **_now_window())

    assert [(a.id, a.members) for a in data.new_members_by_store] == [
        (chain["store"].pk, 2),
        (None, 2),
        (chain["other_store"].pk, 1),
    ]
    by_employee = {(a.id, a.name, a.location_name, a.members) for a in data.new_members_by_employee}
    assert by_employee == {
        (chain["clerk"].pk, chain["clerk"].display_name, chain["store"].name, 1),
        (chain["other_clerk"].pk, chain["other_clerk"].display_name, chain["other_store"].name, 1),
    }


def test_a_voucher_waiting_over_48_hours_is_overdue(chain):
    PickupVoucher.objects.filter(order=chain["pickup"]).update(issued_at=timezone.now() - timedelta(hours=49))

    data = dashboard(location_ids=None, **_now_window())

    store_row = next(s for s in data.by_store if s.location_id == chain["store"].pk)
    assert (store_row.pickups_waiting, store_row.pickups_overdue) == (1, 1)
    assert (data.totals.pickups_waiting, data.totals.pickups_overdue) == (1, 1)


def test_orders_paid_outside_the_period_are_not_counted(chain):
    Order.objects.filter(pk=chain["pickup"].pk).update(paid_at=timezone.now() - timedelta(days=2))

    data = dashboard(location_ids=None, **_now_window())

    assert (data.totals.sales, data.totals.orders) == (Decimal("25.00"), 2)


def test_a_scope_of_one_store_sees_only_that_store(chain):
    data = dashboard(location_ids=frozenset({chain["other_store"].pk}), **_now_window())

    assert (data.totals.sales, data.totals.orders, data.totals.new_members) == (Decimal("12.50"), 1, 1)
    assert [s.location_id for s in data.by_store] == [chain["other_store"].pk]
    assert [a.id for a in data.new_members_by_employee] == [chain["other_clerk"].pk]
    assert (data.totals.pickups_waiting, data.totals.pickups_overdue) == (0, 0)


def test_an_empty_period_has_zeros_and_every_store():
    store = LocationFactory()

    data = dashboard(location_ids=None, **_now_window())

    assert (data.totals.sales, data.totals.orders, data.totals.average_order_value) == (Decimal("0.00"), 0, 0)
    assert [(s.location_id, s.sales, s.orders) for s in data.by_store] == [(store.pk, Decimal("0.00"), 0)]


def test_the_dashboard_takes_a_handful_of_queries_however_many_orders(chain, django_assert_max_num_queries):
    # sales per store and per channel, members x2, pickups, stores
    with django_assert_max_num_queries(6):
        dashboard(location_ids=None, **_now_window())


def test_periods_are_whole_local_days_ending_today():
    now = datetime(2026, 3, 10, 1, 30, tzinfo=SHANGHAI)  # still 9 March in UTC

    today = period_bounds(Period.TODAY, now=now)
    week = period_bounds("7d", now=now)
    month = period_bounds("30d", now=now)

    assert today == (datetime(2026, 3, 10, tzinfo=SHANGHAI), datetime(2026, 3, 11, tzinfo=SHANGHAI))
    assert week == (datetime(2026, 3, 4, tzinfo=SHANGHAI), datetime(2026, 3, 11, tzinfo=SHANGHAI))
    assert month[0] == datetime(2026, 2, 9, tzinfo=SHANGHAI)


def test_only_hq_chain_wide_staff_and_supervisors_may_see_the_dashboard(store, clerk):
    region = store.region
    supervisor = EmployeeFactory(role=Role.REGIONAL_SUPERVISOR, home_location=None, region=region)
    hq = EmployeeFactory(role=Role.HQ, home_location=None)

    assert dashboard_scope(actor_for_user(hq.user)) is None
    assert dashboard_scope(actor_for_user(supervisor.user)) == frozenset({store.pk})
    with pytest.raises(DomainError) as refused:
        dashboard_scope(actor_for_user(clerk.user))
    assert refused.value.code == "forbidden"
