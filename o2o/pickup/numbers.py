"""The short pickup number (A001…Z999) a store calls out, drawn from its counter row of the day.

One statement on the payment's hot path: an upsert that creates the day's row at 1 or moves it by
one, and returns the value. The row lock the UPDATE takes is held until commit, so no other payment
at that store reads the same number; the unique (store, day, number) index on the vouchers is the
last guard. Django's ORM cannot express "ON CONFLICT … DO UPDATE SET last = last + 1 … RETURNING",
so this is SQL, the same on PostgreSQL and SQLite (3.35+).
"""

from datetime import date

from django.db import connection

from o2o.pickup.models import MAX_SHORT_NUMBER, PickupNumberCounter

_TABLE = PickupNumberCounter._meta.db_table
_DRAW = f"""
    INSERT INTO {_TABLE} (location_id, day, last) VALUES (%s, %s, 1)
    ON CONFLICT (location_id, day) DO UPDATE SET last = {_TABLE}.last + 1
    WHERE {_TABLE}.last < %s
    RETURNING last
"""


def draw_short_number(*, location_id: int, day: date) -> int | None:
    """The store's next number of `day`; None once the day's 25,974 numbers are used up (the
    12-digit code still works)."""
    with connection.cursor() as cursor:
        cursor.execute(_DRAW, [location_id, day.isoformat(), MAX_SHORT_NUMBER])
        row = cursor.fetchone()
    return row[0] if row else None
