"""Reads for replenishment: sales history, the demand forecast, where stock can come from, and
the lists the pages and the API show."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import F, Q, QuerySet, Sum
from django.utils.module_loading import import_string

from o2o.access.actors import Actor
from o2o.catalog.selectors import active_skus
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.inventory.models import StockLevel, Transfer
from o2o.orders.models import PAID_STATES, OrderLine, OrderState
from o2o.replenishment.models import Proposal
from o2o.stores.geo import haversine_km
from o2o.stores.models import Location
from o2o.stores.selectors import active_locations, locations_within

# paid orders whose goods were sold (or are about to be handed over); a refunded, cancelled or
# uncollected order sold nothing
SOLD_STATES = tuple(s for s in PAID_STATES if s not in (OrderState.REFUNDED, OrderState.UNCOLLECTED))

Forecast = Callable[..., dict[int, Decimal]]


def units_sold(*, location_id: int, sku_ids: set[int], since: datetime, until: datetime) -> dict[int, int]:
    """Units of each SKU sold from a store's stock by orders paid in [since, until), less returns."""
    rows = (
        OrderLine.objects.filter(
            order__fulfilment_location_id=location_id,
            order__state__in=SOLD_STATES,
            order__paid_at__gte=since,
            order__paid_at__lt=until,
            sku_id__in=sku_ids,
        )
        .values("sku_id")
        .annotate(units=Sum(F("quantity") - F("returned_quantity")))
        .values_list("sku_id", "units")
    )
    return {sku_id: units for sku_id, units in rows if units}


def moving_average_demand(*, location_id: int, sku_ids: set[int], now: datetime, days_ahead: int) -> dict[int, Decimal]:
    """The default forecast: the average daily units sold over the last O2O_REPLENISHMENT_DEMAND_DAYS
    days, times the days until the next run (2 places; the proposal rounds the total up)."""
    days = settings.O2O_REPLENISHMENT_DEMAND_DAYS
    sold = units_sold(location_id=location_id, sku_ids=sku_ids, since=now - timedelta(days=days), until=now)
    return {sku_id: (Decimal(units) * days_ahead / days).quantize(Decimal("0.01")) for sku_id, units in sold.items()}


def demand_forecast() -> Forecast:
    """The forecast proposals ask (settings.O2O_DEMAND_FORECAST): replaceable without touching them."""
    return import_string(settings.O2O_DEMAND_FORECAST)


def below_alert(*, location_id: int) -> QuerySet[StockLevel]:
    """SKUs whose available stock (on hand less reserved) is under their alert level."""
    return (
        StockLevel.objects.filter(location_id=location_id, alert_level__gt=F("on_hand") - F("reserved"))
        .select_related("sku")
        .order_by("sku_id")
    )


def _stores_nearby(destination: Location) -> list[Location]:
    """Stores within O2O_REPLENISHMENT_NEARBY_KM of `destination` (itself left out), nearest first."""
    return [
        n.location
        for n in locations_within(
            latitude=destination.latitude,
            longitude=destination.longitude,
            radius_km=settings.O2O_REPLENISHMENT_NEARBY_KM,
            kinds=[Location.Kind.STORE],
        )
        if n.location.pk != destination.pk
    ]


@dataclass(frozen=True)
class SourceOffer:
    location_id: int
    units: int  # what it can give of the SKU


def source_offers(*, destination: Location, sku_ids: set[int]) -> dict[int, list[SourceOffer]]:
    """Where each SKU can come from, best first: warehouses with free stock (nearest first), then
    stores within O2O_REPLENISHMENT_NEARBY_KM with a surplus over their own target (nearest first)."""
    warehouses = sorted(
        active_locations().filter(kind=Location.Kind.WAREHOUSE).exclude(pk=destination.pk),
        key=lambda w: haversine_km(destination.latitude, destination.longitude, w.latitude, w.longitude),
    )
    stores = _stores_nearby(destination)
    rows = StockLevel.objects.filter(location_id__in=[loc.pk for loc in warehouses + stores], sku_id__in=sku_ids)
    stock = {(r.location_id, r.sku_id): r for r in rows}
    offers: dict[int, list[SourceOffer]] = {sku_id: [] for sku_id in sku_ids}
    for sku_id in sku_ids:
        for warehouse in warehouses:
            level = stock.get((warehouse.pk, sku_id))
            if level is not None and level.available > 0:
                offers[sku_id].append(SourceOffer(warehouse.pk, level.available))
        for store in stores:
            level = stock.get((store.pk, sku_id))
            if level is None:
                continue
            keep = max(level.target_level, level.alert_level)
            if level.available - keep > 0:
                offers[sku_id].append(SourceOffer(store.pk, level.available - keep))
    return offers


def proposals_at(*, location_id: int, state: str | None = Proposal.State.OPEN) -> QuerySet[Proposal]:
    proposals = Proposal.objects.filter(location_id=location_id).select_related("sku", "source", "transfer")
    if state:
        proposals = proposals.filter(state=state)
    return proposals.order_by("sku__code", "-pk") if state == Proposal.State.OPEN else proposals.order_by("-pk")


def proposal_for(*, actor: Actor, proposal_id: int) -> Proposal:
    """A proposal of a store the actor sees; any other is a 404, like a missing one."""
    proposal = Proposal.objects.select_related("sku", "source", "location").filter(pk=proposal_id).first()
    if proposal is None or not actor.can_see_location(proposal.location_id):
        raise not_found("proposal")
    return proposal


def transfers_of(*, location_id: int, state: str | None = None) -> QuerySet[Transfer]:
    """Transfers in or out of a location, newest first, with both ends and their lines' SKUs."""
    transfers = Transfer.objects.filter(Q(source_id=location_id) | Q(destination_id=location_id))
    if state:
        transfers = transfers.filter(state=state)
    return (
        transfers.select_related("source", "destination").prefetch_related("lines__sku").order_by("-created_at", "-pk")
    )


def requests_from(*, location_id: int) -> QuerySet[Transfer]:
    """Requested transfers waiting to leave a location (a warehouse's pick list), oldest first."""
    return (
        Transfer.objects.filter(source_id=location_id, state=Transfer.State.REQUESTED)
        .select_related("destination")
        .prefetch_related("lines__sku")
        .order_by("created_at", "pk")
    )


def sku_by_code(code: str):
    """An active SKU by its code or barcode (the pages' forms); unknown_sku otherwise."""
    code = code.strip()
    sku = active_skus().filter(Q(code=code) | Q(barcode=code)).first()
    if sku is None:
        raise DomainError(ErrorCode.UNKNOWN_SKU, "unknown SKU", sku_code=code)
    return sku


def sources_for(*, destination: Location) -> list[Location]:
    """Where a store may ask for stock by hand: the warehouses, then stores nearby, nearest first."""
    warehouses = list(
        active_locations().filter(kind=Location.Kind.WAREHOUSE).exclude(pk=destination.pk).order_by("code")
    )
    return warehouses + _stores_nearby(destination)


def decided_proposals(*, location_id: int, limit: int = 20) -> list[Proposal]:
    return list(
        Proposal.objects.filter(location_id=location_id)
        .exclude(state=Proposal.State.OPEN)
        .select_related("sku", "source")
        .order_by("-decided_at", "-pk")[:limit]
    )
