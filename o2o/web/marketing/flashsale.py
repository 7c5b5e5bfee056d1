"""Marketers' flash sale page: the sales with units left, held (ordered, not paid) and sold (paid),
and a form to create one. Reads through `o2o.flashsale.selectors`, writes through its services."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from o2o.core.errors import DomainError, ErrorCode
from o2o.core.ids import MAX_ID
from o2o.core.money import CENT
from o2o.flashsale import selectors, services
from o2o.flashsale.models import MAX_PER_MEMBER, MAX_UNITS
from o2o.staff.models import Role
from o2o.web.auth import staff_page

SHOWN = 200


class FlashSaleForm(forms.Form):
    sku_id = forms.IntegerField(label=gettext_lazy("SKU id"), min_value=1, max_value=MAX_ID)
    location_id = forms.IntegerField(label=gettext_lazy("Store or warehouse id"), min_value=1, max_value=MAX_ID)
    price = forms.DecimalField(
        label=gettext_lazy("Flash price (yuan)"), min_value=CENT, max_digits=12, decimal_places=2
    )
    quantity = forms.IntegerField(label=gettext_lazy("Quantity"), min_value=1, max_value=MAX_UNITS)
    per_member_limit = forms.IntegerField(
        label=gettext_lazy("Limit per member"), min_value=1, max_value=MAX_PER_MEMBER, initial=1
    )
    starts_at = forms.DateTimeField(
        label=gettext_lazy("Opens at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": "1"})
    )
    ends_at = forms.DateTimeField(
        label=gettext_lazy("Closes at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": "1"})
    )
    campaign_id = forms.IntegerField(label=gettext_lazy("Campaign id"), min_value=1, max_value=MAX_ID, required=False)


def _problem(error: DomainError) -> str:
    return {
        ErrorCode.UNKNOWN_SKU: _("No SKU with this id."),
        ErrorCode.LOCATION_UNAVAILABLE: _("Units are held at a store or warehouse: check the location id."),
        ErrorCode.NOT_FOUND: _("No campaign with this id."),
    }.get(
        error.code,
        _(
            "Check the terms: the limit per member is at most the quantity, "
            "and the sale closes after it opens, in the future."
        ),
    )


@staff_page(Role.MARKETER, Role.ONLINE_OPERATOR, Role.HQ)
def flash_sales(request: HttpRequest) -> HttpResponse:
    form = FlashSaleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sale = services.create_flash_sale(actor=request.actor, **form.cleaned_data)
        except DomainError as error:
            if error.code == ErrorCode.FORBIDDEN:
                raise PermissionDenied from error
            form.add_error(None, _problem(error))
        else:
            messages.success(request, _("Flash sale %(id)s created.") % {"id": sale.pk})
            return redirect("web:marketing-flash-sales")
    try:
        sales = list(selectors.sales_for_marketer(actor=request.actor)[:SHOWN])
    except DomainError as error:
        raise PermissionDenied from error
    rows = [(sale, sale.quantity - sale.units_left - sale.units_sold) for sale in sales]
    status = 422 if request.method == "POST" else 200
    return render(request, "web/marketing/flashsale/list.html", {"form": form, "rows": rows}, status=status)
