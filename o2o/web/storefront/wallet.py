"""The member's wallet pages: balance (principal and bonus) with the ledger, top-up with the tiers
through the (simulated) gateway, and the payment code shown at the counter, refreshed every minute
by HTMX. The same services and selectors as the API."""

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from o2o.core.errors import DomainError
from o2o.core.ids import is_id
from o2o.core.money import CENT
from o2o.core.site import absolute_url
from o2o.payments.gateways import get_gateway
from o2o.payments.topups import simulate_top_up_payment, start_online_top_up
from o2o.wallet import selectors
from o2o.wallet import services as wallet
from o2o.web.auth import member_page
from o2o.web.storefront.pages import render_shop

T = "web/wallet/"
LEDGER_ROWS = 30


class TopUpForm(forms.Form):
    amount = forms.DecimalField(label=gettext_lazy("Amount (yuan)"), min_value=CENT, max_digits=12, decimal_places=2)


def _explain(error: DomainError) -> str:
    return {
        "wallet_frozen": _("Your wallet is frozen: please contact customer service."),
        "invalid": _("Enter an amount from 0.01 to %(max)s yuan.") % {"max": wallet.max_top_up()},
    }.get(str(error.code), error.message)


@member_page
def my_wallet(request: HttpRequest) -> HttpResponse:
    member_id = request.member.pk
    context = {
        "balance": selectors.balance(member_id=member_id),
        "tiers": list(selectors.offered_tiers()),
        "entries": list(selectors.entries_of(member_id=member_id)[:LEDGER_ROWS]),
        "form": TopUpForm(),
        "max_top_up": wallet.max_top_up(),
    }
    return render_shop(request, f"{T}my_wallet.html", context, nav="wallet")


@require_POST
@member_page
def top_up(request: HttpRequest) -> HttpResponse:
    """Start a top-up at the gateway and show its pay page."""
    form = TopUpForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter an amount from 0.01 to %(max)s yuan.") % {"max": wallet.max_top_up()})
        return redirect("web:shop-wallet")
    try:
        started, _pay_url = start_online_top_up(actor=request.actor, amount=form.cleaned_data["amount"])
    except DomainError as error:
        messages.error(request, _explain(error))
        return redirect("web:shop-wallet")
    return redirect("web:shop-wallet-top-up", top_up_id=started.pk)


def _own_top_up(request: HttpRequest, top_up_id: int):
    if not is_id(top_up_id):
        raise Http404
    try:
        return selectors.top_up_for(actor=request.actor, top_up_id=top_up_id)
    except DomainError as error:
        raise Http404 from error


@member_page
def top_up_page(request: HttpRequest, top_up_id: int) -> HttpResponse:
    """The gateway's QR for a pending top-up (and, with the simulator, buttons that play paying)."""
    found = _own_top_up(request, top_up_id)
    context = {"top_up": found, "simulator": settings.O2O_PAYMENT_SIMULATOR}
    if found.state == found.State.PENDING:
        pay_url = absolute_url(get_gateway(found.gateway).pay_url(found.gateway_ref), request)
        context["pay_qr"] = segno.make(pay_url, error="m").svg_data_uri(scale=4)
    return render_shop(request, f"{T}top_up.html", context, nav="wallet")


@require_POST
@member_page
def top_up_simulated(request: HttpRequest, top_up_id: int) -> HttpResponse:
    """Play the member at the simulated gateway: it sends its signed callback, as a real one would."""
    if not settings.O2O_PAYMENT_SIMULATOR:
        raise Http404
    found = _own_top_up(request, top_up_id)
    outcome = request.POST.get("outcome")
    if outcome not in {"succeeded", "failed"} or found.state != found.State.PENDING:
        return redirect("web:shop-wallet-top-up", top_up_id=found.pk)
    simulate_top_up_payment(gateway_ref=found.gateway_ref, succeeded=outcome == "succeeded")
    found.refresh_from_db()
    if found.state == found.State.SUCCEEDED:
        messages.success(
            request,
            _("Topped up ¥%(amount)s (bonus ¥%(bonus)s).") % {"amount": found.amount, "bonus": found.bonus},
        )
        return redirect("web:shop-wallet")
    messages.error(request, _("The payment did not go through; nothing was charged."))
    return redirect("web:shop-wallet-top-up", top_up_id=found.pk)


@member_page
def payment_code(request: HttpRequest) -> HttpResponse:
    """The page only reads: its code panel asks for a fresh code (POST) when it loads and every
    minute after (HTMX polling), so a prefetch never burns a code."""
    context = {"balance": selectors.balance(member_id=request.member.pk), "seconds": settings.O2O_PAYMENT_CODE_SECONDS}
    return render_shop(request, f"{T}payment_code.html", context, nav="wallet")


@require_POST
@member_page
def payment_code_fresh(request: HttpRequest) -> HttpResponse:
    """A new code (the older one stops working), as the panel of the payment code page."""
    context = {"seconds": settings.O2O_PAYMENT_CODE_SECONDS}
    try:
        code, row = wallet.issue_payment_code(actor=request.actor)
    except DomainError as error:
        context["error"] = _explain(error)
    else:
        groups = " ".join(code[i : i + 4] for i in range(0, len(code), 4))
        context.update(code=code, digits=groups, expires_at=row.expires_at, qr=segno.make(code).svg_data_uri(scale=6))
    if request.headers.get("HX-Request") != "true":
        return render_shop(request, f"{T}payment_code.html", {**context, "shown": True}, nav="wallet")
    return render_shop(request, f"{T}payment_code.html#code", context)
