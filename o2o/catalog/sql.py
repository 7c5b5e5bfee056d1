"""The catalog statement on every order's path, as SQL (o2o/core/sql.py says why)."""

from o2o.catalog.models import SKU, Price, Product
from o2o.core.sql import columns_of, fetch_joined

# The chain-wide price and the location's own, if any, of active SKUs of active products.
_PRICES_WITH_SKUS = f"""
SELECT {columns_of(Price, "catalog_price")}, {columns_of(SKU, "catalog_sku")}, {columns_of(Product, "catalog_product")}
FROM catalog_price
JOIN catalog_sku ON catalog_sku.id = catalog_price.sku_id
JOIN catalog_product ON catalog_product.id = catalog_sku.product_id
WHERE catalog_price.sku_id IN ({{skus}}) AND catalog_price.channel = %s
  AND catalog_sku.is_active = %s AND catalog_product.is_active = %s
  AND (catalog_price.location_id IS NULL OR catalog_price.location_id = %s)
"""


def prices_with_skus(*, sku_ids: set[int], channel: str, location_id: int | None) -> list[Price]:
    """The channel's prices of these SKUs (chain-wide, and the location's), each with its SKU and the
    SKU's product: what `Price.objects.select_related("sku__product")` reads, in one statement."""
    if not sku_ids:
        return []
    sql = _PRICES_WITH_SKUS.format(skus=", ".join(["%s"] * len(sku_ids)))
    prices = []
    for price, sku, product in fetch_joined([Price, SKU, Product], sql, [*sku_ids, channel, True, True, location_id]):
        sku.product = product
        price.sku = sku
        prices.append(price)
    return prices
