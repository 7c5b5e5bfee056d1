"""The owner's view on a phone: the chain (or region, or store) -> a store -> an employee -> the
order lines behind a figure. Every number comes from o2o.analytics.staff_performance, as the API's
(GET /api/v1/boss/...) do; scope and refusals are decided there (403 for other roles, 404 outside scope).
"""

from django import forms
from django.core.paginator import Paginator
from django.db.models import F, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from o2o.analytics import staff_performance as boss
from o2o.core.errors import DomainError
from o2o.core.money import to_money
from o2o.staff.models import Role
from o2o.web.auth import refusals_as_http, staff_page

ROLES = (Role.HQ, Role.REGIONAL_SUPERVISOR, Role.STORE_MANAGER)
PAGE_SIZE = 50
PERIOD_LABELS = {"today": gettext_lazy("Today"), "week": gettext_lazy("This week"), "month": gettext_lazy("This month")}


class PeriodForm(forms.Form):
    period = forms.ChoiceField(required=False, choices=[("", ""), *PERIOD_LABELS.items(), ("range", "range")])
    since = forms.DateField(required=False)
    until = forms.DateField(required=False)


def _window(request: HttpRequest) -> tuple[boss.Window, str]:
    """The period asked for, or today with an error message when it cannot be read."""
    form = PeriodForm(request.GET)
    if form.is_valid():
        try:
            data = form.cleaned_data
            return boss.window(period=data["period"] or None, since=data["since"], until=data["until"]), ""
        except DomainError as error:
            return boss.window(), _("This period cannot be shown (%(reason)s); showing today.") % {
                "reason": error.message
            }
    return boss.window(), _("Dates are written YYYY-MM-DD; showing today.")


def _query(w: boss.Window) -> str:
    if w.period == "range":
        return f"since={w.first_day.isoformat()}&until={w.last_day.isoformat()}"
    return f"period={w.period}"


def _context(request: HttpRequest, w: boss.Window, error: str, **more) -> dict:
    return {
        "window": w,
        "query": _query(w),
        "periods": list(PERIOD_LABELS.items()),
        "period_error": error,
        "is_chain_wide": request.actor.is_chain_wide,
        **more,
    }


def _status(error: str) -> int:
    return 422 if error else 200


@staff_page(*ROLES)
@refusals_as_http
def overview(request: HttpRequest) -> HttpResponse:
    """The stores in the viewer's scope, the teams, the totals; each figure links to its rows."""
    w, error = _window(request)
    data = boss.overview(location_ids=boss.boss_scope(request.actor), w=w)
    chart = {
        "names": [s.name for s in data.stores],
        "revenue": [float(s.figures.revenue) for s in data.stores],
        "credited": [float(s.figures.credited_sales + s.staff_credited_sales) for s in data.stores],
        "labels": {"revenue": _("Revenue"), "credited": _("Credited sales"), "empty": _("No sales in this period")},
    }
    context = _context(request, w, error, data=data, chart=chart, section="overview")
    return render(request, "web/boss/overview.html", context, status=_status(error))


@staff_page(*ROLES)
@refusals_as_http
def store(request: HttpRequest, location_id: int) -> HttpResponse:
    """One store: its figures, its teams and its employees."""
    w, error = _window(request)
    location = boss.store_for(request.actor, location_id)
    data = boss.store_view(location=location, w=w)
    context = _context(request, w, error, location=location, data=data, section="store")
    return render(request, "web/boss/store.html", context, status=_status(error))


def _page(request: HttpRequest, rows):
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


@staff_page(*ROLES)
@refusals_as_http
def store_orders(request: HttpRequest, location_id: int) -> HttpResponse:
    """The paid orders behind a store's orders and revenue figures."""
    w, error = _window(request)
    location = boss.store_for(request.actor, location_id)
    orders = boss.store_orders(location=location, w=w).annotate(revenue=F("total") - F("refunded_total"))
    total = to_money(orders.aggregate(sum=Sum(F("total") - F("refunded_total")))["sum"] or 0)
    context = _context(request, w, error, location=location, page=_page(request, orders), total=total)
    return render(request, "web/boss/store_orders.html", context, status=_status(error))


@staff_page(*ROLES)
@refusals_as_http
def store_credits(request: HttpRequest, location_id: int) -> HttpResponse:
    """The credited lines behind a store's own credited sales."""
    w, error = _window(request)
    location = boss.store_for(request.actor, location_id)
    credits = boss.store_credits(location=location, w=w)
    total = to_money(credits.aggregate(sum=Sum("amount"))["sum"] or 0)
    context = _context(
        request, w, error, location=location, subject=location.name, page=_page(request, credits), total=total
    )
    return render(request, "web/boss/credits.html", context, status=_status(error))


@staff_page(*ROLES)
@refusals_as_http
def employee(request: HttpRequest, employee_id: int) -> HttpResponse:
    """One employee's figures and the credited order lines behind their credited sales."""
    w, error = _window(request)
    found = boss.employee_for(request.actor, employee_id)
    row = boss.employee_view(employee=found, w=w)
    credits = boss.employee_credits(employee=found, w=w)
    context = _context(
        request, w, error, employee=found, row=row, subject=found.display_name, page=_page(request, credits),
        total=row.figures.credited_sales,
    )  # fmt: skip
    return render(request, "web/boss/employee.html", context, status=_status(error))
