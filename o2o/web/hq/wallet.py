"""HQ's stored-value page: what the chain owes in wallets (principal and bonus, by store of top-up),
the top-up tiers, and freezing or unfreezing a member's wallet."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from o2o.access.permissions import Operation, may
from o2o.core.errors import DomainError, ErrorCode
from o2o.core.ids import is_id
from o2o.core.money import CENT
from o2o.members.phones import mask_phone
from o2o.wallet import selectors
from o2o.wallet import services as wallet
from o2o.web.auth import staff_page

TEMPLATE = "web/wallet/hq.html"


class TierForm(forms.Form):
    pay_amount = forms.DecimalField(label=gettext_lazy("Pay (yuan)"), min_value=CENT, max_digits=12, decimal_places=2)
    bonus_amount = forms.DecimalField(label=gettext_lazy("Bonus (yuan)"), min_value=0, max_digits=12, decimal_places=2)


class LookupForm(forms.Form):
    phone = forms.CharField(label=gettext_lazy("Member's phone"), max_length=32)


class FreezeForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=255)


def _hq(request: HttpRequest) -> None:
    if not may(request.actor, Operation.VIEW_WALLET_LIABILITIES):
        raise PermissionDenied


def _error(error: DomainError) -> str:
    return {
        ErrorCode.CONFLICT: _("An active tier for this amount exists already."),
        ErrorCode.INVALID: _("Check the amounts: the bonus cannot exceed the amount paid, and at most %(max)s.")
        % {"max": wallet.max_top_up()},
        ErrorCode.NOT_FOUND: _("No member with this phone."),
        ErrorCode.INVALID_PHONE: _("This is not a valid phone number."),
        ErrorCode.ILLEGAL_TRANSITION: _("The wallet is already in that state."),
    }.get(error.code, error.message)


@staff_page()
def page(request: HttpRequest) -> HttpResponse:
    _hq(request)
    lookup = LookupForm(request.GET or None)
    found = None
    if lookup.is_valid():
        try:
            member = selectors.member_by_phone_for(actor=request.actor, phone=lookup.cleaned_data["phone"])
        except DomainError as error:
            lookup.add_error("phone", _error(error))
        else:
            found = {
                "member": member,
                "phone": mask_phone(member.phone),
                "wallet": selectors.wallet_of(member_id=member.pk),
            }
            found["balance"] = selectors.balance(member_id=member.pk)
    return _render(request, lookup=lookup, found=found)


def _render(request: HttpRequest, *, lookup=None, found=None, tier_form=None, status: int = 200) -> HttpResponse:
    context = {
        "report": selectors.liabilities(actor=request.actor),
        "tiers": list(selectors.all_tiers()),
        "tier_form": tier_form or TierForm(),
        "lookup": lookup or LookupForm(),
        "found": found,
        "freeze_form": FreezeForm(),
    }
    return render(request, TEMPLATE, context, status=status)


@staff_page()
@require_POST
def save_tier(request: HttpRequest) -> HttpResponse:
    _hq(request)
    form = TierForm(request.POST)
    if form.is_valid():
        try:
            wallet.save_top_up_tier(
                actor=request.actor,
                pay_amount=form.cleaned_data["pay_amount"],
                bonus_amount=form.cleaned_data["bonus_amount"],
            )
        except DomainError as error:
            form.add_error(None, _error(error))
    if not form.is_valid():
        return _render(request, tier_form=form, status=422)
    messages.success(request, _("Tier saved."))
    return redirect("web:hq-wallet")


@staff_page()
@require_POST
def tier_active(request: HttpRequest, tier_id: int) -> HttpResponse:
    _hq(request)
    try:
        wallet.set_top_up_tier_active(actor=request.actor, tier_id=tier_id, active=request.POST.get("active") == "1")
    except DomainError as error:
        messages.error(request, _error(error))
    return redirect("web:hq-wallet")


def _back_to_member(request: HttpRequest) -> HttpResponse:
    """The page again, showing the wallet that was just changed."""
    phone = request.POST.get("phone", "")[:32]
    return redirect(f"{reverse('web:hq-wallet')}?{urlencode({'phone': phone})}" if phone else "web:hq-wallet")


def _member_id(request: HttpRequest) -> int:
    raw = request.POST.get("member_id", "")
    if not is_id(raw):
        raise PermissionDenied
    return int(raw)


@staff_page()
@require_POST
def freeze(request: HttpRequest) -> HttpResponse:
    form = FreezeForm(request.POST)
    member_id = _member_id(request)
    try:
        if not form.is_valid():
            raise DomainError(ErrorCode.INVALID, "a freeze needs a reason")
        wallet.freeze_wallet(actor=request.actor, member_id=member_id, reason=form.cleaned_data["reason"])
    except DomainError as error:
        if error.code == ErrorCode.FORBIDDEN:
            raise PermissionDenied from error
        messages.error(
            request, _("Say why the wallet is frozen.") if error.code == ErrorCode.INVALID else _error(error)
        )
    else:
        messages.success(request, _("The wallet is frozen."))
    return _back_to_member(request)


@staff_page()
@require_POST
def unfreeze(request: HttpRequest) -> HttpResponse:
    try:
        wallet.unfreeze_wallet(actor=request.actor, member_id=_member_id(request))
    except DomainError as error:
        if error.code == ErrorCode.FORBIDDEN:
            raise PermissionDenied from error
        messages.error(request, _error(error))
    else:
        messages.success(request, _("The wallet is unfrozen."))
    return _back_to_member(request)
