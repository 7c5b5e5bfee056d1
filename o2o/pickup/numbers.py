"""The short pickup number (A001…Z999) a store calls out, drawn from its counter row of the day.

One statement: an upsert that creates the day's row at 1 or moves it by one, and returns the value.
The row lock the UPDATE takes is held until commit, so no other payment at that store reads the
same number; the unique (store, day, number) index on the vouchers is the last guard. Django's ORM
cannot express "ON CONFLICT … DO UPDATE SET last = last + 1 … RETURNING", so this is SQL, the same
on PostgreSQL and SQLite (3.35+).

Every paying order of a store takes that one row. Drawn inside the payment's transaction, it stays
locked through the voucher, the message and the commit, and the store's payments queue behind it.
So a gateway's callback draws it ahead (`draw_ahead`), in a statement of its own that commits at
once; the voucher takes that number (`take_drawn_ahead`) when the payment goes through, and a
number drawn for a payment that did not is skipped: a gap nobody is told of.
"""

from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date

from o2o.core.sql import fetch_row
from o2o.orders.models import Fulfilment, OrderState
from o2o.pickup.models import MAX_SHORT_NUMBER, PickupNumberCounter

_TABLE = PickupNumberCounter._meta.db_table
_NEXT = f"ON CONFLICT (location_id, day) DO UPDATE SET last = {_TABLE}.last + 1 WHERE {_TABLE}.last < %s"
_DRAW = f"INSERT INTO {_TABLE} (location_id, day, last) VALUES (%s, %s, 1) {_NEXT} RETURNING last"
# For an order paid now and picked up as soon as it is ready (a chosen pickup time may be another
# day's: that order draws in its payment). The WHERE also keeps SQLite from reading ON as a join's.
_DRAW_FOR_ORDER = f"""
INSERT INTO {_TABLE} (location_id, day, last)
SELECT fulfilment_location_id, %s, 1 FROM orders_order
WHERE id = %s AND state = %s AND fulfilment = %s AND pickup_at IS NULL
{_NEXT} RETURNING location_id, last
"""


@dataclass(frozen=True)
class DrawnAhead:
    order_id: int
    location_id: int
    day: date
    number: int


# One per thread of execution: the number drawn for the payment this request or task is applying.
_drawn_ahead: ContextVar[DrawnAhead | None] = ContextVar("pickup_number_drawn_ahead", default=None)


def draw_short_number(*, location_id: int, day: date) -> int | None:
    """The store's next number of `day`; None once the day's 25,974 numbers are used up (the
    12-digit code still works)."""
    row = fetch_row(_DRAW, [location_id, day.isoformat(), MAX_SHORT_NUMBER])
    return row[0] if row else None


def draw_ahead(*, order_id: int, day: date) -> DrawnAhead | None:
    """Before the payment's transaction: the next number of `day` at the order's store, kept for the
    order's voucher, if the order waits for payment and is picked up as soon as ready."""
    params = [day, order_id, OrderState.PENDING_PAYMENT.value, Fulfilment.PICKUP.value, MAX_SHORT_NUMBER]
    row = fetch_row(_DRAW_FOR_ORDER, params)
    drawn = DrawnAhead(order_id, row[0], day, row[1]) if row else None
    _drawn_ahead.set(drawn)
    return drawn


def take_drawn_ahead(*, order_id: int, location_id: int, day: date) -> int | None:
    """The number drawn ahead for this order's voucher; None when none was, or it was for another
    day (the payment went through after midnight) or order. Asked once: a second call gets None."""
    drawn = _drawn_ahead.get()
    _drawn_ahead.set(None)
    if drawn is None or (drawn.order_id, drawn.location_id, drawn.day) != (order_id, location_id, day):
        return None
    return drawn.number
