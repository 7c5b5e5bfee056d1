"""The store's preparation queue (docs/preparation.md): list, accept, pick, report a shortage,
mark ready (pickup) or packed (delivery). Staff of the store (or HQ) only."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import paginate
from pydantic import Field, StrictBool, StrictInt, model_validator

from o2o.api.auth import actor
from o2o.api.pagination import CursorPagination
from o2o.api.types import MAX_UNITS, Id, IdempotencyKey, UnitCount
from o2o.preparation import selectors, services

router = Router(tags=["preparation"])


class PickOut(Schema):
    line_id: int
    sku_id: int
    sku_code: str
    sku_name: str
    ordered: int
    picked: int
    short: int


class PreparationOut(Schema):
    id: int
    order_id: int
    order_number: str
    location_id: int
    kind: str
    state: str
    accepted_by_id: int | None
    accepted_at: datetime | None
    due_at: datetime
    ready_at: datetime | None
    closed_at: datetime | None
    lines: list[PickOut]

    @staticmethod
    def resolve_order_number(obj: Any) -> str:
        return obj["order_number"] if isinstance(obj, dict) else obj.order.number

    @staticmethod
    def resolve_lines(obj: Any) -> list[dict]:
        return obj["lines"] if isinstance(obj, dict) else [services.pick_out(pick) for pick in obj.picks.all()]


class QueueFilter(Schema):
    location_id: Id | None = None
    state: str | None = Field(None, max_length=12)


class PickIn(Schema):
    code: str | None = Field(None, min_length=1, max_length=services.MAX_CODE)
    sku_id: Id | None = None
    quantity: StrictInt = Field(1, ge=-MAX_UNITS, le=MAX_UNITS)

    @model_validator(mode="after")
    def one_way_to_name_the_item(self) -> "PickIn":
        if (self.code is None) == (self.sku_id is None):
            raise ValueError("scan a barcode (code) or name the sku_id, one of them")
        return self


class ShortageIn(Schema):
    line_id: Id
    available: UnitCount


@router.get("", response=list[PreparationOut])
@paginate(CursorPagination, ordering=("due_at", "id"))
def queue(request: HttpRequest, filters: Query[QueueFilter]):
    """The store's orders to prepare, in preparation, ready or packed, oldest due first (the
    caller's own store unless `location_id` names another it may see)."""
    return selectors.queue(actor=actor(request), location_id=filters.location_id, state=filters.state)


@router.post("/{preparation_id}/accept", response=PreparationOut)
def accept(request: HttpRequest, preparation_id: Id):
    """Take the order: of two clerks accepting it, one wins and the other gets 409."""
    return services.accept_preparation(actor=actor(request), preparation_id=preparation_id)


@router.post("/{preparation_id}/picks", response=PreparationOut)
def pick(request: HttpRequest, preparation_id: Id, payload: PickIn, idempotency_key: IdempotencyKey = None):
    """Add picked units of a line by its scanned barcode (or SKU code, or sku_id); never more than
    ordered (422). Send an Idempotency-Key: a retried scan is then counted once."""
    return services.pick_line(actor=actor(request), preparation_id=preparation_id, quantity=payload.quantity,
                              code=payload.code, sku_id=payload.sku_id, idempotency_key=idempotency_key)  # fmt: skip


@router.post("/{preparation_id}/shortages", response=PreparationOut)
def shortage(request: HttpRequest, preparation_id: Id, payload: ShortageIn):
    """The shelf has only `available` units of the line; incidents take it from there."""
    return services.report_shortage(actor=actor(request), preparation_id=preparation_id, line_id=payload.line_id,
                                    available=payload.available)  # fmt: skip


@router.post("/{preparation_id}/ready", response=PreparationOut)
def ready(request: HttpRequest, preparation_id: Id):
    """A pickup order is ready at the counter (every line picked or reported missing)."""
    return services.mark_ready(actor=actor(request), preparation_id=preparation_id)


@router.post("/{preparation_id}/packed", response=PreparationOut)
def packed(request: HttpRequest, preparation_id: Id):
    """A delivery order is packed and waits for its run or courier."""
    return services.mark_packed(actor=actor(request), preparation_id=preparation_id)


class SettingsIn(Schema):
    preparation_minutes: StrictInt = Field(ge=1, le=24 * 60)
    auto_accept_orders: StrictBool
    pickup_slot_capacity: StrictInt | None = Field(None, ge=1, le=10_000)


class SettingsOut(Schema):
    location_id: int
    preparation_minutes: int
    auto_accept_orders: bool
    pickup_slot_capacity: int | None


@router.put("/settings/{location_id}", response=SettingsOut)
def fulfilment_settings(request: HttpRequest, location_id: Id, payload: SettingsIn):
    """The store's preparation target (minutes), automatic accepting, and pickup orders per slot."""
    return services.set_fulfilment_settings(actor=actor(request), location_id=location_id, **payload.model_dump())
