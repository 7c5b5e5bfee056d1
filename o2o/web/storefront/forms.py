from django import forms
from django.utils.translation import gettext_lazy as _

from o2o.core.ids import MAX_ID
from o2o.orders.models import Fulfilment
from o2o.orders.services import MAX_LINE_QUANTITY


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    category = forms.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    after = forms.IntegerField(min_value=1, max_value=MAX_ID, required=False)


class AddToCartForm(forms.Form):
    sku_id = forms.IntegerField(min_value=1, max_value=MAX_ID, widget=forms.HiddenInput)
    quantity = forms.IntegerField(
        label=_("Quantity"),
        min_value=1,
        max_value=MAX_LINE_QUANTITY,
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


class QuantityForm(forms.Form):
    quantity = forms.IntegerField(label=_("Quantity"), min_value=0, max_value=MAX_LINE_QUANTITY)


class CheckoutForm(forms.Form):
    """What the customer chooses; the lines come from the cart and the prices from the server."""

    FULFILMENTS = [(Fulfilment.PICKUP, _("Pick up in store")), (Fulfilment.DELIVERY, _("Home delivery"))]

    token = forms.CharField(max_length=64, widget=forms.HiddenInput)
    fulfilment = forms.ChoiceField(
        label=_("How do you want it?"), choices=FULFILMENTS, initial=Fulfilment.PICKUP, widget=forms.RadioSelect
    )
    pickup_store = forms.IntegerField(label=_("Pickup store"), min_value=1, max_value=MAX_ID, required=False)
    delivery_address = forms.CharField(label=_("Delivery address"), max_length=255, required=False)
    # Where the customer is (browser or district), to choose the location that ships.
    lat = forms.FloatField(min_value=-90, max_value=90, widget=forms.HiddenInput)
    lng = forms.FloatField(min_value=-180, max_value=180, widget=forms.HiddenInput)
    # One of the member's usable coupons (the choices are set per member), or none.
    coupon = forms.ChoiceField(
        label=_("Coupon"),
        required=False,
        error_messages={"invalid_choice": _("This coupon cannot be used for this order. Choose another or none.")},
    )

    def __init__(self, *args, coupons: dict | None = None, **kwargs) -> None:
        """`coupons`: the member's usable coupons, id -> (coupon, terms)."""
        super().__init__(*args, **kwargs)
        offered = [(str(pk), f"{coupon.template.name} · {terms}") for pk, (coupon, terms) in (coupons or {}).items()]
        self.fields["coupon"].choices = [("", _("No coupon")), *offered]

    def clean(self):
        data = super().clean()
        if data.get("fulfilment") == Fulfilment.PICKUP and not data.get("pickup_store"):
            self.add_error("pickup_store", _("Choose the store where you will pick it up."))
        if data.get("fulfilment") == Fulfilment.DELIVERY and not (data.get("delivery_address") or "").strip():
            self.add_error("delivery_address", _("Enter the address to deliver to."))
        return data
