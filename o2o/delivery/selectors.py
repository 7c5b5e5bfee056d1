"""Reads of delivery runs for the pages, the API and other apps (incidents read `late_stops`)."""

from dataclasses import dataclass
from datetime import date as Date  # noqa: N812
from datetime import datetime

from django.db.models import QuerySet

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.delivery.models import (
    ACTIVE_COURIER_STATES,
    CourierBooking,
    DeliveryRun,
    RunState,
    RunStop,
    StopState,
)
from o2o.delivery.services import _visible_runs, get_run_for  # noqa: F401 - the scoped accessor lives with the writes
from o2o.staff.models import Role


def late_stops(now: datetime) -> QuerySet[RunStop]:
    """Stops on the road whose window closed before `now` with nothing delivered (late delivery)."""
    return (
        RunStop.objects.filter(state=StopState.PENDING, run__state=RunState.DISPATCHED, window_end__lt=now)
        .select_related("run", "order")
        .order_by("window_end", "pk")
    )


def runs_at(*, actor: Actor, depot_id: int, day: Date) -> QuerySet[DeliveryRun]:
    authorize(actor, Operation.VIEW_DELIVERY_RUNS, location_id=depot_id)
    return (
        _visible_runs(actor)
        .filter(depot_id=depot_id, date=day)
        .prefetch_related("stops__order", "stops__transfer")
        .order_by("vehicle__name", "pk")
    )


def my_runs(*, actor: Actor, day: Date) -> QuerySet[DeliveryRun]:
    """A driver's runs of the day, stops in order."""
    if not actor.has_role(Role.DRIVER):
        return DeliveryRun.objects.none()
    return _visible_runs(actor).filter(date=day).prefetch_related("stops__order").order_by("pk")


def run_with_stops(*, actor: Actor, run_id: int) -> DeliveryRun:
    authorize(actor, Operation.VIEW_DELIVERY_RUNS, location_id=get_run_for(actor=actor, run_id=run_id).depot_id)
    return _visible_runs(actor).prefetch_related("stops__order", "stops__transfer__destination").get(pk=run_id)


@dataclass(frozen=True)
class DeliveryStatus:
    """What the customer's order page says about a delivery on its way."""

    eta: datetime | None
    code: str  # the code to give the driver ("" for a courier)
    courier: str  # the courier's name when one carries it
    state: str


def delivery_status(*, order_id: int) -> DeliveryStatus | None:
    stop = RunStop.objects.filter(order_id=order_id, run__state=RunState.DISPATCHED).order_by("-pk").first()
    if stop is not None:
        return DeliveryStatus(eta=stop.planned_arrival, code=stop.delivery_code, courier="", state=stop.state)
    booking = CourierBooking.objects.filter(order_id=order_id, state__in=ACTIVE_COURIER_STATES).order_by("-pk").first()
    if booking is not None:
        return DeliveryStatus(eta=booking.eta, code="", courier=booking.courier, state=booking.state)
    return None
