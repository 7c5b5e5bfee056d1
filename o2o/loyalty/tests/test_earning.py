"""Points earned on paid orders: pending, available on completion, reversed exactly on returns."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Prefetch
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from o2o.catalog.selectors import sku_categories
from o2o.core.events import ORDER_PAID, _handlers
from o2o.loyalty import handlers, services
from o2o.loyalty.models import CategoryPointsRule, EntryKind, PointsAccount, PointsEarning, PointsEntry, PointsLot
from o2o.loyalty.selectors import points_balance
from o2o.members.models import MemberLevel
from o2o.orders.models import Order, OrderLine
from o2o.orders.services import complete_orders
from o2o.testing.api import as_staff
from o2o.testing.factories import CategoryFactory, ProductFactory, SKUFactory
from o2o.testing.journeys import paid_pickup_order, place_pickup_order

pytestmark = pytest.mark.django_db


def balance(member) -> tuple[int, int]:
    b = points_balance(member_id=member.pk)
    return b.available, b.pending


def picked_up(order, clerk) -> None:
    response = as_staff(clerk).post("pickup/redeem", {"code": order.pickup_voucher.code})
    assert response.status_code == 200, response.content


def give_back(manager, order, line, quantity: int) -> None:
    response = as_staff(manager).post(
        f"orders/{order.pk}/returns", {"lines": [{"line_id": line.pk, "quantity": quantity}], "reason": "changed mind"}
    )
    assert response.status_code == 200, response.content


def complete_all() -> int:
    return complete_orders(now=timezone.now() + timedelta(days=30))


def test_a_paid_order_earns_pending_points_per_yuan_of_net_rounded_down(member, store, tea):
    # 3 x 12.50 = 37.50 yuan -> 37 points
    order = paid_pickup_order(member=member, store=store, sku=tea, quantity=3)

    assert balance(member) == (0, 37)
    assert list(PointsEarning.objects.values_list("order_id", "quantity", "points", "state")) == [
        (order.pk, 3, 37, "pending")
    ]
    assert not PointsAccount.objects.exists()  # created when points first become available


def test_the_paid_handler_costs_one_insert_when_the_payment_read_the_order_and_none_without_member(
    member, store, tea, clerk
):
    assert handlers.earn_pending_points in _handlers[ORDER_PAID]
    order = place_pickup_order(member=member, store=store, sku=tea, quantity=2)
    categorised = OrderLine.objects.annotate(**sku_categories("sku"))
    as_paid = Order.objects.select_related("member__level").prefetch_related(Prefetch("lines", categorised))
    bare = Order.objects.get(pk=order.pk)
    anonymous = Order.objects.get(pk=order.pk)
    anonymous.member_id = None
    services.record_pending_points(order=as_paid.get(pk=order.pk))  # the category rules, read once

    with CaptureQueriesContext(connection) as read_with_the_order:
        handlers.earn_pending_points(order=as_paid.get(pk=order.pk))
    with CaptureQueriesContext(connection) as bare_order:
        handlers.earn_pending_points(order=bare)
    with CaptureQueriesContext(connection) as without_member:
        handlers.earn_pending_points(order=anonymous)

    assert len(read_with_the_order.captured_queries) - 2 == 1  # minus the order and its lines above
    assert len(bare_order.captured_queries) == 3  # the lines, the member's level, the INSERT
    assert len(without_member.captured_queries) == 0
    assert PointsEarning.objects.get().points == 25


def test_a_category_rule_hq_sets_or_removes_applies_to_the_next_paid_order(member, store, tea, hq):
    def rule(multiplier):
        body = {"category_id": tea.product.category_id, "multiplier": multiplier}
        response = as_staff(hq).post("loyalty/category-rules", body)
        assert response.status_code == 200, response.content

    paid_pickup_order(member=member, store=store, sku=tea, quantity=2)  # 25.00 x 1; the rules are kept now
    rule("2.00")
    paid_pickup_order(member=member, store=store, sku=tea, quantity=2)  # x 2
    rule(None)
    paid_pickup_order(member=member, store=store, sku=tea, quantity=2)  # x 1 again

    assert list(PointsEarning.objects.order_by("pk").values_list("points", flat=True)) == [25, 50, 25]


def test_completion_makes_them_available_expiring_at_the_end_of_next_year(member, store, tea, clerk):
    order = paid_pickup_order(member=member, store=store, sku=tea, quantity=3)
    picked_up(order, clerk)

    assert complete_all() == 1

    assert balance(member) == (37, 0)
    entry = PointsEntry.objects.get()
    assert (entry.kind, entry.points, entry.order_id, entry.reference) == (
        EntryKind.EARN,
        37,
        order.pk,
        f"order:{order.pk}",
    )
    lot = PointsLot.objects.get()
    year = timezone.localdate().year
    assert timezone.localtime(lot.expires_at) == timezone.make_aware(datetime.combine(date(year + 2, 1, 1), time.min))
    assert PointsEarning.objects.get().state == PointsEarning.State.CONFIRMED
    # a second run (or a second ORDER_COMPLETED) gives nothing more
    services.confirm_order_points(order_id=order.pk, member_id=member.pk)
    assert balance(member) == (37, 0)


def test_returning_1_then_2_of_3_units_reverses_exactly_what_was_earned(member, store, tea, clerk, manager):
    order = paid_pickup_order(member=member, store=store, sku=tea, quantity=3)
    picked_up(order, clerk)
    line = order.lines.get()

    give_back(manager, order, line, 1)
    assert balance(member) == (0, 25)  # 37 - floor(37 / 3)

    give_back(manager, order, line, 2)
    assert balance(member) == (0, 0)
    earning = PointsEarning.objects.get()
    assert (earning.points, earning.reversed_points, earning.returned_quantity) == (37, 37, 3)


def test_a_partial_return_before_completion_leaves_only_the_kept_units_points(member, store, tea, clerk, manager):
    order = paid_pickup_order(member=member, store=store, sku=tea, quantity=3)
    picked_up(order, clerk)
    give_back(manager, order, order.lines.get(), 1)

    complete_all()

    assert balance(member) == (25, 0)
    assert PointsAccount.objects.get(member=member).available == 25


def test_a_cancelled_paid_order_loses_its_pending_points(member, store, tea):
    from o2o.testing.api import as_member

    order = paid_pickup_order(member=member, store=store, sku=tea, quantity=2)
    assert balance(member) == (0, 25)

    response = as_member(member).post(f"orders/{order.pk}/cancel", {"reason": "no longer needed"})

    assert response.status_code == 200, response.content
    assert balance(member) == (0, 0)
    assert PointsEarning.objects.get().state == PointsEarning.State.REVERSED
    complete_all()
    assert not PointsEntry.objects.exists()


def test_the_level_multiplier_applies(member, store, tea):
    member.level = MemberLevel.objects.create(
        code="gold", name="金卡", rank=3, min_growth=3000, points_multiplier=Decimal("1.50")
    )
    member.save(update_fields=["level"])
    order = paid_pickup_order(member=member, store=store, sku=tea, quantity=3)

    # net after the level's discount (0 %): 37.50 x 1.5 = 56.25 -> 56
    assert Order.objects.get(pk=order.pk).total == Decimal("37.50")
    assert balance(member) == (0, 56)


def test_category_rules_multiply_and_a_sub_category_takes_its_parents_rule(member, store, tea):
    from o2o.access.actors import SYSTEM
    from o2o.inventory.services import receive_stock

    parent = CategoryFactory()
    child = CategoryFactory(parent=parent)
    wine = SKUFactory(product=ProductFactory(category=child), price=Decimal("99.90"))
    receive_stock(location_id=store.pk, sku_id=wine.pk, quantity=5, actor=SYSTEM)
    CategoryPointsRule.objects.create(category=parent, multiplier=Decimal("2.00"))
    CategoryPointsRule.objects.create(category=tea.product.category, multiplier=Decimal("0"))

    paid_pickup_order(member=member, store=store, sku=wine, quantity=1)
    paid_pickup_order(member=member, store=store, sku=tea, quantity=4)

    assert balance(member) == (0, 199)  # 99.90 x 2 = 199.8 -> 199; tea earns nothing


def test_points_are_split_over_lines_so_their_sum_is_the_order_floor():
    shares = services.split_points([Decimal("10.6"), Decimal("10.6"), Decimal("10.6")])
    assert shares == [11, 10, 10] and sum(shares) == 31


def test_points_expire_when_the_year_after_next_begins(member, store, tea, clerk):
    order = paid_pickup_order(member=member, store=store, sku=tea, quantity=3)
    picked_up(order, clerk)
    complete_all()
    lot = PointsLot.objects.get()

    assert services.expire_points(lot.expires_at - timedelta(seconds=1)) == 0
    assert services.expire_points(lot.expires_at) == 37

    assert PointsAccount.objects.get(member=member).available == 0
    expiry = PointsEntry.objects.get(kind=EntryKind.EXPIRE)
    assert expiry.points == -37
    assert services.expire_points(lot.expires_at + timedelta(days=1)) == 0
