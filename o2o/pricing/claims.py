"""Claims: what an offer takes when an order is placed with it.

A coupon is used up by the order that redeems it; a flash sale's unit is held by the order that
buys it. The offer apps register a claimer with `on_order_placed` from their `AppConfig.ready`;
`orders.place_order` calls `claim_offers` inside its transaction after writing the order and its
lines and before reserving stock. So an offer that cannot be claimed (a coupon a racing order
used first, a sold-out flash sale) refuses the order with a DomainError before any stock row is
touched, and the rollback leaves nothing behind. A claimer must do no query when the cart used
none of its offers (the order path counts its statements).

Giving an offer back (an unpaid order expired, a refund, a return) is each app's handler on the
order events in `o2o.core.events`.
"""

from collections.abc import Callable
from dataclasses import dataclass

from o2o.core.errors import DomainError, ErrorCode
from o2o.pricing.cart import PricedCart


@dataclass(frozen=True)
class PlacedOrder:
    order_id: int
    member_id: int | None
    channel: str
    selling_location_id: int
    priced: PricedCart  # each line's discounts carry the rule_ref and campaign that gave them
    coupon_ids: tuple[int, ...]  # what the customer chose, applied or not
    fulfilment_location_id: int  # where the goods come from
    offer: str  # the special offer bought through ("flash:<id>", "group:<id>"...) or ""


Claimer = Callable[[PlacedOrder], None]

_claimers: dict[str, Claimer] = {}


def on_order_placed(name: str) -> Callable[[Claimer], Claimer]:
    """Register (or replace) the claimer called `name`; a claimer of special offers is named after
    their kind ("flash" for "flash:<id>")."""

    def register(claimer: Claimer) -> Claimer:
        _claimers[name] = claimer
        return claimer

    return register


def claim_offers(placed: PlacedOrder) -> None:
    if placed.offer and placed.offer.partition(":")[0] not in _claimers:
        raise DomainError(ErrorCode.INVALID, "unknown offer", offer=placed.offer)
    for claimer in _claimers.values():
        claimer(placed)
