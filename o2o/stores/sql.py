"""The location statement on every order's path, as SQL (o2o/core/sql.py says why)."""

from o2o.core.sql import columns_of, fetch_joined
from o2o.stores.models import Location, Region

_ACTIVE_LOCATION = f"""
SELECT {columns_of(Location, "stores_location")}, {columns_of(Region, "stores_region")}
FROM stores_location JOIN stores_region ON stores_region.id = stores_location.region_id
WHERE stores_location.id = %s AND stores_location.is_active = %s
"""


def active_location(location_id: int) -> Location | None:
    """The location if it is active, with its region: `active_locations().filter(pk=...)`, in one statement."""
    for location, region in fetch_joined([Location, Region], _ACTIVE_LOCATION, [location_id, True]):
        location.region = region
        return location
    return None
