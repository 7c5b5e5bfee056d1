from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.pagination import CursorPagination, paginate
from pydantic import Field

from o2o.access.actors import Actor
from o2o.api.auth import actor
from o2o.api.types import Id
from o2o.catalog.selectors import skus_by_id
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.inventory import selectors
from o2o.inventory import services as inventory
from o2o.staff.models import Role
from o2o.stores.selectors import get_location

router = Router(tags=["inventory"])

MAX_UNITS = 1_000_000


class StockOut(Schema):
    location_id: int
    sku_id: int
    sku_code: str
    sku_name: str
    on_hand: int
    reserved: int
    available: int
    alert_level: int
    low: bool

    @staticmethod
    def resolve_sku_code(level) -> str:
        return level.sku.code

    @staticmethod
    def resolve_sku_name(level) -> str:
        return level.sku.name

    @staticmethod
    def resolve_low(level) -> bool:
        return level.on_hand <= level.alert_level


class ReceiptIn(Schema):
    location_id: Id
    sku_id: Id
    quantity: int = Field(ge=1, le=MAX_UNITS)
    reason: str = Field("", max_length=255)


class AdjustmentIn(Schema):
    location_id: Id
    sku_id: Id
    delta: int = Field(ge=-MAX_UNITS, le=MAX_UNITS)
    reason: str = Field(min_length=1, max_length=255)


class CountIn(Schema):
    location_id: Id
    sku_id: Id
    counted: int = Field(ge=0, le=MAX_UNITS)


class TransferLineIn(Schema):
    sku_id: Id
    quantity: int = Field(ge=1, le=MAX_UNITS)


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


def _at(who: Actor, location_id: int) -> int:
    """Staff work on stock of the locations in their scope; others get the same 404 as a missing one."""
    if not who.can_see_location(location_id):
        raise not_found("location")
    return get_location(location_id=location_id).pk


def _sku_known(sku_id: int) -> int:
    skus_by_id({sku_id})
    return sku_id


@router.get("/locations/{location_id}/stock", response=list[StockOut])
@paginate(CursorPagination, ordering=("id",))
def stock(request: HttpRequest, location_id: Id, low_only: bool = False):
    location_id = _at(actor(request), location_id)
    return selectors.low_stock_at(location_id=location_id) if low_only else selectors.stock_at(location_id=location_id)


@router.post("/receipts", response={201: StockOut})
def receive(request: HttpRequest, payload: ReceiptIn):
    who = actor(request)
    location_id, sku_id = _at(who, payload.location_id), _sku_known(payload.sku_id)
    inventory.receive_stock(
        location_id=location_id, sku_id=sku_id, quantity=payload.quantity, actor_id=who.user_id, reason=payload.reason
    )
    return Status(201, selectors.stock_at(location_id=location_id).get(sku_id=sku_id))


@router.post("/adjustments", response=StockOut)
def adjust(request: HttpRequest, payload: AdjustmentIn):
    who = actor(request)
    location_id, sku_id = _at(who, payload.location_id), _sku_known(payload.sku_id)
    inventory.adjust_stock(
        location_id=location_id, sku_id=sku_id, delta=payload.delta, actor_id=who.user_id, reason=payload.reason
    )
    return selectors.stock_at(location_id=location_id).get(sku_id=sku_id)


@router.post("/counts", response=VarianceOut)
def count(request: HttpRequest, payload: CountIn):
    who = actor(request)
    location_id, sku_id = _at(who, payload.location_id), _sku_known(payload.sku_id)
    return {
        "variance": inventory.record_count(
            location_id=location_id, sku_id=sku_id, counted=payload.counted, actor_id=who.user_id
        )
    }


@router.post("/transfers", response={201: TransferOut})
def send_transfer(request: HttpRequest, payload: TransferIn):
    who = actor(request)
    _at(who, payload.source_id)
    get_location(location_id=payload.destination_id)
    lines: dict[int, int] = {}
    for line in payload.lines:
        lines[_sku_known(line.sku_id)] = lines.get(line.sku_id, 0) + line.quantity
    transfer = inventory.send_transfer(
        source_id=payload.source_id, destination_id=payload.destination_id, lines=lines, actor_id=who.user_id
    )
    return Status(201, transfer)


@router.post("/transfers/{transfer_id}/receive", response=TransferOut)
def receive_transfer(request: HttpRequest, transfer_id: Id):
    who = actor(request)
    transfer = selectors.transfer_for(transfer_id=transfer_id)
    _at(who, transfer.destination_id)
    return inventory.receive_transfer(transfer_id=transfer_id, actor_id=who.user_id)


@router.get("/audit", response=AuditOut)
def audit(request: HttpRequest):
    """Recompute stock from the ledger; HQ only."""
    who = actor(request)
    if not (who.is_chain_wide and (who.employee is None or who.has_role(Role.HQ))):
        raise DomainError(ErrorCode.FORBIDDEN, "HQ only")
    differences = selectors.audit_stock()
    return {"differences": len(differences), "details": [d.__dict__ for d in differences[:100]]}
