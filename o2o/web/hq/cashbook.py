"""HQ's cash-book pages: every store's daily closes (expected, counted, variance, who closed) with
the stores that have not closed yet, and the franchise stores' share of the online orders they
fulfilled. The figures come from o2o.cashbook.selectors, as the API's do."""

from datetime import timedelta
from decimal import Decimal

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from o2o.cashbook import days, selectors
from o2o.core.errors import DomainError, ErrorCode
from o2o.staff.models import Role
from o2o.web.auth import staff_page

HQ_ROLES = (Role.HQ, Role.REGIONAL_SUPERVISOR)
FRANCHISE_DEFAULT_DAYS = 7


class RangeForm(forms.Form):
    date_from = forms.DateField(required=False)
    date_to = forms.DateField(required=False)

    def days(self, default_days: int = 1) -> tuple:
        values = self.cleaned_data if self.is_valid() else {}
        date_to = values.get("date_to") or days.today()
        date_from = values.get("date_from") or date_to - timedelta(days=default_days - 1)
        return date_from, date_to


def _refused(error: DomainError) -> str:
    if error.code == ErrorCode.FORBIDDEN:
        raise PermissionDenied from error
    if error.code == ErrorCode.INVALID and "max_days" in error.extra:
        return _("Choose at most %(days)s days.") % {"days": error.extra["max_days"]}
    return _("The first day must not be after the last.")


@staff_page(*HQ_ROLES)
def closes(request: HttpRequest) -> HttpResponse:
    """The closes of a day (or a range of days) across the stores the viewer sees."""
    form = RangeForm(request.GET)
    date_from, date_to = form.days()
    context = {"form": form, "date_from": date_from, "date_to": date_to, "section": "closes", "error": ""}
    try:
        found = selectors.closes_for(actor=request.actor, date_from=date_from, date_to=date_to)
        context["closes"] = list(found.order_by("-business_date", "location__code"))
        context["unclosed"] = [
            (day, stores)
            for day, stores in selectors.unclosed_days(actor=request.actor, date_from=date_from, date_to=date_to)
            if stores
        ]
    except DomainError as error:
        context.update(closes=[], unclosed=[], error=_refused(error))
    context["flagged"] = sum(close.variance_flagged for close in context["closes"])
    status = 422 if form.errors or context["error"] else 200
    return render(request, "web/hq/closes.html", context, status=status)


@staff_page(*HQ_ROLES)
def franchise(request: HttpRequest) -> HttpResponse:
    """What each franchise store is owed per day for the online orders it fulfilled."""
    form = RangeForm(request.GET)
    date_from, date_to = form.days(default_days=FRANCHISE_DEFAULT_DAYS)
    context = {"form": form, "date_from": date_from, "date_to": date_to, "section": "franchise", "error": ""}
    try:
        rows = selectors.franchise_days(actor=request.actor, date_from=date_from, date_to=date_to)
    except DomainError as error:
        rows, context["error"] = [], _refused(error)
    context["rows"] = rows
    context["totals"] = {
        "orders": sum(row.orders for row in rows),
        "net": sum((row.net for row in rows), Decimal("0.00")),
        "share": sum((row.share for row in rows), Decimal("0.00")),
        "final": sum((row.share for row in rows if row.final), Decimal("0.00")),
    }
    status = 422 if form.errors or context["error"] else 200
    return render(request, "web/hq/franchise.html", context, status=status)
