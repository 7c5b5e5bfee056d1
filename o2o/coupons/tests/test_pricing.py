"""The coupon pricing rule, kind by kind and scope by scope, priced by `price_cart` as every
checkout prices (storefront, counter, quote, order)."""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from o2o.core.errors import DomainError
from o2o.coupons.models import Coupon, CouponState
from o2o.coupons.tests.conftest import window
from o2o.members.models import MemberLevel
from o2o.pricing.cart import CartLine, price_cart
from o2o.pricing.models import Campaign, DiscountSource
from o2o.pricing.rules import CartContext, CartDiscount, RuleResult, register, unregister
from o2o.testing.factories import CategoryFactory, LocationFactory, MemberFactory, ProductFactory, SKUFactory

pytestmark = pytest.mark.django_db
D = Decimal


def priced(member, coupon, skus, quantities=None, *, channel="app", location=None):
    quantities = quantities or [1] * len(skus)
    return price_cart(
        lines=[CartLine(s.pk, q) for s, q in zip(skus, quantities, strict=True)],
        channel=channel,
        location_id=location.pk if location else None,
        member=member,
        fulfilment="pickup",
        coupon_ids=[coupon.pk] if coupon else [],
    )


def coupon_lines(cart):
    return [[(d.amount, d.rule_ref) for d in line.discounts if d.source == "coupon"] for line in cart.lines]


def test_amount_off_is_spread_over_the_lines_to_the_fen_with_rule_ref_and_campaign(member, coupon_of):
    campaign = Campaign.objects.create(name="Spring", starts_at=timezone.now())
    coupon = coupon_of(member, amount=D("10.00"), campaign_id=campaign.pk)
    skus = [SKUFactory(price=D("30.00")), SKUFactory(price=D("15.00"))]

    cart = priced(member, coupon, skus)

    assert coupon_lines(cart) == [[(D("6.67"), f"coupon:{coupon.pk}")], [(D("3.33"), f"coupon:{coupon.pk}")]]
    assert {d.campaign_id for line in cart.lines for d in line.discounts} == {campaign.pk}
    assert (cart.discount_total, cart.payable) == (D("10.00"), D("35.00"))


def test_amount_off_never_takes_a_cart_below_zero(member, coupon_of):
    coupon = coupon_of(member, amount=D("50.00"))

    cart = priced(member, coupon, [SKUFactory(price=D("12.34"))])

    assert (cart.discount_total, cart.payable) == (D("12.34"), D("0.00"))


@pytest.mark.parametrize(
    ("percent", "cap", "price", "off"),
    [
        (15, None, "33.33", "5.00"),  # 4.9995 -> 5.00
        (15, "3.00", "33.33", "3.00"),  # capped
        (50, "100.00", "0.03", "0.02"),  # 0.015 -> 0.02 half up
    ],
)
def test_percent_off_with_its_cap(member, coupon_of, percent, cap, price, off):
    coupon = coupon_of(member, kind="percent_off", percent=percent, cap=D(cap) if cap else None)

    cart = priced(member, coupon, [SKUFactory(price=D(price))])

    assert cart.discount_total == D(off)


@pytest.mark.parametrize(("price", "off"), [("99.99", "0.00"), ("100.00", "20.00"), ("250.00", "20.00")])
def test_threshold_spend_100_save_20(member, coupon_of, price, off):
    coupon = coupon_of(member, kind="threshold", amount=D("20.00"), min_spend=D("100.00"))

    cart = priced(member, coupon, [SKUFactory(price=D(price))])

    assert cart.discount_total == D(off)


def test_free_item_takes_one_unit_of_the_free_sku_off_its_line(member, coupon_of):
    gift, other = SKUFactory(price=D("8.50")), SKUFactory(price=D("20.00"))
    coupon = coupon_of(member, kind="free_item", free_sku_id=gift.pk)

    cart = priced(member, coupon, [gift, other], [3, 1])

    assert coupon_lines(cart) == [[(D("8.50"), f"coupon:{coupon.pk}")], []]
    assert cart.payable == D("37.00")


def test_free_item_gives_nothing_when_the_free_sku_is_not_in_the_cart(member, coupon_of):
    coupon = coupon_of(member, kind="free_item", free_sku_id=SKUFactory(price=D("8.50")).pk)

    cart = priced(member, coupon, [SKUFactory(price=D("20.00"))])

    assert cart.discount_total == D("0.00")


@pytest.mark.parametrize(
    ("scope", "channel", "off"),
    [
        ("online", "app", "10.00"),
        ("online", "share_link", "10.00"),
        ("online", "pos", "0.00"),
        ("in_store", "pos", "10.00"),
        ("in_store", "h5", "0.00"),
        ("both", "pos", "10.00"),
        ("both", "app", "10.00"),
    ],
)
def test_channel_scope(member, coupon_of, scope, channel, off):
    coupon = coupon_of(member, channel_scope=scope)

    cart = priced(member, coupon, [SKUFactory(price=D("30.00"))], channel=channel, location=LocationFactory())

    assert cart.discount_total == D(off)


def test_store_scope_applies_only_at_the_named_stores(member, coupon_of, store, other_store):
    coupon = coupon_of(member, location_ids=[store.pk])
    sku = SKUFactory(price=D("30.00"))

    assert priced(member, coupon, [sku], location=store).discount_total == D("10.00")
    assert priced(member, coupon, [sku], location=other_store).discount_total == D("0.00")
    assert priced(member, coupon, [sku], location=None).discount_total == D("0.00")


def test_category_scope_covers_sub_categories_and_only_their_lines(member, coupon_of):
    drinks = CategoryFactory()
    tea = CategoryFactory(parent=drinks)
    in_scope = SKUFactory(price=D("30.00"), product=ProductFactory(category=tea))
    outside = SKUFactory(price=D("30.00"))
    coupon = coupon_of(member, kind="percent_off", percent=10, category_ids=[drinks.pk])

    cart = priced(member, coupon, [in_scope, outside])

    assert coupon_lines(cart) == [[(D("3.00"), f"coupon:{coupon.pk}")], []]


def test_sku_scope_and_min_spend_count_only_the_lines_in_scope(member, coupon_of):
    wanted, other = SKUFactory(price=D("40.00")), SKUFactory(price=D("100.00"))
    coupon = coupon_of(member, kind="threshold", amount=D("5.00"), min_spend=D("50.00"), sku_ids=[wanted.pk])

    assert priced(member, coupon, [wanted, other]).discount_total == D("0.00")  # 40 in scope < 50
    cart = priced(member, coupon, [wanted, other], [2, 1])
    assert coupon_lines(cart) == [[(D("5.00"), f"coupon:{coupon.pk}")], []]


@dataclass(frozen=True)
class TenPercentPromotion:
    """A promotion-like automatic rule (priority 200, before coupons)."""

    code: str = "test-promotion"
    source: DiscountSource = DiscountSource.PROMOTION
    priority: int = 200
    stacks: bool = True

    def evaluate(self, cart: CartContext) -> RuleResult:
        return RuleResult(cart=(CartDiscount(cart.net / 10, "10% promotion"),))


@pytest.fixture
def promotion():
    register(TenPercentPromotion())
    yield
    unregister("test-promotion")


def test_a_coupon_stacks_after_the_level_and_a_promotion_on_what_is_left(coupon_of, promotion):
    level = MemberLevel.objects.create(code="gold", name="Gold", rank=2, min_growth=1000, discount_percent=D("10"))
    member = MemberFactory(level=level)
    coupon = coupon_of(member, kind="threshold", amount=D("10.00"), min_spend=D("80.00"))

    cart = priced(member, coupon, [SKUFactory(price=D("100.00"))])

    # 100 - 10 (level) = 90 - 9 (promotion) = 81 >= 80: the coupon takes 10 off -> 71
    assert [(d.source, d.amount) for d in cart.lines[0].discounts] == [
        ("level", D("10.00")),
        ("promotion", D("9.00")),
        ("coupon", D("10.00")),
    ]
    assert cart.payable == D("71.00")


def test_min_spend_is_on_the_net_after_earlier_discounts(coupon_of, promotion):
    member = MemberFactory()
    coupon = coupon_of(member, kind="threshold", amount=D("10.00"), min_spend=D("100.00"))

    cart = priced(member, coupon, [SKUFactory(price=D("105.00"))])  # 105 - 10.50 = 94.50 < 100

    assert [d.source for d in cart.lines[0].discounts] == ["promotion"]


def test_a_coupon_that_is_used_void_expired_not_yet_valid_or_someone_elses_gives_nothing(member, template, coupon_of):
    sku = SKUFactory(price=D("30.00"))
    used = coupon_of(member, reference="a")
    Coupon.objects.filter(pk=used.pk).update(state=CouponState.USED, order_id=1, used_at=timezone.now())
    void = coupon_of(member, reference="b")
    Coupon.objects.filter(pk=void.pk).update(state=CouponState.VOID)
    expired = coupon_of(member, template(**window(-10, 1)))
    Coupon.objects.filter(pk=expired.pk).update(valid_until=timezone.now())
    early = coupon_of(member, template(**window(1, 10)))
    theirs = coupon_of(MemberFactory(), reference="c")

    for coupon in (used, void, expired, early, theirs):
        assert priced(member, coupon, [sku]).discount_total == D("0.00")
    assert priced(None, theirs, [sku]).discount_total == D("0.00")


def test_one_coupon_per_order(member, coupon_of):
    first, second = coupon_of(member, reference="a"), coupon_of(member, reference="b")

    with pytest.raises(DomainError) as refused:
        price_cart(
            lines=[CartLine(SKUFactory().pk, 1)],
            channel="app",
            location_id=None,
            member=member,
            fulfilment="pickup",
            coupon_ids=[first.pk, second.pk],
        )

    assert refused.value.code == "invalid"


def test_no_coupon_chosen_costs_no_query(member):
    sku = SKUFactory(price=D("30.00"))

    with CaptureQueriesContext(connection) as queries:
        price_cart(
            lines=[CartLine(sku.pk, 1)],
            channel="app",
            location_id=None,
            member=member,
            fulfilment="pickup",
            prices={sku.pk: D("30.00")},
        )

    assert [q["sql"] for q in queries if "coupon" in q["sql"]] == []


def test_a_chosen_coupon_costs_one_query_and_one_more_for_a_category_scope(member, coupon_of):
    sku = SKUFactory(price=D("30.00"))
    plain = coupon_of(member, reference="a")
    scoped = coupon_of(member, reference="b", category_ids=[sku.product.category_id])

    for coupon, expected in ((plain, 1), (scoped, 2)):
        with CaptureQueriesContext(connection) as queries:
            cart = price_cart(
                lines=[CartLine(sku.pk, 1)],
                channel="app",
                location_id=None,
                member=member,
                fulfilment="pickup",
                prices={sku.pk: D("30.00")},
                coupon_ids=[coupon.pk],
            )
        assert (len(queries), cart.discount_total) == (expected, D("10.00"))
