from urllib.parse import urlencode

from django import forms
from django.utils.translation import gettext_lazy as _

from o2o.inventory.models import HAND_ADJUSTMENT_REASONS, AdjustmentReason
from o2o.orders.models import OrderState

MAX_UNITS = 1_000_000


class StockFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100)
    low = forms.BooleanField(required=False)
    page = forms.IntegerField(required=False, min_value=1)


class AdjustmentForm(forms.Form):
    """The labels are in the row template, which also renders rows that have no form yet."""

    delta = forms.IntegerField(min_value=-MAX_UNITS, max_value=MAX_UNITS)
    # without one (an older form) the reason in words is required, as "other"
    reason_code = forms.ChoiceField(choices=[(r.value, r.label) for r in HAND_ADJUSTMENT_REASONS],
                                    initial=AdjustmentReason.DAMAGED, required=False)  # fmt: skip
    reason = forms.CharField(max_length=255, required=False)
    # Rendered with the form: a double submit carries the same key and changes stock once.
    idempotency_key = forms.CharField(max_length=80, required=False)

    def clean_delta(self) -> int:
        delta = self.cleaned_data["delta"]
        if delta == 0:
            raise forms.ValidationError(_("Enter a change other than zero."))
        return delta

    def clean(self) -> dict:
        data = super().clean()
        data["reason_code"] = data.get("reason_code") or AdjustmentReason.OTHER
        if data["reason_code"] == AdjustmentReason.OTHER and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Say why, or choose a standard reason."))
        return data


class OrderFilterForm(forms.Form):
    state = forms.ChoiceField(required=False, choices=[("", _("All")), *OrderState.choices])
    before = forms.IntegerField(required=False, min_value=1)
    q = forms.CharField(required=False, max_length=32, label=_("Order number or phone"))
    placed_from = forms.DateField(required=False, label=_("Placed from"))
    placed_to = forms.DateField(required=False, label=_("Placed until"))

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("placed_from"), data.get("placed_to")
        if start and end and end < start:
            self.add_error("placed_to", _("The last day comes after the first."))
        return data

    def query(self) -> str:
        """The search and days as a query string, for the state tabs and "more" to carry on."""
        data = self.cleaned_data if self.is_bound and hasattr(self, "cleaned_data") else {}
        return urlencode({key: data[key] for key in ("q", "placed_from", "placed_to") if data.get(key)})
