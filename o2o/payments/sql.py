"""The payment statements on every order's path, as SQL (o2o/core/sql.py says why)."""

from datetime import datetime

from o2o.core.sql import columns_of, execute, fetch_models, moment
from o2o.payments.models import Payment

_TENDERS_OF_ORDER = f"SELECT {columns_of(Payment)} FROM payments_payment WHERE order_id = %s ORDER BY id"

# Conditional: only a payment still waiting for the gateway (or failed, money arriving late).
_SETTLE = """UPDATE payments_payment SET state = %s, gateway_txn_id = %s, succeeded_at = %s
WHERE id = %s AND state IN (%s, %s)"""


def settle_payment(*, payment_id: int, state: str, gateway_txn_id: str, at: datetime) -> bool:
    """The gateway took the money: the payment succeeded (or is to be returned), with its
    transaction; False if it was settled already."""
    unsettled = [Payment.State.PENDING.value, Payment.State.FAILED.value]
    return execute(_SETTLE, [state, gateway_txn_id, moment(at), payment_id, *unsettled]) == 1


def tenders_of_order(order_id: int) -> list[Payment]:
    """Every payment of the order, oldest first."""
    return fetch_models(Payment, _TENDERS_OF_ORDER, [order_id])
