from datetime import datetime

from django.db.models import BooleanField, ExpressionWrapper, F, Q
from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from o2o.access.permissions import Operation, authorize
from o2o.api.auth import actor
from o2o.api.pagination import CursorPagination
from o2o.api.types import MAX_UNITS, Id, IdempotencyKey, Quantity, StockDelta, UnitCount
from o2o.inventory import selectors
from o2o.inventory import services as inventory
from o2o.inventory.models import AdjustmentReason
from o2o.stores.selectors import get_location

router = Router(tags=["inventory"])


class StockOut(Schema):
    location_id: int
    sku_id: int
    sku_code: str
    sku_name: str
    on_hand: int
    reserved: int
    available: int
    alert_level: int
    target_level: int  # 0: none (docs/replenishment.md)
    low: bool


class ReceiptIn(Schema):
    location_id: Id
    sku_id: Id
    quantity: Quantity = Field(le=MAX_UNITS)
    reason: str = Field("", max_length=255)


class AdjustmentIn(Schema):
    location_id: Id
    sku_id: Id
    delta: StockDelta
    reason_code: AdjustmentReason = AdjustmentReason.OTHER
    reason: str = Field("", max_length=255)  # required with "other"


class MoveOut(Schema):
    id: int
    kind: str
    quantity: int
    reason_code: str
    reason: str
    reference: str
    actor_id: int | None
    created_at: datetime


class CountIn(Schema):
    location_id: Id
    sku_id: Id
    counted: UnitCount


class TransferLineIn(Schema):
    sku_id: Id
    quantity: Quantity = Field(le=MAX_UNITS)


class TransferIn(Schema):
    source_id: Id
    destination_id: Id
    lines: list[TransferLineIn] = Field(min_length=1, max_length=200)


class TransferOut(Schema):
    id: int
    source_id: int
    destination_id: int
    state: str


class VarianceOut(Schema):
    variance: int


class AuditOut(Schema):
    differences: int
    details: list[dict]


def _stock_rows(location_id: int):
    """The list's rows carry the same fields as a write's StockSnapshot."""
    return selectors.stock_at(location_id=location_id).annotate(
        sku_code=F("sku__code"),
        sku_name=F("sku__name"),
        low=ExpressionWrapper(Q(on_hand__lte=F("alert_level")), output_field=BooleanField()),
    )


@router.get("/locations/{location_id}/stock", response=list[StockOut])
@paginate(CursorPagination, ordering=("id",))
def stock(request: HttpRequest, location_id: Id, low_only: bool = False):
    authorize(actor(request), Operation.VIEW_STOCK, location_id=location_id)
    get_location(location_id=location_id)
    rows = _stock_rows(location_id)
    return rows.filter(on_hand__lte=F("alert_level")) if low_only else rows


@router.get("/locations/{location_id}/stock/{sku_id}/moves", response=list[MoveOut])
@paginate(CursorPagination, ordering=("-created_at", "-id"))
def moves(request: HttpRequest, location_id: Id, sku_id: Id):
    """One SKU's stock history at a location, newest first: sales, receipts, transfers,
    adjustments with their standard reason, counts."""
    authorize(actor(request), Operation.VIEW_STOCK, location_id=location_id)
    get_location(location_id=location_id)
    return selectors.moves_of(location_id=location_id, sku_id=sku_id)


@router.post("/receipts", response={201: StockOut})
def receive(request: HttpRequest, payload: ReceiptIn, idempotency_key: IdempotencyKey = None):
    """Goods delivered to a location. A retry with the same Idempotency-Key answers with the first receipt."""
    return Status(
        201,
        inventory.receive_stock(
            actor=actor(request),
            location_id=payload.location_id,
            sku_id=payload.sku_id,
            quantity=payload.quantity,
            reason=payload.reason,
            idempotency_key=idempotency_key,
        ),
    )


@router.post("/adjustments", response=StockOut)
def adjust(request: HttpRequest, payload: AdjustmentIn, idempotency_key: IdempotencyKey = None):
    """A write-off (negative) or found goods (positive), with a reason."""
    return inventory.adjust_stock(
        actor=actor(request),
        location_id=payload.location_id,
        sku_id=payload.sku_id,
        delta=payload.delta,
        reason=payload.reason,
        reason_code=payload.reason_code,
        idempotency_key=idempotency_key,
    )


@router.post("/counts", response=VarianceOut)
def count(request: HttpRequest, payload: CountIn, idempotency_key: IdempotencyKey = None):
    variance = inventory.record_count(
        actor=actor(request),
        location_id=payload.location_id,
        sku_id=payload.sku_id,
        counted=payload.counted,
        idempotency_key=idempotency_key,
    )
    return {"variance": variance}


@router.post("/transfers", response={201: TransferOut})
def send_transfer(request: HttpRequest, payload: TransferIn, idempotency_key: IdempotencyKey = None):
    lines: dict[int, int] = {}
    for line in payload.lines:
        lines[line.sku_id] = lines.get(line.sku_id, 0) + line.quantity
    transfer = inventory.send_transfer(
        actor=actor(request),
        source_id=payload.source_id,
        destination_id=payload.destination_id,
        lines=lines,
        idempotency_key=idempotency_key,
    )
    return Status(201, transfer)


@router.post("/transfers/{transfer_id}/receive", response=TransferOut)
def receive_transfer(request: HttpRequest, transfer_id: Id, idempotency_key: IdempotencyKey = None):
    return inventory.receive_transfer(actor=actor(request), transfer_id=transfer_id, idempotency_key=idempotency_key)


@router.get("/audit", response=AuditOut)
def audit(request: HttpRequest):
    """Recompute stock from the ledger; HQ only."""
    authorize(actor(request), Operation.AUDIT)
    differences = selectors.audit_stock()
    return {"differences": len(differences), "details": [d.__dict__ for d in differences[:100]]}
