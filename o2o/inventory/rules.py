"""What online orders may take from a location's stock (available-to-promise)."""

from django.conf import settings

from o2o.stores.models import Location


def online_buffer(location: Location) -> int | None:
    """Units of shelf stock kept back from online orders; None: online orders may not reserve here."""
    if not location.online_orders_reserve_stock:
        return None
    if location.online_safety_buffer is not None:
        return location.online_safety_buffer
    return settings.O2O_ONLINE_SAFETY_BUFFER if location.kind == Location.Kind.STORE else 0


def holdback(location: Location, *, online: bool) -> int | None:
    """Units a sale on this channel must leave untouched; None when it may not take any."""
    return online_buffer(location) if online else 0
