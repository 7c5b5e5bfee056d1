"""The shopping cart lives in the session: SKU id -> quantity. Prices are never kept here."""

from dataclasses import dataclass, replace
from decimal import Decimal

from django.contrib.sessions.backends.base import SessionBase

from o2o.catalog.models import SKU, Channel
from o2o.catalog.selectors import active_skus, unit_prices
from o2o.core.errors import DomainError, ErrorCode
from o2o.core.money import to_money
from o2o.members.models import Member
from o2o.orders.services import MAX_LINE_QUANTITY, MAX_LINES
from o2o.outreach.sessions import referrer_in
from o2o.pricing import cart as pricing

SESSION_KEY = "o2o_cart"
CHANNEL = Channel.H5


@dataclass(frozen=True)
class CartLine:
    sku: SKU
    quantity: int
    unit_price: Decimal | None  # None: no longer sold online
    priced: pricing.PricedLine | None = None  # its discounts and net, once the cart is priced

    @property
    def line_total(self) -> Decimal | None:
        return None if self.unit_price is None else to_money(self.unit_price * self.quantity)


class Cart:
    def __init__(self, session: SessionBase) -> None:
        self.session = session

    @property
    def quantities(self) -> dict[int, int]:
        return {int(sku_id): qty for sku_id, qty in self.session.get(SESSION_KEY, {}).items()}

    def _save(self, quantities: dict[int, int]) -> None:
        self.session[SESSION_KEY] = {str(sku_id): qty for sku_id, qty in quantities.items()}

    @property
    def count(self) -> int:
        return sum(self.quantities.values())

    def __bool__(self) -> bool:
        return bool(self.quantities)

    @property
    def channel(self) -> str:
        """Share-link prices while the customer came through an employee's link (docs/outreach.md)."""
        return Channel.SHARE_LINK if referrer_in(self.session) else CHANNEL

    def add(self, sku_id: int, quantity: int) -> int:
        """Put more of a SKU in the cart (up to the per-line maximum); returns the new quantity."""
        quantities = self.quantities
        if sku_id not in quantities and len(quantities) >= MAX_LINES:
            raise ValueError("cart full")
        quantities[sku_id] = min(quantities.get(sku_id, 0) + quantity, MAX_LINE_QUANTITY)
        self._save(quantities)
        return quantities[sku_id]

    def set(self, sku_id: int, quantity: int) -> None:
        """Change a line's quantity; 0 removes it. Unknown lines are left alone."""
        quantities = self.quantities
        if sku_id not in quantities:
            return
        if quantity <= 0:
            del quantities[sku_id]
        else:
            quantities[sku_id] = min(quantity, MAX_LINE_QUANTITY)
        self._save(quantities)

    def clear(self) -> None:
        self.session.pop(SESSION_KEY, None)

    def lines(self) -> list[CartLine]:
        """The lines with today's online price; SKUs no longer sold online stay visible without a price.

        SKUs taken out of the catalogue leave the cart.
        """
        quantities = self.quantities
        skus = active_skus().in_bulk(quantities)
        if gone := quantities.keys() - skus.keys():
            self._save({pk: qty for pk, qty in quantities.items() if pk not in gone})
        sellable = {pk for pk, sku in skus.items() if sku.sold_online}
        prices = _prices(sellable, self.channel)
        return [
            CartLine(skus[pk], qty, prices.get(pk) if pk in sellable else None)
            for pk, qty in quantities.items()
            if pk in skus
        ]

    @staticmethod
    def total(lines: list[CartLine]) -> Decimal:
        return to_money(sum((line.line_total for line in lines if line.line_total is not None), Decimal(0)))


def priced(
    lines: list[CartLine],
    member: Member | None,
    fulfilment: str = "pickup",
    coupon_ids: tuple[int, ...] = (),
    channel: str = CHANNEL,
) -> tuple[list[CartLine], pricing.PricedCart | None]:
    """The cart priced by `pricing.price_cart` as an order would be (member benefits, the chosen
    coupon, delivery fee), at chain-wide online prices (no store is chosen yet); the lines carry
    their discounts and net."""
    sellable = [line for line in lines if line.unit_price is not None]
    if not sellable:
        return lines, None
    cart = pricing.price_cart(
        lines=[pricing.CartLine(line.sku.pk, line.quantity) for line in sellable],
        channel=channel,
        location_id=None,
        member=member,
        fulfilment=fulfilment,
        prices={line.sku.pk: line.unit_price for line in sellable},
        skus={line.sku.pk: line.sku for line in sellable},
        coupon_ids=coupon_ids,
    )
    by_sku = {line.sku_id: line for line in cart.lines}
    return [replace(line, priced=by_sku.get(line.sku.pk)) for line in lines], cart


def _prices(sku_ids: set[int], channel: str = CHANNEL) -> dict[int, Decimal]:
    """The chain-wide online price of each SKU that has one."""
    if not sku_ids:
        return {}
    try:
        return unit_prices(sku_ids=sku_ids, channel=channel, location_id=None)
    except DomainError as error:
        if error.code != ErrorCode.NO_PRICE:
            raise
        priced = sku_ids - set(error.extra.get("sku_ids", ()))
        return unit_prices(sku_ids=priced, channel=channel, location_id=None) if priced else {}
