"""The payment statements on every order's path, as SQL (o2o/core/sql.py says why)."""

from datetime import datetime
from decimal import Decimal

from django.db import connection

from o2o.catalog.models import Category
from o2o.core.sql import cache_related_rows, columns_of, execute, fetch_joined, fetch_models, fetch_row, moment
from o2o.members.models import Member, MemberLevel
from o2o.orders import sql as orders_sql
from o2o.orders.models import Order, OrderLine, OrderState
from o2o.payments.models import Payment
from o2o.stores.models import Location

# The condition of an order's first tender (core.sql.insert_model_where), with the order's id.
NO_TENDER_YET = "NOT EXISTS (SELECT 1 FROM payments_payment WHERE order_id = %s)"

_TENDERS_OF_ORDER = f"SELECT {columns_of(Payment)} FROM payments_payment WHERE order_id = %s ORDER BY id"

# Conditional: only a payment still waiting for the gateway (or failed, money arriving late).
_SETTLE = """UPDATE payments_payment SET state = %s, gateway_txn_id = %s, succeeded_at = %s
WHERE id = %s AND state IN (%s, %s)"""


# A gateway payment of the whole total of an order that waits for payment: the order's id.
_ORDER_AWAITING = """SELECT orders_order.id FROM payments_payment
JOIN orders_order ON orders_order.id = payments_payment.order_id
WHERE payments_payment.gateway = %s AND payments_payment.gateway_ref = %s AND payments_payment.state IN (%s, %s)
AND payments_payment.amount = %s AND orders_order.total = payments_payment.amount AND orders_order.state = %s"""


def order_awaiting(*, gateway: str, gateway_ref: str, amount: Decimal) -> int | None:
    """The order this unsettled gateway payment would pay in full, taking `amount`, if it still
    waits for payment (read without a lock: the callback's transaction decides)."""
    unsettled = [Payment.State.PENDING.value, Payment.State.FAILED.value]
    params = [gateway, gateway_ref, *unsettled, amount, OrderState.PENDING_PAYMENT.value]
    row = fetch_row(_ORDER_AWAITING, params)
    return row[0] if row else None


def settle_payment(*, payment_id: int, state: str, gateway_txn_id: str, at: datetime) -> bool:
    """The gateway took the money: the payment succeeded (or is to be returned), with its
    transaction; False if it was settled already."""
    unsettled = [Payment.State.PENDING.value, Payment.State.FAILED.value]
    return execute(_SETTLE, [state, gateway_txn_id, moment(at), payment_id, *unsettled]) == 1


def tenders_of_order(order_id: int) -> list[Payment]:
    """Every payment of the order, oldest first."""
    return fetch_models(Payment, _TENDERS_OF_ORDER, [order_id])


# A member's channels and language (notifications' model, reached through the relation: payments
# sit below notifications and do not import it).
NotificationPreference = Member.notification_preference.related.related_model

# The order a gateway payment belongs to, with what every reaction to the payment reads (member,
# level, notification preference, fulfilment location, the lines with their categories): a row
# per line. The order row is locked (PostgreSQL), as `orders.locks.lock_order` locks it; the
# joined rows are not. A reference is unique, so the rows are one order's.
_ORDER_PAID_BY = f"""
SELECT {columns_of(Order, "orders_order")}, {columns_of(Member, "members_member")},
       {columns_of(MemberLevel, "members_memberlevel")},
       {columns_of(NotificationPreference, "notifications_notificationpreference")},
       {columns_of(Location, "stores_location")}, {orders_sql.LINE_AND_CATEGORY_COLUMNS}
FROM orders_order
JOIN payments_payment ON payments_payment.order_id = orders_order.id
JOIN stores_location ON stores_location.id = orders_order.fulfilment_location_id
LEFT JOIN members_member ON members_member.id = orders_order.member_id
LEFT JOIN members_memberlevel ON members_memberlevel.id = members_member.level_id
LEFT JOIN notifications_notificationpreference
       ON notifications_notificationpreference.member_id = members_member.id
LEFT JOIN ({orders_sql.LINES_AND_CATEGORIES}) ON orders_orderline.order_id = orders_order.id
WHERE payments_payment.gateway = %s AND payments_payment.gateway_ref = %s
ORDER BY orders_orderline.id
"""


def lock_order_paid_by(gateway: str, gateway_ref: str) -> Order | None:
    """The order the gateway payment belongs to, its row locked, with its member (and the member's
    level and notification preference, None when missing) and fulfilment location set as
    `select_related` sets them, and its lines as `orders.sql.lines_with_categories` reads them:
    the reactions to the payment read none of them again."""
    sql = _ORDER_PAID_BY
    if connection.features.has_select_for_update_of:
        sql += " FOR UPDATE OF orders_order"
    models = [Order, Member, MemberLevel, NotificationPreference, Location, OrderLine, Category]
    found = fetch_joined(models, sql, [gateway, gateway_ref])
    if not found:
        return None
    order, member, level, preference, location, _line, _category = found[0]
    lines = [orders_sql.line_with_category(order, line, category) for *_, line, category in found if line]
    cache_related_rows(order, "lines", lines)
    order.fulfilment_location = location
    order.member = member
    if member is not None:
        member.level = level
        Member.notification_preference.related.set_cached_value(member, preference)
        if preference is not None:
            Member.notification_preference.related.field.set_cached_value(preference, member)
    return order
