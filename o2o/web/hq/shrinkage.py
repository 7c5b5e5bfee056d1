"""HQ: stock counts and shrinkage across the stores (/hq/shrinkage/, docs/stocktakes.md): for a
period, per store, the counts approved, their variance (counted - book) in units and at the
counter price, and the stock ledger's corrections by reason; the chain's totals; the newest
approved counts. Reads o2o.stocktakes.selectors.shrinkage, as GET /api/v1/stock-counts/shrinkage
does (Operation.VIEW_SHRINKAGE)."""

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from o2o.core.errors import DomainError, ErrorCode
from o2o.inventory.models import AdjustmentReason
from o2o.staff.models import Role
from o2o.stocktakes import selectors
from o2o.web.auth import refusals_as_http, staff_page


class PeriodForm(forms.Form):
    since = forms.DateField(
        label=gettext_lazy("First day"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=gettext_lazy("Last day"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


def _report(request: HttpRequest, form: PeriodForm) -> selectors.ShrinkageReport | None:
    """The report for the form's period, or None with the form's error when the period is bad."""
    if not form.is_valid():
        return None
    try:
        return selectors.shrinkage(actor=request.actor, first=form.cleaned_data["since"],
                                   last=form.cleaned_data["until"])  # fmt: skip
    except DomainError as error:
        if error.code != ErrorCode.INVALID:
            raise
        form.add_error("since", _("Choose a start on or before the end, at most %(days)d days apart.")
                       % {"days": selectors.MAX_DAYS})  # fmt: skip
        return None


@staff_page(Role.HQ, Role.REGIONAL_SUPERVISOR)
@refusals_as_http
def page(request: HttpRequest) -> HttpResponse:
    form = PeriodForm(request.GET or None)
    report = _report(request, form) if request.GET else selectors.shrinkage(actor=request.actor)
    reasons = [(str(reason), reason.label) for reason in AdjustmentReason]
    return render(request, "web/hq/shrinkage/page.html",
                  {"form": form, "report": report, "reasons": reasons},
                  status=200 if report is not None else 422)  # fmt: skip


urlpatterns = [path("shrinkage/", page, name="hq-shrinkage")]
