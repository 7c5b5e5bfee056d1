"""Replenishment: stock levels, proposals, requested transfers (docs/replenishment.md)."""

from datetime import datetime
from decimal import Decimal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from o2o.access.permissions import Operation, authorize
from o2o.api.auth import actor
from o2o.api.inventory import TransferIn, TransferOut
from o2o.api.pagination import CursorPagination
from o2o.api.types import MAX_UNITS, Id, IdempotencyKey, Quantity, UnitCount
from o2o.core.errors import DomainError, ErrorCode
from o2o.inventory import services as inventory
from o2o.inventory.models import Transfer
from o2o.replenishment import selectors, services
from o2o.replenishment.models import Proposal
from o2o.stores.selectors import get_location

router = Router(tags=["replenishment"])


class LevelsIn(Schema):
    alert_level: UnitCount
    target_level: UnitCount = 0  # 0: no target; else at least the alert level


class LevelsOut(Schema):
    location_id: int
    sku_id: int
    sku_code: str
    on_hand: int
    reserved: int
    available: int
    alert_level: int
    target_level: int


class ProposalOut(Schema):
    id: int
    location_id: int
    sku_id: int
    sku_code: str
    source_id: int | None
    state: str
    quantity: int
    available: int
    alert_level: int
    target_level: int
    expected_sales: Decimal
    proposed_at: datetime
    approved_quantity: int | None
    transfer_id: int | None
    reject_reason: str
    decided_at: datetime | None

    @staticmethod
    def resolve_sku_code(obj: Proposal) -> str:
        return obj.sku.code


class ApprovalLineIn(Schema):
    proposal_id: Id
    quantity: Quantity | None = Field(None, le=MAX_UNITS)  # empty: the proposed quantity
    source_id: Id | None = None  # empty: the proposal's source


class ApprovalIn(Schema):
    lines: list[ApprovalLineIn] = Field(min_length=1, max_length=500)


class ApprovalOut(Schema):
    transfer_ids: list[int]


class RejectionIn(Schema):
    reason: str = Field(min_length=1, max_length=255)


class TransferLineOut(Schema):
    sku_id: int
    sku_code: str
    quantity: int

    @staticmethod
    def resolve_sku_code(obj) -> str:
        return obj.sku.code


class TransferHistoryOut(Schema):
    id: int
    source_id: int
    destination_id: int
    state: str
    reference: str
    created_at: datetime
    shipped_at: datetime | None
    shipped_reference: str
    received_at: datetime | None
    lines: list[TransferLineOut]

    @staticmethod
    def resolve_lines(obj: Transfer) -> list:
        return list(obj.lines.all())


@router.post("/locations/{location_id}/levels/{sku_id}", response=LevelsOut)
def set_levels(request: HttpRequest, location_id: Id, sku_id: Id, payload: LevelsIn):
    """A SKU's alert level and the target a proposal fills up to."""
    snapshot = inventory.set_stock_levels(
        actor=actor(request),
        location_id=location_id,
        sku_id=sku_id,
        alert_level=payload.alert_level,
        target_level=payload.target_level,
    )
    return {**snapshot.__dict__, "available": snapshot.available}


@router.post("/locations/{location_id}/proposals", response=list[ProposalOut])
def propose(request: HttpRequest, location_id: Id):
    """Work out the store's proposals now (the nightly job does the same); open ones are updated."""
    return services.propose_replenishment(actor=actor(request), location_id=location_id)


@router.get("/locations/{location_id}/proposals", response=list[ProposalOut])
@paginate(CursorPagination, ordering=("-id",))
def proposals(request: HttpRequest, location_id: Id, state: Proposal.State | None = Proposal.State.OPEN):
    authorize(actor(request), Operation.VIEW_STOCK, location_id=location_id)
    get_location(location_id=location_id)
    return selectors.proposals_at(location_id=location_id, state=state)


@router.post("/locations/{location_id}/approvals", response={201: ApprovalOut})
def approve(request: HttpRequest, location_id: Id, payload: ApprovalIn, idempotency_key: IdempotencyKey = None):
    """Approve open proposals (all or none), optionally with other quantities or sources: one
    requested transfer per source, carried by the next delivery run."""
    if len({line.proposal_id for line in payload.lines}) != len(payload.lines):
        raise DomainError(ErrorCode.INVALID, "each proposal once")
    transfer_ids = services.approve_proposals(
        actor=actor(request),
        location_id=location_id,
        quantities={line.proposal_id: line.quantity for line in payload.lines},
        sources={line.proposal_id: line.source_id for line in payload.lines if line.source_id},
        idempotency_key=idempotency_key,
    )
    return Status(201, {"transfer_ids": transfer_ids})


@router.post("/proposals/{proposal_id}/reject", response=ProposalOut)
def reject(request: HttpRequest, proposal_id: Id, payload: RejectionIn):
    return services.reject_proposal(actor=actor(request), proposal_id=proposal_id, reason=payload.reason)


@router.post("/requests", response={201: TransferOut})
def request_stock(request: HttpRequest, payload: TransferIn, idempotency_key: IdempotencyKey = None):
    """A manager asks for stock by hand: a requested transfer from the chosen source."""
    lines: dict[int, int] = {}
    for line in payload.lines:
        lines[line.sku_id] = lines.get(line.sku_id, 0) + line.quantity
    transfer = inventory.request_transfer(
        actor=actor(request),
        source_id=payload.source_id,
        destination_id=payload.destination_id,
        lines=lines,
        reference="by hand",
        idempotency_key=idempotency_key,
    )
    return Status(201, transfer)


@router.post("/transfers/{transfer_id}/ship", response=TransferOut)
def ship(request: HttpRequest, transfer_id: Id, idempotency_key: IdempotencyKey = None):
    """The source ships a requested transfer by hand (a delivery run ships the ones it carries)."""
    return inventory.ship_transfer(actor=actor(request), transfer_id=transfer_id, idempotency_key=idempotency_key)


@router.get("/locations/{location_id}/transfers", response=list[TransferHistoryOut])
@paginate(CursorPagination, ordering=("-created_at", "-id"))
def transfers(request: HttpRequest, location_id: Id, state: Transfer.State | None = None):
    """Transfers into and out of a location with their states: requested, in transit, received."""
    authorize(actor(request), Operation.VIEW_STOCK, location_id=location_id)
    get_location(location_id=location_id)
    return selectors.transfers_of(location_id=location_id, state=state)
