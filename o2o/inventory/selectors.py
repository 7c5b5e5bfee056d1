from dataclasses import dataclass

from django.db.models import F, Prefetch, Q, QuerySet, Sum

from o2o.core.errors import not_found
from o2o.inventory.models import Reservation, StockLevel, StockMove, Transfer, TransferLine
from o2o.inventory.rules import holdback
from o2o.stores.models import Location
from o2o.stores.selectors import NearbyLocation, locations_within


def stock_at(*, location_id: int) -> QuerySet[StockLevel]:
    return StockLevel.objects.filter(location_id=location_id).select_related("sku").order_by("sku__code")


def moves_of(*, location_id: int, sku_id: int) -> QuerySet[StockMove]:
    """A SKU's ledger at a location, newest first (paginate it)."""
    return StockMove.objects.filter(location_id=location_id, sku_id=sku_id).order_by("-created_at", "-id")


def low_stock_at(*, location_id: int) -> QuerySet[StockLevel]:
    return stock_at(location_id=location_id).filter(on_hand__lte=F("alert_level"))


def incoming_transfers(*, location_id: int) -> QuerySet[Transfer]:
    return Transfer.objects.filter(destination_id=location_id, state=Transfer.State.IN_TRANSIT).prefetch_related(
        "lines"
    )


def available_to_promise(*, locations: list[Location], sku_ids: set[int], online: bool) -> dict[tuple[int, int], int]:
    """Units each location can promise of each SKU on the channel (online keeps a safety buffer)."""
    by_id = {loc.pk: loc for loc in locations}
    rows = StockLevel.objects.filter(location_id__in=by_id, sku_id__in=sku_ids).values_list(
        "location_id", "sku_id", "on_hand", "reserved"
    )
    promise = {}
    for location_id, sku_id, on_hand, reserved in rows:
        keep_back = holdback(by_id[location_id], online=online)
        promise[(location_id, sku_id)] = 0 if keep_back is None else max(on_hand - reserved - keep_back, 0)
    return promise


@dataclass(frozen=True)
class Supply:
    nearby: NearbyLocation
    available: dict[int, int]  # sku_id -> units the location can promise
    can_supply_all: bool


def nearby_supply(
    *,
    latitude: float,
    longitude: float,
    wanted: dict[int, int],
    radius_km: float = 10.0,
    limit: int = 10,
    online: bool = True,
    pickup_only: bool = False,
    only_complete: bool = False,
) -> list[Supply]:
    """The nearest locations with what they can promise of the wanted SKUs and quantities."""
    nearby = locations_within(latitude=latitude, longitude=longitude, radius_km=radius_km, pickup_only=pickup_only)
    promise = available_to_promise(locations=[n.location for n in nearby], sku_ids=set(wanted), online=online)
    result = []
    for n in nearby:
        available = {sku_id: promise.get((n.location.pk, sku_id), 0) for sku_id in wanted}
        complete = all(available[s] >= q for s, q in wanted.items())
        if complete or not only_complete:
            result.append(Supply(n, available, complete))
        if len(result) >= limit:
            break
    return result


@dataclass(frozen=True)
class AuditDifference:
    location_id: int
    sku_id: int
    field: str
    book: int
    recomputed: int


def audit_stock() -> list[AuditDifference]:
    """Recompute stock from the ledger and the active reservations; every difference is a bug."""
    ledger = {
        (r["location_id"], r["sku_id"]): r["total"]
        for r in StockMove.objects.values("location_id", "sku_id").annotate(total=Sum("quantity"))
    }
    held = {
        (r["location_id"], r["sku_id"]): r["total"]
        for r in Reservation.objects.filter(state=Reservation.State.ACTIVE)
        .values("location_id", "sku_id")
        .annotate(total=Sum("quantity"))
    }
    differences = []
    seen = set()
    for location_id, sku_id, on_hand, reserved in StockLevel.objects.values_list(
        "location_id", "sku_id", "on_hand", "reserved"
    ).iterator(chunk_size=5000):
        key = (location_id, sku_id)
        seen.add(key)
        if on_hand != ledger.get(key, 0):
            differences.append(AuditDifference(location_id, sku_id, "on_hand", on_hand, ledger.get(key, 0)))
        if reserved != held.get(key, 0):
            differences.append(AuditDifference(location_id, sku_id, "reserved", reserved, held.get(key, 0)))
    for key in (ledger.keys() | held.keys()) - seen:
        differences.append(AuditDifference(*key, "missing_stock_level", 0, ledger.get(key, 0)))
    return differences


def transfer_for(*, transfer_id: int) -> Transfer:
    transfer = Transfer.objects.filter(pk=transfer_id).first()
    if transfer is None:
        raise not_found("transfer")
    return transfer


def stock_list_at(*, location_id: int, search: str = "", low_only: bool = False) -> QuerySet[StockLevel]:
    """The stock page of a store: by SKU code, optionally only low rows or SKUs matching code, name or barcode."""
    levels = low_stock_at(location_id=location_id) if low_only else stock_at(location_id=location_id)
    if search := search.strip():
        levels = levels.filter(Q(sku__code__icontains=search) | Q(sku__name__icontains=search) | Q(sku__barcode=search))
    return levels


def stock_level_at(*, location_id: int, sku_id: int) -> StockLevel:
    level = stock_at(location_id=location_id).filter(sku_id=sku_id).first()
    if level is None:
        raise not_found("stock level")
    return level


def incoming_transfers_with_lines(*, location_id: int) -> QuerySet[Transfer]:
    """In-transit transfers to the location, oldest first, with their source and the SKUs of their lines."""
    lines = TransferLine.objects.select_related("sku").order_by("sku__code")
    return (
        incoming_transfers(location_id=location_id)
        .select_related("source")
        .prefetch_related(None)  # replaces the plain "lines" prefetch with one that brings the SKUs
        .prefetch_related(Prefetch("lines", queryset=lines))
        .order_by("created_at", "pk")
    )
