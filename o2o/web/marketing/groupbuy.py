"""Marketers' group-buy page: the offers with their groups open, complete and failed, and a form to
create one. Writes through o2o.groupbuy.services (the permission is decided there)."""

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
from o2o.groupbuy import selectors, services
from o2o.staff.models import Role
from o2o.web.auth import staff_page

SHOWN = 100


class OfferForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    sku_id = forms.IntegerField(label=gettext_lazy("SKU id"), min_value=1, max_value=MAX_ID)
    group_price = forms.DecimalField(
        label=gettext_lazy("Group price (yuan)"), min_value=CENT, max_digits=12, decimal_places=2
    )
    group_size = forms.IntegerField(label=gettext_lazy("Group size"), min_value=2, max_value=100, initial=3)
    time_limit_hours = forms.IntegerField(
        label=gettext_lazy("Hours to fill a group"), min_value=1, max_value=168, initial=24
    )
    per_member_limit = forms.IntegerField(label=gettext_lazy("Units per member"), min_value=1, max_value=99, initial=1)
    starts_at = forms.DateTimeField(
        label=gettext_lazy("Starts at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label=gettext_lazy("Ends at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    location_ids = forms.CharField(label=gettext_lazy("Pickup store ids, comma separated"), max_length=500)
    campaign_id = forms.IntegerField(label=gettext_lazy("Campaign id"), min_value=1, max_value=MAX_ID, required=False)

    def clean_location_ids(self) -> list[int]:
        raw = [part.strip() for part in self.cleaned_data["location_ids"].replace("，", ",").split(",")]
        if not raw or not all(part.isdigit() and 0 < int(part) <= MAX_ID for part in raw):
            raise forms.ValidationError(_("Store ids are numbers separated by commas."))
        return [int(part) for part in raw]


@staff_page(Role.MARKETER, Role.ONLINE_OPERATOR, Role.HQ)
def group_buys(request: HttpRequest) -> HttpResponse:
    form = OfferForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            offer = services.create_offer(actor=request.actor, **form.cleaned_data)
        except DomainError as error:
            if error.code == ErrorCode.FORBIDDEN:
                raise PermissionDenied from error
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Group buy %(id)s created.") % {"id": offer.pk})
            return redirect("web:marketing-group-buys")
    rows = [(offer, selectors.group_counts(offer.pk)) for offer in selectors.all_offers()[:SHOWN]]
    status = 422 if request.method == "POST" else 200
    return render(request, "web/marketing/groupbuy/list.html", {"form": form, "rows": rows}, status=status)
