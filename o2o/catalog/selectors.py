from decimal import Decimal

from django.db.models import F, Q, QuerySet

from o2o.catalog import sql
from o2o.catalog.models import SKU, Category, Channel, Price
from o2o.core.errors import DomainError, ErrorCode


def active_skus() -> QuerySet[SKU]:
    return SKU.objects.filter(is_active=True, product__is_active=True).select_related("product")


def skus_by_id(sku_ids: set[int]) -> dict[int, SKU]:
    found = active_skus().in_bulk(sku_ids)
    if missing := sku_ids - found.keys():
        raise DomainError(ErrorCode.UNKNOWN_SKU, "unknown SKU", sku_ids=sorted(missing))
    return found


def sku_by_barcode(barcode: str) -> SKU:
    sku = active_skus().filter(barcode=barcode).first()
    if sku is None:
        raise DomainError(ErrorCode.UNKNOWN_SKU, "unknown barcode", barcode=barcode)
    return sku


def unit_prices(*, sku_ids: set[int], channel: str, location_id: int | None) -> dict[int, Decimal]:
    """The price of each SKU on a channel at a location: the location's override, else chain-wide."""
    rows = Price.objects.filter(sku_id__in=sku_ids, channel=channel).filter(
        location_id__isnull=True
    ) | Price.objects.filter(sku_id__in=sku_ids, channel=channel, location_id=location_id)
    prices: dict[int, Decimal] = {}
    for price in rows:
        if price.location_id is not None or price.sku_id not in prices:
            prices[price.sku_id] = price.amount
    if missing := sku_ids - prices.keys():
        raise DomainError(ErrorCode.NO_PRICE, "no price on this channel", sku_ids=sorted(missing))
    return prices


def sellable_skus_with_prices(
    *, sku_ids: set[int], channel: str, location_id: int | None
) -> tuple[dict[int, SKU], dict[int, Decimal]]:
    """The SKUs and their prices for an order, in one query when all is well (the order path counts
    its statements): active SKUs sold on the channel, each with the location's price, else the
    chain-wide one. Raises as `skus_by_id`, then NOT_SOLD_ON_CHANNEL, then `unit_prices` would."""
    skus: dict[int, SKU] = {}
    prices: dict[int, Decimal] = {}
    for price in sql.prices_with_skus(sku_ids=sku_ids, channel=channel, location_id=location_id):
        skus[price.sku_id] = price.sku
        if price.location_id is not None or price.sku_id not in prices:
            prices[price.sku_id] = price.amount
    if sku_ids - skus.keys():
        skus = skus_by_id(sku_ids)  # the unhappy path: say which rule failed, in the usual order
    if off_channel := sorted(s for s in sku_ids if not skus[s].is_sold_on(channel)):
        raise DomainError(ErrorCode.NOT_SOLD_ON_CHANNEL, "not sold on this channel", sku_ids=off_channel)
    if missing := sku_ids - prices.keys():
        raise DomainError(ErrorCode.NO_PRICE, "no price on this channel", sku_ids=sorted(missing))
    return skus, prices


def categories() -> QuerySet[Category]:
    return Category.objects.order_by("name")


def search_skus(
    *, category_id: int | None = None, text: str | None = None, channel: str | None = None
) -> QuerySet[SKU]:
    skus = active_skus()
    if category_id is not None:
        skus = skus.filter(product__category_id=category_id)
    if text:
        skus = skus.filter(name__icontains=text.strip())
    if channel is not None:
        skus = skus.filter(sold_online=True) if channel in Channel.online() else skus.filter(sold_offline=True)
    return skus


def online_skus(
    *, channel: str, category_id: int | None = None, text: str | None = None, after_id: int | None = None
) -> QuerySet[SKU]:
    """What a customer can buy on an online channel: sold online with a chain-wide price there, by id.

    A category takes its sub-categories with it; the text matches the SKU or product name, or the SKU code.
    """
    skus = search_skus(channel=channel).filter(prices__channel=channel, prices__location__isnull=True)
    if category_id is not None:
        skus = skus.filter(Q(product__category_id=category_id) | Q(product__category__parent_id=category_id))
    if text and (text := text.strip()):
        skus = skus.filter(Q(name__icontains=text) | Q(product__name__icontains=text) | Q(code__iexact=text))
    if after_id is not None:
        skus = skus.filter(pk__gt=after_id)
    return skus.order_by("pk")


def category_subtree_ids(category_id: int) -> set[int]:
    """The category and every category below it (one query per level; trees are shallow)."""
    found: set[int] = set()
    level = {category_id}
    while level:
        found |= level
        level = set(Category.objects.filter(parent_id__in=level).values_list("pk", flat=True)) - found
    return found


def sku_categories(sku: str) -> dict[str, F]:
    """Annotations for rows that point at a SKU through `sku`: its product's category and that
    category's parent (rules set on a category apply to its sub-categories that have none)."""
    return {
        "sku_category_id": F(f"{sku}__product__category_id"),
        "sku_parent_category_id": F(f"{sku}__product__category__parent_id"),
    }
