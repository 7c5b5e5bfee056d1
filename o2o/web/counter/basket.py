"""What lies on the counter between requests: the sale basket and the customer, kept in the session.

The basket holds SKU ids and quantities only; prices and stock are read fresh every time it is shown,
and the order service prices the sale again on the server when it is placed.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.http import HttpRequest

from o2o.catalog.models import SKU, Channel
from o2o.catalog.selectors import skus_by_id, unit_prices
from o2o.core.codes import new_token
from o2o.core.errors import DomainError, ErrorCode
from o2o.inventory.selectors import available_to_promise
from o2o.members.models import Member
from o2o.members.selectors import member_by_id
from o2o.orders.models import Fulfilment
from o2o.orders.services import MAX_LINE_QUANTITY, MAX_LINES, LineRequest
from o2o.pricing import cart as pricing
from o2o.stores.models import Location

SESSION_KEY = "o2o_counter"
SOLD_REMEMBERED = 20


@dataclass
class Counter:
    location_id: int
    lines: dict[int, int] = field(default_factory=dict)  # sku_id -> quantity, in the order rung up
    member_id: int | None = None
    coupon_id: int | None = None  # one of the member's coupons applied to the sale
    # The idempotency key of the sale being rung up; a new one once it is sold.
    token: str = field(default_factory=new_token)
    sold: dict[str, int] = field(default_factory=dict)  # token -> order id, for a late second tap

    def add(self, sku_id: int, quantity: int = 1) -> None:
        if sku_id not in self.lines and len(self.lines) >= MAX_LINES:
            raise DomainError(ErrorCode.INVALID, f"at most {MAX_LINES} lines", basket_limit=True)
        self.set_quantity(sku_id, self.lines.get(sku_id, 0) + quantity)

    def set_quantity(self, sku_id: int, quantity: int) -> None:
        if quantity > MAX_LINE_QUANTITY:
            raise DomainError(ErrorCode.INVALID, f"at most {MAX_LINE_QUANTITY} of one item", basket_limit=True)
        if quantity <= 0:
            self.lines.pop(sku_id, None)
        else:
            self.lines[sku_id] = quantity

    def line_requests(self) -> list[LineRequest]:
        return [LineRequest(sku_id, quantity) for sku_id, quantity in self.lines.items()]

    def member(self) -> Member | None:
        return member_by_id(member_id=self.member_id) if self.member_id else None

    def set_member(self, member_id: int | None) -> None:
        """Another customer at the counter: the coupon applied for the last one goes with them."""
        if member_id != self.member_id:
            self.coupon_id = None
        self.member_id = member_id

    @property
    def coupon_ids(self) -> tuple[int, ...]:
        return (self.coupon_id,) if self.coupon_id and self.member_id else ()

    def finish(self, token: str, order_id: int, *, basket_sold: bool) -> None:
        """An order was paid: remember its token, and clear the counter for the next customer."""
        self.sold = dict(list(self.sold.items())[-(SOLD_REMEMBERED - 1) :]) | {token: order_id}
        self.member_id = None
        self.coupon_id = None
        if basket_sold:
            self.lines = {}
            self.token = new_token()


def load(request: HttpRequest) -> Counter:
    data = request.session.get(SESSION_KEY) or {}
    if data.get("location_id") != request.location_id:
        return Counter(location_id=request.location_id)
    return Counter(
        location_id=request.location_id,
        lines={int(sku_id): int(quantity) for sku_id, quantity in data.get("lines", {}).items()},
        member_id=data.get("member_id"),
        coupon_id=data.get("coupon_id"),
        token=data.get("token") or new_token(),
        sold=dict(data.get("sold", {})),
    )


def save(request: HttpRequest, counter: Counter) -> None:
    request.session[SESSION_KEY] = {
        "location_id": counter.location_id,
        "lines": {str(sku_id): quantity for sku_id, quantity in counter.lines.items()},
        "member_id": counter.member_id,
        "coupon_id": counter.coupon_id,
        "token": counter.token,
        "sold": counter.sold,
    }


def counter_prices(sku_ids: set[int], location_id: int) -> dict[int, Decimal]:
    """POS prices at this store; SKUs without one are left out instead of failing the whole list."""
    if not sku_ids:
        return {}
    try:
        return unit_prices(sku_ids=sku_ids, channel=Channel.POS, location_id=location_id)
    except DomainError as error:
        if error.code != ErrorCode.NO_PRICE:
            raise
        rest = sku_ids - set(error.extra.get("sku_ids", []))
        return unit_prices(sku_ids=rest, channel=Channel.POS, location_id=location_id) if rest else {}


def shelf_stock(store: Location, sku_ids: set[int]) -> dict[int, int]:
    """Units on this store's shelf a counter sale can take (no online safety buffer at the counter)."""
    promise = available_to_promise(locations=[store], sku_ids=sku_ids, online=False)
    return {sku_id: promise.get((store.pk, sku_id), 0) for sku_id in sku_ids}


def sellable_sku(sku_id: int, location_id: int) -> SKU:
    """The SKU if the counter can sell it (active, sold in store, priced); a DomainError says why not."""
    sku = skus_by_id({sku_id})[sku_id]
    if not sku.is_sold_on(Channel.POS):
        raise DomainError(ErrorCode.NOT_SOLD_ON_CHANNEL, "not sold in store", sku_ids=[sku_id])
    unit_prices(sku_ids={sku_id}, channel=Channel.POS, location_id=location_id)
    return sku


@dataclass(frozen=True)
class PricedLine:
    sku: SKU
    quantity: int
    unit_price: Decimal
    line_total: Decimal  # list price x quantity
    on_shelf: int
    discounts: tuple[pricing.Discount, ...] = ()
    net: Decimal | None = None

    @property
    def short(self) -> bool:
        return self.quantity > self.on_shelf


@dataclass(frozen=True)
class PricedBasket:
    lines: list[PricedLine]
    total: Decimal  # payable
    subtotal: Decimal = Decimal("0.00")
    discount_total: Decimal = Decimal("0.00")
    coupon_off: Decimal = Decimal("0.00")  # what the applied coupon takes off (part of discount_total)

    @property
    def names(self) -> dict[int, str]:
        return {line.sku.pk: line.sku.name for line in self.lines}


def price_basket(counter: Counter, store: Location) -> PricedBasket:
    """The basket with today's counter prices and shelf stock; lines no longer sellable are dropped."""
    ids = set(counter.lines)
    try:
        skus = skus_by_id(ids)
    except DomainError as error:
        for sku_id in error.extra.get("sku_ids", []):
            counter.lines.pop(sku_id, None)
        skus = skus_by_id(set(counter.lines))
    prices = counter_prices(set(skus), store.pk)
    for sku_id in set(counter.lines) - prices.keys():
        counter.lines.pop(sku_id)
    stock = shelf_stock(store, set(counter.lines))
    # Priced as the sale will be placed (pricing.price_cart): the customer's member benefits included.
    cart = pricing.price_cart(
        lines=[pricing.CartLine(s, q) for s, q in counter.lines.items()],
        channel=Channel.POS,
        location_id=store.pk,
        member=counter.member(),
        fulfilment=Fulfilment.IN_STORE,
        prices=prices,
        skus=skus,
        coupon_ids=counter.coupon_ids,
    )
    lines = [
        PricedLine(skus[p.sku_id], p.quantity, p.unit_price, p.gross, stock[p.sku_id], p.discounts, p.net)
        for p in cart.lines
    ]
    coupon_off = sum(
        (d.amount for line in cart.lines for d in line.discounts if d.rule_ref.startswith("coupon:")), Decimal("0.00")
    )
    return PricedBasket(lines, cart.payable, cart.subtotal, cart.discount_total, coupon_off)
