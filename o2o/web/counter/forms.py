"""The counter's forms: what a clerk types or scans, checked before any service is called."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from o2o.catalog.selectors import active_skus
from o2o.orders.models import Fulfilment, Order, OrderLine
from o2o.orders.services import MAX_LINE_QUANTITY
from o2o.payments.models import PaymentMethod
from o2o.stores.models import Location
from o2o.web.counter import basket

IN_STORE_METHOD_CHOICES = [
    (PaymentMethod.CASH.value, PaymentMethod.CASH.label),
    (PaymentMethod.CARD.value, PaymentMethod.CARD.label),
    (PaymentMethod.STORE_QR.value, PaymentMethod.STORE_QR.label),
]
AISLE_FULFILMENT_CHOICES = [
    (Fulfilment.DELIVERY.value, _("Deliver to the customer")),
    (Fulfilment.PICKUP.value, _("Customer picks it up there")),
]


class PickupCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Pickup code"),
        max_length=200,  # the 12 digits typed, or the signed payload of the QR code
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric", "autofocus": True}),
        error_messages={"required": _("Type the 12-digit pickup code or scan its QR code.")},
    )


class UndoForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=255,
        error_messages={"required": _("Say why the hand-over is undone.")},
    )


class BarcodeForm(forms.Form):
    barcode = forms.CharField(
        label=_("Barcode"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
        error_messages={"required": _("Scan or type a barcode.")},
    )


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search products"), max_length=100, required=False)


class LineForm(forms.Form):
    """Add one unit of a SKU (add=1), or set a line's quantity (0 removes it)."""

    sku_id = forms.IntegerField(min_value=1)
    quantity = forms.IntegerField(min_value=0, max_value=MAX_LINE_QUANTITY, required=False)
    add = forms.BooleanField(required=False)


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Customer's mobile phone"),
        max_length=32,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        error_messages={"required": _("Type the customer's mobile phone number.")},
    )


class RegisterForm(PhoneForm):
    name = forms.CharField(label=_("Name (optional)"), max_length=100, required=False)
    marketing_consent = forms.BooleanField(label=_("Agrees to marketing messages"), required=False)


class CheckoutForm(forms.Form):
    method = forms.ChoiceField(label=_("Payment"), choices=IN_STORE_METHOD_CHOICES, widget=forms.RadioSelect)
    # One idempotency key per basket: a second tap on "Take payment" cannot sell twice.
    token = forms.CharField(max_length=80, widget=forms.HiddenInput)


class SaleCheckoutForm(CheckoutForm):
    """A sale may be paid partly from the member's stored value: the clerk scans their payment code."""

    member_code = forms.CharField(
        label=_("Member's payment code"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    wallet_amount = forms.DecimalField(
        label=_("From stored value (blank: as much as the sale)"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
    )
    cash_tendered = forms.DecimalField(
        label=_("Cash given"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01", "autocomplete": "off"}),
    )

    def cash_due(self, total: Decimal) -> Decimal:
        """What the cash part of a sale of `total` comes to: all of it, or what stored value leaves."""
        data = self.cleaned_data
        if data["method"] != "cash" or (data["member_code"] and data["wallet_amount"] is None):
            return Decimal("0.00")
        return max(total - (data["wallet_amount"] or 0 if data["member_code"] else 0), Decimal("0.00"))


class AisleSearchForm(forms.Form):
    q = forms.CharField(label=_("Search products"), max_length=100, required=False)
    sku = forms.IntegerField(min_value=1, required=False)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=MAX_LINE_QUANTITY, required=False)


class AisleLineForm(forms.Form):
    """Add a quantity of a SKU from a source location to the aisle order (add=1), or set the quantity of
    one of its lines (0 removes the line)."""

    sku_id = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=0, max_value=MAX_LINE_QUANTITY)
    location_id = forms.IntegerField(label=_("Ships from"), min_value=1, required=False)
    add = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("add") and data.get("location_id") is None:
            self.add_error("location_id", _("Choose the location the goods come from."))
        if data.get("add") and data.get("quantity") == 0:
            self.add_error("quantity", _("Enter a quantity of at least 1."))
        return data


class AisleOrderForm(CheckoutForm):
    """How the customer gets the aisle order and pays for it; the lines and their location are the list's."""

    fulfilment = forms.ChoiceField(
        label=_("How the customer gets it"), choices=AISLE_FULFILMENT_CHOICES, widget=forms.RadioSelect
    )
    delivery_address = forms.CharField(label=_("Delivery address"), max_length=255, required=False)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("fulfilment") == Fulfilment.DELIVERY and not data.get("delivery_address", "").strip():
            self.add_error("delivery_address", _("Type the address to deliver to."))
        return data


class ExchangeForm(forms.Form):
    """换货: a line, how many of its units, and the variant they become; a key so a double submit swaps once."""

    line = forms.TypedChoiceField(label=_("Item handed back"), coerce=int)
    quantity = forms.IntegerField(label=_("Units"), min_value=1, max_value=MAX_LINE_QUANTITY, initial=1)
    to_sku = forms.TypedChoiceField(label=_("Exchanged for"), coerce=int)
    key = forms.CharField(widget=forms.HiddenInput, max_length=80)

    def __init__(self, *args, order: Order, store: Location, **kwargs):
        super().__init__(*args, **kwargs)
        lines = [line for line in order.lines.all() if line.quantity - line.returned_quantity - line.exchanged_quantity]
        self.fields["line"].choices = [(line.pk, f"{line.sku.name} ({line.sku.code})") for line in lines]
        self.fields["to_sku"].choices = _variants(lines, store)

    @property
    def offered(self) -> bool:
        """Something to exchange: a line with units still with the customer, and a variant on the shelf."""
        return bool(self.fields["line"].choices and self.fields["to_sku"].choices)


def _variants(lines: list[OrderLine], store: Location) -> list[tuple[int, str]]:
    """The lines' products' other active variants on this store's shelf, with their counter price.
    Whether a variant fits the chosen line (same product, same price) the exchange service decides."""
    products, sold = {line.sku.product_id for line in lines}, {line.sku_id for line in lines}
    skus = list(active_skus().filter(product_id__in=products).exclude(pk__in=sold).order_by("product_id", "code"))
    prices = basket.counter_prices({s.pk for s in skus}, store.pk)
    shelf = basket.shelf_stock(store, set(prices))
    return [
        (
            sku.pk,
            f"{sku.name} ({sku.code}) · ¥{prices[sku.pk]} · " + gettext("%(n)s on the shelf") % {"n": shelf[sku.pk]},
        )
        for sku in skus
        if shelf.get(sku.pk, 0) > 0
    ]
