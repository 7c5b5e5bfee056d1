from datetime import timedelta

from django.db.models import QuerySet
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


def overdue_pickups(*, location_ids: frozenset[int] | None, older_than_hours: int = 48) -> QuerySet[PickupVoucher]:
    cutoff = timezone.now() - timedelta(hours=older_than_hours)
    vouchers = PickupVoucher.objects.filter(state=PickupVoucher.State.ISSUED, issued_at__lt=cutoff)
    return vouchers if location_ids is None else vouchers.filter(location_id__in=location_ids)


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
