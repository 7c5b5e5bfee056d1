from datetime import timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from o2o.pickup.models import PickupVoucher


def voucher_of_order(*, order_id: int) -> PickupVoucher | None:
    return PickupVoucher.objects.filter(order_id=order_id).first()


def waiting_pickups(*, location_id: int) -> QuerySet[PickupVoucher]:
    return (
        PickupVoucher.objects.filter(location_id=location_id, state=PickupVoucher.State.ISSUED)
        .select_related("order", "order__member")
        .order_by("issued_at")
    )


def with_lines(vouchers: QuerySet[PickupVoucher]) -> QuerySet[PickupVoucher]:
    """Vouchers with their orders and the orders' lines and SKUs: a fixed number of queries for a list."""
    return vouchers.select_related("order", "order__member").prefetch_related("order__lines__sku")


def voucher_with_lines(*, voucher_id: int) -> PickupVoucher:
    return with_lines(PickupVoucher.objects.filter(pk=voucher_id)).get()


OVERDUE_AFTER_HOURS = 48


def overdue_pickups(
    *, location_ids: frozenset[int] | None, older_than_hours: int = OVERDUE_AFTER_HOURS
) -> QuerySet[PickupVoucher]:
    return _issued(location_ids).filter(issued_at__lt=_overdue_cutoff(older_than_hours))


def waiting_and_overdue_by_location(*, location_ids: frozenset[int] | None) -> tuple[dict[int, int], dict[int, int]]:
    """Per location: vouchers issued and not yet redeemed, and those of them overdue (as
    `overdue_pickups`; only locations that have any), counted in one pass over the waiting vouchers."""
    is_late = Q(issued_at__lt=_overdue_cutoff(OVERDUE_AFTER_HOURS))
    rows = (
        _issued(location_ids)
        .values_list("location_id")
        .annotate(waiting=Count("pk"), overdue=Count("pk", filter=is_late))
        .order_by()
    )
    waiting, overdue = {}, {}
    for location_id, issued, late in rows:
        waiting[location_id] = issued
        if late:
            overdue[location_id] = late
    return waiting, overdue


def _issued(location_ids: frozenset[int] | None) -> QuerySet[PickupVoucher]:
    vouchers = PickupVoucher.objects.filter(state=PickupVoucher.State.ISSUED)
    return vouchers if location_ids is None else vouchers.filter(location_id__in=location_ids)


def _overdue_cutoff(hours: int):
    return timezone.now() - timedelta(hours=hours)


def recent_redemptions(*, location_id: int, within_minutes: int) -> QuerySet[PickupVoucher]:
    """Vouchers handed over at the location in the last minutes, newest first (a manager may still undo them)."""
    since = timezone.now() - timedelta(minutes=within_minutes)
    return (
        PickupVoucher.objects.filter(
            location_id=location_id, state=PickupVoucher.State.REDEEMED, redeemed_at__gte=since
        )
        .select_related("order", "order__member")
        .order_by("-redeemed_at")
    )
