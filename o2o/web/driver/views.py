"""The driver's page on a phone (/driver/, docs/delivery.md): today's run, its stops in order with
a navigation link, deliver with the customer's code or a photo, or fail with a reason. Writes call
o2o.delivery.services, as the API does; a driver sees only the runs assigned to them."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from o2o.core.errors import DomainError, ErrorCode
from o2o.delivery import selectors, services
from o2o.delivery.geo import navigation_url
from o2o.delivery.models import FailureReason
from o2o.staff.models import Role
from o2o.web.auth import raise_if_refusal, refusals_as_http, staff_page

REFUSALS = {
    ErrorCode.INVALID_CODE: gettext_lazy("That is not the customer's code."),
    ErrorCode.RATE_LIMITED: gettext_lazy("Too many wrong codes: take a photo of the goods at the door instead."),
    ErrorCode.ILLEGAL_TRANSITION: gettext_lazy("This stop or run has moved on: reload the page."),
}


class DeliverForm(forms.Form):
    code = forms.RegexField(label=gettext_lazy("Customer's code"), regex=r"^\d{4}$", required=False,
                            widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))  # fmt: skip
    photo = forms.ImageField(label=gettext_lazy("Or a photo at the door"), required=False)

    def clean(self):
        data = super().clean()
        if not data.get("code") and not data.get("photo"):
            raise forms.ValidationError(_("Type the customer's code or take a photo."))
        return data


class FailForm(forms.Form):
    reason = forms.ChoiceField(label=gettext_lazy("Why not delivered"), choices=FailureReason.choices)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=255, required=False)


def _refusal(error: DomainError) -> str:
    return str(REFUSALS.get(error.code, error.message))


@staff_page(Role.DRIVER)
def today(request: HttpRequest) -> HttpResponse:
    runs = list(selectors.my_runs(actor=request.actor, day=timezone.localdate()))
    for run in runs:
        for stop in run.stops.all():
            stop.navigate = navigation_url(latitude=stop.latitude, longitude=stop.longitude, name=stop.address)
    return render(request, "web/driver/today.html", {
        "runs": runs, "deliver_form": DeliverForm(), "fail_form": FailForm(), "section": "driver"})  # fmt: skip


@require_POST
@staff_page(Role.DRIVER)
@refusals_as_http
def dispatch(request: HttpRequest, run_id: int) -> HttpResponse:
    try:
        services.dispatch_run(actor=request.actor, run_id=run_id)
    except DomainError as error:
        raise_if_refusal(error)
        messages.error(request, _refusal(error))
    return redirect("web:driver-today")


@require_POST
@staff_page(Role.DRIVER)
@refusals_as_http
def deliver(request: HttpRequest, stop_id: int) -> HttpResponse:
    form = DeliverForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("web:driver-today")
    try:
        services.deliver_stop(actor=request.actor, stop_id=stop_id, code=form.cleaned_data["code"] or "",
                              photo=form.cleaned_data["photo"])  # fmt: skip
    except DomainError as error:
        raise_if_refusal(error)
        messages.error(request, _refusal(error))
    else:
        messages.success(request, _("Delivered."))
    return redirect("web:driver-today")


@require_POST
@staff_page(Role.DRIVER)
@refusals_as_http
def fail(request: HttpRequest, stop_id: int) -> HttpResponse:
    form = FailForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a reason."))
        return redirect("web:driver-today")
    try:
        services.fail_stop(actor=request.actor, stop_id=stop_id, reason=form.cleaned_data["reason"],
                           note=form.cleaned_data["note"])  # fmt: skip
    except DomainError as error:
        raise_if_refusal(error)
        messages.error(request, _refusal(error))
    else:
        messages.success(request, _("Recorded as not delivered."))
    return redirect("web:driver-today")
