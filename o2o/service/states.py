"""The ticket state machine (docs/service.md, "Tickets"): the allowed transitions, and nothing else.

A transition is applied with one conditional UPDATE (`WHERE state = <the state we saw>`), so two
agents racing for the same ticket cannot both move it; the loser gets a 409 (ErrorCode.CONFLICT).
"""

from o2o.service.models import TicketState as S

TRANSITIONS: dict[str, frozenset[str]] = {
    # claimed or assigned; escalated straight to a store; praise or a suggestion noted and closed
    S.NEW: frozenset({S.OPEN, S.ESCALATED, S.CLOSED}),
    # open -> open: reassigned to another agent; open -> closed: praise or a suggestion, nothing to do
    S.OPEN: frozenset({S.WAITING_ON_CUSTOMER, S.ESCALATED, S.RESOLVED, S.OPEN, S.CLOSED}),
    # the customer answered (or the agent resumed): the SLA clock runs again
    S.WAITING_ON_CUSTOMER: frozenset({S.OPEN}),
    # returned to online service: open with its agent, or new when it had none
    S.ESCALATED: frozenset({S.OPEN, S.NEW, S.RESOLVED}),
    # confirmed (or timed out) -> closed; reopened by the customer -> open (new when it had no agent)
    S.RESOLVED: frozenset({S.CLOSED, S.OPEN, S.NEW}),
    S.CLOSED: frozenset(),
}

# Someone is working it (the inbox's default view).
ACTIVE = frozenset({S.NEW, S.OPEN, S.WAITING_ON_CUSTOMER, S.ESCALATED})
# What counts against an agent's max_open_tickets (an escalated ticket is the store's work).
AGENT_LOAD = frozenset({S.OPEN, S.WAITING_ON_CUSTOMER})
# The customer may write on it (a resolved one they confirm or reopen instead).
CUSTOMER_MAY_WRITE = ACTIVE
# Staff may reply or note on it.
STAFF_MAY_WRITE = frozenset({S.NEW, S.OPEN, S.WAITING_ON_CUSTOMER, S.ESCALATED, S.RESOLVED})


def can_transition(from_state: str, to_state: str) -> bool:
    return to_state in TRANSITIONS.get(from_state, frozenset())
