"""Delivery runs, stops and couriers (docs/delivery.md)."""

from datetime import date, datetime
from decimal import Decimal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from o2o.api.auth import actor
from o2o.api.types import Id, IdempotencyKey
from o2o.delivery import courier_bookings, selectors, services
from o2o.delivery.geo import navigation_url
from o2o.delivery.models import FailureReason

router = Router(tags=["delivery"])

SIGNATURE_HEADER = "X-Courier-Signature"


class PlanIn(Schema):
    depot_id: Id
    date: date


class StopOut(Schema):
    id: int
    sequence: int
    order_id: int | None
    order_number: str | None
    transfer_id: int | None
    address: str
    latitude: float
    longitude: float
    units: int
    window_start: datetime
    window_end: datetime
    planned_arrival: datetime
    state: str
    proof: str
    failure_reason: str
    failure_note: str
    navigate: str

    @staticmethod
    def resolve_order_number(obj) -> str | None:
        return obj.order.number if obj.order_id else None

    @staticmethod
    def resolve_navigate(obj) -> str:
        return navigation_url(latitude=obj.latitude, longitude=obj.longitude, name=obj.address)


class RunOut(Schema):
    id: int
    depot_id: int
    vehicle_id: int
    vehicle: str
    driver_id: int | None
    date: date
    state: str
    solver: str
    planned_distance_m: int
    planned_duration_s: int
    stops: int

    @staticmethod
    def resolve_vehicle(obj) -> str:
        return obj.vehicle.name

    @staticmethod
    def resolve_stops(obj) -> int:
        return len(obj.stops.all())


class RunDetailOut(RunOut):
    stop_list: list[StopOut]

    @staticmethod
    def resolve_stop_list(obj) -> list:
        return list(obj.stops.all())


class DriverIn(Schema):
    driver_id: Id


class DeliverIn(Schema):
    code: str = Field(min_length=4, max_length=4, pattern=r"^\d{4}$")


class FailIn(Schema):
    reason: FailureReason
    note: str = Field("", max_length=255)


class BookingIn(Schema):
    order_id: Id
    courier: str = Field("simulated", min_length=1, max_length=24)


class BookingOut(Schema):
    id: int
    order_id: int
    courier: str
    external_id: str
    fee: Decimal
    state: str
    eta: datetime | None


class CallbackOut(Schema):
    outcome: str


@router.post("/runs/plan", response=list[RunOut])
def plan(request: HttpRequest, payload: PlanIn):
    """Plan (or plan again) the depot's runs of the day: packed delivery orders and requested
    transfers, routed with time windows and vehicle capacity. Runs already on the road stay."""
    runs = services.plan_runs(actor=actor(request), depot_id=payload.depot_id, day=payload.date)
    return [selectors.run_with_stops(actor=actor(request), run_id=r.pk) for r in runs]


@router.get("/runs", response=list[RunOut])
def runs(request: HttpRequest, depot_id: Id, date: date):
    return list(selectors.runs_at(actor=actor(request), depot_id=depot_id, day=date))


@router.get("/runs/{run_id}", response=RunDetailOut)
def run(request: HttpRequest, run_id: Id):
    return selectors.run_with_stops(actor=actor(request), run_id=run_id)


@router.post("/runs/{run_id}/driver", response=RunOut)
def assign_driver(request: HttpRequest, run_id: Id, payload: DriverIn):
    services.assign_driver(actor=actor(request), run_id=run_id, driver_id=payload.driver_id)
    return selectors.run_with_stops(actor=actor(request), run_id=run_id)


@router.post("/runs/{run_id}/dispatch", response=RunDetailOut)
def dispatch(request: HttpRequest, run_id: Id):
    """The run leaves: its orders go out for delivery with their ETA, its transfers are shipped."""
    services.dispatch_run(actor=actor(request), run_id=run_id)
    return selectors.run_with_stops(actor=actor(request), run_id=run_id)


@router.post("/stops/{stop_id}/deliver", response=StopOut)
def deliver(request: HttpRequest, stop_id: Id, payload: DeliverIn):
    """Delivered, proven by the 4-digit code the customer sees on their order page (a photo
    is taken on the driver's page)."""
    return services.deliver_stop(actor=actor(request), stop_id=stop_id, code=payload.code)


@router.post("/stops/{stop_id}/fail", response=StopOut)
def fail(request: HttpRequest, stop_id: Id, payload: FailIn):
    return services.fail_stop(actor=actor(request), stop_id=stop_id, reason=payload.reason, note=payload.note)


@router.post("/couriers/bookings", response={201: BookingOut})
def book_courier(request: HttpRequest, payload: BookingIn, idempotency_key: IdempotencyKey = None):
    """Hand a paid delivery order to a third-party courier instead of a run. Send an
    Idempotency-Key: a retry then answers with the same booking instead of a 409."""
    booking = courier_bookings.book_courier(actor=actor(request), order_id=payload.order_id,
                                            courier_name=payload.courier, idempotency_key=idempotency_key)  # fmt: skip
    return Status(201, booking)


@router.post("/couriers/bookings/{booking_id}/cancel", response=BookingOut)
def cancel_courier(request: HttpRequest, booking_id: Id):
    return courier_bookings.cancel_courier(actor=actor(request), booking_id=booking_id)


@router.post("/couriers/{courier}/callbacks", response=CallbackOut, auth=None)
def courier_callback(request: HttpRequest, courier: str):
    """Called by the courier; the body is checked against its HMAC signature and applied once."""
    signature = request.headers.get(SIGNATURE_HEADER, "")
    outcome = courier_bookings.handle_courier_callback(courier_name=courier, body=request.body, signature=signature)
    return {"outcome": outcome}
