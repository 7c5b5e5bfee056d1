"""Reads of promotions: the marketers' list, the public list of what applies now, and each
promotion's terms in words."""

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.core.errors import not_found
from o2o.promotions import cache
from o2o.promotions.cache import Snapshot
from o2o.promotions.models import Promotion, PromotionKind
from o2o.promotions.rules import offered_here


def promotions_for(*, actor: Actor) -> QuerySet[Promotion]:
    """Every promotion, newest first, with what its terms and scope need."""
    authorize(actor, Operation.MANAGE_PROMOTIONS)
    return (
        Promotion.objects.select_related("campaign")
        .prefetch_related("stores", "skus", "categories", "tiers", "bundle_items")
        .order_by("-pk")
    )


def promotion_for(*, actor: Actor, promotion_id: int) -> Promotion:
    promotion = promotions_for(actor=actor).filter(pk=promotion_id).first()
    if promotion is None:
        raise not_found("promotion")
    return promotion


def public_active(*, channel: str, location_id: int | None) -> list[Snapshot]:
    """What applies now on this channel at this store (everyone may read it: names and terms only).
    Promotions scoped to stores are listed only when the store is given and is one of them."""
    now = timezone.now()
    return [p for p in cache.active() if offered_here(p, channel=channel, location_id=location_id, now=now)]


def terms(promotion: Snapshot) -> str:
    """The promotion's terms in words, for customers and marketers."""
    if promotion.kind == PromotionKind.SPEND_TIERS:
        return "; ".join(
            _("spend %(threshold)s save %(off)s") % {"threshold": threshold, "off": off}
            for threshold, off in promotion.tiers
        )
    if promotion.kind == PromotionKind.BUY_N_GET_M:
        return _("buy %(n)s get %(m)s free (the cheapest)") % {
            "n": promotion.buy_quantity,
            "m": promotion.free_quantity,
        }
    if promotion.kind == PromotionKind.BUNDLE_PRICE:
        return _("%(units)s units of the set for %(price)s") % {
            "units": sum(quantity for _sku, quantity in promotion.bundle),
            "price": promotion.price,
        }
    if promotion.kind == PromotionKind.CATEGORY_PERCENT:
        return _("%(percent)s%% off") % {"percent": format(promotion.percent.normalize(), "f")}
    if promotion.per_member_limit:
        return _("now %(price)s, up to %(limit)s per member") % {
            "price": promotion.price,
            "limit": promotion.per_member_limit,
        }
    return _("now %(price)s") % {"price": promotion.price}
