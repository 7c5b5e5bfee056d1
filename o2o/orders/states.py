"""The order state machine: the allowed transitions, and nothing else.

A transition is applied with one conditional UPDATE (`WHERE state = <the state we saw>`), so two
requests racing for the same order cannot both move it; the loser gets a 409.
"""

from o2o.orders.models import OrderState as S

TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING_PAYMENT: frozenset({S.PAID, S.CANCELLED}),
    # an in-store sale is handed over at the counter the moment it is paid (paid -> picked up)
    # uncollected from paid too: a pickup the store never marked ready ends when its voucher expires
    S.PAID: frozenset({S.READY_FOR_PICKUP, S.OUT_FOR_DELIVERY, S.PICKED_UP, S.REFUNDED, S.UNCOLLECTED}),
    # nobody came before the voucher expired: stock released, money returned
    S.READY_FOR_PICKUP: frozenset({S.PICKED_UP, S.REFUNDED, S.UNCOLLECTED}),
    # back to ready: a manager undoes a hand-over booked by mistake
    S.PICKED_UP: frozenset({S.READY_FOR_PICKUP, S.COMPLETED, S.REFUNDED}),
    S.OUT_FOR_DELIVERY: frozenset({S.DELIVERED}),
    S.DELIVERED: frozenset({S.COMPLETED, S.REFUNDED}),
    # completed when the return window closes: final (commission and points settle on it)
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
    S.REFUNDED: frozenset(),
    S.UNCOLLECTED: frozenset(),
}

# The goods have left the store and the return window is open: returns are possible.
HANDED_OVER = frozenset({S.PICKED_UP, S.DELIVERED})
# Waiting for the return window to close (then completed).
IN_RETURN_WINDOW = HANDED_OVER
# Paid, goods still in the store: cancelling means refunding in full.
PAID_NOT_HANDED_OVER = frozenset({S.PAID, S.READY_FOR_PICKUP})


def can_transition(from_state: str, to_state: str) -> bool:
    return to_state in TRANSITIONS.get(from_state, frozenset())
