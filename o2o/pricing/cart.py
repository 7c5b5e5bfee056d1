"""`price_cart`: one price for a cart, wherever it is sold (app, storefront, counter, quote).

List prices come from the catalogue (the store's own price, else the chain-wide one), then the
registered rules (`o2o.pricing.rules`) take their discounts off, then the delivery fee is added.
The result says, line by line, the list price, each discount with its source and label, and the
net; and for the cart the subtotal, the discounts, the delivery fee and what is payable.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings

from o2o.catalog.selectors import unit_prices
from o2o.core.money import to_money
from o2o.pricing.allocation import allocate
from o2o.pricing.rules import CartContext, CartDiscount, ContextLine, LineDiscount, Rule, RuleResult, registered

if TYPE_CHECKING:
    from o2o.catalog.models import SKU
    from o2o.members.models import Member

DELIVERY = "delivery"  # orders.Fulfilment.DELIVERY (orders sits above pricing)
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class CartLine:
    sku_id: int
    quantity: int


@dataclass(frozen=True)
class Discount:
    source: str
    amount: Decimal
    label: str
    rule_ref: str
    campaign_id: int | None = None


@dataclass(frozen=True)
class PricedLine:
    sku_id: int
    quantity: int
    unit_price: Decimal  # list price
    gross: Decimal  # unit_price x quantity
    discounts: tuple[Discount, ...]
    discount_total: Decimal
    net: Decimal


@dataclass(frozen=True)
class PricedCart:
    lines: tuple[PricedLine, ...]
    subtotal: Decimal  # sum of gross
    discount_total: Decimal
    delivery_fee: Decimal
    payable: Decimal

    @property
    def net(self) -> Decimal:
        """What the goods cost after discounts (payable without the delivery fee)."""
        return self.subtotal - self.discount_total

    def line(self, sku_id: int) -> PricedLine:
        return next(line for line in self.lines if line.sku_id == sku_id)


def price_cart(
    *,
    lines: list[CartLine],
    channel: str,
    location_id: int | None,
    member: "Member | None",
    fulfilment: str,
    prices: Mapping[int, Decimal] | None = None,
    skus: Mapping[int, "SKU"] | None = None,
    extra_rules: Sequence[Rule] = (),
    coupon_ids: Sequence[int] = (),
    offer: str = "",
) -> PricedCart:
    """Price the cart; `location_id` None prices at chain-wide prices (a cart before a store is chosen).

    `prices` (list prices) and `skus` may be passed by a caller that read them already (placing an
    order reads SKUs and prices in one query); otherwise the prices are read here. Quantities of
    the same SKU are added up. Unknown SKUs or SKUs without a price raise a DomainError.
    `extra_rules` apply to this cart only (a manual discount), in priority order with the registered ones.
    `coupon_ids` and `offer` are the offers the customer chose (see `CartContext`).
    """
    wanted: dict[int, int] = {}
    for line in lines:
        wanted[line.sku_id] = wanted.get(line.sku_id, 0) + line.quantity
    if prices is None:
        prices = unit_prices(sku_ids=set(wanted), channel=channel, location_id=location_id) if wanted else {}
    context = CartContext(
        channel=channel,
        location_id=location_id,
        member=member,
        fulfilment=fulfilment,
        lines=tuple(_context_line(sku_id, quantity, prices[sku_id]) for sku_id, quantity in wanted.items()),
        skus=skus or {},
        coupon_ids=tuple(dict.fromkeys(coupon_ids)),
        offer=offer,
    )
    discounts: dict[int, list[Discount]] = {sku_id: [] for sku_id in wanted}
    closed: set[int] = set()
    for rule in sorted([*registered(), *extra_rules], key=lambda rule: (rule.priority, rule.code)):
        context = _apply(rule, context, discounts, closed)
    priced = tuple(_priced_line(line, tuple(discounts[line.sku_id])) for line in context.lines)
    subtotal = sum((line.gross for line in priced), ZERO)
    discount_total = sum((line.discount_total for line in priced), ZERO)
    fee = delivery_fee(net=subtotal - discount_total, fulfilment=fulfilment, context=context)
    return PricedCart(priced, subtotal, discount_total, fee, subtotal - discount_total + fee)


def _context_line(sku_id: int, quantity: int, unit_price: Decimal) -> ContextLine:
    gross = to_money(unit_price * quantity)
    return ContextLine(sku_id, quantity, unit_price, gross, gross, False)


def _priced_line(line: ContextLine, discounts: tuple[Discount, ...]) -> PricedLine:
    taken = sum((d.amount for d in discounts), ZERO)
    return PricedLine(line.sku_id, line.quantity, line.unit_price, line.gross, discounts, taken, line.gross - taken)


def _apply(rule: Rule, context: CartContext, discounts: dict[int, list[Discount]], closed: set[int]) -> CartContext:
    """Evaluate one rule against what is left and book its discounts (capped, allocated)."""
    # A rule that does not stack sees only the lines nothing was taken off yet; lines a
    # non-stacking rule discounted are closed to every later rule.
    open_lines = tuple(
        line for line in context.lines if line.sku_id not in closed and (rule.stacks or not line.discounted)
    )
    if not open_lines:
        return context
    result: RuleResult = rule.evaluate(replace(context, lines=open_lines))
    nets = {line.sku_id: line.net for line in open_lines}
    taken: set[int] = set()
    for given in result.lines:
        if given.sku_id in nets:
            _book(rule, given.sku_id, given.amount, given, nets, taken, discounts)
    for given in result.cart:
        over = [s for s in nets if given.sku_ids is None or s in given.sku_ids]
        for sku_id, share in zip(over, allocate(given.amount, [nets[s] for s in over]), strict=True):
            _book(rule, sku_id, share, given, nets, taken, discounts)
    if not rule.stacks:
        closed |= taken
    return replace(
        context,
        lines=tuple(
            replace(line, net=nets[line.sku_id], discounted=True) if line.sku_id in taken else line
            for line in context.lines
        ),
    )


def _book(rule: Rule, sku_id: int, amount: Decimal, given: LineDiscount | CartDiscount, nets, taken, discounts) -> None:
    amount = min(to_money(amount), nets[sku_id])  # never below 0
    if amount <= 0:
        return
    nets[sku_id] -= amount
    taken.add(sku_id)
    discounts[sku_id].append(Discount(rule.source, amount, given.label, given.rule_ref or rule.code, given.campaign_id))


def delivery_fee(*, net: Decimal, fulfilment: str, context: CartContext) -> Decimal:
    """O2O_DELIVERY_FEE for a delivery, free from O2O_FREE_DELIVERY_FROM of net goods or for a
    level with free delivery; nothing for pickup and in-store sales."""
    if fulfilment != DELIVERY:
        return ZERO
    if net >= settings.O2O_FREE_DELIVERY_FROM:
        return ZERO
    level = context.level()
    if level is not None and level.free_delivery:
        return ZERO
    return to_money(settings.O2O_DELIVERY_FEE)
