"""Reads of coupons for the API and the pages (storefront, counter, marketer)."""

from collections.abc import Sequence
from datetime import datetime

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.core.errors import not_found
from o2o.coupons.models import Coupon, CouponState, CouponTemplate
from o2o.coupons.rules import Line, discount_for, discount_total, fits_where, scoped_sku_ids, with_scope_flags


def member_coupons(member_id: int, *, state: str | None = None) -> QuerySet[Coupon]:
    """A member's coupons, newest first. `state` "expired" means available but past its date;
    "available" means available and still in date."""
    coupons = Coupon.objects.filter(member_id=member_id).select_related("template").order_by("-created_at", "-pk")
    now = timezone.now()
    if state == "expired":
        return coupons.filter(state=CouponState.AVAILABLE, valid_until__lte=now)
    if state == CouponState.AVAILABLE:
        return coupons.filter(state=CouponState.AVAILABLE, valid_until__gt=now)
    if state is not None:
        return coupons.filter(state=state)
    return coupons


def get_member_coupon(*, member_id: int, coupon_id: int) -> Coupon:
    """One of the member's coupons; someone else's answers like a missing one (404)."""
    coupon = Coupon.objects.select_related("template").filter(pk=coupon_id, member_id=member_id).first()
    if coupon is None:
        raise not_found("coupon")
    return coupon


def usable_coupons(
    *, member_id: int, channel: str, location_id: int | None, priced_cart_lines: Sequence[Line] | None = None
) -> list[Coupon]:
    """The member's coupons usable here now (available, in date, channel and store fit), soonest
    expiring first. With the cart's lines (priced lines: sku_id, quantity, unit_price, net), only
    those that would take something off it, each with `.discount` (the amount) set."""
    now = timezone.now()
    coupons = with_scope_flags(
        Coupon.objects.filter(
            member_id=member_id, state=CouponState.AVAILABLE, valid_from__lte=now, valid_until__gt=now
        ),
        location_id=location_id,
    ).order_by("valid_until", "pk")
    fitting = [c for c in coupons if fits_where(c, channel=channel, location_id=location_id)]
    if priced_cart_lines is None:
        return fitting
    usable = []
    for coupon in fitting:
        scoped = scoped_sku_ids(coupon, (line.sku_id for line in priced_cart_lines))
        amount = discount_total(discount_for(coupon.template, priced_cart_lines, scoped, coupon.pk))
        if amount > 0:
            coupon.discount = amount
            usable.append(coupon)
    return usable


def claimable_templates(now: datetime | None = None, *, member_id: int | None = None) -> list[CouponTemplate]:
    """Templates in the claim centre: active, claimable, not ended, quota not all issued. For a
    member, without the campaigns that hold them out (control group)."""
    now = now or timezone.now()
    templates = (
        CouponTemplate.objects.filter(is_active=True, claimable=True)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=now))
        .filter(Q(quota__isnull=True) | Q(issued_count__lt=F("quota")))
        .select_related("campaign", "free_sku")
        .order_by("-created_at", "-pk")
    )
    return [t for t in templates if t.campaign is None or not t.campaign.holds_out(member_id)]


def templates_with_counts(*, actor: Actor) -> QuerySet[CouponTemplate]:
    """Every template with its issued and used counts and its scopes (marketers, HQ)."""
    authorize(actor, Operation.MANAGE_COUPON_TEMPLATES)
    return (
        CouponTemplate.objects.select_related("campaign", "free_sku")
        .prefetch_related("locations", "categories", "skus")
        .annotate(used_count=Count("coupons", filter=Q(coupons__state=CouponState.USED)))
        .order_by("-created_at", "-pk")
    )


def get_template(*, actor: Actor, template_id: int) -> CouponTemplate:
    template = templates_with_counts(actor=actor).filter(pk=template_id).first()
    if template is None:
        raise not_found("coupon template")
    return template
