"""The stock statements on every order's path, as SQL (o2o/core/sql.py says why)."""

from o2o.core.sql import execute
from o2o.inventory.models import Reservation

# Conditional: reserves only while on hand covers what is reserved, this and what is kept back.
_RESERVE = """
UPDATE inventory_stocklevel SET reserved = reserved + %s
WHERE location_id = %s AND sku_id = %s AND on_hand >= reserved + %s
"""

_KEEP_RESERVATIONS_OF_ORDER = """
UPDATE inventory_reservation SET expires_at = NULL
WHERE state = %s AND order_line_id IN (SELECT id FROM orders_orderline WHERE order_id = %s)
"""


def reserve_units(*, location_id: int, sku_id: int, quantity: int, keep_back: int) -> bool:
    """Reserve `quantity` units of the stock row if `keep_back` more stay free; False if not."""
    return execute(_RESERVE, [quantity, location_id, sku_id, quantity + keep_back]) == 1


def keep_reservations_of_order(order_id: int) -> int:
    """The order's active reservations no longer expire."""
    return execute(_KEEP_RESERVATIONS_OF_ORDER, [Reservation.State.ACTIVE.value, order_id])
