"""The HQ dashboard: every number from o2o.analytics.selectors.dashboard, as the API serves it."""

from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from o2o.analytics import selectors as analytics
from o2o.analytics.selectors import IN_STORE, ONLINE, Dashboard
from o2o.analytics.trends import HOUR, Trend, sales_trend
from o2o.catalog.models import Channel
from o2o.orders.models import Fulfilment
from o2o.staff.models import Role
from o2o.web.auth import staff_page
from o2o.web.hq.forms import PERIOD_LABELS, PeriodForm
from o2o.web.htmx import is_htmx


def _channel_group_labels() -> dict[str, str]:
    return {ONLINE: _("Online"), IN_STORE: _("In store")}


def _charts(data: Dashboard) -> dict:
    """What hq.js draws, labels already translated; the tables beside the charts show the exact figures."""
    groups = _channel_group_labels()
    stores = [s for s in data.by_store if s.location_id is not None]
    return {
        "stores": {
            "names": [s.name for s in stores],
            "sales": [float(s.sales) for s in stores],
            "orders": [s.orders for s in stores],
        },
        "channels": {
            "groups": [{"key": g.key, "name": groups[g.key], "value": float(g.sales)} for g in data.by_channel_group],
            "channels": [
                {"key": c.key, "name": str(Channel(c.key).label), "value": float(c.sales)} for c in data.by_channel
            ],
        },
        "fulfilment": {
            "names": [str(Fulfilment(f.key).label) for f in data.by_fulfilment],
            "orders": [f.orders for f in data.by_fulfilment],
        },
        "labels": {"sales": _("Sales"), "orders": _("Orders"), "empty": _("No sales in this period")},
    }


def _trend_chart(trend: Trend) -> dict:
    label = "%H:00" if trend.step == HOUR else "%m-%d"
    return {
        "labels": [point.start.strftime(label) for point in trend.points],
        "sales": [float(point.sales) for point in trend.points],
        "previous": [float(point.previous_sales) for point in trend.points],
        "names": {
            "current": _("This period"),
            "previous": _("Same hours yesterday") if trend.step == HOUR else _("The period before"),
        },
    }


def _rows(data: Dashboard) -> dict:
    groups = _channel_group_labels()
    return {
        "channels": [(Channel(c.key).label, groups[analytics.channel_group(c.key)], c) for c in data.by_channel],
        "fulfilment": [(Fulfilment(f.key).label, f) for f in data.by_fulfilment],
        "groups": [(groups[g.key], g) for g in data.by_channel_group],
    }


@staff_page(Role.HQ, Role.REGIONAL_SUPERVISOR)
def dashboard(request: HttpRequest) -> HttpResponse:
    """Sales, orders, members and pickups of the actor's stores; HTMX swaps the dashboard for another period."""
    form = PeriodForm(request.GET)
    period = form.chosen_period()
    location_ids = analytics.dashboard_scope(request.actor)
    start, end = analytics.period_bounds(period)
    data = analytics.dashboard(location_ids=location_ids, start=start, end=end)
    trend = sales_trend(location_ids=location_ids, start=start, end=end)
    charts = _charts(data) | {"trend": _trend_chart(trend)}
    context = {
        "form": form,
        "period": period,
        "periods": list(PERIOD_LABELS.items()),
        "first_day": start.date(),
        "last_day": (end - timedelta(days=1)).date(),
        "data": data,
        "rows": _rows(data),
        "charts": charts,
        "trend": trend,
        "scoped": location_ids is not None,
        "can_open_stores": request.actor.is_chain_wide,
    }
    htmx = is_htmx(request)
    template = "web/hq/dashboard.html#dashboard" if htmx else "web/hq/dashboard.html"
    return render(request, template, context, status=422 if form.errors and not htmx else 200)
