"""The active promotions, cached in-process so pricing a cart costs no query when nothing changed.

Every promotion write bumps the `PromotionsVersion` row in its transaction (`bump`), and after
commit puts the new version under one key of Django's cache (Redis when CACHE_LOCATION is set:
every process sees it at once). A reader compares that key with the version of its snapshot:
equal, no query; different or missing, it reads the committed promotions again (a handful of
queries, once per change). Without a shared cache (the in-process memory cache) another worker
process's change cannot arrive that way, so a reader also compares the version row itself at most
every O2O_PROMOTIONS_RECHECK_SECONDS (one small query a second per process, not per order).

A transaction that wrote promotions reads them itself straight from the database, uncached, until
it ends (so a preview or a test sees its own writes and a rollback leaves no stale snapshot).
"""

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from o2o.promotions.models import Promotion, PromotionsVersion

KEY = "o2o:promotions:version"


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


@dataclass
class _Loaded:
    version: int
    promotions: tuple[Snapshot, ...]
    checked_at: float = field(default_factory=time.monotonic)


_lock = threading.Lock()
_loaded: _Loaded | None = None
_writing: dict[str, object] = {}  # connection alias -> the outermost atomic block that wrote promotions


def active() -> tuple[Snapshot, ...]:
    """The active promotions not ended yet, in the order they apply (priority, then id)."""
    global _loaded
    if _wrote_in_this_transaction():
        return _read()[1]
    shared = cache.get(KEY)
    loaded = _loaded
    if loaded is not None and shared == loaded.version and _still_fresh(loaded):
        return loaded.promotions
    version, promotions = _read()
    with _lock:
        _loaded = _Loaded(version, promotions)
    if shared is None or version > shared:  # never put back an older version than a writer set
        cache.set(KEY, version, timeout=None)
    return promotions


def _still_fresh(loaded: _Loaded) -> bool:
    """True without a query while the cache is shared or the last look at the version row is recent."""
    every = settings.O2O_PROMOTIONS_RECHECK_SECONDS
    shared = not isinstance(caches["default"], LocMemCache)
    if every is None or shared or time.monotonic() - loaded.checked_at < every:
        return True
    version = PromotionsVersion.objects.filter(pk=1).values_list("version", flat=True).first() or 0
    if version != loaded.version:
        return False
    loaded.checked_at = time.monotonic()
    return True


def bump() -> None:
    """Mark the promotions changed: in the writer's transaction, before it commits."""
    PromotionsVersion.objects.bulk_create([PromotionsVersion(pk=1, version=0)], ignore_conflicts=True)
    PromotionsVersion.objects.filter(pk=1).update(version=F("version") + 1)
    if connection.in_atomic_block:
        _writing[connection.alias] = connection.atomic_blocks[0]
    transaction.on_commit(_published)


def refresh() -> None:
    """Read the committed promotions now and publish their version (after migrations, in tests)."""
    global _loaded
    version, promotions = _read()
    with _lock:
        _loaded = _Loaded(version, promotions)
    cache.set(KEY, version, timeout=None)


def _published() -> None:
    global _loaded
    _writing.pop(connection.alias, None)
    version = PromotionsVersion.objects.filter(pk=1).values_list("version", flat=True).first() or 0
    with _lock:
        _loaded = None
    cache.set(KEY, version, timeout=None)


def _wrote_in_this_transaction() -> bool:
    block = _writing.get(connection.alias)
    return block is not None and bool(connection.atomic_blocks) and connection.atomic_blocks[0] is block


def _read() -> tuple[int, tuple[Snapshot, ...]]:
    version = PromotionsVersion.objects.filter(pk=1).values_list("version", flat=True).first() or 0
    rows = (
        Promotion.objects.filter(is_active=True)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=timezone.now()))
        .select_related("campaign")
        .prefetch_related("stores", "skus", "categories", "tiers", "bundle_items")
        .order_by("priority", "pk")
    )
    rows = list(rows)
    descendants = category_descendants() if any(row.categories.all() for row in rows) else {}
    return version, tuple(snapshot(row, descendants) for row in rows)


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
