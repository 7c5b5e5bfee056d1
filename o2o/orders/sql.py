"""The order statements on every order's path, as SQL (o2o/core/sql.py says why)."""

from datetime import datetime

from o2o.core.sql import execute, moment

# Conditional: only while the order is still in the state its caller saw. A time left NULL in
# the parameters keeps the one the order has.
_MOVE = """
UPDATE orders_order
SET state = %s, paid_at = COALESCE(%s, paid_at), closed_at = COALESCE(%s, closed_at)
WHERE id = %s AND state = %s
"""


def move_order(
    *, order_id: int, from_state: str, to_state: str, paid_at: datetime | None, closed_at: datetime | None
) -> bool:
    """Move the order from `from_state` to `to_state`; False if another request moved it first."""
    return execute(_MOVE, [to_state, moment(paid_at), moment(closed_at), order_id, from_state]) == 1
