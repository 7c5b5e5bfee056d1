"""A member's coupon at a counter sale: list their coupons usable in this store, apply one, take it off.

The coupon is only remembered on the counter (the session) and priced into the basket; the sale
redeems it when it is placed (`OrderRequest.coupon_ids`; the coupons app marks it used in the
order's transaction, or refuses the whole sale).
"""

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from o2o.catalog.models import Channel
from o2o.core.ids import MAX_ID
from o2o.coupons.models import ChannelScope, Coupon
from o2o.coupons.selectors import member_coupons, usable_coupons
from o2o.web.counter import basket
from o2o.web.counter.pages import counter_page
from o2o.web.storefront.coupons import terms


@dataclass(frozen=True)
class ShownCoupon:
    coupon: Coupon
    terms: str


def coupon_context(counter: basket.Counter, location_id: int) -> dict:
    """What the sale page shows of the member's coupons (nothing without a member)."""
    if not counter.member_id:
        return {"coupons": [], "applied_coupon": None}
    usable = usable_coupons(member_id=counter.member_id, channel=Channel.POS, location_id=location_id)
    shown = [ShownCoupon(coupon, terms(coupon.template)) for coupon in usable]
    applied = next((s for s in shown if s.coupon.pk == counter.coupon_id), None)
    return {"coupons": shown, "applied_coupon": applied}


class CouponForm(forms.Form):
    coupon_id = forms.IntegerField(min_value=1, max_value=MAX_ID)


@counter_page
@require_POST
def apply(request: HttpRequest) -> HttpResponse:
    """Apply one of the identified member's coupons usable in this store (it replaces any other)."""
    counter = basket.load(request)
    form = CouponForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the member's coupons."))
    elif not counter.member_id:
        messages.error(request, _("Find the member first: a coupon is used by the member it was given to."))
    else:
        coupon_id = form.cleaned_data["coupon_id"]
        usable = usable_coupons(member_id=counter.member_id, channel=Channel.POS, location_id=request.location_id)
        if any(coupon.pk == coupon_id for coupon in usable):
            counter.coupon_id = coupon_id
            basket.save(request, counter)
            messages.success(request, _("Coupon applied."))
        else:
            messages.error(request, _refusal(counter.member_id, coupon_id))
    return redirect("web:counter-sale")


def _refusal(member_id: int, coupon_id: int) -> str:
    """Why this coupon cannot be used in this sale (told only about the member's own coupons)."""
    coupon = next((c for c in member_coupons(member_id) if c.pk == coupon_id), None)
    if coupon is None:
        return _("This coupon is not this member's. Only the member's own coupons can be used.")
    if coupon.template.channel_scope == ChannelScope.ONLINE:
        return _("This coupon is for online orders only.")
    if not coupon.is_usable:
        return _("This coupon cannot be used: it is used, void, expired or not valid yet.")
    return _("This coupon cannot be used at this store.")


@counter_page
@require_POST
def remove(request: HttpRequest) -> HttpResponse:
    counter = basket.load(request)
    counter.coupon_id = None
    basket.save(request, counter)
    return redirect("web:counter-sale")
