"""Wallet top-up at the counter (cash, card or QR into a member's wallet, the member named by phone or
by the payment code they show), and for store managers the principal paid back in cash."""

import uuid

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from o2o.access.permissions import Operation, may
from o2o.core.errors import DomainError, ErrorCode
from o2o.core.money import CENT
from o2o.members.phones import mask_phone
from o2o.wallet import selectors
from o2o.wallet import services as wallet
from o2o.wallet.models import COUNTER_TOP_UP_METHODS, TopUpMethod
from o2o.web.counter.errors import explain
from o2o.web.counter.pages import counter_page

TEMPLATE = "web/wallet/counter.html"
METHODS = [(m.value, m.label) for m in TopUpMethod if m in COUNTER_TOP_UP_METHODS]


class TopUpForm(forms.Form):
    phone = forms.CharField(label=gettext_lazy("Member's phone"), max_length=32, required=False)
    code = forms.CharField(label=gettext_lazy("or their payment code"), max_length=32, required=False)
    amount = forms.DecimalField(label=gettext_lazy("Amount (yuan)"), min_value=CENT, max_digits=12, decimal_places=2)
    method = forms.ChoiceField(label=gettext_lazy("Paid by"), choices=METHODS)
    key = forms.CharField(widget=forms.HiddenInput, max_length=80)

    def clean(self):
        data = super().clean()
        if bool(data.get("phone", "").strip()) == bool(data.get("code", "").strip()):
            raise forms.ValidationError(_("Enter the member's phone or scan their payment code, one of them."))
        return data


class RefundForm(forms.Form):
    phone = forms.CharField(label=gettext_lazy("Member's phone"), max_length=32)
    amount = forms.DecimalField(label=gettext_lazy("Principal to pay back"), min_value=CENT, max_digits=12,
                                decimal_places=2)  # fmt: skip
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=255)
    key = forms.CharField(widget=forms.HiddenInput, max_length=80)


def _wallet_error(error: DomainError) -> str:
    """The clerk's message for a refused top-up or principal refund."""
    messages_by_code = {
        ErrorCode.PAYMENT_CODE_INVALID: _(
            "This payment code is not valid (used, expired or mistyped). Ask for a fresh one."
        ),
        ErrorCode.WALLET_FROZEN: _(
            "This member's wallet is frozen: no top-ups or refunds. Refer them to customer service."
        ),
        ErrorCode.INSUFFICIENT_BALANCE: _("The wallet holds less principal than that."),
        ErrorCode.NOT_FOUND: _("No member with this phone."),
        ErrorCode.INVALID_PHONE: _("This is not a valid phone number."),
        ErrorCode.MEMBER_ANONYMISED: _("This member deleted their account."),
        ErrorCode.RATE_LIMITED: _("Too many invalid payment codes. Wait a minute, then try again."),
        ErrorCode.INVALID: _("Enter an amount from 0.01 to %(max)s yuan.") % {"max": wallet.max_top_up()},
    }
    return messages_by_code.get(error.code) or explain(error)


def _key() -> dict:
    return {"key": uuid.uuid4().hex}


def _render(request: HttpRequest, *, form=None, refund_form=None, status: int = 200) -> HttpResponse:
    may_refund = may(request.actor, Operation.REFUND_WALLET_PRINCIPAL, location_id=request.location_id)
    context = {
        "store": request.store,
        "form": form or TopUpForm(initial=_key()),
        "refund_form": (refund_form or RefundForm(initial=_key())) if may_refund else None,
        "tiers": list(selectors.offered_tiers()),
    }
    return render(request, TEMPLATE, context, status=status)


@counter_page
def page(request: HttpRequest) -> HttpResponse:
    return _render(request)


@counter_page
@require_POST
def top_up(request: HttpRequest) -> HttpResponse:
    form = TopUpForm(request.POST)
    if not form.is_valid():
        return _render(request, form=form, status=422)
    data = form.cleaned_data
    try:
        done = wallet.top_up_at_counter(
            actor=request.actor,
            location_id=request.location_id,
            amount=data["amount"],
            method=data["method"],
            member_phone=data["phone"].strip() or None,
            member_code=data["code"].strip().replace(" ", "") or None,
            idempotency_key=data["key"],
        )
    except DomainError as error:
        form.add_error(None, _wallet_error(error))
        return _render(request, form=form, status=422)
    balance = selectors.balance(member_id=done.member_id)
    messages.success(
        request,
        _("Topped up ¥%(amount)s (bonus ¥%(bonus)s) for %(member)s; wallet balance ¥%(total)s.")
        % {"amount": done.amount, "bonus": done.bonus, "member": mask_phone(done.member.phone), "total": balance.total},
    )
    return redirect("web:counter-wallet")


@counter_page
@require_POST
def refund(request: HttpRequest) -> HttpResponse:
    form = RefundForm(request.POST)
    if not form.is_valid():
        return _render(request, refund_form=form, status=422)
    data = form.cleaned_data
    try:
        member = selectors.member_by_phone_for(actor=request.actor, phone=data["phone"])
        entry = wallet.refund_principal(
            actor=request.actor,
            member_id=member.pk,
            amount=data["amount"],
            reason=data["reason"],
            location_id=request.location_id,
            idempotency_key=data["key"],
        )
    except DomainError as error:
        form.add_error(None, _wallet_error(error))
        return _render(request, refund_form=form, status=422)
    messages.success(
        request,
        _("Pay back ¥%(amount)s in cash to %(member)s (bonus forfeited: ¥%(bonus)s).")
        % {"amount": -entry.principal_delta, "member": mask_phone(member.phone), "bonus": -entry.bonus_delta},
    )
    return redirect("web:counter-wallet")
