"""Where a delivery address is, for the route planner.

Orders keep their delivery address as text and no coordinates (there is no geocoding service
here), so the planner places each address by a stable simulated geocode: a point within a few
kilometres of the store that ships it, derived from a hash of the address. The same address always
lands on the same point, different addresses spread over the store's delivery area. A real
geocoder (AMap, Baidu) replaces `geocode` without touching the planner.
"""

import hashlib
import math

DELIVERY_RADIUS_KM = 6.0
_KM_PER_DEGREE = 111.32


def geocode(address: str, *, near: tuple[float, float]) -> tuple[float, float]:
    digest = hashlib.sha256(address.strip().encode()).digest()
    angle = int.from_bytes(digest[:4], "big") / 2**32 * 2 * math.pi
    # sqrt: uniform over the disc, not crowded at the centre
    radius = math.sqrt(int.from_bytes(digest[4:8], "big") / 2**32) * DELIVERY_RADIUS_KM
    lat, lng = near
    dlat = radius * math.cos(angle) / _KM_PER_DEGREE
    dlng = radius * math.sin(angle) / (_KM_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
    return round(lat + dlat, 6), round(lng + dlng, 6)


def navigation_url(*, latitude: float, longitude: float, name: str) -> str:
    """A link that opens turn-by-turn navigation in AMap (web or app) to the stop."""
    from urllib.parse import quote

    return f"https://uri.amap.com/navigation?to={longitude},{latitude},{quote(name)}&mode=car&callnative=1"
