"""The order state machine: the allowed transitions, and nothing else.

A transition is applied with one conditional UPDATE (`WHERE state = <the state we saw>`), so two
requests racing for the same order cannot both move it; the loser gets a 409.
"""

from o2o.orders.models import OrderState as S

TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING_PAYMENT: frozenset({S.PAID, S.CANCELLED}),
    S.PAID: frozenset({S.READY_FOR_PICKUP, S.OUT_FOR_DELIVERY, S.COMPLETED, S.REFUNDED}),
    S.READY_FOR_PICKUP: frozenset({S.PICKED_UP, S.REFUNDED}),
    # back to ready: a manager undoes a hand-over booked by mistake
    S.PICKED_UP: frozenset({S.READY_FOR_PICKUP, S.COMPLETED, S.REFUNDED}),
    S.OUT_FOR_DELIVERY: frozenset({S.DELIVERED}),
    S.DELIVERED: frozenset({S.COMPLETED, S.REFUNDED}),
    S.COMPLETED: frozenset({S.REFUNDED}),
    S.CANCELLED: frozenset(),
    S.REFUNDED: frozenset(),
}

# The goods have left the store: returns are possible from here on.
HANDED_OVER = frozenset({S.PICKED_UP, S.DELIVERED, S.COMPLETED})
# Paid, goods still in the store: cancelling means refunding in full.
PAID_NOT_HANDED_OVER = frozenset({S.PAID, S.READY_FOR_PICKUP})


def can_transition(from_state: str, to_state: str) -> bool:
    return to_state in TRANSITIONS.get(from_state, frozenset())
