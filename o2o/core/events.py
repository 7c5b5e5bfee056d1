"""A small in-process event bus for cross-app reactions (order paid -> issue pickup voucher).

Handlers run inside the publisher's transaction, so a reaction commits or rolls back together
with its cause (a paid pickup order never lacks its voucher). Anything that leaves the process
(messages, webhooks, tasks) is queued by the handler with `transaction.on_commit` or the outbox.
"""

from collections import defaultdict
from collections.abc import Callable
from typing import Any

Handler = Callable[..., None]
_handlers: dict[str, list[Handler]] = defaultdict(list)  # per event, in the order they run
_last: set[Handler] = set()


def subscribe(event: str, *, last: bool = False) -> Callable[[Handler], Handler]:
    """Handlers run in the order they subscribed (INSTALLED_APPS order), except that `last` ones
    run after all the others. `last` is for a reaction that takes a lock other orders wait for
    (the store's pickup number of the day): its transaction commits soon after, so the lock is
    held for the few statements that follow it, not for every other reaction's; and for one that
    tells of such a reaction's result (the paid message carries the pickup number)."""

    def register(handler: Handler) -> Handler:
        handlers = _handlers[event]
        if handler in handlers:
            return handler
        if last:
            _last.add(handler)
            handlers.append(handler)
        else:
            first_last = next((i for i, h in enumerate(handlers) if h in _last), len(handlers))
            handlers.insert(first_last, handler)
        return handler

    return register


def publish(event: str, **payload: Any) -> None:
    for handler in _handlers[event]:
        handler(**payload)


# Payload of every order event: `order=<Order>`. ORDER_COMPLETED and ORDER_RETURNED add
# `lines=[{"line_id", "sku_id", "quantity", "unit_price", "amount"}, ...]` and `amount` (Decimal).
# A line's `unit_price` is the list price; its `amount` is the net the customer paid for those units
# (their share of the line's net after discounts, rounded so that all shares add up to the net).
# For completed: what the customer kept (sold minus returned) when the return window closed, and
# `amount` their net (no delivery fee). For returned: the units of this return, and `amount` the
# money paid back for it (the delivery fee too when this return takes back the last unit).
# `order=<Order>`: placed (priced, stock reserved), in the placing transaction; a handler may refuse
# it with a DomainError (pickup books the chosen pickup slot here). On PostgreSQL an unpaid order's
# transaction commits without waiting for the disk (a database crash may lose it whole): a handler
# writes rows only, and leaves anything that acts outside the database to the payment.
ORDER_PLACED = "order.placed"
ORDER_PAID = "order.paid"
# `order_id=<int>`: a gateway says it took the whole of a pending order's total. Published by the
# callback before its transaction opens, outside any transaction: a handler may prepare, in its own
# short statement, what the payment's transaction will need, so that a lock every payment of a store
# takes is not held until that transaction commits (pickup draws the store's short number here).
# The payment may still not go through (a replay, a race, a refusal): what is prepared must be
# harmless unused.
ORDER_PAYMENT_ARRIVING = "order.payment_arriving"
ORDER_CANCELLED = "order.cancelled"
ORDER_REFUNDED = "order.refunded"  # refunded in full (cancelled after payment, or everything returned)
ORDER_UNCOLLECTED = "order.uncollected"  # a pickup nobody came for: stock released, money to be returned
ORDER_RETURNED = "order.returned"  # goods came back after hand-over (partial or whole)
ORDER_COMPLETED = "order.completed"  # the return window closed: final for commission and points
# Store fulfilment, each in the transaction that moved the order (payload `order=<Order>`):
ORDER_READY_FOR_PICKUP = "order.ready_for_pickup"  # staff marked a pickup order ready (preparation)
ORDER_PACKED = "order.packed"  # staff packed a delivery order; it waits for a run or a courier
ORDER_PICKED_UP = "order.picked_up"  # handed over at the counter (voucher redeemed)
ORDER_OUT_FOR_DELIVERY = "order.out_for_delivery"  # left the store on a run; `eta=<datetime|None>` too
ORDER_DELIVERED = "order.delivered"
# `order=<Order>, line=<OrderLine>, missing=<int>, actor_id=<int|None>`: at pick time the shelf had
# fewer units than the line (preparation); incidents open one and propose the standard remedy.
PICK_SHORTAGE = "fulfilment.pick_shortage"
# `order=<Order>, reason=<str>, actor_id=<int|None>`: a driver or courier could not deliver.
DELIVERY_FAILED = "fulfilment.delivery_failed"
# `member=<Member>, given=<bool>, at=<datetime>, source=<str>`: a member gave or withdrew marketing consent.
MARKETING_CONSENT_CHANGED = "member.marketing_consent_changed"
# `member=<Member>`: a new member joined (members.register_member, in its transaction).
MEMBER_REGISTERED = "member.registered"
# Money went back on one tender of an order (payments): `payment=<Payment>`, `refund=<Refund>`.
TENDER_REFUNDED = "payment.tender_refunded"
# attribution: `order=<Order>, credits=[LineCredit, ...]`: the order lines' credits were written (the order
# was paid). `order=<Order>, credits=[LineCredit, ...]`: negative credits for returned units were written.
LINES_CREDITED = "attribution.lines_credited"
CREDITS_REVERSED = "attribution.credits_reversed"
# service: `ticket=<Ticket>`: a ticket was closed (confirmed, timed out or nothing to do), in the closing
# transaction (aftercare schedules a follow-up visit on it).
TICKET_CLOSED = "service.ticket_closed"
