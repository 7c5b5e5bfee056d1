"""The rule registry: what may take money off a cart.

A rule is an object with a `code` (kept as `rule_ref` on the discount lines it gives), a `source`
(promotion, coupon, level, manual), a `priority` (lower runs first) and `stacks` (whether it
combines with other discounts), and one method, `evaluate(cart) -> RuleResult`, which reads the
cart context and answers line discounts, cart-level discounts, or nothing. Rules never write and
should not query the database when they cannot apply (the order path counts its statements).

Marketing (an app above orders) registers its promotions and coupons here with `register(rule)`
from its `AppConfig.ready`, so orders never imports upward. Built in: the member level benefit.

How rules combine (`o2o.pricing.cart.price_cart` applies them in priority order, then by code):

- each rule sees every line's *remaining* net (after the rules before it), so a percentage
  taken after another discount is a percentage of what is left;
- a line discount is capped at the line's remaining net (a line never goes below 0);
- a cart-level discount is capped at the remaining net of its lines and split across them in
  proportion to their remaining net, to the fen, largest remainder (it adds up exactly);
- a rule that does not stack only discounts lines no earlier rule discounted, and the lines it
  discounts take no later discount.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from django.utils.translation import gettext as _

from o2o.core.errors import DomainError, ErrorCode
from o2o.core.money import to_money
from o2o.pricing.models import DiscountSource

if TYPE_CHECKING:
    from o2o.catalog.models import SKU
    from o2o.members.models import Member, MemberLevel


@dataclass(frozen=True)
class ContextLine:
    sku_id: int
    quantity: int
    unit_price: Decimal  # list price
    gross: Decimal
    net: Decimal  # what is left after the rules applied so far
    discounted: bool  # an earlier rule took something off it


@dataclass(frozen=True)
class CartContext:
    """What a rule may read. Read-only: rules answer discounts, they never change the cart."""

    channel: str
    location_id: int | None
    member: "Member | None"
    fulfilment: str
    lines: tuple[ContextLine, ...]
    skus: Mapping[int, "SKU"] = field(default_factory=dict)  # the lines' SKUs when the caller has them
    # Offers the customer chose for this cart: coupons of theirs to redeem, and the special offer
    # they are buying through, as "<kind>:<id>" ("flash:7" a flash sale, "group:3" a group buy,
    # "chain:5" a chain sign-up). The app owning a kind registers the rule that prices it and the
    # claimer that takes it (o2o.pricing.claims); rules check the choice is valid for this member.
    # Automatic promotions need no choice.
    coupon_ids: tuple[int, ...] = ()
    offer: str = ""

    @property
    def net(self) -> Decimal:
        return sum((line.net for line in self.lines), Decimal(0))

    def level(self) -> "MemberLevel | None":
        """The member's level; no query when the member has none (or it was read with the member)."""
        if self.member is None or self.member.level_id is None:
            return None
        return self.member.level


@dataclass(frozen=True)
class LineDiscount:
    sku_id: int
    amount: Decimal
    label: str
    rule_ref: str = ""  # what exactly gave it (a coupon's id...); empty: the rule's code
    campaign_id: int | None = None  # the campaign the offer belongs to (attribution)


@dataclass(frozen=True)
class CartDiscount:
    amount: Decimal
    label: str
    sku_ids: frozenset[int] | None = None  # the lines it is spread over; None: every line
    rule_ref: str = ""
    campaign_id: int | None = None


@dataclass(frozen=True)
class RuleResult:
    lines: tuple[LineDiscount, ...] = ()
    cart: tuple[CartDiscount, ...] = ()


NOTHING = RuleResult()


class Rule(Protocol):
    code: str
    source: DiscountSource
    priority: int
    stacks: bool

    def evaluate(self, cart: CartContext) -> RuleResult: ...


# Special offers' prices (flash sale, group buy, chain sign-up) run first and take no other discount.
OFFER_PRIORITY = 50


def offer_id(offer: str, kind: str) -> int | None:
    """The id of the special offer "<kind>:<id>", or None for another kind (or no offer)."""
    prefix, _sep, raw = offer.partition(":")
    if prefix != kind:
        return None
    if not raw.isdigit() or not 0 < int(raw) < 2**63:
        raise DomainError(ErrorCode.INVALID, "unknown offer", offer=offer)
    return int(raw)


def special_prices(
    cart: CartContext, prices: Mapping[int, Decimal], label: str, ref: str, campaign_id: int | None = None
) -> RuleResult:
    """Each line of a SKU in `prices` down to that unit price (never up: a line dearer than the
    list price stays at the list price)."""
    discounts = []
    for line in cart.lines:
        price = prices.get(line.sku_id)
        if price is None:
            continue
        amount = to_money(min(line.net, (line.unit_price - price) * line.quantity))
        if amount > 0:
            discounts.append(LineDiscount(line.sku_id, amount, label, ref, campaign_id))
    return RuleResult(lines=tuple(discounts))


_rules: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    """Add a rule (or replace the one with the same code)."""
    if rule.source not in DiscountSource.values:
        raise ValueError(f"unknown discount source {rule.source!r}")
    _rules[rule.code] = rule
    return rule


def unregister(code: str) -> None:
    _rules.pop(code, None)


def registered() -> list[Rule]:
    return sorted(_rules.values(), key=lambda rule: (rule.priority, rule.code))


@dataclass(frozen=True)
class LevelBenefit:
    """The member level's discount: its percentage off every line, rounded to the fen per line."""

    code: str = "level"
    source: DiscountSource = DiscountSource.LEVEL
    priority: int = 100
    stacks: bool = True

    def evaluate(self, cart: CartContext) -> RuleResult:
        level = cart.level()
        if level is None or not level.discount_percent:
            return NOTHING
        label = _("%(level)s member price") % {"level": level.name}
        rate = Decimal(level.discount_percent) / 100
        return RuleResult(
            lines=tuple(
                LineDiscount(line.sku_id, to_money(line.net * rate), label, f"level:{level.code}")
                for line in cart.lines
                if to_money(line.net * rate) > 0
            )
        )


register(LevelBenefit())


@dataclass(frozen=True)
class ManualDiscount:
    """A store manager's discount at the counter for one sale: an amount off the whole cart, spread
    over the lines like any cart discount, after every registered rule (it is not registered: the
    order service passes it for the one sale it was given for, once permission was checked)."""

    amount: Decimal
    reason: str
    code: str = "manual"
    source: DiscountSource = DiscountSource.MANUAL
    priority: int = 10_000
    stacks: bool = True

    def evaluate(self, cart: CartContext) -> RuleResult:
        label = _("Manual discount: %(reason)s") % {"reason": self.reason}
        return RuleResult(cart=(CartDiscount(to_money(self.amount), label),))
