"""The one lock order for rows that several use cases lock.

Refund and redeem, return and undo, expiry and callback, cancel and pay all touch the same rows.
Each of them locked "whatever it touched first" once, and on PostgreSQL two of them could each
hold a row the other wanted: a deadlock, answered as a 500. Every use case that changes an order
after it was placed (and any of its lines, reservations, stock, payments, refunds or voucher)
takes its locks in this order, inside its one transaction:

1. **The order row first, always**: `lock_order(order_id)` (`SELECT ... FOR UPDATE`) as the
   first statement that locks anything. Two use cases on the same order queue here, and the
   second one sees what the first one did (it re-reads the order's state under the lock).
2. Then the order's lines and reservations.
3. Then stock rows, in (location, sku) order (`inventory.services` sorts them so).
4. Then payments, refunds and the pickup voucher.

Rows of one order (lines, reservations, payments, voucher) are reached only through that order's
lock, so no two use cases can hold them in opposite orders. Stock rows are shared between orders:
they are always taken in (location, sku) order, after the order row. The database constraints
(stock CHECKs, one succeeded payment per order, refunds within the amount) stay the last guard.
"""

from o2o.core.errors import not_found
from o2o.orders.models import Order


def lock_order(order_id: int) -> Order:
    """The order row, locked until the end of the caller's transaction (a no-op lock on SQLite,
    which serialises writers anyway). Call it first, inside `transaction.atomic`."""
    order = Order.objects.select_for_update(of=("self",)).filter(pk=order_id).first()
    if order is None:
        raise not_found("order")
    return order
