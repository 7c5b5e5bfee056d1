"""Every change of stock: one conditional UPDATE per row, one ledger row per on-hand change.

The CHECK constraints on StockLevel (on_hand >= 0, 0 <= reserved <= on_hand) are the last guard:
even if a rule here were wrong, the database refuses to oversell.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.catalog.selectors import skus_by_id
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.core.idempotency import fingerprint, run_once
from o2o.core.sql import insert_models
from o2o.inventory import sql
from o2o.inventory.models import (
    HAND_ADJUSTMENT_REASONS,
    AdjustmentReason,
    MoveKind,
    Reservation,
    StockLevel,
    StockMove,
    Transfer,
    TransferLine,
)
from o2o.inventory.rules import holdback
from o2o.stores.models import Location
from o2o.stores.selectors import get_location


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
    reason_code: str = "",
    reference: str = "",
) -> None:
    StockMove.objects.create(
        location_id=location_id,
        sku_id=sku_id,
        kind=kind,
        quantity=quantity,
        actor_id=actor_id,
        reason=reason,
        reason_code=reason_code,
        reference=reference,
    )


def _stock_row(location_id: int, sku_id: int):
    return StockLevel.objects.filter(location_id=location_id, sku_id=sku_id)


def _move(
    *,
    location_id: int,
    sku_id: int,
    on_hand: int = 0,
    reserved: int = 0,
    only_if: Q | None = None,
    kind: str = "",
    actor_id: int | None = None,
    reason: str = "",
    reason_code: str = "",
    reference: str = "",
) -> None:
    """Every change of a stock row: one conditional UPDATE (`only_if` the row allows it, else
    not enough stock), and a ledger row of `kind` when on-hand changes. Never read-modify-write."""
    row = _stock_row(location_id, sku_id)
    if only_if is not None:
        row = row.filter(only_if)
    changes = {"on_hand": F("on_hand") + on_hand} if on_hand else {}
    if reserved:
        changes["reserved"] = F("reserved") + reserved
    if row.update(**changes) != 1:
        raise _insufficient(location_id, sku_id)
    if on_hand:
        _record(location_id=location_id, sku_id=sku_id, kind=kind, quantity=on_hand, actor_id=actor_id,
                reason=reason, reason_code=reason_code, reference=reference)  # fmt: skip


def reserve_stock(
    *,
    requests: list[StockRequest],
    online: bool,
    expires_at: datetime | None,
    locations: dict[int, Location] | None = None,
) -> list[Reservation]:
    """Reserve every line or none: on a DomainError the caller's transaction rolls back (what was
    written before it is undone with it). Stock rows are touched in key order so racing orders
    cannot deadlock.

    `locations`: the Location rows of the requests when the caller already has them."""
    wanted = {r.location_id for r in requests}
    if locations is None or not wanted <= locations.keys():
        locations = Location.objects.in_bulk(wanted)
    ordered = sorted(requests, key=lambda r: (r.location_id, r.sku_id))
    keep_backs = []
    for request in ordered:
        location = locations.get(request.location_id)
        keep_back = holdback(location, online=online) if location else None
        if keep_back is None:
            raise DomainError(
                ErrorCode.LOCATION_UNAVAILABLE,
                "this location does not take online orders",
                location_id=request.location_id,
            )
        keep_backs.append(keep_back)
    # The reservations go in before the stock rows are updated: a row every order of a hot SKU
    # waits for is then locked from its UPDATE to the commit, with no other statement between.
    reservations = insert_models([
        Reservation(order_line_id=request.order_line_id, location_id=request.location_id, sku_id=request.sku_id,
                    quantity=request.quantity, expires_at=expires_at)
        for request in ordered
    ])  # fmt: skip
    for request, keep_back in zip(ordered, keep_backs, strict=True):
        if not sql.reserve_units(location_id=request.location_id, sku_id=request.sku_id, quantity=request.quantity,
                                 keep_back=keep_back):  # fmt: skip
            raise _insufficient(request.location_id, request.sku_id)
    return reservations


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
        _move(location_id=r.location_id, sku_id=r.sku_id, reserved=-r.quantity)
    return len(released)


def fulfil_reservations(*, reservations: Iterable[Reservation], actor_id: int | None, reference: str) -> int:
    """The reserved goods leave the location: consume the reservations and book the sale."""
    fulfilled = _close_reservations(reservations, Reservation.State.FULFILLED)
    for r in fulfilled:
        _move(location_id=r.location_id, sku_id=r.sku_id, on_hand=-r.quantity, reserved=-r.quantity,
              kind=MoveKind.SALE, actor_id=actor_id, reference=reference)  # fmt: skip
    return len(fulfilled)


def unfulfil_reservations(
    *,
    reservations: Iterable[Reservation],
    quantities: dict[int, int] | None = None,
    actor_id: int | None,
    reference: str,
    reason: str,
) -> None:
    """Undo a hand-over booked by mistake: the goods are back on the shelf, reserved again.

    `quantities` (reservation id -> units) brings back fewer units than were handed over, when
    some came back meanwhile as a return (already on the shelf); a reservation with 0 stays
    fulfilled."""
    for r in sorted(reservations, key=lambda r: (r.location_id, r.sku_id, r.pk)):
        quantity = r.quantity if quantities is None else min(quantities.get(r.pk, 0), r.quantity)
        if quantity <= 0 or not Reservation.objects.filter(pk=r.pk, state=Reservation.State.FULFILLED).update(
            state=Reservation.State.ACTIVE, quantity=quantity
        ):
            continue
        _move(location_id=r.location_id, sku_id=r.sku_id, on_hand=quantity, reserved=quantity,
              kind=MoveKind.RETURN, actor_id=actor_id, reason=reason, reference=reference)  # fmt: skip


def keep_reservations_of_order(*, order_id: int) -> None:
    """A paid order's reservations no longer expire (one UPDATE)."""
    sql.keep_reservations_of_order(order_id)


def _add_on_hand(
    *,
    location_id: int,
    sku_id: int,
    quantity: int,
    kind: str,
    actor_id: int | None,
    reason: str = "",
    reason_code: str = "",
    reference: str = "",
) -> None:
    StockLevel.objects.get_or_create(location_id=location_id, sku_id=sku_id)
    _move(location_id=location_id, sku_id=sku_id, on_hand=quantity, kind=kind, actor_id=actor_id,
          reason=reason, reason_code=reason_code, reference=reference)  # fmt: skip


# The stock entry points: each asks the permission table first, then does its work through
# run_once, so a retry with the same idempotency key answers with the first result.


@dataclass(frozen=True)
class StockSnapshot:
    """One SKU's stock at one location right after a change (what a retried request gets back)."""

    location_id: int
    sku_id: int
    sku_code: str
    sku_name: str
    on_hand: int
    reserved: int
    alert_level: int
    target_level: int = 0

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def low(self) -> bool:
        return self.on_hand <= self.alert_level


@dataclass(frozen=True)
class TransferSnapshot:
    id: int
    source_id: int
    destination_id: int
    state: str

    @property
    def pk(self) -> int:
        return self.id


def _snapshot(location_id: int, sku_id: int) -> dict:
    level = _stock_row(location_id, sku_id).select_related("sku").get()
    return {
        "location_id": level.location_id,
        "sku_id": level.sku_id,
        "sku_code": level.sku.code,
        "sku_name": level.sku.name,
        "on_hand": level.on_hand,
        "reserved": level.reserved,
        "alert_level": level.alert_level,
        "target_level": level.target_level,
    }


def _transfer_snapshot(transfer: Transfer) -> dict:
    return {
        "id": transfer.pk,
        "source_id": transfer.source_id,
        "destination_id": transfer.destination_id,
        "state": transfer.state,
    }


def _once(actor: Actor, operation: Operation, key: str | None, perform: Callable[[], dict], **request) -> dict:
    scope = "system" if actor.system else f"user:{actor.user_id}"
    return run_once(scope=scope, operation=str(operation), key=key, fingerprint=fingerprint(**request), perform=perform)


def _known(location_id: int, sku_ids: Iterable[int]) -> None:
    """A missing (or closed) location or SKU is a 404/422 before anything is written."""
    get_location(location_id=location_id)
    skus_by_id(set(sku_ids))


def _positive(quantity: int) -> None:
    if quantity <= 0:
        raise DomainError(ErrorCode.INVALID, "quantity must be positive", quantity=quantity)


def receive_stock(
    *,
    actor: Actor,
    location_id: int,
    sku_id: int,
    quantity: int,
    reason: str = "",
    reference: str = "",
    idempotency_key: str | None = None,
) -> StockSnapshot:
    """Goods delivered to a location (from a supplier): on hand goes up, with a receipt row."""
    authorize(actor, Operation.RECEIVE_STOCK, location_id=location_id)

    def perform() -> dict:
        _known(location_id, [sku_id])
        _positive(quantity)
        _add_on_hand(location_id=location_id, sku_id=sku_id, quantity=quantity, kind=MoveKind.RECEIPT,
                     actor_id=actor.user_id, reason=reason, reference=reference)  # fmt: skip
        return _snapshot(location_id, sku_id)

    result = _once(actor, Operation.RECEIVE_STOCK, idempotency_key, perform, location_id=location_id,
                   sku_id=sku_id, quantity=quantity, reason=reason, reference=reference)  # fmt: skip
    return StockSnapshot(**result)


def return_stock(*, location_id: int, sku_id: int, quantity: int, actor_id: int | None, reference: str) -> None:
    """Returned goods back on the shelf, inside the refund's transaction: the refund service
    (orders/payments) has asked the permission table for RETURN_GOODS already."""
    _positive(quantity)
    _add_on_hand(location_id=location_id, sku_id=sku_id, quantity=quantity, kind=MoveKind.RETURN,
                 actor_id=actor_id, reference=reference)  # fmt: skip


def exchange_stock(
    *, location_id: int, from_sku_id: int, to_sku_id: int, quantity: int, actor_id: int | None, reference: str
) -> None:
    """An exchange at the counter, inside the exchange's transaction (the caller asked the permission
    table for EXCHANGE_GOODS and locked the order first): the handed-back units are on the shelf again
    (a return), the replacement units leave it (a sale, from what is not reserved for orders).
    Stock rows in SKU order; not enough of the replacement raises INSUFFICIENT_STOCK."""
    _positive(quantity)
    moves = {from_sku_id: quantity, to_sku_id: -quantity}
    for sku_id in sorted(moves):
        if moves[sku_id] > 0:
            _add_on_hand(location_id=location_id, sku_id=sku_id, quantity=quantity, kind=MoveKind.RETURN,
                         actor_id=actor_id, reference=reference)  # fmt: skip
        else:
            _move(location_id=location_id, sku_id=sku_id, on_hand=-quantity,
                  only_if=Q(on_hand__gte=F("reserved") + quantity), kind=MoveKind.SALE, actor_id=actor_id,
                  reference=reference)  # fmt: skip


def adjust_stock(
    *,
    actor: Actor,
    location_id: int,
    sku_id: int,
    delta: int,
    reason: str = "",
    reason_code: str = AdjustmentReason.OTHER,
    idempotency_key: str | None = None,
) -> StockSnapshot:
    """A correction with a standard reason (damaged, expired, theft, sample, found goods), or
    "other" with a reason in words; a write-off may not dip into reserved units."""
    authorize(actor, Operation.ADJUST_STOCK, location_id=location_id)

    def perform() -> dict:
        if reason_code not in HAND_ADJUSTMENT_REASONS:
            raise DomainError(ErrorCode.INVALID, "choose a standard reason", field="reason_code")
        if delta == 0 or (reason_code == AdjustmentReason.OTHER and not reason.strip()):
            raise DomainError(ErrorCode.INVALID, "an adjustment needs a non-zero change and a reason")
        _known(location_id, [sku_id])
        why = {"reason": reason.strip(), "reason_code": reason_code}
        if delta > 0:
            _add_on_hand(location_id=location_id, sku_id=sku_id, quantity=delta, kind=MoveKind.ADJUSTMENT,
                         actor_id=actor.user_id, **why)  # fmt: skip
            return _snapshot(location_id, sku_id)
        # a write-off may not take units reserved for orders
        _move(location_id=location_id, sku_id=sku_id, on_hand=delta, only_if=Q(on_hand__gte=F("reserved") - delta),
              kind=MoveKind.ADJUSTMENT, actor_id=actor.user_id, **why)  # fmt: skip
        return _snapshot(location_id, sku_id)

    result = _once(actor, Operation.ADJUST_STOCK, idempotency_key, perform, location_id=location_id,
                   sku_id=sku_id, delta=delta, reason=reason, reason_code=reason_code)  # fmt: skip
    return StockSnapshot(**result)


def record_count(
    *, actor: Actor, location_id: int, sku_id: int, counted: int, idempotency_key: str | None = None
) -> int:
    """A stocktake sets book stock to what was counted; the variance goes to the ledger."""
    authorize(actor, Operation.COUNT_STOCK, location_id=location_id)

    def perform() -> dict:
        if counted < 0:
            raise DomainError(ErrorCode.INVALID, "a count cannot be negative")
        _known(location_id, [sku_id])
        StockLevel.objects.get_or_create(location_id=location_id, sku_id=sku_id)
        level = _stock_row(location_id, sku_id).select_for_update().get()
        if counted < level.reserved:
            raise DomainError(
                ErrorCode.INSUFFICIENT_STOCK, "count is below units reserved for orders", reserved=level.reserved
            )
        variance = counted - level.on_hand
        if variance:
            _move(location_id=location_id, sku_id=sku_id, on_hand=variance, kind=MoveKind.COUNT,
                  actor_id=actor.user_id, reason="stocktake", reason_code=AdjustmentReason.COUNT)  # fmt: skip
        return {"variance": variance}

    result = _once(actor, Operation.COUNT_STOCK, idempotency_key, perform, location_id=location_id,
                   sku_id=sku_id, counted=counted)  # fmt: skip
    return result["variance"]


def post_count_variances(*, location_id: int, variances: dict[int, int], actor_id: int | None, reference: str) -> None:
    """A stocktake's approved variances (counted minus the book when the count began) added to
    today's book, inside the approval's transaction: moves made while counting stay in the book.
    Rows in SKU order, like every other multi-row change; a change that would leave fewer units
    than are reserved for orders raises and nothing is posted."""
    for sku_id, variance in sorted(variances.items()):
        if not variance:
            continue
        StockLevel.objects.get_or_create(location_id=location_id, sku_id=sku_id)
        _move(location_id=location_id, sku_id=sku_id, on_hand=variance,
              only_if=Q(on_hand__gte=F("reserved") - variance), kind=MoveKind.COUNT,
              actor_id=actor_id, reason="stocktake", reason_code=AdjustmentReason.COUNT,
              reference=reference)  # fmt: skip


def send_transfer(
    *,
    actor: Actor,
    source_id: int,
    destination_id: int,
    lines: dict[int, int],
    idempotency_key: str | None = None,
) -> TransferSnapshot:
    """First leg: the goods leave the source and are in transit until received."""
    authorize(actor, Operation.SEND_TRANSFER, location_id=source_id)

    def perform() -> dict:
        if source_id == destination_id or not lines:
            raise DomainError(ErrorCode.INVALID, "a transfer needs two different locations and at least one line")
        for quantity in lines.values():
            _positive(quantity)
        _known(source_id, lines)
        get_location(location_id=destination_id)
        transfer = Transfer.objects.create(
            source_id=source_id,
            destination_id=destination_id,
            created_by_id=actor.user_id,
            shipped_by_id=actor.user_id,
            shipped_at=timezone.now(),
        )
        TransferLine.objects.bulk_create(
            TransferLine(transfer=transfer, sku_id=s, quantity=q) for s, q in lines.items()
        )
        for sku_id, quantity in sorted(lines.items()):
            _move(location_id=source_id, sku_id=sku_id, on_hand=-quantity,
                  only_if=Q(on_hand__gte=F("reserved") + quantity), kind=MoveKind.TRANSFER_OUT,
                  actor_id=actor.user_id, reference=f"transfer:{transfer.pk}")  # fmt: skip
        return _transfer_snapshot(transfer)

    result = _once(actor, Operation.SEND_TRANSFER, idempotency_key, perform, source_id=source_id,
                   destination_id=destination_id, lines=sorted(lines.items()))  # fmt: skip
    return TransferSnapshot(**result)


def receive_transfer(*, actor: Actor, transfer_id: int, idempotency_key: str | None = None) -> TransferSnapshot:
    """Second leg, exactly once: a second receipt of the same transfer is a 409 (with the same
    idempotency key it answers with the first receipt)."""
    destination_id = Transfer.objects.filter(pk=transfer_id).values_list("destination_id", flat=True).first()
    if destination_id is None or not actor.can_see_location(destination_id):
        raise not_found("transfer")  # the same answer for a transfer to a location you cannot see
    authorize(actor, Operation.RECEIVE_TRANSFER, location_id=destination_id)

    def perform() -> dict:
        arrived = Transfer.objects.filter(pk=transfer_id, state=Transfer.State.IN_TRANSIT).update(
            state=Transfer.State.RECEIVED, received_at=timezone.now()
        )
        if not arrived:
            raise DomainError(ErrorCode.ILLEGAL_TRANSITION, "transfer is not in transit", transfer_id=transfer_id)
        transfer = Transfer.objects.get(pk=transfer_id)
        for line in transfer.lines.order_by("sku_id"):
            _add_on_hand(location_id=transfer.destination_id, sku_id=line.sku_id, quantity=line.quantity,
                         kind=MoveKind.TRANSFER_IN, actor_id=actor.user_id,
                         reference=f"transfer:{transfer.pk}")  # fmt: skip
        return _transfer_snapshot(transfer)

    result = _once(actor, Operation.RECEIVE_TRANSFER, idempotency_key, perform, transfer_id=transfer_id)
    return TransferSnapshot(**result)


def set_stock_levels(
    *, actor: Actor, location_id: int, sku_id: int, alert_level: int, target_level: int
) -> StockSnapshot:
    """A SKU's low-stock alert level and the target a replenishment proposal fills up to
    (0: no target). The levels are settings, not balances: a plain UPDATE of both."""
    authorize(actor, Operation.SET_STOCK_LEVELS, location_id=location_id)
    if alert_level < 0 or target_level < 0:
        raise DomainError(ErrorCode.INVALID, "levels cannot be negative", field="alert_level")
    if target_level and target_level < alert_level:
        raise DomainError(ErrorCode.INVALID, "the target level is below the alert level", field="target_level")
    _known(location_id, [sku_id])
    StockLevel.objects.get_or_create(location_id=location_id, sku_id=sku_id)
    _stock_row(location_id, sku_id).update(alert_level=alert_level, target_level=target_level)
    return StockSnapshot(**_snapshot(location_id, sku_id))


def _check_lines(source_id: int, destination_id: int, lines: dict[int, int]) -> None:
    if source_id == destination_id or not lines:
        raise DomainError(ErrorCode.INVALID, "a transfer needs two different locations and at least one line")
    for quantity in lines.values():
        _positive(quantity)
    _known(source_id, lines)
    get_location(location_id=destination_id)


def add_requested_transfer(
    *, source_id: int, destination_id: int, lines: dict[int, int], actor_id: int | None, reference: str = ""
) -> Transfer:
    """A requested transfer, inside the caller's transaction (a proposal's approval): the caller
    has authorized. No stock moves until ship_requested_transfer."""
    _check_lines(source_id, destination_id, lines)
    transfer = Transfer.objects.create(
        source_id=source_id,
        destination_id=destination_id,
        state=Transfer.State.REQUESTED,
        created_by_id=actor_id,
        reference=reference[:64],
    )
    TransferLine.objects.bulk_create(
        TransferLine(transfer=transfer, sku_id=s, quantity=q) for s, q in sorted(lines.items())
    )
    return transfer


def request_transfer(
    *,
    actor: Actor,
    source_id: int,
    destination_id: int,
    lines: dict[int, int],
    reference: str = "",
    idempotency_key: str | None = None,
) -> TransferSnapshot:
    """A transfer asked for and approved, not shipped: no stock moves until
    ship_requested_transfer (the delivery run that carries it, or the source by hand)."""
    authorize(actor, Operation.REQUEST_STOCK, location_id=destination_id)

    def perform() -> dict:
        transfer = add_requested_transfer(source_id=source_id, destination_id=destination_id, lines=lines,
                                          actor_id=actor.user_id, reference=reference)  # fmt: skip
        return _transfer_snapshot(transfer)

    result = _once(actor, Operation.REQUEST_STOCK, idempotency_key, perform, source_id=source_id,
                   destination_id=destination_id, lines=sorted(lines.items()), reference=reference)  # fmt: skip
    return TransferSnapshot(**result)


def ship_requested_transfer(*, transfer_id: int, actor_id: int | None, reference: str = "") -> TransferSnapshot:
    """A requested transfer leaves its source: requested -> in transit by a conditional UPDATE,
    then each line leaves the source's free stock (on hand not reserved for orders) through a
    ledgered transfer_out move. Not enough at the source: INSUFFICIENT_STOCK (409) and nothing
    moves, the transfer stays requested. Shipping twice: ILLEGAL_TRANSITION (409).

    The caller has authorized (a delivery run leaving, or ship_transfer below)."""
    with transaction.atomic():
        left = Transfer.objects.filter(pk=transfer_id, state=Transfer.State.REQUESTED).update(
            state=Transfer.State.IN_TRANSIT,
            shipped_at=timezone.now(),
            shipped_by_id=actor_id,
            shipped_reference=reference[:64],
        )
        if not left:
            if not Transfer.objects.filter(pk=transfer_id).exists():
                raise not_found("transfer")
            raise DomainError(
                ErrorCode.ILLEGAL_TRANSITION, "transfer is not waiting to be shipped", transfer_id=transfer_id
            )
        transfer = Transfer.objects.get(pk=transfer_id)
        for line in transfer.lines.order_by("sku_id"):
            _move(location_id=transfer.source_id, sku_id=line.sku_id, on_hand=-line.quantity,
                  only_if=Q(on_hand__gte=F("reserved") + line.quantity), kind=MoveKind.TRANSFER_OUT,
                  actor_id=actor_id, reference=f"transfer:{transfer.pk}")  # fmt: skip
        return TransferSnapshot(**_transfer_snapshot(transfer))


def ship_transfer(*, actor: Actor, transfer_id: int, idempotency_key: str | None = None) -> TransferSnapshot:
    """The source ships a requested transfer by hand (not on a delivery run)."""
    source_id = Transfer.objects.filter(pk=transfer_id).values_list("source_id", flat=True).first()
    if source_id is None or not actor.can_see_location(source_id):
        raise not_found("transfer")
    authorize(actor, Operation.SHIP_TRANSFER, location_id=source_id)

    def perform() -> dict:
        shipped = ship_requested_transfer(transfer_id=transfer_id, actor_id=actor.user_id, reference="by hand")
        return _transfer_snapshot(Transfer.objects.get(pk=shipped.id))

    result = _once(actor, Operation.SHIP_TRANSFER, idempotency_key, perform, transfer_id=transfer_id)
    return TransferSnapshot(**result)
