"""Flash sale reads: what the storefront lists, what a buyer is told before anything is written,
and the marketer's counts."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.flashsale.models import FlashSale


def _with_counts(sales: QuerySet[FlashSale]) -> QuerySet[FlashSale]:
    return sales.select_related("sku").annotate(
        units_left=Count("units", filter=Q(units__order_id__isnull=True)),
        units_sold=Count("units", filter=Q(units__paid_at__isnull=False)),
    )


def public_sales(*, now: datetime | None = None) -> QuerySet[FlashSale]:
    """Open and upcoming sales, soonest first, with the units left (a count of free units)."""
    now = now or timezone.now()
    return _with_counts(FlashSale.objects.filter(ends_at__gt=now)).order_by("starts_at", "pk")


def get_sale(*, sale_id: int) -> FlashSale:
    sale = _with_counts(FlashSale.objects.filter(pk=sale_id)).first()
    if sale is None:
        raise not_found("flash sale")
    return sale


@dataclass(frozen=True)
class Admission:
    sale_id: int
    location_id: int
    sku_id: int
    refusal: DomainError | None  # sold out (the flag) or not open: the answer, unless it is a retry


def admission(*, sale_id: int, now: datetime | None = None) -> Admission:
    """The buyer's first step, one read of the sale and no transaction: an unknown sale is a 404; a
    sold-out one (the flag) or one not open is refused before the order path is entered."""
    row = (
        FlashSale.objects.filter(pk=sale_id)
        .values("location_id", "sku_id", "starts_at", "ends_at", "sold_out_at")
        .first()
    )
    if row is None:
        raise not_found("flash sale")
    now = now or timezone.now()
    refusal = None
    if row["sold_out_at"] is not None:
        refusal = DomainError(ErrorCode.FLASH_SALE_SOLD_OUT, "sold out", sale_id=sale_id)
    elif not row["starts_at"] <= now < row["ends_at"]:
        refusal = DomainError(
            ErrorCode.FLASH_SALE_NOT_OPEN, "this flash sale is not open", starts_at=row["starts_at"].isoformat()
        )
    return Admission(sale_id=sale_id, location_id=row["location_id"], sku_id=row["sku_id"], refusal=refusal)


def sales_for_marketer(*, actor: Actor) -> QuerySet[FlashSale]:
    """Every sale, newest first, with units left, held (taken by unpaid orders) and sold (paid)."""
    authorize(actor, Operation.MANAGE_FLASH_SALES)
    return _with_counts(FlashSale.objects.select_related("location", "campaign")).order_by("-pk")
