"""Pickup vouchers: issued when a pickup order is paid, redeemed once at the counter of its store."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.core.inserts import insert_unless_conflicting
from o2o.core.messaging import queue_message
from o2o.core.ratelimits import is_exhausted, spend
from o2o.members.models import Member
from o2o.orders import services as orders
from o2o.orders.locks import lock_order
from o2o.orders.models import Fulfilment, Order, OrderState
from o2o.pickup import numbers, slots
from o2o.pickup.codes import code_from_qr, new_code, normalize_typed_code, parse_short_number
from o2o.pickup.models import PickupVoucher, VoucherAttempt

VOUCHER_VALID_FOR = timedelta(days=7)
_FAILURES = "pickup-voucher-failures"
Result = VoucherAttempt.Result


def issue_voucher(*, order: Order) -> PickupVoucher | None:
    """Runs in the payment's transaction. Valid from the chosen pickup slot (or now) for
    VOUCHER_VALID_FOR, with the store's next short number of that local day (drawn ahead by the
    gateway's callback, or now: pickup.numbers). One INSERT … ON
    CONFLICT DO NOTHING RETURNING says whether the code went in, without a savepoint; when it did
    not, the order has its voucher already (a replayed event: that one) or the code collided (1 in
    10^12 per live voucher: draw again). The voucher is left on the order (`order.pickup_voucher`),
    so the paid message reads it without a query."""
    if order.fulfilment != Fulfilment.PICKUP:
        return None
    valid_from = order.pickup_at or timezone.now()
    day = slots.local_day(valid_from)
    location_id = order.fulfilment_location_id
    number = numbers.take_drawn_ahead(order_id=order.pk, location_id=location_id, day=day)
    if number is None:
        number = numbers.draw_short_number(location_id=location_id, day=day)
    for _attempt in range(5):
        voucher = PickupVoucher(
            order=order,
            location_id=order.fulfilment_location_id,
            code=new_code(),
            valid_from=valid_from,
            expires_at=valid_from + VOUCHER_VALID_FOR,
            pickup_day=day if number else None,
            short_number=number,
        )
        if not insert_unless_conflicting(voucher):
            voucher = PickupVoucher.objects.filter(order=order).first()  # issued before (a replay)?
        if voucher is not None:
            order.pickup_voucher = voucher
            return voucher
    raise DomainError(ErrorCode.INVALID, "could not draw a unique pickup code")


def revoke_voucher(*, order: Order) -> None:
    PickupVoucher.objects.filter(order=order, state=PickupVoucher.State.ISSUED).update(
        state=PickupVoucher.State.REVOKED, revoked_at=timezone.now()
    )


def _counter_location(actor: Actor) -> int:
    home = actor.employee.home_location_id if actor.employee else None
    authorize(actor, Operation.REDEEM_PICKUP_VOUCHER, location_id=home)
    if home is None:
        raise DomainError(ErrorCode.FORBIDDEN, "only store counter staff verify pickup codes")
    return home


def _audit(actor: Actor, location_id: int | None, code: str, result: str, voucher=None) -> None:
    VoucherAttempt.objects.create(
        voucher=voucher, staff=actor.user, location_id=location_id, code_tail=code[-4:], result=result
    )


def _fail(actor: Actor, location_id: int, code: str, result: str, error: DomainError, voucher=None) -> DomainError:
    spend(settings.O2O_VOUCHER_FAILED_ATTEMPTS, _FAILURES, str(actor.user_id))
    _audit(actor, location_id, code, result, voucher)
    return error


def _find(actor: Actor, presented: str, *, short_numbers: bool = False) -> tuple[PickupVoucher, int, str]:
    """The voucher presented at this clerk's store. Typed digits of another store's voucher read
    as "not found" (no oracle for guessing); a genuine scanned QR of another store is refused.
    With `short_numbers`, today's short pickup number at this store ("A027") finds it too (to
    look an order up; handing over still takes the customer's code)."""
    location_id = _counter_location(actor)
    if is_exhausted(settings.O2O_VOUCHER_FAILED_ATTEMPTS, _FAILURES, str(actor.user_id)):
        _audit(actor, location_id, "", Result.RATE_LIMITED)
        raise DomainError(ErrorCode.RATE_LIMITED, "too many failed attempts; wait a minute")
    scanned = code_from_qr(presented.strip())
    code = scanned or normalize_typed_code(presented) or ""
    voucher = (
        PickupVoucher.objects.select_related("order").filter(code=code, location_id=location_id).first()
        if code
        else None
    )
    if voucher is not None:
        return voucher, location_id, code
    if short_numbers and (number := parse_short_number(presented)):
        # today's number at this store only: another store's (or another day's) reads as not found
        voucher = (
            PickupVoucher.objects.select_related("order")
            .filter(location_id=location_id, pickup_day=slots.local_day(timezone.now()), short_number=number)
            .first()
        )
        if voucher is not None:
            return voucher, location_id, voucher.code
    elsewhere = scanned and PickupVoucher.objects.filter(code=scanned).select_related("location").first()
    if elsewhere:
        raise _fail(
            actor,
            location_id,
            code,
            Result.FORBIDDEN,
            DomainError(ErrorCode.FORBIDDEN, "this order is picked up at another store", store=elsewhere.location.name),
        )
    raise _fail(actor, location_id, code, Result.NOT_FOUND, not_found("pickup code"))


def verify_pickup_voucher(*, actor: Actor, presented: str) -> PickupVoucher:
    """Look a code (or today's short number) up for the counter (shows what to hand over); changes nothing."""
    voucher, location_id, code = _find(actor, presented, short_numbers=True)
    _audit(actor, location_id, code, Result.FOUND, voucher)
    return voucher


def redeem_pickup_voucher(*, actor: Actor, presented: str) -> PickupVoucher:
    """Hand the order over: single use through one conditional UPDATE, so of two clerks racing
    for the same code exactly one wins."""
    voucher, location_id, code = _find(actor, presented)
    now = timezone.now()
    with transaction.atomic(durable=True):
        order = lock_order(voucher.order_id)  # the one lock order: the order row first
        if order.on_hold:  # paid, waiting for its group buy to complete: nothing is handed over yet
            raise DomainError(ErrorCode.VOUCHER_NOT_REDEEMABLE, "this order is on hold", state="on_hold")
        _check_valid_from(voucher, order, now)
        redeemed = PickupVoucher.objects.filter(
            pk=voucher.pk, state=PickupVoucher.State.ISSUED, expires_at__gt=now
        ).update(state=PickupVoucher.State.REDEEMED, redeemed_at=now, redeemed_by=actor.user)
        if redeemed:
            orders.hand_over(order=order, actor_id=actor.user_id)
            _audit(actor, location_id, code, Result.REDEEMED, voucher)
    if not redeemed:
        voucher.refresh_from_db()
        raise _fail(
            actor,
            location_id,
            code,
            Result.NOT_REDEEMABLE,
            DomainError(ErrorCode.VOUCHER_NOT_REDEEMABLE, f"this pickup code is {voucher.state}", state=voucher.state),
            voucher,
        )
    voucher.refresh_from_db()
    return voucher


def _check_valid_from(voucher: PickupVoucher, order: Order, now) -> None:
    """Before the chosen pickup time only an order the store has already made ready is handed over."""
    if voucher.valid_from and now < voucher.valid_from and order.state != OrderState.READY_FOR_PICKUP:
        local = timezone.localtime(voucher.valid_from, timezone.get_default_timezone())
        raise DomainError(
            ErrorCode.VOUCHER_NOT_YET_VALID,
            f"this order is picked up from {local:%H:%M}"
            + ("" if local.date() == slots.local_day(now) else f" on {local:%m-%d}"),
            valid_from=voucher.valid_from.isoformat(),
        )


@transaction.atomic(durable=True)
def undo_redemption(*, actor: Actor, voucher_id: int, reason: str) -> PickupVoucher:
    """A manager of the pickup store takes back a mistaken hand-over within a short window."""
    voucher = PickupVoucher.objects.select_related("order").filter(pk=voucher_id).first()
    if voucher is None or not actor.can_see_location(voucher.location_id):
        raise not_found("pickup voucher")
    authorize(actor, Operation.UNDO_HAND_OVER, location_id=voucher.location_id)
    if not reason.strip():
        raise DomainError(ErrorCode.INVALID, "say why the hand-over is undone")
    window_start = timezone.now() - timedelta(minutes=settings.O2O_VOUCHER_UNDO_MINUTES)
    order = lock_order(voucher.order_id)  # the one lock order: the order row first
    if not PickupVoucher.objects.filter(
        pk=voucher.pk, state=PickupVoucher.State.REDEEMED, redeemed_at__gte=window_start
    ).update(state=PickupVoucher.State.ISSUED, redeemed_at=None, redeemed_by=None):
        raise DomainError(ErrorCode.UNDO_WINDOW_PASSED, "only a redemption of the last minutes can be undone")
    orders.undo_hand_over(order=order, actor_id=actor.user_id, reason=reason)
    _audit(actor, voucher.location_id, voucher.code, Result.UNDONE, voucher)
    voucher.refresh_from_db()
    return voucher


def expire_vouchers(*, now=None, batch: int = 500) -> int:
    """Pickups nobody came for: kept O2O_UNCOLLECTED_GRACE_DAYS more once (the customer is told),
    then the voucher expires, the order is uncollected, its stock released and its money returned
    (payments listens to ORDER_UNCOLLECTED), and the customer is told. One order per transaction."""
    now = now or timezone.now()
    due = PickupVoucher.objects.filter(state=PickupVoucher.State.ISSUED, expires_at__lte=now).order_by("pk")
    handled = 0
    for voucher_id, order_id in list(due.values_list("pk", "order_id")[:batch]):
        with transaction.atomic(durable=True):
            order = lock_order(order_id)
            voucher = PickupVoucher.objects.select_related("location").get(pk=voucher_id)
            if voucher.state == PickupVoucher.State.ISSUED and voucher.expires_at <= now:
                if _grace_left(voucher):
                    _keep_longer(voucher, order, now)
                else:
                    _expire(voucher, order, now)
                handled += 1
    return handled


def _grace_left(voucher: PickupVoucher) -> bool:
    return settings.O2O_UNCOLLECTED_GRACE_DAYS > 0 and voucher.extended_at is None


def _keep_longer(voucher: PickupVoucher, order: Order, now) -> None:
    until = now + timedelta(days=settings.O2O_UNCOLLECTED_GRACE_DAYS)
    PickupVoucher.objects.filter(pk=voucher.pk).update(expires_at=until, extended_at=now)
    _tell_customer(
        order,
        _("Order %(number)s waits for you at %(store)s until %(date)s; after that it is refunded.")
        % {"number": order.number, "store": voucher.location.name, "date": timezone.localdate(until).isoformat()},
    )


def _expire(voucher: PickupVoucher, order: Order, now) -> None:
    PickupVoucher.objects.filter(pk=voucher.pk).update(state=PickupVoucher.State.EXPIRED)
    # Ready and not collected, or never made ready by the store: either way the goods stay and the
    # money goes back. An order on hold (its group buy undecided) is settled by the group buy.
    if order.state not in (OrderState.READY_FOR_PICKUP, OrderState.PAID) or order.on_hold:
        return
    amount = orders.mark_uncollected(order=order, note="pickup voucher expired")
    _tell_customer(
        order,
        _("Order %(number)s was not picked up at %(store)s; %(amount)s yuan is refunded to you.")
        % {"number": order.number, "store": voucher.location.name, "amount": amount},
    )


def _tell_customer(order: Order, text: str) -> None:
    phone = Member.objects.filter(pk=order.member_id).values_list("phone", flat=True).first()
    if phone:
        queue_message(channel="sms", recipient=phone, body=text)
