"""The active promotions, cached in-process so pricing a cart costs no query when nothing changed:
every promotion write bumps the `PromotionsVersion` row in its transaction (`bump`); how the
snapshot stays fresh across processes is told in o2o/core/versioned.py.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from o2o.core.versioned import VersionedSnapshot
from o2o.promotions.models import Promotion, PromotionsVersion


@dataclass(frozen=True)
class Snapshot:
    """What the rule needs of one promotion, read once."""

    id: int
    name: str
    kind: str
    campaign_id: int | None
    control_percent: int
    channel_scope: str
    store_ids: frozenset[int]
    sku_ids: frozenset[int]
    category_ids: frozenset[int]  # with their sub-categories
    starts_at: datetime
    ends_at: datetime | None
    priority: int
    stacks: bool
    percent: Decimal | None = None
    price: Decimal | None = None
    buy_quantity: int | None = None
    free_quantity: int | None = None
    per_member_limit: int | None = None
    tiers: tuple[tuple[Decimal, Decimal], ...] = ()  # (threshold, amount off), lowest first
    bundle: tuple[tuple[int, int], ...] = ()  # (sku id, quantity)

    @property
    def rule_ref(self) -> str:
        return f"promotion:{self.id}"

    def open_at(self, now: datetime) -> bool:
        return self.starts_at <= now and (self.ends_at is None or now < self.ends_at)


def _read() -> tuple[Snapshot, ...]:
    rows = (
        Promotion.objects.filter(is_active=True)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=timezone.now()))
        .select_related("campaign")
        .prefetch_related("stores", "skus", "categories", "tiers", "bundle_items")
        .order_by("priority", "pk")
    )
    rows = list(rows)
    descendants = category_descendants() if any(row.categories.all() for row in rows) else {}
    return tuple(snapshot(row, descendants) for row in rows)


_active = VersionedSnapshot(
    model=PromotionsVersion, pk=1, read=_read, recheck_seconds=lambda: settings.O2O_REFERENCE_RECHECK_SECONDS
)


def active() -> tuple[Snapshot, ...]:
    """The active promotions not ended yet, in the order they apply (priority, then id)."""
    return _active.get()


def bump() -> None:
    """Mark the promotions changed: in the writer's transaction, before it commits."""
    _active.bump()


def refresh() -> None:
    """Read the committed promotions now and publish their version (after migrations, in tests)."""
    _active.refresh()


def category_descendants() -> dict[int, set[int]]:
    from o2o.catalog.models import Category

    children: dict[int, list[int]] = {}
    for pk, parent_id in Category.objects.values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)

    def below(pk: int) -> set[int]:
        found, todo = {pk}, [pk]
        while todo:
            for child in children.get(todo.pop(), []):
                if child not in found:
                    found.add(child)
                    todo.append(child)
        return found

    return {pk: below(pk) for pk in children.get(None, [])} | {
        pk: below(pk) for kids in children.values() for pk in kids
    }


def snapshot(row: Promotion, descendants: dict[int, set[int]] | None = None) -> Snapshot:
    """The snapshot of a promotion row (its relations prefetched or unsaved lists attached)."""
    categories: set[int] = set()
    for category in row.categories.all():
        categories |= (descendants or {}).get(category.pk, {category.pk})
    campaign = row.campaign
    return Snapshot(
        id=row.pk or 0,
        name=row.name,
        kind=row.kind,
        campaign_id=row.campaign_id,
        control_percent=campaign.control_percent if campaign is not None else 0,
        channel_scope=row.channel_scope,
        store_ids=frozenset(store.pk for store in row.stores.all()),
        sku_ids=frozenset(sku.pk for sku in row.skus.all()),
        category_ids=frozenset(categories),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        priority=row.priority,
        stacks=row.stacks,
        percent=row.percent,
        price=row.price,
        buy_quantity=row.buy_quantity,
        free_quantity=row.free_quantity,
        per_member_limit=row.per_member_limit,
        tiers=tuple((tier.threshold, tier.amount_off) for tier in sorted(row.tiers.all(), key=lambda t: t.threshold)),
        bundle=tuple((item.sku_id, item.quantity) for item in row.bundle_items.all()),
    )
