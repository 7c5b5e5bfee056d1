"""The payment statements on every order's path, as SQL (o2o/core/sql.py says why)."""

from datetime import datetime

from o2o.core.sql import columns_of, execute, fetch_models, moment
from o2o.payments.models import Payment

_TENDERS_OF_ORDER = f"SELECT {columns_of(Payment)} FROM payments_payment WHERE order_id = %s ORDER BY id"

_SETTLE = "UPDATE payments_payment SET state = %s, gateway_txn_id = %s, succeeded_at = %s WHERE id = %s"


def settle_payment(*, payment_id: int, state: str, gateway_txn_id: str, at: datetime) -> None:
    """The gateway took the money: the payment succeeded (or is to be returned), with its transaction."""
    execute(_SETTLE, [state, gateway_txn_id, moment(at), payment_id])


def tenders_of_order(order_id: int) -> list[Payment]:
    """Every payment of the order, oldest first."""
    return fetch_models(Payment, _TENDERS_OF_ORDER, [order_id])
