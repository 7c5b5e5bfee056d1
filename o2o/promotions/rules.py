"""The pricing rule of automatic promotions: one registered rule, `AutomaticPromotions` (code
"promotions", source promotion, priority 200: after the member level, before coupons).

It applies every active promotion that fits the cart (channel, store, window, the member not held
out by the campaign's control group) in the promotions' own order (`priority`, then id), with the
semantics `price_cart` gives rules (o2o/pricing/rules.py), one level down:

- each promotion sees every line's remaining net (after the level discount and the promotions
  before it), so a percentage is a percentage of what is left;
- a promotion that does not stack only discounts lines nothing was taken off yet (by the level
  or an earlier promotion), and the lines it discounts take no later promotion.

The rule itself stacks (it sees lines the level discounted); whether a coupon applies after a
promotion is that coupon's own `stacks` choice. Each discount carries rule_ref "promotion:<id>",
the campaign id and the promotion's name as its label.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from o2o.catalog.models import SKU
from o2o.core.money import to_money
from o2o.pricing.allocation import allocate
from o2o.pricing.models import DiscountSource, in_control_group
from o2o.pricing.rules import NOTHING, CartContext, LineDiscount, RuleResult
from o2o.promotions import cache
from o2o.promotions.cache import Snapshot
from o2o.promotions.models import ChannelScope, MemberUsage, PromotionKind

ZERO = Decimal("0.00")


@dataclass
class _Line:
    sku_id: int
    quantity: int
    net: Decimal
    discounted: bool
    closed: bool = False

    @property
    def unit_value(self) -> Decimal:
        return self.net / self.quantity


@dataclass(frozen=True)
class AutomaticPromotions:
    code: str = "promotions"
    source: DiscountSource = DiscountSource.PROMOTION
    priority: int = 200
    stacks: bool = True

    def evaluate(self, cart: CartContext) -> RuleResult:
        promotions = cache.active()
        if not promotions:
            return NOTHING
        return apply_promotions(promotions, cart)


@dataclass(frozen=True)
class DraftPromotion:
    """A promotion not saved yet, priced after the active ones (the marketer's preview)."""

    promotion: Snapshot
    code: str = "promotions-draft"
    source: DiscountSource = DiscountSource.PROMOTION
    priority: int = 200
    stacks: bool = True

    def evaluate(self, cart: CartContext) -> RuleResult:
        return apply_promotions((self.promotion,), cart, check_window=False)


def offered_here(promotion: Snapshot, *, channel: str, location_id: int | None, now=None) -> bool:
    """Whether the promotion runs on this channel at this store (and now, when given)."""
    if not ChannelScope.fits(promotion.channel_scope, channel):
        return False
    if promotion.store_ids and location_id not in promotion.store_ids:
        return False
    return now is None or promotion.open_at(now)


def fits(promotion: Snapshot, *, channel: str, location_id: int | None, member_id: int | None, now=None) -> bool:
    """Whether the promotion is offered here and now to this member (before looking at the cart)."""
    if not offered_here(promotion, channel=channel, location_id=location_id, now=now):
        return False
    if promotion.per_member_limit and member_id is None:
        return False  # a limit per member needs a member to count against
    if promotion.campaign_id and promotion.control_percent:
        return not in_control_group(
            campaign_id=promotion.campaign_id, control_percent=promotion.control_percent, member_id=member_id
        )
    return True


def apply_promotions(promotions: Iterable[Snapshot], cart: CartContext, *, check_window: bool = True) -> RuleResult:
    now = timezone.now() if check_window else None
    member_id = cart.member.pk if cart.member is not None else None
    fitting = [
        p
        for p in promotions
        if fits(p, channel=cart.channel, location_id=cart.location_id, member_id=member_id, now=now)
    ]
    if not fitting:
        return NOTHING
    lines = {line.sku_id: _Line(line.sku_id, line.quantity, line.net, line.discounted) for line in cart.lines}
    categories = _categories(cart) if any(p.category_ids for p in fitting) else {}
    given: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    by_id = {p.id: p for p in fitting}
    for promotion in fitting:
        open_lines = [
            line
            for line in lines.values()
            if not line.closed and (promotion.stacks or not line.discounted) and _in_scope(promotion, line, categories)
        ]
        if not open_lines:
            continue
        for sku_id, amount in _amounts(promotion, open_lines, member_id).items():
            line = lines[sku_id]
            amount = min(to_money(amount), line.net)
            if amount <= 0:
                continue
            line.net -= amount
            line.discounted = True
            line.closed = line.closed or not promotion.stacks
            given[(promotion.id, sku_id)] += amount
    return RuleResult(
        lines=tuple(
            LineDiscount(sku_id, amount, by_id[pid].name, by_id[pid].rule_ref, by_id[pid].campaign_id)
            for (pid, sku_id), amount in given.items()
        )
    )


def _in_scope(promotion: Snapshot, line: _Line, categories: dict[int, int | None]) -> bool:
    if promotion.kind == PromotionKind.BUNDLE_PRICE:
        return any(sku_id == line.sku_id for sku_id, _ in promotion.bundle)
    if not promotion.sku_ids and not promotion.category_ids:
        return True
    return line.sku_id in promotion.sku_ids or categories.get(line.sku_id) in promotion.category_ids


def _categories(cart: CartContext) -> dict[int, int | None]:
    """Each line's category: from the SKUs the caller read with their product, else one query."""
    found: dict[int, int | None] = {}
    for line in cart.lines:
        sku = cart.skus.get(line.sku_id)
        if sku is not None and SKU.product.is_cached(sku):
            found[line.sku_id] = sku.product.category_id
    if missing := [line.sku_id for line in cart.lines if line.sku_id not in found]:
        found.update(SKU.objects.filter(pk__in=missing).values_list("pk", "product__category_id"))
    return found


def _amounts(promotion: Snapshot, lines: Sequence[_Line], member_id: int | None) -> dict[int, Decimal]:
    if promotion.kind == PromotionKind.TIMED_PRICE:
        return _timed_price(promotion, lines, member_id)
    return _BY_KIND[promotion.kind](promotion, lines)


def _spend_tiers(promotion: Snapshot, lines: Sequence[_Line]) -> dict[int, Decimal]:
    spent = sum((line.net for line in lines), ZERO)
    reached = [off for threshold, off in promotion.tiers if spent >= threshold]
    if not reached:
        return {}
    return dict(zip([line.sku_id for line in lines], allocate(reached[-1], [line.net for line in lines]), strict=True))


def _buy_n_get_m(promotion: Snapshot, lines: Sequence[_Line]) -> dict[int, Decimal]:
    group = (promotion.buy_quantity or 0) + (promotion.free_quantity or 0)
    free = sum(line.quantity for line in lines) // group * (promotion.free_quantity or 0)
    amounts: dict[int, Decimal] = {}
    for line in sorted(lines, key=lambda line: (line.unit_value, line.sku_id)):  # the cheapest units go free
        if free <= 0:
            break
        units = min(free, line.quantity)
        free -= units
        amounts[line.sku_id] = to_money(line.unit_value * units)
    return amounts


def _bundle_price(promotion: Snapshot, lines: Sequence[_Line]) -> dict[int, Decimal]:
    present = {line.sku_id: line for line in lines}
    if any(sku_id not in present for sku_id, _ in promotion.bundle) or not promotion.bundle:
        return {}
    sets = min(present[sku_id].quantity // quantity for sku_id, quantity in promotion.bundle)
    if sets <= 0:
        return {}
    worth = [present[sku_id].unit_value * quantity * sets for sku_id, quantity in promotion.bundle]
    saving = to_money(sum(worth, Decimal(0))) - (promotion.price or ZERO) * sets
    if saving <= 0:
        return {}
    parts = allocate(saving, [to_money(w) for w in worth])
    return {sku_id: part for (sku_id, _), part in zip(promotion.bundle, parts, strict=True)}


def _category_percent(promotion: Snapshot, lines: Sequence[_Line]) -> dict[int, Decimal]:
    rate = (promotion.percent or ZERO) / 100
    return {line.sku_id: to_money(line.net * rate) for line in lines}


def _timed_price(promotion: Snapshot, lines: Sequence[_Line], member_id: int | None) -> dict[int, Decimal]:
    """The timed price on every unit, or on as many as the member has left of a per-member limit
    (one query, only when such a promotion meets its SKU in the cart)."""
    left = None
    if promotion.per_member_limit:
        used = MemberUsage.objects.filter(promotion_id=promotion.id, member_id=member_id).values_list(
            "units", flat=True
        )
        left = promotion.per_member_limit - (used.first() or 0)
    amounts = {}
    for line in sorted(lines, key=lambda line: line.sku_id):
        units = line.quantity if left is None else min(line.quantity, left)
        above = line.unit_value - (promotion.price or ZERO)
        if units > 0 and above > 0:
            amounts[line.sku_id] = to_money(above * units)
            left = None if left is None else left - units
    return amounts


_BY_KIND = {
    PromotionKind.SPEND_TIERS: _spend_tiers,
    PromotionKind.BUY_N_GET_M: _buy_n_get_m,
    PromotionKind.BUNDLE_PRICE: _bundle_price,
    PromotionKind.CATEGORY_PERCENT: _category_percent,
}
