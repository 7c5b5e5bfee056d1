"""Returns reverse exactly the credits of the returned units; a refund before hand-over all of them;
a franchise store's share agrees with the cash book's; a retried payment event writes nothing twice."""

from decimal import Decimal

import pytest

from o2o.access.actors import actor_for_user
from o2o.attribution import handlers, services
from o2o.attribution.models import CreditKind, LineCredit, Party
from o2o.attribution.tests.conftest import counter_sale, online_order, rows
from o2o.cashbook.days import today
from o2o.cashbook.selectors import franchise_days
from o2o.core import events
from o2o.payments.services import cancel_order, refund_order
from o2o.pickup.models import PickupVoucher
from o2o.pickup.services import redeem_pickup_voucher
from o2o.stores.models import Location
from o2o.testing.factories import EmployeeFactory, MemberFactory

pytestmark = pytest.mark.django_db


def _return(manager, order, quantity):
    line = order.lines.get()
    refund_order(actor=actor_for_user(manager.user), order=order, returned={line.pk: quantity}, reason="broken")
    order.refresh_from_db()


def test_returns_reverse_the_returned_units_and_all_returns_reverse_a_credit_exactly(clerk, manager, tea):
    # given: three units sold at the counter (29.97): cashier 23.98, and 5.99 the walk-in's acquirer would have had
    order = counter_sale(clerk, tea, quantity=3)
    assert [row[-1] for row in rows(order)] == ["23.98", "5.99"]
    reversed_events = []
    events.subscribe(events.CREDITS_REVERSED)(record := lambda **kw: reversed_events.append(kw))

    try:
        # when: one unit comes back, then the two others
        _return(manager, order, 1)
        first = [str(c.amount) for c in LineCredit.objects.filter(order=order, kind="reversal").order_by("pk")]
        _return(manager, order, 2)
    finally:
        events._handlers[events.CREDITS_REVERSED].remove(record)

    # then: 1/3 of 23.98 is 7.993 -> 7.99, of 5.99 1.997 -> 2.00; the rest with the last return
    assert first == ["-7.99", "-2.00"]
    assert rows(order, kind="reversal") == [
        ("cashier", "", clerk.pk, None, "80.00", "-7.99"),
        ("cashier", "acquiring_employee", clerk.pk, None, "20.00", "-2.00"),
        ("cashier", "", clerk.pk, None, "80.00", "-15.99"),
        ("cashier", "acquiring_employee", clerk.pk, None, "20.00", "-3.99"),
    ]
    for credit in LineCredit.objects.filter(order=order, kind=CreditKind.CREDIT):
        assert credit.amount + sum(r.amount for r in credit.reversals.all()) == Decimal("0.00")
        assert sum(r.quantity for r in credit.reversals.all()) == 3
    # two CREDITS_REVERSED events with their rows; the refund of the whole order added nothing more
    assert [len(e["credits"]) for e in reversed_events] == [2, 2]
    assert LineCredit.objects.filter(order=order).count() == 6


def test_a_paid_order_cancelled_before_hand_over_is_reversed_in_full(store, tea, hq):
    order = online_order(MemberFactory(), store, tea, quantity=2)

    cancel_order(actor=actor_for_user(hq.user), order=order)

    credits = LineCredit.objects.filter(order=order)
    assert credits.filter(kind="credit").count() == 3
    assert credits.filter(kind="reversal").count() == 3
    assert sum(c.amount for c in credits) == Decimal("0.00")
    assert all(r.quantity == 2 for r in credits.filter(kind="reversal"))


def test_a_second_paid_event_writes_nothing(store, clerk, tea):
    order = counter_sale(clerk, tea, quantity=2)
    before = list(LineCredit.objects.filter(order=order).values_list("pk", "amount"))
    credited = []
    events.subscribe(events.LINES_CREDITED)(record := lambda **kw: credited.append(kw))

    try:
        handlers.credit_paid_lines(order=order)  # a redelivered ORDER_PAID reaching attribution again
    finally:
        events._handlers[events.LINES_CREDITED].remove(record)

    assert services.attribute_order(order=order) == []
    assert list(LineCredit.objects.filter(order=order).values_list("pk", "amount")) == before
    assert credited == []


@pytest.fixture
def franchise(store):
    Location.objects.filter(pk=store.pk).update(
        ownership=Location.Ownership.FRANCHISE, franchise_share_percent=Decimal("7.33")
    )
    store.refresh_from_db()
    return store


def _franchise_total(orders):
    return sum(
        (c.amount for c in LineCredit.objects.filter(order__in=orders, party=Party.FRANCHISE_STORE)), Decimal("0.00")
    )


def test_a_franchise_store_s_share_agrees_with_the_cash_book(franchise, tea, hq):
    # given: two online orders fulfilled by the franchise store: 19.98 and 29.97
    member = MemberFactory()
    orders = [online_order(member, franchise, tea, quantity=2), online_order(member, franchise, tea, quantity=3)]

    # then: 7.33 % of each order (1.46 and 2.20), outside the 100 % split
    shares = LineCredit.objects.filter(order__in=orders, party=Party.FRANCHISE_STORE).order_by("order_id")
    assert [(s.location_id, str(s.percent), str(s.amount)) for s in shares] == [
        (franchise.pk, "7.33", "1.46"),
        (franchise.pk, "7.33", "2.20"),
    ]
    for order in orders:
        split = LineCredit.objects.filter(order=order).exclude(party=Party.FRANCHISE_STORE)
        assert sum(c.amount for c in split) == order.total
    [day] = franchise_days(actor=actor_for_user(hq.user), date_from=today(), date_to=today())
    assert _franchise_total(orders) == day.share == Decimal("3.66")

    # when: one unit of the second order comes back after pickup
    second = orders[1]
    redeem_pickup_voucher(
        actor=actor_for_user(EmployeeFactory(home_location=franchise).user),
        presented=PickupVoucher.objects.get(order=second).code,
    )
    manager = EmployeeFactory(role="store_manager", home_location=franchise)
    _return(manager, second, 1)

    # then: both still agree (net 39.96: 2.93)
    [day] = franchise_days(actor=actor_for_user(hq.user), date_from=today(), date_to=today())
    assert _franchise_total(orders) == day.share == Decimal("2.93")


def test_counter_sales_at_a_franchise_store_and_direct_stores_get_no_franchise_share(franchise, other_store, tea):
    clerk = EmployeeFactory(home_location=franchise)
    at_counter = counter_sale(clerk, tea, quantity=2)
    direct = online_order(MemberFactory(), other_store, tea)

    assert not LineCredit.objects.filter(order__in=[at_counter, direct], party=Party.FRANCHISE_STORE).exists()
