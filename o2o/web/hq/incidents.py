"""HQ: incidents across the chain (/hq/incidents/, docs/incidents.md): how many opened in a period
by type, store and step, how many are open past their time to act, and the overdue ones to chase.
Reads o2o.incidents.selectors, as GET /api/v1/incidents/counts does (Operation.VIEW_INCIDENTS)."""

from datetime import datetime, time, timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone

from o2o.incidents import selectors
from o2o.incidents.catalogue import CATALOGUE, IncidentKind, Step
from o2o.staff.models import Role
from o2o.web.auth import refusals_as_http, staff_page

PERIODS = (1, 7, 30, 90)
OVERDUE_SHOWN = 50


@staff_page(Role.HQ, Role.REGIONAL_SUPERVISOR)
@refusals_as_http
def page(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("days", "")
    days = int(raw) if raw.isdigit() and int(raw) in PERIODS else 7
    today = timezone.localdate()
    since = timezone.make_aware(datetime.combine(today - timedelta(days=days - 1), time.min))
    until = timezone.make_aware(datetime.combine(today + timedelta(days=1), time.min))
    counts = selectors.counts(actor=request.actor, since=since, until=until)
    kinds = {row["kind"]: row for row in counts["by_kind"]}
    steps = {row["step"]: row for row in counts["by_step"]}
    overdue = selectors.incidents_for(actor=request.actor, overdue_only=True)[:OVERDUE_SHOWN]
    return render(
        request,
        "web/hq/incidents/page.html",
        {
            "days": days,
            "periods": PERIODS,
            "since": since,
            "until": until,
            "counts": counts,
            "by_kind": [(IncidentKind(kind).label, CATALOGUE[kind], kinds.get(kind)) for kind in IncidentKind.values],
            "by_step": [(Step(step).label, steps.get(step)) for step in Step.values],
            "overdue": overdue,
        },
    )


urlpatterns = [path("incidents/", page, name="hq-incidents")]
