"""Pickup times on the storefront: a store's offered times at checkout and "when" on the order page."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from o2o.orders.models import Order
from o2o.pickup import slots
from o2o.stores.models import Location

FIELD = "pickup_at_{}"  # one choice per pickup store listed: the store chosen decides which is read


@dataclass(frozen=True)
class StoreTimes:
    field: str
    choices: list[tuple[str, str]]  # (value: the slot's start, ISO; label)
    earliest: str  # "09:30 tomorrow", or "" when none is offered
    chosen: str = ""  # the value posted back (kept selected when the form is shown again)


def moment_label(moment: datetime, *, now: datetime) -> str:
    local = timezone.localtime(moment, timezone.get_default_timezone())
    today = slots.local_day(now)
    clock = local.strftime("%H:%M")
    if local.date() == today:
        return _("%(time)s today") % {"time": clock}
    if local.date() == today + timedelta(days=1):
        return _("%(time)s tomorrow") % {"time": clock}
    return f"{local:%m-%d} {clock}"


def store_times(location: Location, *, data=None, now: datetime | None = None) -> StoreTimes:
    now = now or timezone.now()
    offered = slots.pickup_slots(location, now=now)
    choices = [(slot.starts_at.isoformat(), moment_label(slot.starts_at, now=now)) for slot in offered]
    field = FIELD.format(location.pk)
    return StoreTimes(
        field=field,
        choices=choices,
        earliest=choices[0][1] if choices else "",
        chosen=(data or {}).get(field, ""),
    )


def chosen_pickup_at(data, location_id: int) -> datetime | None:
    """The pickup time posted for the chosen store: None for "as soon as it is ready"; ValueError
    when it is not a time at all (whether the store offers it is the order service's to say)."""
    value = (data.get(FIELD.format(location_id)) or "").strip()
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, timezone.get_default_timezone())


def pickup_when(order: Order, *, now: datetime | None = None) -> str:
    """What the customer's order page says about when to come."""
    if order.pickup_at is None:
        return _("Pickup as soon as it is ready")
    return _("Pickup from %(when)s") % {"when": moment_label(order.pickup_at, now=now or timezone.now())}
