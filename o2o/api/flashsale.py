"""Flash sales (限时抢购): the public list, buying one (a member), creating one (marketers).

Buying goes through `orders.place_order` with `offer="flash:<id>"`, exactly like `POST /orders`
with that offer; this endpoint only answers "sold out" / "not open" first, from one read of the
sale, so the crowd after the last unit never enters the order path (docs/flashsale.md)."""

from datetime import datetime
from decimal import Decimal
from typing import Literal

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field, StrictInt

from o2o.access.actors import Actor
from o2o.api.auth import actor
from o2o.api.types import Id, IdempotencyKey, Money
from o2o.catalog.models import Channel
from o2o.core.errors import DomainError, ErrorCode
from o2o.flashsale import selectors, services
from o2o.flashsale.models import MAX_PER_MEMBER, MAX_UNITS
from o2o.orders import services as orders
from o2o.orders.models import Fulfilment, Order

router = Router(tags=["flash sales"])


class FlashSaleOut(Schema):
    id: int
    sku_id: int
    sku_name: str
    location_id: int
    campaign_id: int | None
    price: Decimal = Field(description="The flash price of one unit")
    quantity: int
    per_member_limit: int
    starts_at: datetime
    ends_at: datetime
    units_left: int = Field(description="Units not taken by an order (orders not yet paid may give theirs back)")
    sold_out: bool

    @staticmethod
    def resolve_sku_name(sale) -> str:
        return sale.sku.name

    @staticmethod
    def resolve_sold_out(sale) -> bool:
        return sale.sold_out_at is not None or sale.units_left == 0


class FlashSaleIn(Schema):
    sku_id: Id
    location_id: Id = Field(description="The store or warehouse the units are held at and fulfilled from")
    price: Money
    quantity: StrictInt = Field(ge=1, le=MAX_UNITS)
    per_member_limit: StrictInt = Field(1, ge=1, le=MAX_PER_MEMBER)
    starts_at: datetime = Field(description="The opening second (with its time zone)")
    ends_at: datetime
    campaign_id: Id | None = None


class BuyIn(Schema):
    quantity: StrictInt = Field(1, ge=1, le=MAX_PER_MEMBER)
    channel: Literal[Channel.APP, Channel.H5] = Channel.APP
    fulfilment: Literal[Fulfilment.PICKUP, Fulfilment.DELIVERY] = Fulfilment.PICKUP
    location_id: Id | None = Field(None, description="Defaults to the sale's location (the only one allowed)")
    delivery_address: str = Field("", max_length=255)


class BoughtOut(Schema):
    order_id: int
    number: str
    total: Decimal
    payment_deadline: datetime | None


@router.get("", response=list[FlashSaleOut], auth=None)
def list_sales(request: HttpRequest):
    """Open and upcoming flash sales, soonest first."""
    return list(selectors.public_sales()[:100])


@router.get("/{sale_id}", response=FlashSaleOut, auth=None)
def get_sale(request: HttpRequest, sale_id: Id):
    return selectors.get_sale(sale_id=sale_id)


@router.post("", response={201: FlashSaleOut})
def create_sale(request: HttpRequest, payload: FlashSaleIn, idempotency_key: IdempotencyKey = None):
    """Marketers: a sale of `quantity` units at `price`, opening at `starts_at` to the second."""
    sale = services.create_flash_sale(actor=actor(request), idempotency_key=idempotency_key, **payload.model_dump())
    return Status(201, selectors.get_sale(sale_id=sale.pk))


@router.post("/{sale_id}/orders", response={201: BoughtOut})
def buy(request: HttpRequest, sale_id: Id, payload: BuyIn, idempotency_key: IdempotencyKey = None):
    """A member buys: sold out or not open is a 409 from one read of the sale; otherwise an order is
    placed with `offer="flash:<id>"` (the same as `POST /orders` with it), to be paid before its
    deadline or its units go back on sale. A retry with the same Idempotency-Key returns the first
    order, even after the sale sold out."""
    who = actor(request)
    admission = selectors.admission(sale_id=sale_id)
    if admission.refusal is not None and not _a_retry(who, idempotency_key):
        raise admission.refusal
    request = orders.OrderRequest(
        channel=payload.channel,
        fulfilment=payload.fulfilment,
        fulfilment_location_id=payload.location_id or admission.location_id,
        lines=[orders.LineRequest(admission.sku_id, payload.quantity)],
        delivery_address=payload.delivery_address,
        offer=f"flash:{sale_id}",
    )
    try:
        order = orders.place_order(actor=who, member=who.member, request=request, idempotency_key=idempotency_key)
    except DomainError as refused:
        if refused.code == ErrorCode.FLASH_SALE_SOLD_OUT:
            services.note_sold_out(sale_id=sale_id)  # the next buyers are answered from the flag
        raise
    return Status(
        201,
        BoughtOut(order_id=order.pk, number=order.number, total=order.total, payment_deadline=order.payment_deadline),
    )


def _a_retry(who: Actor, idempotency_key: str | None) -> bool:
    """Whether this key already placed an order (a client retrying after the sale sold out)."""
    return (
        bool(idempotency_key)
        and Order.objects.filter(idempotency_scope=who.idempotency_scope, idempotency_key=idempotency_key).exists()
    )
