"""The payment statements on every order's path, as SQL (o2o/core/sql.py says why)."""

from datetime import datetime

from o2o.core.sql import execute, moment

_SETTLE = "UPDATE payments_payment SET state = %s, gateway_txn_id = %s, succeeded_at = %s WHERE id = %s"


def settle_payment(*, payment_id: int, state: str, gateway_txn_id: str, at: datetime) -> None:
    """The gateway took the money: the payment succeeded (or is to be returned), with its transaction."""
    execute(_SETTLE, [state, gateway_txn_id, moment(at), payment_id])
