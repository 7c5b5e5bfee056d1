"""Pickup times: half-hour slots within a store's opening hours, and their capacity.

All slot arithmetic happens in the store's local time (settings.TIME_ZONE): a slot starts on the
hour or the half hour. A store that closes at or before it opens (18:00-02:00) is open past
midnight: its day's slots run to closing on the next calendar day. Staff prepare only while the
store is open, so the earliest slot of an opening is its opening time (or now, if open now) plus
the store's preparation target, rounded up to the next half hour.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import F
from django.utils import timezone

from o2o.core.errors import DomainError, ErrorCode
from o2o.orders.models import Order
from o2o.pickup.models import PickupSlot, PickupSlotBooking
from o2o.stores.models import Location

SLOT = timedelta(minutes=30)
DEFAULT_DAYS = 2


@dataclass(frozen=True)
class Slot:
    starts_at: datetime  # aware, in the store's local time zone
    remaining: int | None  # places left; None when the store sets no capacity

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + SLOT


@dataclass(frozen=True)
class Opening:
    opens: datetime
    closes: datetime


def _zone():
    return timezone.get_default_timezone()  # the stores' local time, whatever a request activated


def _local(day: date, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at), _zone())


def local_day(moment: datetime) -> date:
    return timezone.localdate(moment, _zone())


def _ceil_to_slot(moment: datetime) -> datetime:
    """The next half hour of the local clock at or after `moment`."""
    local = timezone.localtime(moment, _zone())
    floored = local.replace(minute=local.minute - local.minute % 30, second=0, microsecond=0)
    if floored < local:
        floored += SLOT
    return timezone.localtime(floored, _zone())


def openings(location: Location, *, first_day: date, last_day: date) -> list[Opening]:
    """The store's openings that start on the local days first_day..last_day."""
    result = []
    day = first_day
    while day <= last_day:
        opens = _local(day, location.opens_at)
        closes_day = day if location.closes_at > location.opens_at else day + timedelta(days=1)
        result.append(Opening(opens=opens, closes=_local(closes_day, location.closes_at)))
        day += timedelta(days=1)
    return result


def next_opening(location: Location, *, now: datetime) -> Opening:
    """The opening the store is in now, or the next one."""
    today = local_day(now)
    for opening in openings(location, first_day=today - timedelta(days=1), last_day=today + timedelta(days=1)):
        if opening.closes > now:
            return opening
    raise AssertionError("a store opens every day")


def is_open(location: Location, *, now: datetime) -> bool:
    opening = next_opening(location, now=now)
    return opening.opens <= now < opening.closes


def slot_starts(location: Location, *, now: datetime, days: int = DEFAULT_DAYS) -> list[datetime]:
    """Every slot start from the earliest to the end of the openings that start within `days`
    local days from today (the opening that started yesterday and runs past midnight too). When
    none is left in that horizon, the next opening's slots are offered."""
    today = local_day(now)
    preparation = timedelta(minutes=location.preparation_minutes)
    starts: list[datetime] = []
    last_day = today + timedelta(days=max(days, 1) - 1)
    while not starts and last_day <= today + timedelta(days=days + 7):
        for opening in openings(location, first_day=today - timedelta(days=1), last_day=last_day):
            start = _ceil_to_slot(max(now, opening.opens) + preparation)
            while start < opening.closes:
                if not starts or start > starts[-1]:
                    starts.append(start)
                start = timezone.localtime(start + SLOT, _zone())
        last_day += timedelta(days=1)
    return starts


def pickup_slots(location: Location, *, now: datetime | None = None, days: int = DEFAULT_DAYS) -> list[Slot]:
    """The pickup times a customer may choose at this store, earliest first; full slots are left out."""
    now = now or timezone.now()
    starts = slot_starts(location, now=now, days=days)
    capacity = location.pickup_slot_capacity
    if capacity is None:
        return [Slot(starts_at=start, remaining=None) for start in starts]
    booked = dict(PickupSlot.objects.filter(location=location, starts_at__in=starts).values_list("starts_at", "booked"))
    slots = []
    for start in starts:
        remaining = capacity - booked.get(start, 0)
        if remaining > 0:
            slots.append(Slot(starts_at=start, remaining=remaining))
    return slots


def earliest_pickup(location: Location, *, now: datetime | None = None) -> Slot | None:
    slots = pickup_slots(location, now=now)
    return slots[0] if slots else None


def check_offered(location: Location, pickup_at: datetime, *, now: datetime | None = None) -> datetime:
    """`pickup_at` if it is the start of a slot the store offers now (capacity aside); the
    normalised aware datetime. Otherwise a 422 `pickup_slot_unavailable`."""
    if timezone.is_naive(pickup_at):
        pickup_at = timezone.make_aware(pickup_at, _zone())
    if pickup_at not in set(slot_starts(location, now=now or timezone.now())):
        raise DomainError(
            ErrorCode.PICKUP_SLOT_UNAVAILABLE,
            "this pickup time is not offered: choose one of the store's pickup times",
            pickup_at=pickup_at.isoformat(),
        )
    return pickup_at


def book_slot(*, order: Order, location: Location, pickup_at: datetime) -> None:
    """Take one place in the slot for the order, inside the placing transaction. The slot row is
    created once (ON CONFLICT DO NOTHING) and then moved by one conditional UPDATE, so two orders
    racing for the last place get one winner; the loser gets a 409 `pickup_slot_full`."""
    capacity = location.pickup_slot_capacity
    PickupSlot.objects.bulk_create(
        [PickupSlot(location=location, starts_at=pickup_at, booked=0, capacity=capacity)], ignore_conflicts=True
    )
    slot = PickupSlot.objects.filter(location=location, starts_at=pickup_at)
    if capacity is not None:
        slot = slot.filter(booked__lt=capacity)
    if not slot.update(booked=F("booked") + 1, capacity=capacity):
        raise DomainError(
            ErrorCode.PICKUP_SLOT_FULL,
            "this pickup time is fully booked: choose another",
            pickup_at=pickup_at.isoformat(),
        )
    slot_id = PickupSlot.objects.filter(location=location, starts_at=pickup_at).values_list("pk", flat=True).get()
    PickupSlotBooking.objects.create(order=order, slot_id=slot_id)


def release_slot(*, order: Order) -> bool:
    """Give the order's place back (cancelled, expired unpaid, refunded): once, however often called."""
    booking = PickupSlotBooking.objects.filter(order=order, released_at__isnull=True).first()
    if booking is None:
        return False
    if not PickupSlotBooking.objects.filter(pk=booking.pk, released_at__isnull=True).update(released_at=timezone.now()):
        return False
    PickupSlot.objects.filter(pk=booking.slot_id, booked__gt=0).update(booked=F("booked") - 1)
    return True
