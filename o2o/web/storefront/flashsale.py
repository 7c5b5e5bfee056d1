"""A flash sale's page in the storefront: price, units left, a countdown to the opening second, and
a Buy button that places the order (offer "flash:<id>") and goes on to the pay page.

The page reads through `o2o.flashsale.selectors` and buys through `orders.place_order` as the API
does (`o2o.api.flashsale.buy`): the sold-out flag and the opening second are answered from one
read before the order path is entered.
"""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from o2o.core.codes import new_token
from o2o.core.errors import DomainError, ErrorCode
from o2o.flashsale import selectors, services
from o2o.flashsale.models import MAX_PER_MEMBER
from o2o.orders.models import Fulfilment
from o2o.orders.services import LineRequest, OrderRequest, place_order
from o2o.web.auth import member_page
from o2o.web.storefront.cart import CHANNEL
from o2o.web.storefront.pages import render_shop


class BuyForm(forms.Form):
    quantity = forms.IntegerField(min_value=1, max_value=MAX_PER_MEMBER)
    token = forms.CharField(max_length=64)  # the idempotency key: a second tap buys once


def _sale_or_404(sale_id: int):
    try:
        return selectors.get_sale(sale_id=sale_id)
    except DomainError as error:
        raise Http404 from error


def flash_sale(request: HttpRequest, sale_id: int) -> HttpResponse:
    sale = _sale_or_404(sale_id)
    now = timezone.now()
    context = {
        "sale": sale,
        "opens_in": max(0, int((sale.starts_at - now).total_seconds())) if now < sale.starts_at else None,
        "closed": now >= sale.ends_at,
        "sold_out": sale.sold_out_at is not None or sale.units_left == 0,
        "token": new_token(),
        "limit_range": range(1, min(sale.per_member_limit, MAX_PER_MEMBER) + 1),
    }
    return render_shop(request, "web/storefront/flashsale.html", context, nav="home")


PROBLEMS = {
    ErrorCode.FLASH_SALE_SOLD_OUT: gettext_lazy("Sold out. Units of unpaid orders come back when their time runs out."),
    ErrorCode.FLASH_SALE_NOT_OPEN: gettext_lazy("The sale is not open."),
    ErrorCode.FLASH_SALE_LIMIT_REACHED: gettext_lazy("You have bought as many as one member may."),
    ErrorCode.INSUFFICIENT_STOCK: gettext_lazy("Sold out."),
}


@require_POST
@member_page
def buy(request: HttpRequest, sale_id: int) -> HttpResponse:
    form = BuyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose how many to buy."))
        return redirect("web:shop-flash", sale_id=sale_id)
    try:
        order = _buy(request, sale_id, form.cleaned_data["quantity"], form.cleaned_data["token"])
    except DomainError as error:
        if error.code == ErrorCode.NOT_FOUND:
            raise Http404 from error
        messages.error(request, str(PROBLEMS.get(error.code, _("This purchase could not be made."))))
        return redirect("web:shop-flash", sale_id=sale_id)
    return redirect("web:shop-pay", order_id=order.pk)


def _buy(request: HttpRequest, sale_id: int, quantity: int, token: str):
    admission = selectors.admission(sale_id=sale_id)
    if admission.refusal is not None:
        raise admission.refusal
    order_request = OrderRequest(
        channel=CHANNEL,
        fulfilment=Fulfilment.PICKUP,
        fulfilment_location_id=admission.location_id,
        lines=[LineRequest(admission.sku_id, quantity)],
        offer=f"flash:{sale_id}",
    )
    try:
        return place_order(actor=request.actor, member=request.member, request=order_request, idempotency_key=token)
    except DomainError as refused:
        if refused.code == ErrorCode.FLASH_SALE_SOLD_OUT:
            services.note_sold_out(sale_id=sale_id)
        raise
