"""Checkout and the simulated payment: the cart becomes an order through the same services as the API."""

from contextlib import suppress
from decimal import Decimal

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from o2o.catalog.models import Channel
from o2o.core.codes import new_token
from o2o.core.errors import DomainError, ErrorCode
from o2o.core.site import absolute_url
from o2o.coupons.models import Coupon
from o2o.coupons.selectors import usable_coupons
from o2o.loyalty.selectors import points_balance
from o2o.loyalty.services import MAX_POINTS, points_value
from o2o.orders.models import Fulfilment, Order, OrderState
from o2o.orders.selectors import pickup_stores_for, ship_from_for
from o2o.orders.services import LineRequest, OrderRequest, place_order
from o2o.outreach.sessions import referrer_in
from o2o.payments.selectors import pending_online_payment, succeeded_tenders
from o2o.payments.services import TenderRequest, pay_order, payment_url, start_online_payment
from o2o.payments.simulator import simulate_customer_payment
from o2o.pricing.cart import PricedCart
from o2o.wallet.selectors import balance as wallet_balance
from o2o.web.auth import member_page
from o2o.web.storefront.cart import CHANNEL, Cart, CartLine
from o2o.web.storefront.cart import priced as priced_cart
from o2o.web.storefront.coupons import terms
from o2o.web.storefront.forms import CheckoutForm
from o2o.web.storefront.my_orders import order_or_404, seconds_left
from o2o.web.storefront.pages import render_shop
from o2o.web.storefront.pickup_times import chosen_pickup_at, store_times
from o2o.web.storefront.places import Position, districts, is_open_now, position_for

PLACED_KEY = "o2o_checkouts"  # checkout token -> order id, so a repeated submit finds its order
PLACED_KEPT = 20
PICKUP_CHOICES = 10
T = "web/storefront/"


@member_page
def checkout(request: HttpRequest) -> HttpResponse:
    """Pickup at a store that has everything, or delivery from the nearest location that has everything."""
    shopping_cart = Cart(request.session)
    if request.method == "POST" and (order_id := _placed(request).get(request.POST.get("token", ""))):
        return redirect("web:shop-pay", order_id=order_id)  # the same checkout submitted again
    if not shopping_cart:
        messages.info(request, _("Your cart is empty."))
        return redirect("web:shop-cart")
    channel = shopping_cart.channel  # share_link after an employee's link (docs/outreach.md)
    lines, priced = priced_cart(shopping_cart.lines(), request.member, channel=channel)
    coupons = _usable(request, priced, channel)
    if request.method == "POST":
        form = CheckoutForm(request.POST, coupons=coupons)
        position = _posted_position(form) or position_for(request)
    else:
        position = position_for(request)
        initial = {"token": new_token(), "lat": position.latitude, "lng": position.longitude}
        form = CheckoutForm(initial=initial | {"coupon": request.GET.get("coupon", "")}, coupons=coupons)
    coupon = _chosen(form, coupons)
    coupon_ids = (coupon.pk,) if coupon else ()
    if coupon_ids:  # the quote with the chosen coupon, as the order will be priced
        lines, priced = priced_cart(lines, request.member, coupon_ids=coupon_ids, channel=channel)
    wanted = shopping_cart.quantities
    pickup_stores = pickup_stores_for(
        latitude=position.latitude, longitude=position.longitude, wanted=wanted, limit=PICKUP_CHOICES
    )
    if request.method == "POST" and form.is_valid() and not _unsellable(form, lines):
        order = _place(request, form, position, wanted, coupon_ids)
        if order is not None:
            shopping_cart.clear()
            _remember(request, form.cleaned_data["token"], order)
            _start_payment(request, order)  # the pay page shows its QR at once
            return redirect("web:shop-pay", order_id=order.pk)
    if not form.is_bound and pickup_stores:
        form.initial["pickup_store"] = pickup_stores[0].nearby.location.pk
    context = {
        "form": form,
        "lines": lines,
        "priced": priced,
        "total": priced.payable if priced else Cart.total(lines),
        # what delivery would add (the same prices; the member's level was read already)
        "delivery_fee": (
            priced_cart(lines, request.member, Fulfilment.DELIVERY, coupon_ids, channel)[1].delivery_fee
            if priced
            else None
        ),
        "coupon": coupon,
        "coupon_off": _coupon_off(priced),
        "pickup_stores": [
            (s, is_open_now(s.nearby.location), store_times(s.nearby.location, data=request.POST))
            for s in pickup_stores
        ],
        "position": position,
        "districts": districts(),
    }
    return render_shop(request, f"{T}checkout.html", context, nav="cart", status=422 if form.errors else 200)


def _usable(request: HttpRequest, priced: PricedCart | None, channel: str = CHANNEL) -> dict[int, tuple[Coupon, str]]:
    """The member's coupons usable online now that take something off this cart, by id, with their
    terms. (No store is chosen yet: a coupon for some stores only is not offered online.)"""
    if priced is None:
        return {}
    coupons = usable_coupons(
        member_id=request.member.pk, channel=channel, location_id=None, priced_cart_lines=priced.lines
    )
    return {coupon.pk: (coupon, terms(coupon.template)) for coupon in coupons}


def _chosen(form: CheckoutForm, coupons: dict[int, tuple[Coupon, str]]) -> Coupon | None:
    """The coupon the member chose, if it is one of their usable ones (else the form says why)."""
    value = form["coupon"].value()
    try:
        return coupons[int(value)][0] if value else None
    except (KeyError, TypeError, ValueError):
        return None


def _coupon_off(priced: PricedCart | None) -> Decimal | None:
    """What the chosen coupon takes off this cart (None: no coupon discount)."""
    if priced is None:
        return None
    off = sum(
        (d.amount for line in priced.lines for d in line.discounts if d.rule_ref.startswith("coupon:")),
        Decimal("0.00"),
    )
    return off or None


def _posted_position(form: CheckoutForm) -> Position | None:
    if form.is_valid():
        return Position(form.cleaned_data["lat"], form.cleaned_data["lng"], "device")
    return None


def _unsellable(form: CheckoutForm, lines: list[CartLine]) -> bool:
    if gone := [line.sku.name for line in lines if line.unit_price is None]:
        names = ", ".join(gone)
        form.add_error(None, _("No longer sold online: %(names)s. Remove them from your cart.") % {"names": names})
    return bool(gone)


def _place(
    request: HttpRequest, form: CheckoutForm, position: Position, wanted: dict[int, int], coupon_ids: tuple[int, ...]
) -> Order | None:
    """Place the order, or put the reason on the form and answer None (nothing is written then)."""
    data = form.cleaned_data
    pickup_at = None
    if data["fulfilment"] == Fulfilment.PICKUP:
        location_id = data["pickup_store"]
        try:
            pickup_at = chosen_pickup_at(request.POST, location_id)
        except ValueError:
            form.add_error(None, _("Choose one of the pickup times offered."))
            return None
    else:
        ship_from = ship_from_for(latitude=position.latitude, longitude=position.longitude, wanted=wanted)
        if ship_from is None:
            form.add_error(None, _("No location can deliver all of these items to your area yet. Try pickup."))
            return None
        location_id = ship_from.nearby.location.pk
    referrer = referrer_in(request.session)  # the employee whose share link brought the customer
    order_request = OrderRequest(
        channel=Channel.SHARE_LINK if referrer else CHANNEL,
        referrer=referrer,
        fulfilment=data["fulfilment"],
        fulfilment_location_id=location_id,
        lines=[LineRequest(sku_id, quantity) for sku_id, quantity in sorted(wanted.items())],
        delivery_address=data["delivery_address"] if data["fulfilment"] == Fulfilment.DELIVERY else "",
        coupon_ids=coupon_ids,
        pickup_at=pickup_at,
    )
    try:
        return place_order(
            actor=request.actor, member=request.member, request=order_request, idempotency_key=data["token"]
        )
    except DomainError as error:
        form.add_error(None, _checkout_problem(error))
        # A fresh token: the next attempt is a new checkout (this one wrote nothing).
        form.data = form.data.copy()
        form.data["token"] = new_token()
        return None


def _checkout_problem(error: DomainError) -> str:
    problems = {
        ErrorCode.INSUFFICIENT_STOCK: _(
            "Sorry, there is not enough stock left there for your cart. Choose another store or change the quantities."
        ),
        ErrorCode.LOCATION_UNAVAILABLE: _("This store does not take pickup orders. Choose another store."),
        ErrorCode.NOT_FOUND: _("This store does not take pickup orders. Choose another store."),
        ErrorCode.NOT_SOLD_ON_CHANNEL: _("Some items are no longer sold online. Remove them from your cart."),
        ErrorCode.UNKNOWN_SKU: _("Some items are no longer sold online. Remove them from your cart."),
        ErrorCode.NO_PRICE: _("Some items are no longer sold online. Remove them from your cart."),
        ErrorCode.IDEMPOTENCY_CONFLICT: _("This checkout was already sent with other choices. Check My orders."),
        ErrorCode.PICKUP_SLOT_UNAVAILABLE: _("This pickup time is no longer offered. Choose another."),
        ErrorCode.PICKUP_SLOT_FULL: _("This pickup time has just been fully booked. Choose another."),
        ErrorCode.COUPON_UNAVAILABLE: _(
            "This coupon cannot be used for this order (used, expired, not valid at this store, "
            "or the order does not meet its terms). Choose another or none."
        ),
    }
    return problems.get(error.code, _("The order could not be placed. Check your choices and try again."))


def _placed(request: HttpRequest) -> dict[str, int]:
    return request.session.get(PLACED_KEY, {})


def _remember(request: HttpRequest, token: str, order: Order) -> None:
    placed = list(_placed(request).items())[-(PLACED_KEPT - 1) :]
    request.session[PLACED_KEY] = dict([*placed, (token, order.pk)])


@require_http_methods(["GET", "HEAD", "POST"])
@member_page
def pay(request: HttpRequest, order_id: int) -> HttpResponse:
    """The gateway's QR and, since the gateway is simulated, buttons that play the customer paying.

    GET only reads: it shows the payment under way, or a button whose POST starts one at the
    gateway (a link preview or a prefetch must not open payments or cancel orders).
    """
    order = order_or_404(request, order_id)
    if request.method == "POST":
        _start_payment(request, order)
        return redirect("web:shop-pay", order_id=order.pk)
    tenders = succeeded_tenders(order_id=order.pk)
    left = order.total - sum((t.amount for t in tenders), Decimal("0.00"))
    context = {"order": order, "simulator": settings.O2O_PAYMENT_SIMULATOR, "tenders": tenders, "left_to_pay": left}
    if order.state != OrderState.PENDING_PAYMENT:
        context["reason"] = _("This order is %(state)s and cannot be paid.") % {"state": order.get_state_display()}
    elif order.payment_deadline and order.payment_deadline < timezone.now():
        context["reason"] = _("The time to pay has run out: the order will be cancelled and its items released.")
    else:
        if payment := pending_online_payment(order_id=order.pk):
            pay_url = absolute_url(payment_url(payment), request)
            context["pay_url"] = pay_url
            context["pay_qr"] = segno.make(pay_url, error="m").svg_data_uri(scale=4)
        context["seconds_left"] = seconds_left(order)
        context.update(_balances(request))
    return render_shop(request, f"{T}pay.html", context, nav="orders")


class BalanceForm(forms.Form):
    """Stored value and points toward the order; the gateway takes what they leave."""

    wallet_amount = forms.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"), required=False)
    points = forms.IntegerField(min_value=1, max_value=MAX_POINTS, required=False)
    token = forms.CharField(max_length=80, widget=forms.HiddenInput)


def _balances(request: HttpRequest) -> dict:
    """What the member could pay with besides the gateway (shown only when they hold some)."""
    wallet = wallet_balance(member_id=request.member.pk)
    points = points_balance(member_id=request.member.pk).available
    if not (wallet.total > 0 and not wallet.frozen) and not points:
        return {}
    return {
        "wallet": wallet,
        "points": points,
        "points_worth": points_value(points),
        "points_rate": settings.O2O_POINTS_PER_YUAN_TENDER,
        "balance_form": BalanceForm(initial={"token": new_token()}),
    }


@require_POST
@member_page
def pay_from_balance(request: HttpRequest, order_id: int) -> HttpResponse:
    """Stored value and points succeed at once; the gateway's QR then asks only for what is left.
    The form's token is the idempotency key: a second tap takes nothing more."""
    order = order_or_404(request, order_id)
    form = BalanceForm(request.POST)
    data = form.cleaned_data if form.is_valid() else {}
    wallet_amount, points = data.get("wallet_amount"), data.get("points")
    if not (wallet_amount or points):
        messages.error(request, _("Enter an amount of stored value or a number of points."))
        return redirect("web:shop-pay", order_id=order.pk)
    tenders = [TenderRequest("wallet", amount=wallet_amount)] if wallet_amount else []
    tenders += [TenderRequest("points", points=points)] if points else []
    left = order.total - sum((t.amount for t in succeeded_tenders(order_id=order.pk)), Decimal("0.00"))
    if (wallet_amount or 0) + (points_value(points) if points else 0) < left:
        tenders.append(TenderRequest("online_qr"))
    try:
        result = pay_order(actor=request.actor, order=order, tenders=tenders, idempotency_key=data["token"])
    except DomainError as error:
        messages.error(request, _balance_problem(error, order))
        return redirect("web:shop-pay", order_id=order.pk)
    if result.order.state != OrderState.PENDING_PAYMENT:
        messages.success(request, _("Paid. Thank you!"))
        return redirect("web:shop-order", order_id=order.pk)
    return redirect("web:shop-pay", order_id=order.pk)


def _balance_problem(error: DomainError, order: Order) -> str:
    problems = {
        ErrorCode.INSUFFICIENT_BALANCE: _("Your stored value does not cover that amount."),
        ErrorCode.WALLET_FROZEN: _("Your stored value is frozen. Please contact customer service."),
        ErrorCode.INSUFFICIENT_POINTS: _("You do not have that many points."),
        ErrorCode.TENDERS_EXCEED_PAYABLE: _("That is more than is left to pay."),
        ErrorCode.IDEMPOTENCY_CONFLICT: _("This was sent already with other amounts. Reload the page."),
    }
    if error.code in (ErrorCode.ILLEGAL_TRANSITION, ErrorCode.PAYMENT_DEADLINE_PASSED):
        return _not_payable(error, order)
    return problems.get(error.code, _("This could not be paid. Check the amounts and try again."))


def _start_payment(request: HttpRequest, order: Order) -> None:
    """Start the payment at the gateway; when the order can no longer be paid, the pay page says why."""
    with suppress(DomainError):
        start_online_payment(actor=request.actor, order=order)


def _not_payable(error: DomainError, order: Order) -> str:
    if error.code == ErrorCode.PAYMENT_DEADLINE_PASSED:
        return _("The time to pay has run out, so the order was cancelled and its items released.")
    return _("This order is %(state)s and cannot be paid.") % {"state": order.get_state_display()}


@require_POST
@member_page
def pay_simulated(request: HttpRequest, order_id: int) -> HttpResponse:
    """Play the customer at the simulated gateway: it sends its signed callback, as a real one would."""
    if not settings.O2O_PAYMENT_SIMULATOR:
        raise Http404
    order = order_or_404(request, order_id)
    if request.POST.get("outcome") not in {"succeeded", "failed"}:
        return HttpResponseBadRequest()
    succeeded = request.POST["outcome"] == "succeeded"
    try:
        payment, _pay_url = start_online_payment(actor=request.actor, order=order)
        outcome = simulate_customer_payment(gateway_ref=payment.gateway_ref, succeeded=succeeded)
    except DomainError as error:
        order.refresh_from_db()
        messages.error(request, _not_payable(error, order))
        return redirect("web:shop-order", order_id=order.pk)
    if outcome == "paid":
        messages.success(request, _("Paid. Thank you!"))
    elif outcome == "failed":
        messages.error(request, _("The payment failed. Nothing was charged; you can try again."))
    else:
        messages.info(request, _("The payment could not be applied to this order."))
    return redirect("web:shop-order", order_id=order.pk)
