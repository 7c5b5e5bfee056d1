"""The store's fulfilment settings (/manager/fulfilment/, docs/preparation.md): how long the store
takes to prepare an online order, whether new orders are accepted automatically, and how many
pickup orders one pickup slot takes. Writes call o2o.preparation.services, as the API does."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from o2o.access.permissions import Operation, may
from o2o.core.errors import DomainError
from o2o.preparation import services
from o2o.staff.models import Role
from o2o.web.auth import refusals_as_http, staff_page
from o2o.web.manager.scope import store_scope


class SettingsForm(forms.Form):
    preparation_minutes = forms.IntegerField(label=gettext_lazy("Preparation time target (minutes)"),
                                             min_value=1, max_value=24 * 60)  # fmt: skip
    auto_accept_orders = forms.BooleanField(label=gettext_lazy("Accept new online orders automatically"),
                                            required=False)  # fmt: skip
    pickup_slot_capacity = forms.IntegerField(label=gettext_lazy("Pickup orders per slot (empty: no limit)"),
                                              min_value=1, max_value=10_000, required=False)  # fmt: skip


@staff_page(Role.STORE_MANAGER)
@refusals_as_http
def fulfilment_settings(request: HttpRequest) -> HttpResponse:
    scope = store_scope(request)
    store = scope.location
    may_change = may(request.actor, Operation.MANAGE_FULFILMENT_SETTINGS, location_id=store.pk)
    form = SettingsForm(request.POST if request.method == "POST" else None, initial={
        "preparation_minutes": store.preparation_minutes, "auto_accept_orders": store.auto_accept_orders,
        "pickup_slot_capacity": store.pickup_slot_capacity,
    })  # fmt: skip
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.set_fulfilment_settings(actor=request.actor, location_id=store.pk, **form.cleaned_data)
            except DomainError as error:
                if error.code in ("forbidden", "not_found"):
                    raise
                form.add_error(None, error.message)
            else:
                messages.success(request, _("The store's fulfilment settings are saved."))
                return redirect(reverse("web:manager-fulfilment") + scope.suffix)
        status = 422
    return render(request, "web/manager/fulfilment_settings.html",
                  {"scope": scope, "section": "fulfilment", "form": form, "may_change": may_change,
                   "is_manager": request.actor.has_role(Role.STORE_MANAGER)}, status=status)  # fmt: skip
