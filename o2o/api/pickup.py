from datetime import datetime, time

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema
from ninja.pagination import paginate
from pydantic import Field

from o2o.api.auth import actor
from o2o.api.orders import LineOut
from o2o.api.pagination import CursorPagination
from o2o.api.types import Id
from o2o.core.errors import not_found
from o2o.orders.selectors import get_order_for
from o2o.pickup import selectors, slots
from o2o.pickup import services as pickup
from o2o.pickup.codes import qr_payload
from o2o.pickup.models import PickupVoucher
from o2o.pickup.qr import voucher_qr_data_uri
from o2o.stores.selectors import get_location

router = Router(tags=["pickup"])


class VoucherOut(Schema):
    id: int
    order_id: int
    order_number: str
    order_state: str
    location_id: int
    state: str
    issued_at: datetime
    valid_from: datetime | None
    expires_at: datetime
    redeemed_at: datetime | None
    pickup_number: str = Field(description='The short number called out at the counter ("A027"); may be empty')
    pickup_at: datetime | None = Field(description="The chosen pickup time; null: as soon as it is ready")
    lines: list[LineOut]

    @staticmethod
    def resolve_pickup_number(voucher) -> str:
        return voucher.display_number

    @staticmethod
    def resolve_pickup_at(voucher):
        return voucher.order.pickup_at

    @staticmethod
    def resolve_order_number(voucher) -> str:
        return voucher.order.number

    @staticmethod
    def resolve_order_state(voucher) -> str:
        return voucher.order.state

    @staticmethod
    def resolve_lines(voucher) -> list:
        return list(voucher.order.lines.all())  # prefetched with their SKUs (selectors.with_lines)


class CustomerVoucherOut(Schema):
    order_id: int
    state: str
    code: str
    display_code: str
    qr_payload: str
    qr_svg_data_uri: str
    pickup_number: str
    valid_from: datetime | None
    expires_at: datetime


class PresentedCode(Schema):
    code: str = Field(
        min_length=1,
        max_length=200,
        description="The 12 digits typed, or the scanned QR payload (verify also takes today's short number, A027)",
    )


class SlotOut(Schema):
    starts_at: datetime
    ends_at: datetime
    remaining: int | None = Field(description="Places left; null when the store sets no capacity")


class PickupTimesOut(Schema):
    location_id: int
    opens_at: time
    closes_at: time = Field(description="At or before opens_at: the store closes past midnight")
    open_now: bool
    slots: list[SlotOut]


@router.get("/stores/{location_id}/slots", response=PickupTimesOut, auth=None)
def pickup_times(request: HttpRequest, location_id: Id):
    """The pickup times a customer may choose at a store (half hours within its opening hours, the
    earliest after its preparation time; fully booked ones left out), today and tomorrow."""
    location = get_location(location_id=location_id)
    if not location.pickup_enabled:
        raise not_found("pickup store")
    now = timezone.now()
    return {
        "location_id": location.pk,
        "opens_at": location.opens_at,
        "closes_at": location.closes_at,
        "open_now": slots.is_open(location, now=now),
        "slots": [
            {"starts_at": slot.starts_at, "ends_at": slot.ends_at, "remaining": slot.remaining}
            for slot in slots.pickup_slots(location, now=now)
        ],
    }


class UndoIn(Schema):
    reason: str = Field(min_length=1, max_length=255)


@router.get("/orders/{order_id}/voucher", response=CustomerVoucherOut)
def my_voucher(request: HttpRequest, order_id: Id):
    """The pickup code and QR, for the member who owns the order."""
    who = actor(request)
    order = get_order_for(actor=who, order_id=order_id)
    voucher = selectors.voucher_of_order(order_id=order.pk)
    if voucher is None or who.member is None:
        raise not_found("pickup voucher")
    return {
        "order_id": order.pk,
        "state": voucher.state,
        "code": voucher.code,
        "display_code": voucher.display_code,
        "qr_payload": qr_payload(voucher.code),
        "qr_svg_data_uri": voucher_qr_data_uri(voucher),
        "pickup_number": voucher.display_number,
        "valid_from": voucher.valid_from,
        "expires_at": voucher.expires_at,
    }


@router.post("/verify", response=VoucherOut)
def verify(request: HttpRequest, payload: PresentedCode):
    """Look up a code at the counter: shows what to hand over; changes nothing."""
    voucher = pickup.verify_pickup_voucher(actor=actor(request), presented=payload.code)
    return selectors.voucher_with_lines(voucher_id=voucher.pk)


@router.post("/redeem", response=VoucherOut)
def redeem(request: HttpRequest, payload: PresentedCode):
    """Hand the order over. Single use: of two clerks racing, exactly one succeeds."""
    voucher = pickup.redeem_pickup_voucher(actor=actor(request), presented=payload.code)
    return selectors.voucher_with_lines(voucher_id=voucher.pk)


@router.post("/vouchers/{voucher_id}/undo", response=VoucherOut)
def undo(request: HttpRequest, voucher_id: Id, payload: UndoIn):
    voucher = pickup.undo_redemption(actor=actor(request), voucher_id=voucher_id, reason=payload.reason)
    return selectors.voucher_with_lines(voucher_id=voucher.pk)


@router.get("/waiting", response=list[VoucherOut])
@paginate(CursorPagination, ordering=("id",))
def waiting(request: HttpRequest):
    """Pickups waiting at the signed-in clerk's store, oldest first, a page at a time."""
    who = actor(request)
    who.require_staff()
    if who.employee is None or who.employee.home_location_id is None:
        return PickupVoucher.objects.none()
    return selectors.with_lines(selectors.waiting_pickups(location_id=who.employee.home_location_id))
