"""Pricing tables: every kind of promotion and how they stack, priced by price_cart as the order
path prices (the registered rule reads the active promotions)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from o2o.catalog.models import Channel
from o2o.members.models import MemberLevel
from o2o.pricing.cart import CartLine, price_cart
from o2o.pricing.models import Campaign
from o2o.promotions.tests.given import promotion
from o2o.testing.factories import CategoryFactory, LocationFactory, MemberFactory, ProductFactory, SKUFactory

pytestmark = pytest.mark.django_db
D = Decimal


def sku(price: str, category=None):
    if category is None:
        return SKUFactory(price=D(price))
    return SKUFactory(price=D(price), product=ProductFactory(category=category))


def price(*lines, channel=Channel.APP, location_id=None, member=None):
    cart = [CartLine(s.pk, quantity) for s, quantity in lines]
    return price_cart(lines=cart, channel=channel, location_id=location_id, member=member, fulfilment="pickup")


def off(priced, s) -> Decimal:
    return priced.line(s.pk).discount_total


@pytest.mark.parametrize(
    ("quantity", "unit", "saved"),
    [
        (1, "99.99", "0.00"),  # just below the first tier
        (1, "100.00", "10.00"),  # exactly the first tier
        (2, "99.99", "10.00"),  # 199.98: still the first tier
        (1, "200.00", "25.00"),  # exactly the second
        (3, "100.00", "25.00"),  # above the highest: the highest
    ],
)
def test_spend_tiers_give_the_highest_tier_reached(quantity, unit, saved):
    item = sku(unit)
    promotion("spend_tiers", tiers=[(D(100), D(10)), (D(200), D(25))])

    priced = price((item, quantity))

    assert priced.discount_total == D(saved)
    assert priced.payable == D(unit) * quantity - D(saved)


def test_spend_tiers_spread_over_the_lines_to_the_fen():
    a, b, c = sku("33.33"), sku("33.33"), sku("33.34")
    promotion("spend_tiers", tiers=[(D(100), D(10))])

    priced = price((a, 1), (b, 1), (c, 1))

    assert [off(priced, s) for s in (a, b, c)] == [D("3.33"), D("3.33"), D("3.34")]
    assert priced.payable == D("90.00")


@pytest.mark.parametrize(
    ("lines", "free"),
    [
        ({"10.00": 2, "6.00": 2}, {"6.00": "6.00"}),  # 4 units: the cheapest one free
        ({"10.00": 3, "6.00": 2, "3.00": 2}, {"3.00": "3.00"}),  # 7 units: one set, the 3.00 free
        ({"10.00": 3, "6.00": 3, "3.00": 2}, {"3.00": "6.00"}),  # 8 units: two sets, both 3.00 free
        ({"10.00": 3}, {}),  # 3 units: no set yet
    ],
)
def test_buy_3_get_1_gives_the_cheapest_units(lines, free):
    skus = {unit: sku(unit) for unit in lines}
    promotion("buy_n_get_m", buy_quantity=3, free_quantity=1, sku_ids=[s.pk for s in skus.values()])

    priced = price(*[(skus[unit], quantity) for unit, quantity in lines.items()])

    assert {unit: str(off(priced, s)) for unit, s in skus.items() if off(priced, s)} == free


def test_buy_n_get_m_counts_only_the_scoped_skus():
    scoped, other = sku("10.00"), sku("1.00")
    promotion("buy_n_get_m", buy_quantity=1, free_quantity=1, sku_ids=[scoped.pk])

    priced = price((scoped, 1), (other, 5))

    assert priced.discount_total == D("0.00")


def test_a_bundle_twice_with_leftovers():
    shampoo, conditioner = sku("30.00"), sku("20.00")
    promotion("bundle_price", bundle=[(shampoo.pk, 1), (conditioner.pk, 1)], price=D("40.00"))

    priced = price((shampoo, 3), (conditioner, 2))  # two sets and one shampoo left over

    assert (off(priced, shampoo), off(priced, conditioner)) == (D("12.00"), D("8.00"))
    assert priced.payable == D("110.00")


def test_a_bundle_missing_an_item_or_dearer_than_its_items_gives_nothing():
    a, b = sku("30.00"), sku("20.00")
    promotion("bundle_price", bundle=[(a.pk, 2), (b.pk, 1)], price=D("90.00"))

    assert price((a, 1), (b, 1)).discount_total == D("0.00")  # not a full set
    assert price((a, 2), (b, 1)).discount_total == D("0.00")  # 80.00 worth: the set price is no saving


def test_category_percent_after_the_member_level_is_a_percent_of_what_is_left():
    drinks = CategoryFactory()
    tea = CategoryFactory(parent=drinks)
    green, bread = sku("100.00", tea), sku("100.00")
    level = MemberLevel.objects.create(code="gold", name="Gold", rank=2, min_growth=1000, discount_percent=5)
    promotion("category_percent", percent=D(10), category_ids=[drinks.pk])  # a sub-category counts

    priced = price((green, 1), (bread, 1), member=MemberFactory(level=level))

    assert [(d.source, d.amount) for d in priced.line(green.pk).discounts] == [
        ("level", D("5.00")),
        ("promotion", D("9.50")),
    ]
    assert off(priced, bread) == D("5.00")
    assert priced.payable == D("180.50")


@pytest.mark.parametrize(("stacks", "payable"), [(False, "140.00"), (True, "130.00")])
def test_a_promotion_that_does_not_stack_closes_its_lines_to_later_promotions(stacks, payable):
    a, b = sku("100.00"), sku("50.00")
    promotion("category_percent", percent=D(10), sku_ids=[a.pk], priority=150, stacks=stacks)
    promotion("spend_tiers", tiers=[(D(100), D(10))], priority=200)

    priced = price((a, 1), (b, 1))

    # not stacking: the tier sees only b (50.00) and gives nothing; stacking: 90 + 50 reaches it
    assert priced.payable == D(payable)


def test_a_promotion_that_does_not_stack_skips_lines_the_level_discounted():
    a = sku("100.00")
    level = MemberLevel.objects.create(code="gold", name="Gold", rank=2, min_growth=1000, discount_percent=5)
    promotion("category_percent", percent=D(10), sku_ids=[a.pk], stacks=False)

    assert price((a, 1), member=MemberFactory(level=level)).payable == D("95.00")
    assert price((a, 1), member=MemberFactory()).payable == D("90.00")


@pytest.mark.parametrize(("percent_first", "payable"), [(True, "90.00"), (False, "81.00")])
def test_promotions_apply_in_their_priority_order(percent_first, payable):
    a = sku("100.00")
    promotion("category_percent", percent=D(10), sku_ids=[a.pk], priority=150 if percent_first else 250)
    promotion("spend_tiers", tiers=[(D(100), D(10))], priority=200)

    # 10% first: 90.00 no longer reaches the tier; the tier first: 90.00, then 10% of it
    assert price((a, 1)).payable == D(payable)


@pytest.mark.parametrize(
    ("scope", "app", "pos"),
    [("both", "90.00", "90.00"), ("online", "90.00", "100.00"), ("in_store", "100.00", "90.00")],
)
def test_channel_scope(scope, app, pos):
    a = sku("100.00")
    store = LocationFactory()
    promotion("category_percent", percent=D(10), sku_ids=[a.pk], channel_scope=scope)

    assert price((a, 1), channel=Channel.APP, location_id=store.pk).payable == D(app)
    assert price((a, 1), channel=Channel.POS, location_id=store.pk).payable == D(pos)


def test_store_scope():
    a = sku("100.00")
    here, there = LocationFactory(), LocationFactory()
    promotion("category_percent", percent=D(10), sku_ids=[a.pk], store_ids=[here.pk])

    assert price((a, 1), location_id=here.pk).payable == D("90.00")
    assert price((a, 1), location_id=there.pk).payable == D("100.00")
    assert price((a, 1), location_id=None).payable == D("100.00")


@pytest.mark.parametrize(("starts", "ends"), [(1, 2), (-2, -1)])  # hours from now: not yet, already over
def test_outside_its_window_a_promotion_gives_nothing(starts, ends):
    a = sku("100.00")
    now = timezone.now()
    promotion("category_percent", percent=D(10), sku_ids=[a.pk], starts_at=now + timedelta(hours=starts),
              ends_at=now + timedelta(hours=ends))  # fmt: skip

    assert price((a, 1)).payable == D("100.00")


def test_an_inactive_promotion_gives_nothing():
    a = sku("100.00")
    promotion("category_percent", percent=D(10), sku_ids=[a.pk], activate=False)

    assert price((a, 1)).payable == D("100.00")


def test_members_in_the_campaigns_control_group_are_held_out():
    a = sku("100.00")
    campaign = Campaign.objects.create(name="双11", starts_at=timezone.now(), control_percent=50)
    promotion("category_percent", percent=D(10), sku_ids=[a.pk], campaign_id=campaign.pk)
    members = [MemberFactory() for _ in range(40)]
    held = next(m for m in members if campaign.holds_out(m.pk))
    offered = next(m for m in members if not campaign.holds_out(m.pk))

    assert price((a, 1), member=held).payable == D("100.00")
    priced = price((a, 1), member=offered)
    assert priced.payable == D("90.00")
    assert priced.line(a.pk).discounts[0].campaign_id == campaign.pk


def test_a_timed_price_takes_each_unit_down_to_it_up_to_the_member_limit():
    a = sku("50.00")
    promo = promotion("timed_price", price=D("39.90"), sku_ids=[a.pk], per_member_limit=2)

    priced = price((a, 3), member=MemberFactory())

    assert off(priced, a) == D("20.20")
    assert priced.line(a.pk).discounts[0].rule_ref == f"promotion:{promo.pk}"
    assert price((a, 3), member=None).discount_total == D("0.00")  # a per-member limit needs a member


def test_discounts_name_their_promotion():
    a = sku("100.00")
    promo = promotion("category_percent", name="春季九折", percent=D(10), sku_ids=[a.pk])

    (discount,) = price((a, 1)).line(a.pk).discounts

    assert (discount.source, discount.label, discount.rule_ref) == ("promotion", "春季九折", f"promotion:{promo.pk}")
