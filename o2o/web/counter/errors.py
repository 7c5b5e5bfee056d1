"""Domain errors told to the clerk in their language, with what to do next."""

from datetime import datetime

from django.conf import settings
from django.utils.timezone import get_default_timezone, localtime
from django.utils.translation import gettext as _

from o2o.core.errors import DomainError, ErrorCode
from o2o.orders.services import MAX_LINE_QUANTITY, MAX_LINES
from o2o.pickup.models import PickupVoucher


def _state_label(state: str) -> str:
    return str(PickupVoucher.State(state).label) if state in PickupVoucher.State.values else state


def pickup_error(error: DomainError) -> str:
    """What went wrong with a presented pickup code or a hand-over."""
    if error.code == ErrorCode.NOT_FOUND:
        return _("No pickup order with this code at this store. Check the digits and try again.")
    if error.code == ErrorCode.FORBIDDEN and "store" in error.extra:
        return _("This order is picked up at another store: %(store)s.") % {"store": error.extra["store"]}
    if error.code == ErrorCode.FORBIDDEN:
        return _("Only the store's clerks and manager can hand over pickup orders.")
    if error.code == ErrorCode.VOUCHER_NOT_REDEEMABLE:
        state = _state_label(error.extra.get("state", ""))
        return _("This pickup code cannot be used: it is %(state)s. Do not hand over the goods.") % {"state": state}
    if error.code == ErrorCode.RATE_LIMITED:
        return _("Too many wrong codes. Wait a minute, then try again.")
    if error.code == ErrorCode.VOUCHER_NOT_YET_VALID:
        when = localtime(datetime.fromisoformat(error.extra["valid_from"]), get_default_timezone())
        return _("This order is picked up from %(time)s and is not ready yet. Do not hand it over.") % {
            "time": f"{when:%m-%d %H:%M}"
        }
    return explain(error)


def undo_error(error: DomainError) -> str:
    if error.code == ErrorCode.NOT_FOUND:
        return _("No such hand-over at this store.")
    if error.code == ErrorCode.FORBIDDEN:
        return _("Only the store manager can undo a hand-over.")
    if error.code == ErrorCode.INVALID:
        return _("Say why the hand-over is undone.")
    if error.code == ErrorCode.UNDO_WINDOW_PASSED:
        minutes = settings.O2O_VOUCHER_UNDO_MINUTES
        return _("Only a hand-over of the last %(minutes)s minutes can be undone.") % {"minutes": minutes}
    return explain(error)


def explain(error: DomainError, *, sku_names: dict[int, str] | None = None) -> str:
    """The clerk's message for an error of a sale, an order or a member look-up."""
    if error.extra.get("basket_limit"):
        limits = {"lines": MAX_LINES, "quantity": MAX_LINE_QUANTITY}
        return _("A basket holds at most %(lines)s different items and %(quantity)s of each.") % limits
    names = sku_names or {}
    sku_ids = error.extra.get("sku_ids") or [error.extra.get("sku_id")]
    item = ", ".join(names[s] for s in sku_ids if s in names) or _("an item")
    messages = {
        ErrorCode.INSUFFICIENT_STOCK: _(
            "Not enough stock of %(item)s. Lower the quantity or order it from another location."
        )
        % {"item": item},
        ErrorCode.UNKNOWN_SKU: _("No product with barcode %(barcode)s.") % {"barcode": error.extra.get("barcode", "")}
        if error.extra.get("barcode")
        else _("This product is no longer sold."),
        ErrorCode.NOT_SOLD_ON_CHANNEL: _("%(item)s is not sold at the counter.") % {"item": item},
        ErrorCode.NO_PRICE: _("%(item)s has no counter price yet.") % {"item": item},
        ErrorCode.LOCATION_UNAVAILABLE: _("This location cannot fill this order (no pickup there, or closed)."),
        ErrorCode.INVALID_PHONE: _("Enter a valid mobile phone number."),
        ErrorCode.IDEMPOTENCY_CONFLICT: _(
            "The basket changed while the payment was being taken. Check it and try again."
        ),
        ErrorCode.ILLEGAL_TRANSITION: _("The order changed meanwhile. Reload the page and check it."),
        ErrorCode.PAYMENT_DEADLINE_PASSED: _(
            "The payment took too long and the order was cancelled. Ring it up again."
        ),
        ErrorCode.FORBIDDEN: _("Only this store's counter staff can do this."),
        ErrorCode.NOT_FOUND: _("Not found. It may have been removed, or it belongs to another store."),
        ErrorCode.RATE_LIMITED: _("Too many attempts. Wait a minute, then try again."),
        ErrorCode.PAYMENT_CODE_INVALID: _(
            "This payment code cannot be used (expired, used already, or another member's). "
            "Ask the member to refresh it."
        ),
        ErrorCode.INSUFFICIENT_BALANCE: _("The member's stored value does not cover that amount."),
        ErrorCode.WALLET_FROZEN: _("The member's stored value is frozen. Take another payment method."),
        ErrorCode.TENDERS_EXCEED_PAYABLE: _("That is more than the sale costs. Lower the amount from stored value."),
        ErrorCode.COUPON_UNAVAILABLE: _(
            "The coupon cannot be used for this sale (used meanwhile, expired, or the basket does not meet "
            "its terms). Take it off and take payment again."
        ),
    }
    return messages.get(error.code) or _("This could not be done: %(reason)s") % {"reason": error.message}
