"""A small in-process event bus for cross-app reactions (order paid -> issue pickup voucher).

Handlers run inside the publisher's transaction, so a reaction commits or rolls back together
with its cause (a paid pickup order never lacks its voucher). Anything that leaves the process
(messages, webhooks, tasks) is queued by the handler with `transaction.on_commit` or the outbox.
"""

from collections import defaultdict
from collections.abc import Callable
from typing import Any

Handler = Callable[..., None]
_handlers: dict[str, list[Handler]] = defaultdict(list)


def subscribe(event: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        if handler not in _handlers[event]:
            _handlers[event].append(handler)
        return handler

    return register


def publish(event: str, **payload: Any) -> None:
    for handler in _handlers[event]:
        handler(**payload)


ORDER_PAID = "order.paid"
ORDER_CANCELLED = "order.cancelled"
ORDER_REFUNDED = "order.refunded"
