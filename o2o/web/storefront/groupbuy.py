"""Group buys and chain sign-ups in the storefront: an offer's page with the groups open to join,
a group's share page, and a chain sign-up list with its append form. Every write calls the
services the API calls (o2o.groupbuy.services / chains)."""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from o2o.core.codes import new_token
from o2o.core.errors import DomainError, ErrorCode
from o2o.groupbuy import chains, selectors, services
from o2o.web.auth import current_member, member_page
from o2o.web.storefront.pages import render_shop


class SeatForm(forms.Form):
    location_id = forms.IntegerField(min_value=1)
    token = forms.CharField(max_length=64)  # the idempotency key: a second tap opens or joins once


def _or_404(read, *args):
    try:
        return read(*args)
    except DomainError as error:
        raise Http404 from error


def group_buy(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = _or_404(selectors.get_offer, offer_id)
    context = {"offer": offer, "groups": selectors.joinable_groups(offer_id), "token": new_token()}
    return render_shop(request, "web/storefront/groupbuy.html", context, nav="home")


def group(request: HttpRequest, group_id: int) -> HttpResponse:
    the_group = _or_404(selectors.get_group, group_id)
    context = {
        "group": the_group,
        "offer": the_group.offer,
        "leader": selectors.masked_name(the_group.leader.name),
        "token": new_token(),
    }
    return render_shop(request, "web/storefront/groupbuy_group.html", context, nav="home")


def _refusal(error: DomainError) -> str:
    return {
        ErrorCode.GROUP_FULL: _("This group is full. Open a new one."),
        ErrorCode.GROUP_CLOSED: _("This group takes no more members."),
        ErrorCode.ALREADY_IN_GROUP: _("You are in this group already."),
        ErrorCode.INSUFFICIENT_STOCK: _("Sold out at this store."),
    }.get(error.code, _("This could not be done."))


def _seat(request: HttpRequest, take, back: str, back_id: int) -> HttpResponse:
    form = SeatForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a store."))
        return redirect(back, back_id)
    try:
        _group, order = take(form.cleaned_data["location_id"], form.cleaned_data["token"])
    except DomainError as error:
        if error.code == ErrorCode.NOT_FOUND:
            raise Http404 from error
        messages.error(request, _refusal(error))
        return redirect(back, back_id)
    return redirect("web:shop-pay", order_id=order.pk)


@require_POST
@member_page
def open_group(request: HttpRequest, offer_id: int) -> HttpResponse:
    def take(location_id, token):
        return services.open_group(
            actor=request.actor, offer_id=offer_id, location_id=location_id, idempotency_key=token
        )

    return _seat(request, take, "web:shop-group-buy", offer_id)


@require_POST
@member_page
def join_group(request: HttpRequest, group_id: int) -> HttpResponse:
    def take(location_id, token):
        return services.join_group(
            actor=request.actor, group_id=group_id, location_id=location_id, idempotency_key=token
        )

    return _seat(request, take, "web:shop-group", group_id)


@member_page
def my_groups(request: HttpRequest) -> HttpResponse:
    seats = selectors.groups_of_member(request.member.pk)
    return render_shop(request, "web/storefront/groupbuy_mine.html", {"seats": seats}, nav="me")


# --- chain sign-ups ----------------------------------------------------------------------------


def chain(request: HttpRequest, chain_id: int) -> HttpResponse:
    the_chain = _or_404(selectors.get_chain, chain_id)
    member = current_member(request)
    mine = selectors.entry_of(chain_id, member.pk) if member else None
    chosen = {line.item_id: line.quantity for line in mine.lines.all()} if mine and mine.state == "active" else {}
    items = [(item, chosen.get(item.pk, 0)) for item in the_chain.items.all()]
    context = {
        "chain": the_chain,
        "items": items,
        "entries": selectors.numbered_entries(chain_id),
        "signed_up": bool(chosen),
    }
    return render_shop(request, "web/storefront/chain.html", context, nav="home")


@require_POST
@member_page
def chain_sign_up(request: HttpRequest, chain_id: int) -> HttpResponse:
    quantities: dict[int, int] = {}
    for key, value in request.POST.items():
        if key.startswith("item-") and value.strip():
            try:
                item_id, quantity = int(key[5:]), int(value)
            except ValueError:
                messages.error(request, _("Enter whole numbers."))
                return redirect("web:shop-chain", chain_id)
            if quantity > 0:
                quantities[item_id] = quantity
    try:
        chains.sign_up(actor=request.actor, chain_id=chain_id, quantities=quantities)
    except DomainError as error:
        if error.code == ErrorCode.NOT_FOUND:
            raise Http404 from error
        messages.error(request, _("Your sign-up was not taken: %(reason)s") % {"reason": error.message})
        return redirect("web:shop-chain", chain_id)
    messages.success(request, _("You are on the list."))
    return redirect("web:shop-chain", chain_id)


@require_POST
@member_page
def chain_cancel(request: HttpRequest, chain_id: int) -> HttpResponse:
    try:
        chains.cancel_entry(actor=request.actor, chain_id=chain_id)
    except DomainError as error:
        if error.code == ErrorCode.NOT_FOUND:
            raise Http404 from error
        messages.error(request, _("The list is closed."))
        return redirect("web:shop-chain", chain_id)
    messages.success(request, _("Your sign-up is cancelled."))
    return redirect("web:shop-chain", chain_id)
