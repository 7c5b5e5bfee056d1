"""Delivery runs of a depot (/manager/delivery/, docs/delivery.md): plan the day, see each run's
stops in order, send a run on its way. Writes call o2o.delivery.services, as the API does."""

from datetime import date

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from o2o.access.permissions import Operation, may
from o2o.core.errors import DomainError
from o2o.delivery import selectors, services
from o2o.staff.models import Role
from o2o.web.auth import refusal_or_message, refusals_as_http, staff_page
from o2o.web.manager.scope import store_scope

RUN_ROLES = (Role.STORE_MANAGER, Role.WAREHOUSE_CLERK)


def _day(raw: str | None) -> date:
    try:
        return date.fromisoformat(raw) if raw else timezone.localdate()
    except ValueError:
        return timezone.localdate()


def _back(scope, day: date) -> HttpResponse:
    suffix = f"&{scope.query}" if scope.explicit else ""
    return redirect(f"{reverse('web:manager-delivery')}?date={day.isoformat()}{suffix}")


@staff_page(*RUN_ROLES)
@refusals_as_http
def run_list(request: HttpRequest) -> HttpResponse:
    scope = store_scope(request)
    day = _day(request.GET.get("date"))
    runs = selectors.runs_at(actor=request.actor, depot_id=scope.location.pk, day=day)
    return render(request, "web/manager/delivery/runs.html", {
        "scope": scope, "section": "delivery", "day": day, "runs": runs,
        "may_plan": may(request.actor, Operation.PLAN_DELIVERY_RUNS, location_id=scope.location.pk),
        "waiting": services.plannable_orders(scope.location.pk).count(),
        "is_manager": request.actor.has_role(Role.STORE_MANAGER),
    })  # fmt: skip


@require_POST
@staff_page(*RUN_ROLES)
@refusals_as_http
def plan(request: HttpRequest) -> HttpResponse:
    scope = store_scope(request)
    day = _day(request.POST.get("date"))
    try:
        runs = services.plan_runs(actor=request.actor, depot_id=scope.location.pk, day=day)
    except DomainError as error:
        messages.error(request, refusal_or_message(error))
    else:
        stops = sum(r.stops.count() for r in runs)
        messages.success(request, _("Planned %(stops)d stops on %(runs)d runs.") % {"stops": stops, "runs": len(runs)})
    return _back(scope, day)


@require_POST
@staff_page(*RUN_ROLES)
@refusals_as_http
def dispatch(request: HttpRequest, run_id: int) -> HttpResponse:
    scope = store_scope(request)
    run = services.get_run_for(actor=request.actor, run_id=run_id)
    try:
        services.dispatch_run(actor=request.actor, run_id=run.pk)
    except DomainError as error:
        messages.error(request, refusal_or_message(error))
    else:
        messages.success(request, _("The run is on the road."))
    return _back(scope, run.date)
