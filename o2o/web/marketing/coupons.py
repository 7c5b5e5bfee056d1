"""Marketers' coupon page: the templates with issued and used counts, a form to create one, and a
switch to turn each on or off. Reads through `o2o.coupons.selectors`, writes through its services."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from o2o.core.errors import DomainError, ErrorCode
from o2o.core.ids import MAX_ID
from o2o.core.money import CENT
from o2o.coupons import selectors, services
from o2o.coupons.models import ChannelScope, CouponKind, OnReturn
from o2o.staff.models import Role
from o2o.web.auth import staff_page
from o2o.web.marketing.fields import id_list

SHOWN = 200
ROLES = (Role.MARKETER, Role.ONLINE_OPERATOR, Role.HQ)


class TemplateForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=120)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=CouponKind.choices)
    amount = forms.DecimalField(
        label=gettext_lazy("Amount off (yuan)"), min_value=CENT, max_digits=12, decimal_places=2, required=False
    )
    percent = forms.IntegerField(label=gettext_lazy("Percent off"), min_value=1, max_value=99, required=False)
    cap = forms.DecimalField(
        label=gettext_lazy("At most (yuan)"), min_value=CENT, max_digits=12, decimal_places=2, required=False
    )
    min_spend = forms.DecimalField(
        label=gettext_lazy("Minimum spend (yuan)"), min_value=CENT, max_digits=12, decimal_places=2, required=False
    )
    free_sku_id = forms.IntegerField(label=gettext_lazy("Free SKU id"), min_value=1, max_value=MAX_ID, required=False)
    valid_days = forms.IntegerField(
        label=gettext_lazy("Valid for days after issue"), min_value=1, max_value=3660, required=False
    )
    valid_from = forms.DateTimeField(
        label=gettext_lazy("Valid from"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    valid_until = forms.DateTimeField(
        label=gettext_lazy("Valid until"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    channel_scope = forms.ChoiceField(label=gettext_lazy("Channels"), choices=ChannelScope.choices)
    location_ids = forms.CharField(label=gettext_lazy("Store ids (empty: all)"), required=False, max_length=2000)
    category_ids = forms.CharField(label=gettext_lazy("Category ids (empty: all)"), required=False, max_length=2000)
    sku_ids = forms.CharField(label=gettext_lazy("SKU ids (empty: all)"), required=False, max_length=2000)
    quota = forms.IntegerField(
        label=gettext_lazy("Quota (empty: unlimited)"), min_value=1, max_value=10_000_000, required=False
    )
    per_member_limit = forms.IntegerField(label=gettext_lazy("Per member"), min_value=1, max_value=100, initial=1)
    claimable = forms.BooleanField(label=gettext_lazy("Shown in the claim centre"), required=False)
    on_registration = forms.BooleanField(label=gettext_lazy("Given to new members"), required=False)
    on_return = forms.ChoiceField(label=gettext_lazy("When the order is refunded"), choices=OnReturn.choices)
    campaign_id = forms.IntegerField(label=gettext_lazy("Campaign id"), min_value=1, max_value=MAX_ID, required=False)

    def clean_location_ids(self) -> list[int]:
        return list(id_list(self.cleaned_data["location_ids"]))

    def clean_category_ids(self) -> list[int]:
        return list(id_list(self.cleaned_data["category_ids"]))

    def clean_sku_ids(self) -> list[int]:
        return list(id_list(self.cleaned_data["sku_ids"]))


def _problem(error: DomainError) -> str:
    return _("Check the terms: %(message)s") % {"message": error.message}


def _templates(request: HttpRequest) -> list:
    try:
        return list(selectors.templates_with_counts(actor=request.actor)[:SHOWN])
    except DomainError as error:
        raise PermissionDenied from error


@staff_page(*ROLES)
def coupons(request: HttpRequest) -> HttpResponse:
    form = TemplateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            template = services.create_template(actor=request.actor, **form.cleaned_data)
        except DomainError as error:
            if error.code == ErrorCode.FORBIDDEN:
                raise PermissionDenied from error
            form.add_error(None, _problem(error))
        else:
            messages.success(request, _("Coupon template %(id)s created.") % {"id": template.pk})
            return redirect("web:marketing-coupons")
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "templates": _templates(request)}
    return render(request, "web/marketing/coupons/list.html", context, status=status)


@require_POST
@staff_page(*ROLES)
def set_active(request: HttpRequest, template_id: int) -> HttpResponse:
    active = request.POST.get("active") == "1"
    try:
        services.set_template_active(actor=request.actor, template_id=template_id, active=active)
    except DomainError as error:
        if error.code == ErrorCode.FORBIDDEN:
            raise PermissionDenied from error
        messages.error(request, _("No coupon template with this id."))
    return redirect("web:marketing-coupons")
