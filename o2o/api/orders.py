from datetime import datetime
from decimal import Decimal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Header, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import Field

from o2o.access import members as member_desk
from o2o.access.actors import Actor
from o2o.api.auth import AUTH, actor
from o2o.api.pagination import CursorPagination
from o2o.api.types import Id, Quantity
from o2o.catalog.models import Channel
from o2o.core.errors import DomainError, ErrorCode
from o2o.orders import selectors
from o2o.orders import services as orders
from o2o.orders.models import Fulfilment, OrderState
from o2o.payments import services as payments
from o2o.pricing.models import DiscountSource
from o2o.pricing.rules import ManualDiscount
from o2o.staff.selectors import employee_by_code

router = Router(tags=["orders"])


class LineIn(Schema):
    sku_id: Id
    quantity: Quantity = Field(le=orders.MAX_LINE_QUANTITY)


class ManualDiscountIn(Schema):
    amount: Decimal = Field(gt=0, max_digits=12, decimal_places=2, description="Yuan off the whole sale")
    reason: str = Field(min_length=1, max_length=80)


class OrderIn(Schema):
    channel: Channel
    fulfilment: Fulfilment
    location_id: Id = Field(description="The pickup store, or the location the goods ship from")
    lines: list[LineIn] = Field(min_length=1, max_length=orders.MAX_LINES)
    delivery_address: str = Field("", max_length=255)
    member_phone: str | None = Field(None, max_length=32, description="Staff: the customer's member phone")
    referrer_code: str | None = Field(None, max_length=16, description="The employee share code of a share link")
    manual_discount: ManualDiscountIn | None = Field(None, description="Store managers, counter sales only")
    coupon_ids: list[Id] = Field([], max_length=5, description="The member's coupons to redeem on this order")
    offer: str = Field(
        "",
        max_length=40,
        pattern=r"^([a-z]+:[0-9]{1,12})?$",
        description='A special offer bought through: "flash:7", "group:3"',
    )
    pickup_at: datetime | None = Field(
        None,
        description="Pickup orders: the start of one of the store's offered pickup times "
        "(GET /pickup/stores/{id}/slots); empty: as soon as it is ready",
    )


class DiscountOut(Schema):
    source: DiscountSource
    label: str
    amount: Decimal
    rule_ref: str
    campaign_id: int | None


class LineOut(Schema):
    id: int
    sku_id: int
    sku_name: str
    quantity: int
    unit_price: Decimal = Field(description="List price of one unit")
    line_total: Decimal = Field(description="List price x quantity, before discounts")
    discounts: list[DiscountOut]
    discount_total: Decimal
    net_amount: Decimal = Field(description="What the customer pays for the line; returns pay back its share")
    returned_quantity: int

    @staticmethod
    def resolve_sku_name(line) -> str:
        return line.sku.name

    @staticmethod
    def resolve_discounts(line) -> list:
        return list(line.discounts.all()) if line.discount_total else []


class OrderOut(Schema):
    id: int
    number: str
    state: OrderState
    channel: Channel
    fulfilment: Fulfilment
    member_id: int | None
    selling_location_id: int
    fulfilment_location_id: int
    referrer_id: int | None
    delivery_address: str
    subtotal: Decimal = Field(description="The lines' list prices x quantities")
    discount_total: Decimal
    delivery_fee: Decimal
    total: Decimal = Field(description="Payable: subtotal - discount_total + delivery_fee")
    refunded_total: Decimal
    payment_deadline: datetime | None
    pickup_at: datetime | None = Field(description="The chosen pickup time; null: as soon as it is ready")
    created_at: datetime
    paid_at: datetime | None
    lines: list[LineOut]

    @staticmethod
    def resolve_lines(order) -> list:
        return list(order.lines.all())


class OrderFilter(Schema):
    state: OrderState | None = None
    location_id: Id | None = None


class ReturnLine(Schema):
    line_id: Id
    quantity: Quantity = Field(le=orders.MAX_LINE_QUANTITY)


class ReturnIn(Schema):
    lines: list[ReturnLine] = Field(min_length=1, max_length=orders.MAX_LINES)
    reason: str = Field(min_length=1, max_length=255)


class QuoteIn(Schema):
    channel: Channel
    fulfilment: Fulfilment
    location_id: Id = Field(description="The pickup store, or the location the goods ship from")
    lines: list[LineIn] = Field(min_length=1, max_length=orders.MAX_LINES)
    member_phone: str | None = Field(None, max_length=32, description="Staff: the customer's member phone")
    referrer_code: str | None = Field(None, max_length=16, description="The employee share code of a share link")
    coupon_ids: list[Id] = Field([], max_length=5, description="The member's coupons to redeem on this order")
    offer: str = Field(
        "",
        max_length=40,
        pattern=r"^([a-z]+:[0-9]{1,12})?$",
        description='A special offer bought through: "flash:7", "group:3"',
    )


class QuotedDiscountOut(Schema):
    source: DiscountSource
    label: str
    amount: Decimal
    rule_ref: str


class QuotedLineOut(Schema):
    sku_id: int
    quantity: int
    unit_price: Decimal
    gross: Decimal
    discounts: list[QuotedDiscountOut]
    discount_total: Decimal
    net: Decimal


class QuoteOut(Schema):
    lines: list[QuotedLineOut]
    subtotal: Decimal
    discount_total: Decimal
    delivery_fee: Decimal
    payable: Decimal


def _order_request(payload: OrderIn | QuoteIn) -> orders.OrderRequest:
    referrer = None
    if payload.referrer_code:
        referrer = employee_by_code(payload.referrer_code)
        if referrer is None:
            raise DomainError(ErrorCode.INVALID, "unknown share code", referrer_code=payload.referrer_code)
    return orders.OrderRequest(
        channel=payload.channel,
        fulfilment=payload.fulfilment,
        fulfilment_location_id=payload.location_id,
        lines=[orders.LineRequest(line.sku_id, line.quantity) for line in payload.lines],
        delivery_address=getattr(payload, "delivery_address", ""),
        referrer=referrer,
        manual_discount=_manual_discount(getattr(payload, "manual_discount", None)),
        coupon_ids=tuple(payload.coupon_ids),
        offer=payload.offer,
        pickup_at=_aware(getattr(payload, "pickup_at", None)),
    )


def _aware(moment: datetime | None) -> datetime | None:
    """A time given without an offset is the stores' local time."""
    if moment is None or timezone.is_aware(moment):
        return moment
    return timezone.make_aware(moment, timezone.get_default_timezone())


def _manual_discount(given: ManualDiscountIn | None) -> ManualDiscount | None:
    return ManualDiscount(amount=given.amount, reason=given.reason.strip()) if given else None


def _anonymous(request: HttpRequest) -> Actor:
    """Nobody signed in (or a token that is not valid): a caller with no member and no staff rights."""
    return Actor()


@router.post("/quote", response=QuoteOut, auth=[*AUTH, _anonymous])
def quote(request: HttpRequest, payload: QuoteIn):
    """What this cart costs, priced as placing it would price it (list prices, discount lines, net,
    delivery fee, payable); nothing is placed or reserved. Signed-in members get their member
    benefits; anonymous callers get public list prices of online channels only."""
    who = actor(request)
    member = who.member
    if who.is_staff and payload.member_phone:
        member = member_desk.look_up_member(actor=who, phone=payload.member_phone)
    return orders.quote_order(actor=who, member=member, request=_order_request(payload))


@router.post("", response={201: OrderOut})
def place_order(
    request: HttpRequest,
    payload: OrderIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=80),
):
    """Price, reserve and hold the order for payment. Amounts are computed here, never taken from you."""
    who = actor(request)
    member = who.member
    if who.is_staff and payload.member_phone:
        member = member_desk.look_up_member(actor=who, phone=payload.member_phone)
    order = orders.place_order(
        actor=who, member=member, request=_order_request(payload), idempotency_key=idempotency_key
    )
    return Status(201, selectors.as_placed(actor=who, order=order))


@router.get("", response=list[OrderOut])
@paginate(CursorPagination, ordering=("-id",))
def list_orders(request: HttpRequest, filters: Query[OrderFilter]):
    return selectors.orders_for(actor=actor(request), state=filters.state, location_id=filters.location_id)


@router.get("/{order_id}", response=OrderOut)
def get_order(request: HttpRequest, order_id: Id):
    return selectors.get_order_with_lines_for(actor=actor(request), order_id=order_id)


@router.post("/{order_id}/cancel", response=OrderOut)
def cancel_order(
    request: HttpRequest,
    order_id: Id,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=80),
):
    """Unpaid: cancelled and the stock released. Paid but not yet handed over: refunded in full.
    A second cancellation is a 409; a retry with the same Idempotency-Key gets the first answer."""
    who = actor(request)
    order = selectors.get_order_for(actor=who, order_id=order_id)
    payments.cancel_order(actor=who, order=order, idempotency_key=idempotency_key)
    return selectors.get_order_for(actor=who, order_id=order_id)


@router.post("/{order_id}/returns", response=OrderOut)
def return_goods(
    request: HttpRequest,
    order_id: Id,
    payload: ReturnIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=80),
):
    """Staff take goods back (partial returns allowed); the money goes back to where it came from.
    A retry with the same Idempotency-Key returns the first result and moves nothing again."""
    who = actor(request)
    order = selectors.get_order_for(actor=who, order_id=order_id)
    returned: dict[int, int] = {}
    for line in payload.lines:
        returned[line.line_id] = returned.get(line.line_id, 0) + line.quantity
    payments.refund_order(
        actor=who, order=order, returned=returned, reason=payload.reason, idempotency_key=idempotency_key
    )
    return selectors.get_order_for(actor=who, order_id=order_id)


@router.post("/{order_id}/dispatch", response=OrderOut)
def dispatch(request: HttpRequest, order_id: Id):
    who = actor(request)
    order = selectors.get_order_for(actor=who, order_id=order_id)
    orders.dispatch_order(actor=who, order=order)
    return selectors.get_order_for(actor=who, order_id=order_id)


@router.post("/{order_id}/delivered", response=OrderOut)
def delivered(request: HttpRequest, order_id: Id):
    who = actor(request)
    order = selectors.get_order_for(actor=who, order_id=order_id)
    orders.confirm_delivery(actor=who, order=order)
    return selectors.get_order_for(actor=who, order_id=order_id)
