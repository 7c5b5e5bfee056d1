"""Group buys: offers, opening and joining groups, completing and failing them.

Lock order (docs/money.md, o2o/orders/locks.py): the order row first, then the group row. Every
use case that changes a group while it holds an order's lock takes the group row after it (the
claimer, where the order is the row its own transaction just wrote; the paid, cancelled and
refunded handlers, which run under the order's lock). The use cases that touch several orders of
a group never hold the group row while they lock an order: failing a group is one UPDATE of the
group alone, then each order is settled in its own transaction (order, then group); a completed
group's orders are released one by one the same way, after the completing payment committed.
"""

from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.catalog.models import Channel
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.groupbuy.models import Group, GroupBuyOffer, GroupMember, GroupState
from o2o.orders import services as orders
from o2o.orders.locks import lock_order
from o2o.orders.models import Fulfilment, Order, OrderState
from o2o.orders.states import PAID_NOT_HANDED_OVER
from o2o.payments import services as payments
from o2o.pricing.models import Campaign

FAILED_NOTE = "group buy failed"


# --- offers ------------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def create_offer(
    *,
    actor: Actor,
    name: str,
    sku_id: int,
    group_price: Decimal,
    group_size: int,
    time_limit_hours: int,
    starts_at: datetime,
    ends_at: datetime,
    location_ids: list[int],
    per_member_limit: int = 1,
    campaign_id: int | None = None,
) -> GroupBuyOffer:
    authorize(actor, Operation.MANAGE_GROUP_BUYS)
    from o2o.catalog.models import SKU
    from o2o.stores.models import Location

    if not name.strip() or ends_at <= starts_at or not location_ids:
        raise DomainError(ErrorCode.INVALID, "a group buy has a name, a window that ends after it starts, and stores")
    if not SKU.objects.filter(pk=sku_id, is_active=True).exists():
        raise DomainError(ErrorCode.UNKNOWN_SKU, "unknown SKU", sku_id=sku_id)
    stores = list(Location.objects.filter(pk__in=set(location_ids), kind=Location.Kind.STORE, pickup_enabled=True))
    if len(stores) != len(set(location_ids)):
        raise DomainError(ErrorCode.LOCATION_UNAVAILABLE, "every store must offer pickup")
    if campaign_id is not None and not Campaign.objects.filter(pk=campaign_id).exists():
        raise DomainError(ErrorCode.INVALID, "unknown campaign", campaign_id=campaign_id)
    offer = GroupBuyOffer.objects.create(
        name=name.strip(),
        sku_id=sku_id,
        group_price=group_price,
        group_size=group_size,
        time_limit_hours=time_limit_hours,
        starts_at=starts_at,
        ends_at=ends_at,
        per_member_limit=per_member_limit,
        campaign_id=campaign_id,
        created_by=actor.user,
    )
    offer.locations.set(stores)
    return offer


# --- opening and joining -----------------------------------------------------------------------


def _request(*, group_id: int, sku_id: int, location_id: int, quantity: int, channel: str) -> orders.OrderRequest:
    if channel not in Channel.online():
        raise DomainError(ErrorCode.INVALID, "group buys are bought online")
    return orders.OrderRequest(
        channel=channel,
        fulfilment=Fulfilment.PICKUP,
        fulfilment_location_id=location_id,
        lines=[orders.LineRequest(sku_id, quantity)],
        offer=f"group:{group_id}",
    )


def _member_of(actor: Actor):
    authorize(actor, Operation.JOIN_GROUP_BUY)
    if actor.member is None:
        raise DomainError(ErrorCode.FORBIDDEN, "members join group buys")
    return actor.member


def open_group(
    *,
    actor: Actor,
    offer_id: int,
    location_id: int,
    quantity: int = 1,
    channel: str = Channel.APP,
    idempotency_key: str | None = None,
) -> tuple[Group, Order]:
    """The member opens a group of a running offer and takes its first seat (their order, to pay by
    its deadline). A retry with the same Idempotency-Key answers the same group and order."""
    member = _member_of(actor)
    group = Group.objects.filter(leader=member, open_key=idempotency_key).first() if idempotency_key else None
    if group is None:
        group = _new_group(offer_id=offer_id, member=member, key=idempotency_key)
    request = _request(
        group_id=group.pk, sku_id=group.offer.sku_id, location_id=location_id, quantity=quantity, channel=channel
    )
    try:
        order = orders.place_order(actor=actor, member=member, request=request, idempotency_key=idempotency_key)
    except DomainError:
        # The leader's order was refused (stock, store...): the empty group is closed at once.
        Group.objects.filter(pk=group.pk, state=GroupState.OPEN, member_count=0).update(
            state=GroupState.FAILED, closed_at=timezone.now()
        )
        raise
    return group, order


def _new_group(*, offer_id: int, member, key: str | None) -> Group:
    now = timezone.now()
    offer = GroupBuyOffer.objects.select_related("campaign").filter(pk=offer_id).first()
    if offer is None:
        raise not_found("group buy")
    if not (offer.is_active and offer.starts_at <= now < offer.ends_at):
        raise DomainError(ErrorCode.GROUP_CLOSED, "this group buy is not running", offer_id=offer_id)
    try:
        with transaction.atomic(durable=True):
            return Group.objects.create(
                offer=offer,
                leader=member,
                size=offer.group_size,
                expires_at=now + timedelta(hours=offer.time_limit_hours),
                open_key=key,
            )
    except IntegrityError:  # the same key raced us: the group it opened
        return Group.objects.get(leader=member, open_key=key)


def join_group(
    *,
    actor: Actor,
    group_id: int,
    location_id: int,
    quantity: int = 1,
    channel: str = Channel.APP,
    idempotency_key: str | None = None,
) -> tuple[Group, Order]:
    """Take a seat: the member's order at the group price, held until the group completes. The seat
    itself is taken by the claimer inside place_order (o2o.groupbuy.rules.take_group_seat)."""
    member = _member_of(actor)
    group = Group.objects.select_related("offer").filter(pk=group_id).first()
    if group is None:
        raise not_found("group")
    request = _request(
        group_id=group.pk, sku_id=group.offer.sku_id, location_id=location_id, quantity=quantity, channel=channel
    )
    order = orders.place_order(actor=actor, member=member, request=request, idempotency_key=idempotency_key)
    group.refresh_from_db()
    return group, order


# --- reactions to the orders' events (under the order's lock) ----------------------------------


def seat_paid(*, order: Order) -> None:
    """A seat's order is paid: count it; the payment that makes the group full (before it
    expires) completes it, and its orders are released after this transaction commits."""
    if not order.on_hold:
        return  # no query for every other order
    group_id = GroupMember.objects.filter(order_id=order.pk, left_at__isnull=True).values_list("group_id", flat=True)
    group_id = group_id.first()
    if group_id is None or not GroupMember.objects.filter(order_id=order.pk, paid=False).update(paid=True):
        return
    now = timezone.now()
    completes = Q(paid_count=F("size") - 1, expires_at__gt=now)
    Group.objects.filter(pk=group_id, state=GroupState.OPEN).update(
        paid_count=F("paid_count") + 1,
        state=Case(When(completes, then=Value(GroupState.COMPLETE)), default=Value(GroupState.OPEN)),
        closed_at=Case(When(completes, then=Value(now)), default=F("closed_at")),
    )
    if Group.objects.filter(pk=group_id, state=GroupState.COMPLETE).exists():
        transaction.on_commit(partial(release_group, group_id=group_id))


def seat_given_back(*, order: Order) -> None:
    """A seat's order was cancelled unpaid (expired) or refunded while its group is open: the seat is
    free again. Orders of a failed group keep their seats (the record of who was in it)."""
    if not order.on_hold:
        return
    seat = GroupMember.objects.select_related("group").filter(order_id=order.pk, left_at__isnull=True).first()
    if seat is None or seat.group.state != GroupState.OPEN:
        return
    if GroupMember.objects.filter(pk=seat.pk, left_at__isnull=True).update(left_at=timezone.now()):
        Group.objects.filter(pk=seat.group_id, state=GroupState.OPEN).update(
            member_count=F("member_count") - 1, paid_count=F("paid_count") - (1 if seat.paid else 0)
        )


# --- completing and failing --------------------------------------------------------------------


def release_group(*, group_id: int) -> int:
    """Every order of a completed group is released (prepared, its voucher usable): one order per
    transaction, each under its own lock. Safe to run again (the periodic job does)."""
    released = 0
    seats = GroupMember.objects.filter(group_id=group_id, group__state=GroupState.COMPLETE, left_at__isnull=True)
    for order_id in list(seats.order_by("order_id").values_list("order_id", flat=True)):
        with transaction.atomic(durable=True):
            lock_order(order_id)
            released += Order.objects.filter(pk=order_id, on_hold=True).update(on_hold=False)
    return released


def fail_expired_groups(*, now: datetime | None = None, batch: int = 500) -> int:
    """Open groups past their time limit fail (one UPDATE of the group each, nothing else held)."""
    now = now or timezone.now()
    due = Group.objects.filter(state=GroupState.OPEN, expires_at__lte=now).order_by("pk")
    failed = 0
    for group_id in list(due.values_list("pk", flat=True)[:batch]):
        failed += Group.objects.filter(pk=group_id, state=GroupState.OPEN, expires_at__lte=now).update(
            state=GroupState.FAILED, closed_at=now
        )
    return failed


def settle_failed_groups(*, batch: int = 500) -> int:
    """Each order of a failed group that is still open is settled in its own transaction under its
    lock: unpaid ones cancelled, paid ones refunded in full to their tenders (stock released). An
    order settled before (by another run) is skipped: run twice, refunded once."""
    open_states = [OrderState.PENDING_PAYMENT, *PAID_NOT_HANDED_OVER]
    due = GroupMember.objects.filter(group__state=GroupState.FAILED, order__state__in=open_states)
    settled = 0
    for order_id in list(due.order_by("order_id").values_list("order_id", flat=True)[:batch]):
        with transaction.atomic(durable=True):
            order = lock_order(order_id)
            settled += _settle(order)
    return settled


def _settle(order: Order) -> int:
    if order.state == OrderState.PENDING_PAYMENT:
        orders.cancel_unpaid(order=order, actor_id=None, note=FAILED_NOTE)
        return 1
    if order.state in PAID_NOT_HANDED_OVER:
        amount = orders.refund_goods(order=order, actor_id=None, returned=None)
        payments.refund_in_full_what_is_left(order=order, amount=amount, reason=FAILED_NOTE)
        return 1
    return 0


def release_completed_groups(*, batch: int = 200) -> int:
    """Completed groups whose orders are still held (the release after commit did not run)."""
    held = GroupMember.objects.filter(group__state=GroupState.COMPLETE, order__on_hold=True, left_at__isnull=True)
    return sum(release_group(group_id=g) for g in set(held.values_list("group_id", flat=True)[:batch]))


def close_groups() -> dict[str, int]:
    """The periodic job: fail what expired, settle failed groups' orders, release completed ones."""
    return {
        "failed": fail_expired_groups(),
        "settled": settle_failed_groups(),
        "released": release_completed_groups(),
    }
