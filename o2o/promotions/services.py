"""Writes of automatic promotions: create (validated per kind), switch on and off, preview a draft,
and the claim of a timed price's per-member limit when an order is placed with it.

Every write bumps the promotions version in its transaction (`cache.bump`), so every process prices
with the change at once (see o2o/promotions/cache.py). Rules: docs/promotions.md.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import F

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.catalog.models import SKU, Category
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.core.money import to_money
from o2o.pricing.cart import CartLine, PricedCart, price_cart
from o2o.pricing.claims import PlacedOrder
from o2o.pricing.models import Campaign
from o2o.promotions import cache
from o2o.promotions.cache import Snapshot
from o2o.promotions.models import (
    PRIORITY_MAX,
    PRIORITY_MIN,
    BundleItem,
    ChannelScope,
    MemberUsage,
    Promotion,
    PromotionKind,
    PromotionTier,
    UsageClaim,
)
from o2o.promotions.rules import DraftPromotion
from o2o.stores.models import Location

MAX_TIERS = 10
MAX_BUNDLE_ITEMS = 20
MAX_UNITS = 1000
MAX_SCOPE = 500


@dataclass(frozen=True)
class PromotionSpec:
    """A promotion as a marketer asks for it; `validate` says what is wrong, field by field."""

    name: str
    kind: str
    starts_at: datetime
    ends_at: datetime | None = None
    channel_scope: str = ChannelScope.BOTH
    store_ids: tuple[int, ...] = ()
    sku_ids: tuple[int, ...] = ()
    category_ids: tuple[int, ...] = ()
    priority: int = 200
    stacks: bool = True
    campaign_id: int | None = None
    tiers: tuple[tuple[Decimal, Decimal], ...] = ()  # (spend at least, save)
    buy_quantity: int | None = None
    free_quantity: int | None = None
    bundle: tuple[tuple[int, int], ...] = ()  # (sku id, quantity per set)
    percent: Decimal | None = None
    price: Decimal | None = None
    per_member_limit: int | None = None
    description: str = field(default="")


def _invalid(message: str, **extra) -> DomainError:
    return DomainError(ErrorCode.INVALID, message, **extra)


# Which terms each kind takes: anything else given is refused, anything missing too.
_TERMS = {
    PromotionKind.SPEND_TIERS: {"tiers"},
    PromotionKind.BUY_N_GET_M: {"buy_quantity", "free_quantity"},
    PromotionKind.BUNDLE_PRICE: {"bundle", "price"},
    PromotionKind.CATEGORY_PERCENT: {"percent"},
    PromotionKind.TIMED_PRICE: {"price", "per_member_limit"},
}
_OPTIONAL = {"per_member_limit"}
_ALL_TERMS = {"tiers", "buy_quantity", "free_quantity", "bundle", "percent", "price", "per_member_limit"}


def validate(spec: PromotionSpec) -> None:
    """Raise INVALID (422) on the first thing wrong with the spec; the database CHECKs repeat the
    per-kind shape as the last guard."""
    if not spec.name.strip() or len(spec.name) > 80:
        raise _invalid("a name of 1 to 80 characters", field="name")
    if spec.kind not in PromotionKind.values:
        raise _invalid("unknown kind", field="kind")
    if spec.channel_scope not in ChannelScope.values:
        raise _invalid("unknown channel scope", field="channel_scope")
    if spec.ends_at is not None and spec.ends_at <= spec.starts_at:
        raise _invalid("the promotion must end after it starts", field="ends_at")
    if not PRIORITY_MIN <= spec.priority <= PRIORITY_MAX:
        raise _invalid(f"priority between {PRIORITY_MIN} and {PRIORITY_MAX}", field="priority")
    for name in _ALL_TERMS:
        given = getattr(spec, name) not in (None, ())
        if given and name not in _TERMS[spec.kind]:
            raise _invalid(f"{name} does not apply to {spec.kind}", field=name)
        if not given and name in _TERMS[spec.kind] - _OPTIONAL:
            raise _invalid(f"{spec.kind} needs {name}", field=name)
    _KIND_CHECKS[spec.kind](spec)


def _check_tiers(spec: PromotionSpec) -> None:
    if len(spec.tiers) > MAX_TIERS:
        raise _invalid(f"at most {MAX_TIERS} tiers", field="tiers")
    tiers = sorted(spec.tiers)
    for threshold, off in tiers:
        if not Decimal(0) < off < threshold:
            raise _invalid("each tier saves more than 0 and less than what must be spent", field="tiers")
    for (low, low_off), (high, high_off) in zip(tiers, tiers[1:], strict=False):
        if low == high or high_off <= low_off:
            raise _invalid("each higher tier must spend more and save more", field="tiers")


def _check_buy_n_get_m(spec: PromotionSpec) -> None:
    for name in ("buy_quantity", "free_quantity"):
        if not 1 <= getattr(spec, name) <= MAX_UNITS:
            raise _invalid(f"{name} between 1 and {MAX_UNITS}", field=name)


def _check_bundle(spec: PromotionSpec) -> None:
    skus = [sku_id for sku_id, _ in spec.bundle]
    if len(skus) > MAX_BUNDLE_ITEMS or len(set(skus)) != len(skus):
        raise _invalid(f"at most {MAX_BUNDLE_ITEMS} different SKUs", field="bundle")
    if any(not 1 <= quantity <= MAX_UNITS for _, quantity in spec.bundle):
        raise _invalid(f"each quantity between 1 and {MAX_UNITS}", field="bundle")
    if sum(quantity for _, quantity in spec.bundle) < 2:
        raise _invalid("a bundle holds at least two units", field="bundle")
    if spec.price is None or spec.price <= 0:
        raise _invalid("a bundle price above 0", field="price")
    _check_skus(skus, "bundle")


def _check_percent(spec: PromotionSpec) -> None:
    if not Decimal(0) < spec.percent < Decimal(100):
        raise _invalid("a percent above 0 and below 100", field="percent")
    if not spec.category_ids and not spec.sku_ids:
        raise _invalid("choose the categories (or SKUs) it takes a percent off", field="category_ids")


def _check_timed_price(spec: PromotionSpec) -> None:
    if spec.price < 0:
        raise _invalid("a price of 0 or more", field="price")
    if spec.ends_at is None:
        raise _invalid("a timed price needs an end", field="ends_at")
    if not spec.sku_ids:
        raise _invalid("choose the SKUs sold at the timed price", field="sku_ids")
    if spec.per_member_limit is not None and not 1 <= spec.per_member_limit <= MAX_UNITS:
        raise _invalid(f"a limit between 1 and {MAX_UNITS} units", field="per_member_limit")


_KIND_CHECKS = {
    PromotionKind.SPEND_TIERS: _check_tiers,
    PromotionKind.BUY_N_GET_M: _check_buy_n_get_m,
    PromotionKind.BUNDLE_PRICE: _check_bundle,
    PromotionKind.CATEGORY_PERCENT: _check_percent,
    PromotionKind.TIMED_PRICE: _check_timed_price,
}


def _check_skus(sku_ids, field_name: str) -> None:
    if len(set(sku_ids)) > MAX_SCOPE or SKU.objects.filter(pk__in=set(sku_ids)).count() != len(set(sku_ids)):
        raise _invalid("unknown SKU", field=field_name)


def _check_references(spec: PromotionSpec) -> Campaign | None:
    _check_skus(spec.sku_ids, "sku_ids")
    stores = set(spec.store_ids)
    if len(stores) > MAX_SCOPE or Location.objects.filter(pk__in=stores).count() != len(stores):
        raise _invalid("unknown store", field="store_ids")
    categories = set(spec.category_ids)
    if len(categories) > MAX_SCOPE or Category.objects.filter(pk__in=categories).count() != len(categories):
        raise _invalid("unknown category", field="category_ids")
    if spec.campaign_id is None:
        return None
    campaign = Campaign.objects.filter(pk=spec.campaign_id).first()
    if campaign is None:
        raise _invalid("unknown campaign", field="campaign_id")
    return campaign


@transaction.atomic(durable=True)
def create_promotion(*, actor: Actor, spec: PromotionSpec, activate: bool = False) -> Promotion:
    """Create a promotion (inactive unless `activate`); INVALID names the first field wrong."""
    authorize(actor, Operation.MANAGE_PROMOTIONS)
    validate(spec)
    _check_references(spec)
    promotion = Promotion.objects.create(
        campaign_id=spec.campaign_id,
        name=spec.name.strip(),
        kind=spec.kind,
        channel_scope=spec.channel_scope,
        starts_at=spec.starts_at,
        ends_at=spec.ends_at,
        priority=spec.priority,
        stacks=spec.stacks,
        is_active=activate,
        percent=spec.percent,
        price=to_money(spec.price) if spec.price is not None else None,
        buy_quantity=spec.buy_quantity,
        free_quantity=spec.free_quantity,
        per_member_limit=spec.per_member_limit,
        created_by=actor.user,
    )
    promotion.stores.set(set(spec.store_ids))
    promotion.skus.set(set(spec.sku_ids))
    promotion.categories.set(set(spec.category_ids))
    PromotionTier.objects.bulk_create(
        PromotionTier(promotion=promotion, threshold=to_money(t), amount_off=to_money(off)) for t, off in spec.tiers
    )
    BundleItem.objects.bulk_create(BundleItem(promotion=promotion, sku_id=s, quantity=q) for s, q in spec.bundle)
    cache.bump()
    return promotion


@transaction.atomic(durable=True)
def set_active(*, actor: Actor, promotion_id: int, active: bool) -> Promotion:
    """Switch a promotion on or off (on at once for every process)."""
    authorize(actor, Operation.MANAGE_PROMOTIONS)
    promotion = Promotion.objects.select_for_update().filter(pk=promotion_id).first()
    if promotion is None:
        raise not_found("promotion")
    if promotion.is_active != active:
        promotion.is_active = active
        promotion.save(update_fields=["is_active"])
        cache.bump()
    return promotion


def preview(
    *,
    actor: Actor,
    spec: PromotionSpec,
    lines: list[CartLine],
    channel: str,
    location_id: int | None,
    fulfilment: str = "pickup",
) -> PricedCart:
    """Price a sample cart with the draft promotion (and the active ones), saving nothing. The draft
    is priced as if its window were open, for a member outside any control group."""
    authorize(actor, Operation.MANAGE_PROMOTIONS)
    validate(spec)
    campaign = _check_references(spec)
    draft = draft_snapshot(spec, campaign)
    return price_cart(
        lines=lines, channel=channel, location_id=location_id, member=None, fulfilment=fulfilment,
        extra_rules=[DraftPromotion(draft)],
    )  # fmt: skip


def draft_snapshot(spec: PromotionSpec, campaign: Campaign | None = None) -> Snapshot:
    descendants = cache.category_descendants() if spec.category_ids else {}
    categories: set[int] = set()
    for pk in spec.category_ids:
        categories |= descendants.get(pk, {pk})
    return Snapshot(
        id=0, name=spec.name.strip(), kind=spec.kind, campaign_id=None, control_percent=0,
        channel_scope=spec.channel_scope, store_ids=frozenset(spec.store_ids), sku_ids=frozenset(spec.sku_ids),
        category_ids=frozenset(categories), starts_at=spec.starts_at, ends_at=spec.ends_at, priority=spec.priority,
        stacks=spec.stacks, percent=spec.percent, price=spec.price, buy_quantity=spec.buy_quantity,
        free_quantity=spec.free_quantity, per_member_limit=None,
        tiers=tuple(sorted(spec.tiers)), bundle=tuple(spec.bundle),
    )  # fmt: skip


# --- the per-member limit of a timed price --------------------------------------------------------


def claim_timed_units(placed: PlacedOrder) -> None:
    """Count the units an order bought at a limited timed price against the member's limit, by a
    conditional UPDATE that never passes it: a racing order of the same member beyond the limit is
    refused (409 promotion_limit_reached) and rolled back. No query when the order used none."""
    wanted = _limited_units(placed.priced)
    if not wanted or placed.member_id is None:
        return
    for promotion, units in sorted(wanted.items(), key=lambda item: item[0].id):
        MemberUsage.objects.bulk_create(
            [
                MemberUsage(
                    promotion_id=promotion.id, member_id=placed.member_id, limit_units=promotion.per_member_limit
                )
            ],
            ignore_conflicts=True,
        )
        usage = MemberUsage.objects.filter(promotion_id=promotion.id, member_id=placed.member_id)
        if not usage.filter(units__lte=F("limit_units") - units).update(units=F("units") + units):
            raise DomainError(
                ErrorCode.PROMOTION_LIMIT_REACHED, "the member bought the most units this promotion allows",
                promotion_id=promotion.id, limit=promotion.per_member_limit,
            )  # fmt: skip
        UsageClaim.objects.create(usage=usage.get(), order_id=placed.order_id, units=units)


def _limited_units(priced: PricedCart) -> dict[Snapshot, int]:
    """Units priced at a limited timed price, by promotion: recovered from each discount, which took
    (unit value before it - timed price) x units off the line (see rules._timed_price)."""
    found: dict[Snapshot, int] = {}
    refs = {d.rule_ref for line in priced.lines for d in line.discounts if d.rule_ref.startswith("promotion:")}
    if not refs:
        return found  # no promotion on this order: no query
    limited = {p.rule_ref: p for p in cache.active() if p.per_member_limit and p.rule_ref in refs}
    for line in priced.lines:
        taken = Decimal(0)
        for discount in line.discounts:
            promotion = limited.get(discount.rule_ref)
            if promotion is not None:
                above = (line.gross - taken) / line.quantity - promotion.price
                found[promotion] = found.get(promotion, 0) + int((discount.amount / above).to_integral_value())
            taken += discount.amount
    return found


def give_back_units(*, order_id: int) -> None:
    """An unpaid order was cancelled or expired: its units count no more against the member."""
    for claim in UsageClaim.objects.filter(order_id=order_id, released=False).order_by("pk"):
        if UsageClaim.objects.filter(pk=claim.pk, released=False).update(released=True):
            MemberUsage.objects.filter(pk=claim.usage_id).update(units=F("units") - claim.units)
