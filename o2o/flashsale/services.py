"""Flash sale writes: create a sale (its units cut into rows), take units for an order, give them back.

Taking units (`take_units`) runs inside `orders.place_order` (through the "flash" claimer, see
`claims.py`) before any stock is reserved, so a refusal rolls the whole order back and never
touches a stock row. See docs/flashsale.md for why each step is shaped as it is.
"""

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from o2o.access.actors import Actor
from o2o.access.permissions import Operation, authorize
from o2o.catalog.models import SKU
from o2o.core.errors import DomainError, ErrorCode, not_found
from o2o.core.idempotency import fingerprint, run_once
from o2o.core.money import to_money
from o2o.flashsale.models import MAX_PER_MEMBER, MAX_UNITS, FlashSale, FlashSaleBuyer, FlashSaleUnit
from o2o.pricing.models import Campaign
from o2o.stores.models import Location

UNIT_BATCH = 1000


def create_flash_sale(
    *,
    actor: Actor,
    sku_id: int,
    location_id: int,
    price: Decimal,
    quantity: int,
    per_member_limit: int,
    starts_at: datetime,
    ends_at: datetime,
    campaign_id: int | None = None,
    idempotency_key: str | None = None,
) -> FlashSale:
    """A sale of `quantity` units of one SKU at `price`, held at one store or warehouse. A retry
    with the same key returns the first sale (its units are cut once)."""
    authorize(actor, Operation.MANAGE_FLASH_SALES)
    terms = dict(
        sku_id=sku_id,
        location_id=location_id,
        price=price,
        quantity=quantity,
        per_member_limit=per_member_limit,
        starts_at=starts_at,
        ends_at=ends_at,
        campaign_id=campaign_id,
    )
    result = run_once(
        scope=actor.idempotency_scope,
        operation="create_flash_sale",
        key=idempotency_key,
        fingerprint=fingerprint(**terms),
        perform=lambda: {"sale_id": cut_sale(**terms, created_by=actor.user).pk},
    )
    return FlashSale.objects.get(pk=result["sale_id"])


def cut_sale(
    *,
    sku_id: int,
    location_id: int,
    price: Decimal,
    quantity: int,
    per_member_limit: int,
    starts_at: datetime,
    ends_at: datetime,
    campaign_id: int | None = None,
    created_by=None,
) -> FlashSale:
    """Check the terms, write the sale and cut it into units, inside the caller's transaction (the
    demo generator calls it directly, inside its own)."""
    _check_terms(
        price=price, quantity=quantity, per_member_limit=per_member_limit, starts_at=starts_at, ends_at=ends_at
    )
    if not SKU.objects.filter(pk=sku_id).exists():
        raise DomainError(ErrorCode.UNKNOWN_SKU, "unknown SKU", sku_id=sku_id)
    location = Location.objects.filter(pk=location_id).first()
    if location is None or location.kind not in (Location.Kind.STORE, Location.Kind.WAREHOUSE):
        raise DomainError(
            ErrorCode.LOCATION_UNAVAILABLE, "units are held at a store or warehouse", location_id=location_id
        )
    if campaign_id is not None and not Campaign.objects.filter(pk=campaign_id).exists():
        raise not_found("campaign")
    sale = FlashSale.objects.create(
        campaign_id=campaign_id,
        sku_id=sku_id,
        location=location,
        price=price,
        quantity=quantity,
        per_member_limit=per_member_limit,
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=created_by,
    )
    FlashSaleUnit.objects.bulk_create(
        (FlashSaleUnit(sale=sale, number=n) for n in range(1, quantity + 1)), batch_size=UNIT_BATCH
    )
    return sale


def _check_terms(
    *, price: Decimal, quantity: int, per_member_limit: int, starts_at: datetime, ends_at: datetime
) -> None:
    if price <= 0 or price != to_money(price):
        raise DomainError(ErrorCode.INVALID, "the price is a positive amount in fen")
    if not 1 <= quantity <= MAX_UNITS:
        raise DomainError(ErrorCode.INVALID, f"quantity must be 1 to {MAX_UNITS}")
    if not 1 <= per_member_limit <= min(quantity, MAX_PER_MEMBER):
        raise DomainError(ErrorCode.INVALID, "the limit per member is 1 to the quantity (at most 99)")
    if ends_at <= starts_at or ends_at <= timezone.now():
        raise DomainError(ErrorCode.INVALID, "a sale closes after it opens, and in the future")


def take_units(*, sale: FlashSale, order_id: int, member_id: int, quantity: int) -> None:
    """Hold `quantity` units of the sale for the order, inside the order's transaction.

    The member's count goes first (a conditional UPDATE: never beyond the limit, even with racing
    orders of one member, whose requests queue on their own row only). Then free units are taken
    with SKIP LOCKED: a unit another buyer holds is skipped, never waited for; fewer free than
    wanted is "sold out". The UPDATE keeps `order_id IS NULL` as the last guard (and is the whole
    guard on SQLite, which has one writer and no row locks)."""
    if not 1 <= quantity <= sale.per_member_limit:
        raise DomainError(
            ErrorCode.FLASH_SALE_LIMIT_REACHED, "more than the limit per member", limit=sale.per_member_limit
        )
    FlashSaleBuyer.objects.bulk_create(
        [FlashSaleBuyer(sale=sale, member_id=member_id, limit=sale.per_member_limit)], ignore_conflicts=True
    )
    counted = FlashSaleBuyer.objects.filter(sale=sale, member_id=member_id, bought__lte=F("limit") - quantity).update(
        bought=F("bought") + quantity
    )
    if not counted:
        raise DomainError(
            ErrorCode.FLASH_SALE_LIMIT_REACHED, "you hold the limit of this sale", limit=sale.per_member_limit
        )
    free = list(
        FlashSaleUnit.objects.select_for_update(skip_locked=True)
        .filter(sale=sale, order_id__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)[:quantity]
    )
    if len(free) < quantity:
        raise DomainError(ErrorCode.FLASH_SALE_SOLD_OUT, "sold out", sale_id=sale.pk)
    taken = FlashSaleUnit.objects.filter(pk__in=free, order_id__isnull=True).update(
        order_id=order_id, member_id=member_id, taken_at=timezone.now()
    )
    if taken != quantity:
        raise DomainError(ErrorCode.FLASH_SALE_SOLD_OUT, "sold out", sale_id=sale.pk)


@transaction.atomic
def note_sold_out(*, sale_id: int) -> bool:
    """Raise the sold-out flag once no unit is free, so later buyers are answered with one read.

    Called after a buyer was refused "sold out" (that order's transaction rolled back, so the flag
    cannot be set inside it). The sale row is locked first and the units read after, in a statement
    of their own: a unit given back meanwhile is seen, or its release (which clears the flag after
    freeing the unit) waits for us and clears it. One marker is enough: others skip the locked row."""
    sale = FlashSale.objects.select_for_update(skip_locked=True).filter(pk=sale_id, sold_out_at__isnull=True).first()
    if sale is None or FlashSaleUnit.objects.filter(sale_id=sale_id, order_id__isnull=True).exists():
        return False
    FlashSale.objects.filter(pk=sale_id).update(sold_out_at=timezone.now())
    return True


def release_units(*, order_id: int) -> int:
    """An unpaid order was cancelled or expired: its units are free again, the member's count goes
    down and the sold-out flag is cleared (after the units are free: see `note_sold_out`). Inside the
    cancelling transaction, which holds the order's lock."""
    held = list(FlashSaleUnit.objects.filter(order_id=order_id).values_list("sale_id", "member_id").order_by("sale_id"))
    if not held:
        return 0
    for sale_id, member_id in sorted(set(held), key=lambda pair: (pair[0], pair[1] or 0)):
        count = sum(1 for pair in held if pair == (sale_id, member_id))
        FlashSaleBuyer.objects.filter(sale_id=sale_id, member_id=member_id, bought__gte=count).update(
            bought=F("bought") - count
        )
    FlashSaleUnit.objects.filter(order_id=order_id, paid_at__isnull=True).update(
        order_id=None, member=None, taken_at=None
    )
    FlashSale.objects.filter(pk__in={sale_id for sale_id, _member in held}).update(sold_out_at=None)
    return len(held)


def mark_units_paid(*, order_id: int) -> int:
    """The order was paid: its units are sold for good (a later refund does not put them back on sale)."""
    return FlashSaleUnit.objects.filter(order_id=order_id, paid_at__isnull=True).update(paid_at=timezone.now())
