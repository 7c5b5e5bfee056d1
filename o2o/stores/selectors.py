from dataclasses import dataclass

from django.db.models import QuerySet

from o2o.core.errors import not_found
from o2o.stores import sql
from o2o.stores.geo import bounding_box, haversine_km
from o2o.stores.models import Location


@dataclass(frozen=True)
class NearbyLocation:
    location: Location
    distance_km: float


def active_locations() -> QuerySet[Location]:
    return Location.objects.filter(is_active=True).select_related("region")


def get_location(*, location_id: int) -> Location:
    location = sql.active_location(location_id)
    if location is None:
        raise not_found("location")
    return location


def locations_within(
    *,
    latitude: float,
    longitude: float,
    radius_km: float,
    kinds: list[str] | None = None,
    pickup_only: bool = False,
) -> list[NearbyLocation]:
    """Locations inside the circle, nearest first: an indexed box prefilter, then exact distance."""
    min_lat, max_lat, min_lng, max_lng = bounding_box(latitude, longitude, radius_km)
    candidates = active_locations().filter(latitude__range=(min_lat, max_lat), longitude__range=(min_lng, max_lng))
    if kinds:
        candidates = candidates.filter(kind__in=kinds)
    if pickup_only:
        candidates = candidates.filter(pickup_enabled=True)
    nearby = []
    for location in candidates:
        distance = haversine_km(latitude, longitude, location.latitude, location.longitude)
        if distance <= radius_km:
            nearby.append(NearbyLocation(location, distance))
    nearby.sort(key=lambda n: n.distance_km)
    return nearby


def get_location_by_code(*, code: str) -> Location:
    location = active_locations().filter(code=code).first()
    if location is None:
        raise not_found("location")
    return location
