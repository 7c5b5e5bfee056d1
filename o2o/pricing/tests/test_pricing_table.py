"""The pricing table: discounts allocated to the fen, capped at the line, refunds that add up,
the member level as a discount line, and the delivery fee with its thresholds."""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from o2o.members.models import MemberLevel
from o2o.pricing.allocation import allocate, share_of_units
from o2o.pricing.cart import CartLine, price_cart
from o2o.pricing.models import DiscountSource
from o2o.pricing.rules import CartContext, CartDiscount, LineDiscount, RuleResult, register, unregister
from o2o.testing.factories import MemberFactory, SKUFactory

D = Decimal


def money(*values: str) -> list[Decimal]:
    return [D(v) for v in values]


@pytest.mark.parametrize(
    ("amount", "weights", "parts"),
    [
        ("1.00", ("3.33", "3.33", "3.33"), ("0.34", "0.33", "0.33")),
        ("10.00", ("3.33", "3.33", "3.33"), ("3.33", "3.33", "3.33")),  # capped: 9.99 is all there is
        ("0.02", ("3.33", "3.33", "3.33"), ("0.01", "0.01", "0.00")),
        ("0.01", ("1.00", "1.00"), ("0.01", "0.00")),
        ("5.00", ("1.00", "2.00", "7.00"), ("0.50", "1.00", "3.50")),
        ("1.00", ("0.01", "0.01", "99.98"), ("0.00", "0.00", "1.00")),
        ("0.05", ("0.01", "0.01", "0.01", "0.01", "0.01"), ("0.01", "0.01", "0.01", "0.01", "0.01")),
        ("7.77", ("2.50", "0.00", "10.00"), ("1.55", "0.00", "6.22")),
        ("0.00", ("3.00",), ("0.00",)),
    ],
)
def test_a_cart_discount_is_split_across_lines_in_proportion_to_the_fen(amount, weights, parts):
    split = allocate(D(amount), money(*weights))

    assert split == money(*parts)
    assert sum(split) == min(D(amount), sum(money(*weights)))
    assert all(D(0) <= part <= weight for part, weight in zip(split, money(*weights), strict=True))


@pytest.mark.parametrize(
    ("net", "quantity", "returns", "refunds"),
    [
        ("10.00", 3, (1, 1, 1), ("3.33", "3.34", "3.33")),
        ("8.99", 3, (1, 1, 1), ("3.00", "2.99", "3.00")),
        ("8.99", 3, (2, 1), ("5.99", "3.00")),
        ("8.99", 3, (1, 2), ("3.00", "5.99")),
        ("0.01", 2, (1, 1), ("0.01", "0.00")),
        ("0.00", 4, (3, 1), ("0.00", "0.00")),
        ("100.00", 7, (1,) * 7, ("14.29", "14.28", "14.29", "14.28", "14.29", "14.28", "14.29")),
    ],
)
def test_the_returns_of_a_line_add_up_to_its_net_whatever_their_order(net, quantity, returns, refunds):
    before, paid_back = 0, []
    for units in returns:
        paid_back.append(share_of_units(D(net), quantity, before, units))
        before += units

    assert paid_back == money(*refunds)
    assert sum(paid_back) == D(net)


def test_a_return_of_more_units_than_the_line_has_is_refused():
    with pytest.raises(ValueError):
        share_of_units(D("9.99"), 3, 2, 2)


@dataclass(frozen=True)
class FixedRule:
    """A rule answering the same discounts for every cart (a stand-in for marketing's promotions)."""

    code: str
    result: RuleResult
    source: DiscountSource = DiscountSource.PROMOTION
    priority: int = 50
    stacks: bool = True

    def evaluate(self, cart: CartContext) -> RuleResult:
        return self.result


@pytest.fixture
def rules():
    codes = []

    def add(**fields):
        codes.append(register(FixedRule(**fields)).code)

    yield add
    for code in codes:
        unregister(code)


@pytest.fixture
def three_lines(db):
    return [SKUFactory(price=D("3.33")) for _ in range(3)]


def priced(skus, quantities=None, **kwargs):
    quantities = quantities or [1] * len(skus)
    options = {"channel": "app", "location_id": None, "member": None, "fulfilment": "pickup", **kwargs}
    return price_cart(lines=[CartLine(s.pk, q) for s, q in zip(skus, quantities, strict=True)], **options)


def test_a_cart_discount_of_10_yuan_over_three_lines_of_3_33_takes_each_line_to_zero(rules, three_lines):
    rules(code="ten-off", result=RuleResult(cart=(CartDiscount(D("10.00"), "10 off"),)))

    cart = priced(three_lines)

    assert [line.discount_total for line in cart.lines] == money("3.33", "3.33", "3.33")
    assert [line.net for line in cart.lines] == money("0.00", "0.00", "0.00")
    assert (cart.subtotal, cart.discount_total, cart.payable) == (D("9.99"), D("9.99"), D("0.00"))


def test_a_cart_discount_of_1_yuan_over_three_lines_of_3_33_adds_up_exactly(rules, three_lines):
    rules(code="one-off", result=RuleResult(cart=(CartDiscount(D("1.00"), "1 off"),)))

    cart = priced(three_lines)

    assert [line.discount_total for line in cart.lines] == money("0.34", "0.33", "0.33")
    assert [line.discounts[0].rule_ref for line in cart.lines] == ["one-off"] * 3
    assert (cart.discount_total, cart.payable) == (D("1.00"), D("8.99"))


def test_a_100_percent_line_discount_is_capped_at_the_line(rules, three_lines):
    first = three_lines[0]
    rules(code="free", result=RuleResult(lines=(LineDiscount(first.pk, D("50.00"), "free"),)))

    cart = priced(three_lines, quantities=[2, 1, 1])

    assert cart.line(first.pk).discounts[0].amount == D("6.66")
    assert (cart.line(first.pk).net, cart.payable) == (D("0.00"), D("6.66"))


def test_a_rule_that_does_not_stack_leaves_discounted_lines_alone_and_closes_its_own(rules, three_lines):
    a, b, c = three_lines
    rules(code="a-first", priority=10, result=RuleResult(lines=(LineDiscount(a.pk, D("1.00"), "a"),)))
    rules(code="solo", priority=20, stacks=False, result=RuleResult(cart=(CartDiscount(D("2.00"), "solo"),)))
    rules(code="late", priority=30, result=RuleResult(cart=(CartDiscount(D("0.90"), "late"),)))

    cart = priced(three_lines)

    # solo is spread over b and c only; late only reaches a (b and c are closed by solo)
    assert [[d.rule_ref for d in line.discounts] for line in cart.lines] == [["a-first", "late"], ["solo"], ["solo"]]
    assert [line.discount_total for line in cart.lines] == money("1.90", "1.00", "1.00")
    assert cart.payable == D("6.09")


def test_rules_apply_in_priority_order_each_to_what_is_left(rules, three_lines):
    a = three_lines[0]
    rules(code="half", priority=20, result=RuleResult(lines=(LineDiscount(a.pk, D("3.00"), "3 off"),)))
    rules(code="rest", priority=10, result=RuleResult(lines=(LineDiscount(a.pk, D("3.00"), "3 off first"),)))

    line = priced([a]).line(a.pk)

    assert [(d.rule_ref, d.amount) for d in line.discounts] == [("rest", D("3.00")), ("half", D("0.33"))]


@pytest.fixture
def gold(db):
    return MemberLevel.objects.create(code="gold", name="Gold", rank=2, min_growth=1000, discount_percent=D("12.5"))


def test_the_member_level_is_a_discount_line_rounded_to_the_fen_per_line(gold, three_lines):
    member = MemberFactory(level=gold)
    skus = [three_lines[0], SKUFactory(price=D("19.90"))]

    cart = priced(skus, quantities=[3, 1], member=member)

    # 9.99 x 12.5% = 1.24875 -> 1.25; 19.90 x 12.5% = 2.4875 -> 2.49
    assert [[(d.source, d.label, d.amount, d.rule_ref) for d in line.discounts] for line in cart.lines] == [
        [("level", "Gold会员价", D("1.25"), "level:gold")],
        [("level", "Gold会员价", D("2.49"), "level:gold")],
    ]
    assert (cart.subtotal, cart.discount_total, cart.payable) == (D("29.89"), D("3.74"), D("26.15"))


def test_no_level_no_discount_and_no_query_for_a_level(three_lines, django_assert_num_queries):
    member = MemberFactory()

    with django_assert_num_queries(1):  # the prices, nothing else
        cart = priced(three_lines, member=member, fulfilment="delivery")

    assert (cart.discount_total, cart.delivery_fee, cart.payable) == (D("0.00"), D("8.00"), D("17.99"))
    assert all(line.discounts == () for line in cart.lines)


def test_prices_read_by_the_caller_cost_no_query_at_all(three_lines):
    with CaptureQueriesContext(connection) as queries:
        cart = priced(three_lines, prices={s.pk: D("1.00") for s in three_lines})

    assert (len(queries), cart.payable) == (0, D("3.00"))


@pytest.mark.parametrize(
    ("fulfilment", "price", "quantity", "level_discount", "free_delivery", "fee"),
    [
        ("pickup", "10.00", 1, "0", False, "0.00"),
        ("in_store", "10.00", 1, "0", False, "0.00"),
        ("delivery", "10.00", 1, "0", False, "8.00"),
        ("delivery", "98.99", 1, "0", False, "8.00"),
        ("delivery", "99.00", 1, "0", False, "0.00"),
        ("delivery", "33.00", 3, "0", False, "0.00"),
        ("delivery", "10.00", 1, "5", True, "0.00"),
        ("delivery", "100.00", 1, "10", False, "8.00"),  # free from 99 of *net* goods: 90 is not enough
    ],
)
def test_the_delivery_fee_and_its_free_thresholds(db, fulfilment, price, quantity, level_discount, free_delivery, fee):
    level = MemberLevel.objects.create(
        code="l", name="L", rank=1, min_growth=1, discount_percent=D(level_discount), free_delivery=free_delivery
    )
    member = MemberFactory(level=level)

    cart = priced([SKUFactory(price=D(price))], [quantity], member=member, fulfilment=fulfilment)

    assert cart.delivery_fee == D(fee)
    assert cart.payable == cart.subtotal - cart.discount_total + D(fee)


def test_the_delivery_fee_and_threshold_are_settings(three_lines, settings):
    settings.O2O_DELIVERY_FEE = D("5.50")
    settings.O2O_FREE_DELIVERY_FROM = D("9.99")

    assert priced(three_lines[:2], fulfilment="delivery").delivery_fee == D("5.50")
    assert priced(three_lines, fulfilment="delivery").delivery_fee == D("0.00")
