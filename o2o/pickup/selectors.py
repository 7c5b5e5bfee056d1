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


def overdue_pickups(*, location_ids: frozenset[int] | None, older_than_hours: int = 48) -> QuerySet[PickupVoucher]:
    cutoff = timezone.now() - timedelta(hours=older_than_hours)
    vouchers = PickupVoucher.objects.filter(state=PickupVoucher.State.ISSUED, issued_at__lt=cutoff)
    return vouchers if location_ids is None else vouchers.filter(location_id__in=location_ids)
