"""Exchanges (换货) of handed-over goods for another variant at the same price (docs: o2o/orders/exchanges.py)."""

from datetime import datetime

from django.http import HttpRequest
from ninja import Header, Router, Schema, Status
from pydantic import Field

from o2o.api.auth import actor
from o2o.api.types import Id, Quantity
from o2o.orders import selectors
from o2o.orders.exchanges import exchange_goods

router = Router(tags=["orders"])


class ExchangeIn(Schema):
    line_id: Id
    to_sku_id: Id
    quantity: Quantity = Field(le=999)


class ExchangeOut(Schema):
    id: int
    order_id: int
    line_id: int
    from_sku_id: int
    to_sku_id: int
    quantity: int
    created_at: datetime


@router.post("/{order_id}/exchanges", response={201: ExchangeOut})
def exchange(
    request: HttpRequest,
    order_id: Id,
    payload: ExchangeIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=80),
):
    """A store manager swaps handed-over units of a line for another variant of the same product at
    the same price; no money moves. A retry with the same Idempotency-Key returns the first exchange."""
    who = actor(request)
    order = selectors.get_order_for(actor=who, order_id=order_id)
    return Status(
        201,
        exchange_goods(
            actor=who,
            order=order,
            line_id=payload.line_id,
            to_sku_id=payload.to_sku_id,
            quantity=payload.quantity,
            idempotency_key=idempotency_key,
        ),
    )
