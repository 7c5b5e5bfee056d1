import re
from datetime import time

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field, field_validator

from o2o.api.types import MAX_ID, Id
from o2o.catalog.selectors import skus_by_id
from o2o.inventory.selectors import nearby_supply
from o2o.stores.selectors import get_location

router = Router(tags=["stores"])


class LocationOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    ownership: str
    region: str
    address: str
    latitude: float
    longitude: float
    opens_at: time
    closes_at: time
    pickup_enabled: bool

    @staticmethod
    def resolve_region(location) -> str:
        return location.region.name


class Availability(Schema):
    sku_id: int
    available: int


class NearbyOut(Schema):
    location: LocationOut
    distance_km: float
    can_supply_all: bool
    availability: list[Availability]


class NearbyQuery(Schema):
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)
    radius_km: float = Field(10, gt=0, le=50)
    limit: int = Field(10, ge=1, le=50)
    items: str = Field("", description="Wanted SKUs as sku_id:quantity pairs, comma separated, e.g. 12:2,15:1")
    pickup_only: bool = False
    only_complete: bool = False

    @field_validator("items")
    @classmethod
    def items_are_pairs(cls, value: str) -> str:
        parse_items(value)
        return value

    def wanted(self) -> dict[int, int]:
        return parse_items(self.items)


ITEM = re.compile(r"\s*([0-9]{1,19})\s*(?::\s*([0-9]{1,3})\s*)?")


def parse_items(text: str) -> dict[int, int]:
    """ "12:2,15" -> {12: 2, 15: 1}; ValueError (a 422) for anything else."""
    wanted: dict[int, int] = {}
    for pair in filter(None, text.split(",")):
        match = ITEM.fullmatch(pair)
        sku_id, quantity = (int(match[1]), int(match[2] or 1)) if match else (0, 0)
        if not (0 < sku_id <= MAX_ID and 1 <= quantity <= 999):
            raise ValueError("items must look like 12:2,15:1 with quantities 1 to 999")
        wanted[sku_id] = wanted.get(sku_id, 0) + quantity
    return wanted


@router.get("/nearby", response=list[NearbyOut], auth=None)
def nearby(request: HttpRequest, query: Query[NearbyQuery]):
    """The nearest locations, with what each can promise online of the wanted items."""
    wanted = query.wanted()
    if wanted:
        skus_by_id(set(wanted))  # unknown SKUs are a 4xx, not an empty answer
    supplies = nearby_supply(
        latitude=query.lat,
        longitude=query.lng,
        wanted=wanted,
        radius_km=query.radius_km,
        limit=query.limit,
        pickup_only=query.pickup_only,
        only_complete=query.only_complete,
    )
    return [
        {
            "location": s.nearby.location,
            "distance_km": round(s.nearby.distance_km, 3),
            "can_supply_all": s.can_supply_all,
            "availability": [{"sku_id": k, "available": v} for k, v in s.available.items()],
        }
        for s in supplies
    ]


@router.get("/{location_id}", response=LocationOut, auth=None)
def location_detail(request: HttpRequest, location_id: Id):
    return get_location(location_id=location_id)
