"""The member's coupons: "My coupons" (available, used, expired) and the claim centre.

Reads go through `o2o.coupons.selectors`, the claim through `o2o.coupons.services.claim_coupon`
(the same as the API); the page only chooses what to show and turns refusals into messages.
"""

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from o2o.core.codes import new_token
from o2o.core.errors import DomainError, ErrorCode
from o2o.core.ids import MAX_ID
from o2o.coupons import selectors
from o2o.coupons.models import ChannelScope, Coupon, CouponKind, CouponState, CouponTemplate
from o2o.coupons.services import claim_coupon
from o2o.web.auth import member_page
from o2o.web.storefront.pages import render_shop

T = "web/storefront/"
TABS = {
    "available": gettext_lazy("Available"),
    "used": gettext_lazy("Used"),
    "expired": gettext_lazy("Expired"),
}
SHOWN = 100


def terms(template: CouponTemplate) -> str:
    """What a coupon of this template takes off, and where, in the customer's words."""
    kind = template.kind
    if kind == CouponKind.AMOUNT_OFF:
        text = _("¥%(amount)s off") % {"amount": template.amount}
    elif kind == CouponKind.PERCENT_OFF:
        text = _("%(percent)s%% off") % {"percent": template.percent}
        if template.cap:
            text += " " + _("(up to ¥%(cap)s)") % {"cap": template.cap}
    elif kind == CouponKind.THRESHOLD:
        values = {"min_spend": template.min_spend, "amount": template.amount}
        text = _("Spend ¥%(min_spend)s, save ¥%(amount)s") % values
    elif kind == CouponKind.FREE_ITEM:
        name = template.free_sku.name if template.free_sku_id else ""
        text = _("One %(item)s free") % {"item": name}
    else:
        text = str(template.get_kind_display())
    if kind != CouponKind.THRESHOLD and template.min_spend:
        text += " · " + _("on orders from ¥%(min_spend)s") % {"min_spend": template.min_spend}
    scope = {ChannelScope.ONLINE: _("online only"), ChannelScope.IN_STORE: _("in store only")}.get(
        template.channel_scope
    )
    return f"{text} · {scope}" if scope else text


@dataclass(frozen=True)
class Shown:
    """A coupon as the member sees it: name, terms, dates and where it stands."""

    coupon: Coupon
    terms: str
    status: str


def _in_tab(member_id: int, tab: str) -> QuerySet[Coupon]:
    """Available: in date (or not valid yet: shown with its dates); expired: out of date, or made
    void (a returned order's coupon)."""
    if tab == "expired":
        return selectors.member_coupons(member_id, state="expired") | selectors.member_coupons(
            member_id, state=CouponState.VOID
        )
    return selectors.member_coupons(member_id, state=CouponState.USED if tab == "used" else CouponState.AVAILABLE)


@member_page
def my_coupons(request: HttpRequest) -> HttpResponse:
    tab = request.GET.get("tab") if request.GET.get("tab") in TABS else "available"
    coupons = _in_tab(request.member.pk, tab)[:SHOWN]
    shown = [Shown(c, terms(c.template), _status(c)) for c in coupons]
    context = {"tab": tab, "tabs": TABS.items(), "coupons": shown}
    return render_shop(request, f"{T}coupons.html", context, nav="coupons")


def _status(coupon: Coupon) -> str:
    if coupon.state == CouponState.USED:
        return _("Used")
    if coupon.state != CouponState.AVAILABLE:
        return _("Void")
    if coupon.is_expired:
        return _("Expired")
    if not coupon.is_usable:
        return _("Not yet valid")
    return _("Available")


class ClaimForm(forms.Form):
    template_id = forms.IntegerField(min_value=1, max_value=MAX_ID)
    # the idempotency key: a second tap on "Claim" claims once
    token = forms.CharField(max_length=64)


@member_page
def claim_centre(request: HttpRequest) -> HttpResponse:
    """GET lists what can be claimed; POST claims one (then back here with what happened)."""
    if request.method == "POST":
        form = ClaimForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("This coupon cannot be claimed. Reload the page and try again."))
        else:
            _claim(request, form.cleaned_data["template_id"], form.cleaned_data["token"])
        return redirect("web:shop-coupons-claim")
    templates = selectors.claimable_templates(timezone.now(), member_id=request.member.pk)
    context = {"templates": [(t, terms(t)) for t in templates], "token": new_token()}
    return render_shop(request, f"{T}coupons_claim.html", context, nav="coupons")


def _claim(request: HttpRequest, template_id: int, token: str) -> None:
    try:
        coupon = claim_coupon(actor=request.actor, template_id=template_id, idempotency_key=token)
    except DomainError as error:
        messages.error(request, _claim_problem(error))
        return
    messages.success(request, _("Coupon claimed: %(name)s. Find it in My coupons.") % {"name": coupon.template.name})


def _claim_problem(error: DomainError) -> str:
    problems = {
        ErrorCode.COUPON_QUOTA_EXHAUSTED: _("Sorry, this coupon is all gone."),
        ErrorCode.COUPON_LIMIT_REACHED: _("You already have as many of this coupon as one member may claim."),
        ErrorCode.NOT_FOUND: _("This coupon cannot be claimed any more."),
        ErrorCode.IDEMPOTENCY_CONFLICT: _("This claim was sent already. Check My coupons."),
        ErrorCode.RATE_LIMITED: _("Too many attempts. Wait a minute, then try again."),
    }
    return problems.get(error.code, _("This coupon cannot be claimed now."))
