"""Every change of stock: one conditional UPDATE per row, one ledger row per on-hand change.

The CHECK constraints on StockLevel (on_hand >= 0, 0 <= reserved <= on_hand) are the last guard:
even if a rule here were wrong, the database refuses to oversell.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.inventory.models import MoveKind, Reservation, StockLevel, StockMove, Transfer, TransferLine
from o2o.inventory.rules import holdback
from o2o.stores.models import Location


@dataclass(frozen=True)
class StockRequest:
    location_id: int
    sku_id: int
    quantity: int
    order_line_id: int | None = None


def _insufficient(location_id: int, sku_id: int) -> DomainError:
    return DomainError(ErrorCode.INSUFFICIENT_STOCK, "not enough stock", location_id=location_id, sku_id=sku_id)


def _record(
    *,
    location_id: int,
    sku_id: int,
    kind: str,
    quantity: int,
    actor_id: int | None,
    reason: str = "",
    reference: str = "",
) -> None:
    StockMove.objects.create(
        location_id=location_id,
        sku_id=sku_id,
        kind=kind,
        quantity=quantity,
        actor_id=actor_id,
        reason=reason,
        reference=reference,
    )


def _stock_row(location_id: int, sku_id: int):
    return StockLevel.objects.filter(location_id=location_id, sku_id=sku_id)


def reserve_stock(
    *,
    requests: list[StockRequest],
    online: bool,
    expires_at: datetime | None,
    locations: dict[int, Location] | None = None,
) -> list[Reservation]:
    """Reserve every line or none; rows are touched in key order so racing orders cannot deadlock.

    `locations`: the Location rows of the requests when the caller already has them."""
    wanted = {r.location_id for r in requests}
    if locations is None or not wanted <= locations.keys():
        locations = Location.objects.in_bulk(wanted)
    reservations = []
    for request in sorted(requests, key=lambda r: (r.location_id, r.sku_id)):
        location = locations.get(request.location_id)
        keep_back = holdback(location, online=online) if location else None
        if keep_back is None:
            raise DomainError(
                ErrorCode.LOCATION_UNAVAILABLE,
                "this location does not take online orders",
                location_id=request.location_id,
            )
        taken = (
            _stock_row(request.location_id, request.sku_id)
            .filter(on_hand__gte=F("reserved") + request.quantity + keep_back)
            .update(reserved=F("reserved") + request.quantity)
        )
        if taken != 1:
            raise _insufficient(request.location_id, request.sku_id)
        reservations.append(
            Reservation(
                order_line_id=request.order_line_id,
                location_id=request.location_id,
                sku_id=request.sku_id,
                quantity=request.quantity,
                expires_at=expires_at,
            )
        )
    return Reservation.objects.bulk_create(reservations)


def _close_reservations(reservations: Iterable[Reservation], state: str) -> list[Reservation]:
    """Move active reservations to `state`; the ones another request closed first are skipped."""
    closed = []
    for reservation in sorted(reservations, key=lambda r: (r.location_id, r.sku_id, r.pk)):
        if Reservation.objects.filter(pk=reservation.pk, state=Reservation.State.ACTIVE).update(state=state):
            closed.append(reservation)
    return closed


def release_reservations(*, reservations: Iterable[Reservation]) -> int:
    released = _close_reservations(reservations, Reservation.State.RELEASED)
    for r in released:
        _stock_row(r.location_id, r.sku_id).update(reserved=F("reserved") - r.quantity)
    return len(released)


def fulfil_reservations(*, reservations: Iterable[Reservation], actor_id: int | None, reference: str) -> int:
    """The reserved goods leave the location: consume the reservations and book the sale."""
    fulfilled = _close_reservations(reservations, Reservation.State.FULFILLED)
    for r in fulfilled:
        _stock_row(r.location_id, r.sku_id).update(
            on_hand=F("on_hand") - r.quantity, reserved=F("reserved") - r.quantity
        )
        _record(
            location_id=r.location_id,
            sku_id=r.sku_id,
            kind=MoveKind.SALE,
            quantity=-r.quantity,
            actor_id=actor_id,
            reference=reference,
        )
    return len(fulfilled)


def unfulfil_reservations(
    *, reservations: Iterable[Reservation], actor_id: int | None, reference: str, reason: str
) -> None:
    """Undo a hand-over booked by mistake: the goods are back on the shelf, reserved again."""
    for r in sorted(reservations, key=lambda r: (r.location_id, r.sku_id, r.pk)):
        if not Reservation.objects.filter(pk=r.pk, state=Reservation.State.FULFILLED).update(
            state=Reservation.State.ACTIVE
        ):
            continue
        _stock_row(r.location_id, r.sku_id).update(
            on_hand=F("on_hand") + r.quantity, reserved=F("reserved") + r.quantity
        )
        _record(
            location_id=r.location_id,
            sku_id=r.sku_id,
            kind=MoveKind.RETURN,
            quantity=r.quantity,
            actor_id=actor_id,
            reason=reason,
            reference=reference,
        )


def keep_reservations_of_order(*, order_id: int) -> None:
    """A paid order's reservations no longer expire (one UPDATE)."""
    Reservation.objects.filter(order_line__order_id=order_id, state=Reservation.State.ACTIVE).update(expires_at=None)


def _add_on_hand(
    *,
    location_id: int,
    sku_id: int,
    quantity: int,
    kind: str,
    actor_id: int | None,
    reason: str = "",
    reference: str = "",
) -> None:
    StockLevel.objects.get_or_create(location_id=location_id, sku_id=sku_id)
    _stock_row(location_id, sku_id).update(on_hand=F("on_hand") + quantity)
    _record(
        location_id=location_id,
        sku_id=sku_id,
        kind=kind,
        quantity=quantity,
        actor_id=actor_id,
        reason=reason,
        reference=reference,
    )


@transaction.atomic
def receive_stock(
    *, location_id: int, sku_id: int, quantity: int, actor_id: int | None, reason: str = "", reference: str = ""
) -> None:
    _positive(quantity)
    _add_on_hand(location_id=location_id, sku_id=sku_id, quantity=quantity, kind=MoveKind.RECEIPT,
                 actor_id=actor_id, reason=reason, reference=reference)  # fmt: skip


def return_stock(*, location_id: int, sku_id: int, quantity: int, actor_id: int | None, reference: str) -> None:
    """Returned goods back on the shelf (inside the refund's transaction)."""
    _positive(quantity)
    _add_on_hand(location_id=location_id, sku_id=sku_id, quantity=quantity, kind=MoveKind.RETURN,
                 actor_id=actor_id, reference=reference)  # fmt: skip


def _positive(quantity: int) -> None:
    if quantity <= 0:
        raise DomainError(ErrorCode.INVALID, "quantity must be positive", quantity=quantity)


@transaction.atomic
def adjust_stock(*, location_id: int, sku_id: int, delta: int, actor_id: int | None, reason: str) -> StockLevel:
    """A correction with a reason (damage, found goods); it may not dip into reserved units."""
    if delta == 0 or not reason.strip():
        raise DomainError(ErrorCode.INVALID, "an adjustment needs a non-zero change and a reason")
    if delta > 0:
        _add_on_hand(
            location_id=location_id,
            sku_id=sku_id,
            quantity=delta,
            kind=MoveKind.ADJUSTMENT,
            actor_id=actor_id,
            reason=reason,
        )
    else:
        taken = (
            _stock_row(location_id, sku_id)
            .filter(on_hand__gte=F("reserved") - delta)
            .update(on_hand=F("on_hand") + delta)
        )
        if taken != 1:
            raise _insufficient(location_id, sku_id)
        _record(
            location_id=location_id,
            sku_id=sku_id,
            kind=MoveKind.ADJUSTMENT,
            quantity=delta,
            actor_id=actor_id,
            reason=reason,
        )
    return _stock_row(location_id, sku_id).get()


@transaction.atomic
def record_count(*, location_id: int, sku_id: int, counted: int, actor_id: int | None) -> int:
    """A stocktake sets book stock to what was counted; the variance goes to the ledger."""
    if counted < 0:
        raise DomainError(ErrorCode.INVALID, "a count cannot be negative")
    StockLevel.objects.get_or_create(location_id=location_id, sku_id=sku_id)
    level = _stock_row(location_id, sku_id).select_for_update().get()
    if counted < level.reserved:
        raise DomainError(
            ErrorCode.INSUFFICIENT_STOCK, "count is below units reserved for orders", reserved=level.reserved
        )
    variance = counted - level.on_hand
    if variance:
        _stock_row(location_id, sku_id).update(on_hand=F("on_hand") + variance)
        _record(
            location_id=location_id,
            sku_id=sku_id,
            kind=MoveKind.COUNT,
            quantity=variance,
            actor_id=actor_id,
            reason="stocktake",
        )
    return variance


@transaction.atomic
def send_transfer(*, source_id: int, destination_id: int, lines: dict[int, int], actor_id: int | None) -> Transfer:
    """First leg: the goods leave the source and are in transit until received."""
    if source_id == destination_id or not lines:
        raise DomainError(ErrorCode.INVALID, "a transfer needs two different locations and at least one line")
    for quantity in lines.values():
        _positive(quantity)
    transfer = Transfer.objects.create(source_id=source_id, destination_id=destination_id, created_by_id=actor_id)
    TransferLine.objects.bulk_create(TransferLine(transfer=transfer, sku_id=s, quantity=q) for s, q in lines.items())
    for sku_id, quantity in sorted(lines.items()):
        taken = (
            _stock_row(source_id, sku_id)
            .filter(on_hand__gte=F("reserved") + quantity)
            .update(on_hand=F("on_hand") - quantity)
        )
        if taken != 1:
            raise _insufficient(source_id, sku_id)
        _record(
            location_id=source_id,
            sku_id=sku_id,
            kind=MoveKind.TRANSFER_OUT,
            quantity=-quantity,
            actor_id=actor_id,
            reference=f"transfer:{transfer.pk}",
        )
    return transfer


@transaction.atomic
def receive_transfer(*, transfer_id: int, actor_id: int | None) -> Transfer:
    """Second leg, exactly once: a second receipt of the same transfer changes nothing."""
    arrived = Transfer.objects.filter(pk=transfer_id, state=Transfer.State.IN_TRANSIT).update(
        state=Transfer.State.RECEIVED, received_at=timezone.now()
    )
    transfer = Transfer.objects.filter(pk=transfer_id).first()
    if transfer is None:
        raise not_found("transfer")
    if not arrived:
        raise DomainError(ErrorCode.ILLEGAL_TRANSITION, "transfer already received", transfer_id=transfer_id)
    for line in transfer.lines.order_by("sku_id"):
        _add_on_hand(
            location_id=transfer.destination_id,
            sku_id=line.sku_id,
            quantity=line.quantity,
            kind=MoveKind.TRANSFER_IN,
            actor_id=actor_id,
            reference=f"transfer:{transfer.pk}",
        )
    return transfer
