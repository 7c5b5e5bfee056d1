"""Delivery runs: plan a depot's day, dispatch a run, deliver or fail each stop (docs/delivery.md).

Locks (o2o/orders/locks.py): a use case that changes orders locks the order rows first (in id
order), then the depot's vehicle rows, then the run and its stops. Planning locks the depot's
vehicle rows and never an order, so it cannot deadlock with a dispatch or a delivery.
"""

import secrets
from dataclasses import dataclass
from datetime import date as Date  # noqa: N812 - the field is called date
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.core import events
from o2o.core.codes import random_digits
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.delivery import routing
from o2o.delivery.geo import geocode
from o2o.delivery.models import (
    ACTIVE_COURIER_STATES,
    ACTIVE_STOP_STATES,
    CourierBooking,
    CourierState,
    DeliveryRun,
    FailureReason,
    Proof,
    RunState,
    RunStop,
    StopState,
    Vehicle,
)
from o2o.inventory.models import Transfer
from o2o.inventory.services import ship_requested_transfer
from o2o.orders.locks import lock_order
from o2o.orders.models import Fulfilment, Order, OrderState
from o2o.orders.services import mark_delivered, send_out
from o2o.preparation.models import PreparationState
from o2o.staff.models import Employee, Role
from o2o.stores.models import Location

MAX_CODE_ATTEMPTS = 5  # wrong delivery codes per stop; then only a photo proves the delivery
MAX_PHOTO_BYTES = 5 * 1024 * 1024


# --- who may see which run ---------------------------------------------------------------------


def _visible_runs(actor: Actor):
    runs = DeliveryRun.objects.select_related("vehicle", "driver", "depot")
    if actor.has_role(Role.DRIVER):
        return runs.filter(driver=actor.employee)
    if not actor.is_staff:
        return runs.none()
    return runs if actor.location_ids is None else runs.filter(depot_id__in=actor.location_ids)


def get_run_for(*, actor: Actor, run_id: int) -> DeliveryRun:
    """The run if the actor may see it: its depot's staff, or the driver it is assigned to."""
    run = _visible_runs(actor).filter(pk=run_id).first()
    if run is None:
        raise not_found("delivery run")
    return run


def get_stop_for(*, actor: Actor, stop_id: int) -> RunStop:
    stop = RunStop.objects.select_related("run").filter(pk=stop_id, run__in=_visible_runs(actor)).first()
    if stop is None:
        raise not_found("stop")
    return stop


# --- planning ----------------------------------------------------------------------------------


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def day_window(day: Date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    start = datetime.combine(day, _clock(settings.O2O_DELIVERY_DAY_START), tzinfo=tz)
    return start, datetime.combine(day, _clock(settings.O2O_DELIVERY_DAY_END), tzinfo=tz)


@dataclass(frozen=True)
class _Load:
    order_id: int | None
    transfer_id: int | None
    address: str
    latitude: float
    longitude: float
    units: int
    window: tuple[datetime, datetime]


def _active_stop(field: str):
    return Exists(RunStop.objects.filter(**{field: OuterRef("pk")}, state__in=ACTIVE_STOP_STATES))


def _failed_stop(field: str):
    return Exists(RunStop.objects.filter(**{field: OuterRef("pk")}, state=StopState.FAILED))


def plannable_orders(depot_id: int):
    """Packed delivery orders of the depot on no run and with no courier; and orders whose
    delivery failed, still out for delivery, for a second attempt."""
    booked = Exists(CourierBooking.objects.filter(order=OuterRef("pk"), state__in=ACTIVE_COURIER_STATES))
    courier_failed = Exists(CourierBooking.objects.filter(order=OuterRef("pk"), state=CourierState.FAILED))
    return (
        Order.objects.filter(fulfilment=Fulfilment.DELIVERY, fulfilment_location_id=depot_id)
        .filter(
            Q(state=OrderState.PAID, preparation__state=PreparationState.PACKED, on_hold=False)
            | Q(state=OrderState.OUT_FOR_DELIVERY) & (_failed_stop("order") | courier_failed)
        )
        .exclude(_active_stop("order"))
        .exclude(booked)
        .annotate(units=Sum("lines__quantity"))
        .order_by("pk")
    )


def plannable_transfers(depot_id: int):
    """Requested transfers from the depot, and shipped ones whose stop failed."""
    return (
        Transfer.objects.filter(source_id=depot_id)
        .filter(Q(state=Transfer.State.REQUESTED) | Q(state=Transfer.State.IN_TRANSIT) & _failed_stop("transfer"))
        .exclude(_active_stop("transfer"))
        .select_related("destination")
        .annotate(units=Sum("lines__quantity"))
        .order_by("pk")
    )


def _loads(depot: Location, window: tuple[datetime, datetime]) -> list[_Load]:
    near = (depot.latitude, depot.longitude)
    loads = []
    for order in plannable_orders(depot.pk):
        lat, lng = geocode(order.delivery_address, near=near)
        loads.append(_Load(order.pk, None, order.delivery_address, lat, lng, order.units or 1, window))
    for transfer in plannable_transfers(depot.pk):
        to = transfer.destination
        loads.append(_Load(None, transfer.pk, to.address or to.name, to.latitude, to.longitude, transfer.units or 1,
                           window))  # fmt: skip
    return loads


def _free_drivers(depot_id: int, day: Date, taken: set[int]) -> list[Employee]:
    busy = DeliveryRun.objects.filter(date=day, driver__isnull=False).exclude(state=RunState.PLANNED)
    return list(
        Employee.objects.filter(role=Role.DRIVER, home_location_id=depot_id, is_active=True)
        .exclude(pk__in=busy.values("driver_id"))
        .exclude(pk__in=taken)
        .order_by("pk")
    )


def plan_runs(*, actor: Actor, depot_id: int, day: Date, now: datetime | None = None) -> list[DeliveryRun]:
    """(Re)plan the depot's runs of the day: every packed delivery order and requested transfer
    not yet on the road goes into the runs of the vehicles still at the depot, ordered by the
    routing solver. Unstarted stops are planned again with the new ones; runs on the road stay
    as they are. Planning again with nothing new gives the same stops, never a second copy."""
    authorize(actor, Operation.PLAN_DELIVERY_RUNS, location_id=depot_id)
    depot = Location.objects.filter(pk=depot_id).first()
    if depot is None:
        raise not_found("location")
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        return plan_within(depot=depot, day=day, now=now)


def plan_within(*, depot: Location, day: Date, now: datetime) -> list[DeliveryRun]:
    """plan_runs' work inside the caller's transaction, already authorised (the demo generator)."""
    vans = list(Vehicle.objects.select_for_update().filter(depot=depot, is_active=True).order_by("pk"))
    if not vans:
        raise DomainError(ErrorCode.INVALID, "this depot has no active vehicle")
    on_road = set(DeliveryRun.objects.filter(date=day, vehicle__in=vans).exclude(state=RunState.PLANNED)
                  .values_list("vehicle_id", flat=True))  # fmt: skip
    vans = [v for v in vans if v.pk not in on_road]
    start, end = day_window(day)
    start = max(start, now)
    if start >= end:
        # Refused before the day's planned stops are dropped: they stay for the manager to see.
        raise DomainError(ErrorCode.CONFLICT, "the delivery hours of this day are over; plan another day",
                          day=day.isoformat(), day_end=settings.O2O_DELIVERY_DAY_END)  # fmt: skip
    RunStop.objects.filter(run__depot=depot, run__date=day, run__state=RunState.PLANNED).delete()
    loads = _loads(depot, (start, end))
    if not vans:
        if loads:
            raise DomainError(ErrorCode.CONFLICT, "every vehicle of this depot is on the road today")
        return []
    plan = routing.solve(_problem(depot, loads, vans, start, end), time_limit_s=settings.O2O_ROUTING_TIME_LIMIT_SECONDS)
    return _store_plan(depot, day, start, vans, loads, plan)


def _problem(depot, loads, vans, start, end) -> routing.Problem:
    def offset(moment: datetime) -> int:
        return max(0, int((moment - start).total_seconds()))

    stops = [routing.Stop(x.latitude, x.longitude, x.units, (offset(x.window[0]), offset(x.window[1]))) for x in loads]
    return routing.Problem(
        depot=(depot.latitude, depot.longitude),
        stops=stops,
        vans=[routing.Van(v.capacity_units, v.max_stops) for v in vans],
        horizon_s=offset(end),
        speed_kmh=settings.O2O_DELIVERY_SPEED_KMH,
    )


def _store_plan(depot, day, start, vans, loads, plan: routing.Plan) -> list[DeliveryRun]:
    runs, taken = [], set()
    existing = {r.vehicle_id: r for r in DeliveryRun.objects.filter(date=day, vehicle__in=vans)}
    for van, route in zip(vans, plan.routes, strict=True):
        run = existing.get(van.pk)
        if not route.stops:
            if run is not None:
                run.delete()
            continue
        if run is None:
            run = DeliveryRun(depot=depot, vehicle=van, date=day)
        run.planned_distance_m, run.planned_duration_s, run.solver = route.distance_m, route.duration_s, plan.solver
        run.save()
        if run.driver_id:
            taken.add(run.driver_id)
        RunStop.objects.bulk_create(
            RunStop(
                run=run,
                sequence=n,
                order_id=loads[i].order_id,
                transfer_id=loads[i].transfer_id,
                address=loads[i].address[:255],
                latitude=loads[i].latitude,
                longitude=loads[i].longitude,
                units=loads[i].units,
                window_start=loads[i].window[0],
                window_end=loads[i].window[1],
                planned_arrival=start + timedelta(seconds=arrival),
            )  # fmt: skip
            for n, (i, arrival) in enumerate(zip(route.stops, route.arrivals, strict=True), start=1)
        )
        runs.append(run)
    for run, driver in zip([r for r in runs if not r.driver_id], _free_drivers(depot.pk, day, taken), strict=False):
        DeliveryRun.objects.filter(pk=run.pk).update(driver=driver)
        run.driver = driver
    return runs


def assign_driver(*, actor: Actor, run_id: int, driver_id: int) -> DeliveryRun:
    run = get_run_for(actor=actor, run_id=run_id)
    authorize(actor, Operation.PLAN_DELIVERY_RUNS, location_id=run.depot_id)
    driver = Employee.objects.filter(pk=driver_id, role=Role.DRIVER, home_location_id=run.depot_id,
                                     is_active=True).first()  # fmt: skip
    if driver is None:
        raise DomainError(ErrorCode.INVALID, "not a driver of this depot", driver_id=driver_id)
    with transaction.atomic(durable=True):
        if not DeliveryRun.objects.filter(pk=run.pk, state=RunState.PLANNED).update(driver=driver):
            raise DomainError(ErrorCode.ILLEGAL_TRANSITION, "the run has left already", state=run.state)
    run.driver = driver
    return run


# --- dispatch ----------------------------------------------------------------------------------


def dispatch_run(*, actor: Actor, run_id: int) -> DeliveryRun:
    """The run leaves the depot: each order goes out for delivery with its planned arrival as the
    ETA and a 4-digit code for the customer; each requested transfer is shipped (one the depot
    cannot cover any more stays requested, off the run, for the next plan)."""
    run = get_run_for(actor=actor, run_id=run_id)  # a driver sees only their own runs
    authorize(actor, Operation.DISPATCH_DELIVERY_RUN, location_id=run.depot_id)
    if run.driver_id is None:
        raise DomainError(ErrorCode.INVALID, "assign a driver to the run first")
    with transaction.atomic(durable=True):
        order_ids = sorted(RunStop.objects.filter(run=run, state=StopState.PENDING, order__isnull=False)
                           .values_list("order_id", flat=True))  # fmt: skip
        orders = {order_id: lock_order(order_id) for order_id in order_ids}
        Vehicle.objects.select_for_update().filter(pk=run.vehicle_id).first()  # no re-plan meanwhile
        # a driver is never taken off a run (only changed while planned); the CHECK
        # deliveryrun_dispatched_has_time_and_driver is the last guard
        left = DeliveryRun.objects.filter(pk=run.pk, state=RunState.PLANNED).update(
            state=RunState.DISPATCHED, dispatched_at=timezone.now()
        )
        if not left:
            raise DomainError(ErrorCode.ILLEGAL_TRANSITION, "the run has left already", state=run.state)
        for stop in RunStop.objects.filter(run=run, state=StopState.PENDING).order_by("sequence"):
            _dispatch_stop(actor, run, stop, orders)
        _finish_if_done(run.pk)
    return get_run_for(actor=actor, run_id=run.pk)


def _dispatch_stop(actor: Actor, run: DeliveryRun, stop: RunStop, orders: dict[int, Order]) -> None:
    if stop.transfer_id is not None:
        if Transfer.objects.filter(pk=stop.transfer_id, state=Transfer.State.REQUESTED).exists():
            try:
                ship_requested_transfer(transfer_id=stop.transfer_id, actor_id=actor.user_id, reference=f"run:{run.pk}")
            except DomainError:  # not enough free stock at the depot any more
                stop.delete()
        return
    order = orders.get(stop.order_id)
    if order is None:
        raise DomainError(ErrorCode.CONFLICT, "the run was planned again meanwhile; try again")
    booked = CourierBooking.objects.filter(order=order, state__in=ACTIVE_COURIER_STATES).exists()
    if booked or order.state not in (OrderState.PAID, OrderState.OUT_FOR_DELIVERY):
        stop.delete()  # cancelled, refunded or given to a courier since the plan
        return
    stop.delivery_code = random_digits(4)
    stop.save(update_fields=["delivery_code"])
    if order.state == OrderState.PAID:
        send_out(order=order, actor_id=actor.user_id, eta=stop.planned_arrival)  # authorised as the run's dispatch


def _finish_if_done(run_id: int) -> None:
    if not RunStop.objects.filter(run_id=run_id, state=StopState.PENDING).exists():
        DeliveryRun.objects.filter(pk=run_id, state=RunState.DISPATCHED).update(
            state=RunState.FINISHED, finished_at=timezone.now()
        )


# --- at the door -------------------------------------------------------------------------------


def _stop_to_complete(actor: Actor, stop_id: int) -> RunStop:
    stop = get_stop_for(actor=actor, stop_id=stop_id)  # a driver sees only their own runs' stops
    authorize(actor, Operation.COMPLETE_DELIVERY_STOP, location_id=stop.run.depot_id)
    return stop


def _locked_pending(stop: RunStop) -> tuple[RunStop, Order | None]:
    """Order row first, then the stop; refuse unless the run is on the road and the stop open."""
    order = lock_order(stop.order_id) if stop.order_id else None
    stop = RunStop.objects.select_for_update().select_related("run").get(pk=stop.pk)
    if stop.run.state != RunState.DISPATCHED:
        raise DomainError(ErrorCode.ILLEGAL_TRANSITION, "the run is not on the road", state=stop.run.state)
    if stop.state != StopState.PENDING:
        raise DomainError(ErrorCode.ILLEGAL_TRANSITION, "this stop is done already", state=stop.state)
    return stop, order


def deliver_stop(*, actor: Actor, stop_id: int, code: str = "", photo=None) -> RunStop:
    """Delivered, proven by the customer's code (orders) or a photo at the door. A wrong code is
    counted (five, then only a photo does) and refused with nothing else written."""
    stop = _stop_to_complete(actor, stop_id)
    if photo is None and not code:
        raise DomainError(ErrorCode.INVALID, "give the customer's code or a photo")
    if photo is not None and getattr(photo, "size", 0) > MAX_PHOTO_BYTES:
        raise DomainError(ErrorCode.INVALID, "the photo is larger than 5 MB")
    wrong = False
    with transaction.atomic(durable=True):
        stop, order = _locked_pending(stop)
        if photo is None:
            wrong = _check_code(stop, code)
        if not wrong:
            _record_delivery(actor, stop, order, photo)
    if wrong:
        raise DomainError(ErrorCode.INVALID_CODE, "the code does not match", attempts_left=_attempts_left(stop))
    return stop


def _check_code(stop: RunStop, code: str) -> bool:
    """True when the code is wrong (the attempt is counted and kept when the caller commits)."""
    if stop.order_id is None:
        raise DomainError(ErrorCode.INVALID, "a transfer is delivered with a photo")
    if stop.code_attempts >= MAX_CODE_ATTEMPTS:
        raise DomainError(ErrorCode.RATE_LIMITED, "too many wrong codes: take a photo instead")
    if secrets.compare_digest(code.strip(), stop.delivery_code):
        return False
    stop.code_attempts += 1
    stop.save(update_fields=["code_attempts"])
    return True


def _attempts_left(stop: RunStop) -> int:
    return max(0, MAX_CODE_ATTEMPTS - stop.code_attempts)


def _record_delivery(actor: Actor, stop: RunStop, order: Order | None, photo) -> None:
    now = timezone.now()
    stop.state, stop.completed_at, stop.completed_by_id = StopState.DELIVERED, now, actor.user_id
    stop.proof = Proof.PHOTO if photo is not None else Proof.CODE
    if photo is not None:
        stop.photo.save(f"stop-{stop.pk}.jpg", photo, save=False)
    stop.save(update_fields=["state", "completed_at", "completed_by", "proof", "photo"])
    if order is not None:
        mark_delivered(order=order, actor_id=actor.user_id)  # authorised as the stop's completion
    _finish_if_done(stop.run_id)


def fail_stop(*, actor: Actor, stop_id: int, reason: str, note: str = "") -> RunStop:
    """Not delivered, for one of the standard reasons ("other" needs a note). The goods go back
    to the depot; the order stays out for delivery and is planned again on the next run (or the
    incident's remedy decides); DELIVERY_FAILED tells the incidents."""
    if reason not in FailureReason.values:
        raise DomainError(ErrorCode.INVALID, "choose a reason from the list", reasons=FailureReason.values)
    note = note.strip()[:255]
    if reason == FailureReason.OTHER and not note:
        raise DomainError(ErrorCode.INVALID, "say what happened")
    stop = _stop_to_complete(actor, stop_id)
    with transaction.atomic(durable=True):
        stop, order = _locked_pending(stop)
        stop.state, stop.failure_reason, stop.failure_note = StopState.FAILED, reason, note
        stop.completed_at, stop.completed_by_id = timezone.now(), actor.user_id
        stop.save(update_fields=["state", "failure_reason", "failure_note", "completed_at", "completed_by"])
        if order is not None:
            events.publish(events.DELIVERY_FAILED, order=order, reason=reason, actor_id=actor.user_id)
        _finish_if_done(stop.run_id)
    return stop
