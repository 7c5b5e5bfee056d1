"""How a flash sale plugs into pricing and orders: its rule prices the SKU at the flash price, its
claimer takes the units for the order, and the order events give them back or mark them sold.

Registered from `FlashsaleConfig.ready`. Both the rule and the claimer do no query unless the cart
was bought through a flash sale (`offer == "flash:<id>"`).
"""

from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from o2o.catalog.models import Channel
from o2o.core import events
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.flashsale import services
from o2o.flashsale.models import FlashSale
from o2o.pricing.claims import PlacedOrder, on_order_placed
from o2o.pricing.models import DiscountSource
from o2o.pricing.rules import NOTHING, OFFER_PRIORITY, CartContext, RuleResult, offer_id, special_prices

KIND = "flash"


def sale_id_of(offer: str) -> int | None:
    return offer_id(offer, KIND)


def _held_out(sale: FlashSale, member_id: int) -> bool:
    return sale.campaign is not None and sale.campaign.holds_out(member_id)


def _sale(sale_id: int) -> FlashSale | None:
    return FlashSale.objects.select_related("campaign").filter(pk=sale_id).first()


@dataclass(frozen=True)
class FlashPrice:
    """The sale's SKU at the flash price, for the whole line, before any other discount, which it
    does not combine with. Nothing when the sale is not open, not online, or the member is held out."""

    code: str = KIND
    source: DiscountSource = DiscountSource.PROMOTION
    priority: int = OFFER_PRIORITY
    stacks: bool = False

    def evaluate(self, cart: CartContext) -> RuleResult:
        sale_id = sale_id_of(cart.offer)
        if sale_id is None:
            return NOTHING
        sale = _sale(sale_id)
        if sale is None or not sale.is_open() or cart.channel not in Channel.online():
            return NOTHING
        member_id = cart.member.pk if cart.member is not None else None
        if member_id is None or _held_out(sale, member_id):
            return NOTHING
        label = _("Flash sale price")
        return special_prices(cart, {sale.sku_id: sale.price}, label, f"flash:{sale.pk}", sale.campaign_id)


def claim_flash_units(placed: PlacedOrder) -> None:
    """Take the order's units, or refuse the order (it rolls back before any stock is reserved)."""
    sale_id = sale_id_of(placed.offer)
    if sale_id is None:
        return
    sale = _sale(sale_id)
    if sale is None:
        raise not_found("flash sale")
    if placed.channel not in Channel.online() or placed.member_id is None:
        raise DomainError(ErrorCode.INVALID, "flash sales are bought online by members")
    if sale.sold_out_at is not None:
        raise DomainError(ErrorCode.FLASH_SALE_SOLD_OUT, "sold out", sale_id=sale.pk)
    if not sale.is_open(timezone.now()):
        raise DomainError(
            ErrorCode.FLASH_SALE_NOT_OPEN, "this flash sale is not open", starts_at=sale.starts_at.isoformat()
        )
    if _held_out(sale, placed.member_id):
        raise DomainError(ErrorCode.FORBIDDEN, "this offer is not available to you")
    quantity = sum(line.quantity for line in placed.priced.lines if line.sku_id == sale.sku_id)
    if not quantity:
        raise DomainError(ErrorCode.INVALID, "the order has no item of this flash sale", sku_id=sale.sku_id)
    if placed.fulfilment_location_id != sale.location_id:
        raise DomainError(
            ErrorCode.LOCATION_UNAVAILABLE,
            "this flash sale is fulfilled from its own location",
            location_id=sale.location_id,
        )
    services.take_units(sale=sale, order_id=placed.order_id, member_id=placed.member_id, quantity=quantity)


def give_back_units(*, order, **_payload) -> None:
    """An unpaid order was cancelled or expired: its units go back on sale."""
    if sale_id_of(order.offer) is not None:  # no query for every other order
        services.release_units(order_id=order.pk)


def units_sold(*, order, **_payload) -> None:
    if sale_id_of(order.offer) is not None:  # no statement on the order path of every other order
        services.mark_units_paid(order_id=order.pk)


def connect() -> None:
    from o2o.pricing.rules import register

    register(FlashPrice())
    on_order_placed(KIND)(claim_flash_units)
    events.subscribe(events.ORDER_CANCELLED)(give_back_units)
    events.subscribe(events.ORDER_PAID)(units_sold)
