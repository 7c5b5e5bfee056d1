"""The coupon pricing rule: what a chosen coupon takes off the cart (docs/coupons.md).

One coupon per order: choosing more than one is refused (INVALID), so the customer is never
surprised by which one counted. A chosen coupon that does not fit the cart (not the member's,
used, void, out of date, wrong channel or store, min spend not met, nothing in scope) gives no
discount; placing the order with it is then refused by the claimer (COUPON_UNAVAILABLE), and a
quote simply shows no coupon discount.

Queries: none when no coupon is chosen; one for the coupon with its template and scope flags; one
more for the lines in scope when the template is limited to categories or SKUs.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from o2o.catalog.models import SKU
from o2o.core.errors import DomainError, ErrorCode
from o2o.core.money import to_money
from o2o.coupons.models import ChannelScope, Coupon, CouponKind, CouponState, CouponTemplate
from o2o.pricing.models import DiscountSource
from o2o.pricing.rules import NOTHING, CartContext, CartDiscount, LineDiscount, RuleResult

ZERO = Decimal("0.00")
_LOCATIONS = CouponTemplate.locations.through
_CATEGORIES = CouponTemplate.categories.through
_SKUS = CouponTemplate.skus.through


class Line(Protocol):
    sku_id: int
    quantity: int
    unit_price: Decimal
    net: Decimal


def with_scope_flags(coupons, *, location_id: int | None):
    """Annotate coupons with what their template's store, category and SKU scopes are (one query)."""
    template = OuterRef("template_id")
    return coupons.select_related("template").annotate(
        store_scoped=Exists(_LOCATIONS.objects.filter(coupontemplate_id=template)),
        at_location=Exists(_LOCATIONS.objects.filter(coupontemplate_id=template, location_id=location_id)),
        category_scoped=Exists(_CATEGORIES.objects.filter(coupontemplate_id=template)),
        sku_scoped=Exists(_SKUS.objects.filter(coupontemplate_id=template)),
    )


def fits_where(coupon: Coupon, *, channel: str, location_id: int | None) -> bool:
    """Available, in date, on this channel and at this store (`coupon` annotated by with_scope_flags)."""
    now = timezone.now()
    return (
        coupon.state == CouponState.AVAILABLE
        and coupon.valid_from <= now < coupon.valid_until
        and ChannelScope.fits(coupon.template.channel_scope, channel)
        and (not coupon.store_scoped or (location_id is not None and coupon.at_location))
    )


def scoped_sku_ids(coupon: Coupon, sku_ids: Iterable[int]) -> set[int]:
    """The cart's SKUs the coupon applies to: all when the template names no category or SKU;
    else those it names, or whose product is in a named category or one below it (three levels)."""
    sku_ids = set(sku_ids)
    if not (coupon.category_scoped or coupon.sku_scoped):
        return sku_ids
    template_id = coupon.template_id
    categories = _CATEGORIES.objects.filter(coupontemplate_id=template_id).values("category_id")
    in_scope = (
        Q(pk__in=_SKUS.objects.filter(coupontemplate_id=template_id).values("sku_id"))
        | Q(product__category_id__in=categories)
        | Q(product__category__parent_id__in=categories)
        | Q(product__category__parent__parent_id__in=categories)
    )
    return set(SKU.objects.filter(in_scope, pk__in=sku_ids).values_list("pk", flat=True))


def discount_for(
    template: CouponTemplate, lines: Sequence[Line], scoped: set[int], coupon_id: int
) -> tuple[LineDiscount | CartDiscount, ...]:
    """The coupon's discount on these lines (their remaining net), or () when it does not apply."""
    in_scope = [line for line in lines if line.sku_id in scoped]
    base = sum((line.net for line in in_scope), ZERO)
    if not in_scope or base <= 0 or base < template.min_spend:
        return ()
    label = _("Coupon: %(name)s") % {"name": template.name}
    ref = f"coupon:{coupon_id}"
    campaign_id = template.campaign_id
    if template.kind == CouponKind.FREE_ITEM:
        free = next((line for line in lines if line.sku_id == template.free_sku_id and line.net > 0), None)
        if free is None:
            return ()
        return (LineDiscount(free.sku_id, min(free.unit_price, free.net), label, ref, campaign_id),)
    if template.kind == CouponKind.PERCENT_OFF:
        amount = to_money(base * template.percent / 100)
        if template.cap is not None:
            amount = min(amount, template.cap)
    else:  # amount off, or threshold (its min spend is met above)
        amount = min(template.amount, base)
    if amount <= 0:
        return ()
    return (CartDiscount(amount, label, frozenset(line.sku_id for line in in_scope), ref, campaign_id),)


def discount_total(parts: Iterable[LineDiscount | CartDiscount]) -> Decimal:
    return sum((part.amount for part in parts), ZERO)


@dataclass(frozen=True)
class CouponRule:
    code: str = "coupon"
    source: DiscountSource = DiscountSource.COUPON
    priority: int = 300
    stacks: bool = True

    def evaluate(self, cart: CartContext) -> RuleResult:
        if not cart.coupon_ids:
            return NOTHING
        if len(cart.coupon_ids) > 1:
            raise DomainError(ErrorCode.INVALID, "one coupon per order", coupon_ids=list(cart.coupon_ids))
        if cart.member is None or cart.member.pk is None:
            return NOTHING
        coupon = (
            with_scope_flags(Coupon.objects, location_id=cart.location_id)
            .filter(pk=cart.coupon_ids[0], member_id=cart.member.pk)
            .first()
        )
        if coupon is None or not fits_where(coupon, channel=cart.channel, location_id=cart.location_id):
            return NOTHING
        scoped = scoped_sku_ids(coupon, (line.sku_id for line in cart.lines))
        parts = discount_for(coupon.template, cart.lines, scoped, coupon.pk)
        return RuleResult(
            lines=tuple(p for p in parts if isinstance(p, LineDiscount)),
            cart=tuple(p for p in parts if isinstance(p, CartDiscount)),
        )
