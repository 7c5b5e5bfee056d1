"""Demo shelf plan: each store shelves its products by category in lettered aisles ("A1", "A2",
"B1"...), a few products to a shelf bay, the letters rotated per store (no two stores lay out
alike), so /manager/counts/ offers aisles to count. docs/stocktakes.md."""

from string import ascii_uppercase

from o2o.demo.generator.base import Run
from o2o.inventory.models import StockLevel
from o2o.stores.models import Location

PER_BAY = 6


def create_aisles(run: Run) -> None:
    stores = Location.objects.filter(kind=Location.Kind.STORE).order_by("code")
    shelved = 0
    for offset, store in enumerate(stores):
        levels = list(StockLevel.objects.filter(location=store)
                      .select_related("sku__product").order_by("sku__product__category_id", "sku_id"))  # fmt: skip
        categories = sorted({level.sku.product.category_id for level in levels})
        letter = {c: ascii_uppercase[(i + offset) % len(ascii_uppercase)] for i, c in enumerate(categories)}
        seen: dict[int, int] = {}
        for level in levels:
            category = level.sku.product.category_id
            n = seen[category] = seen.get(category, -1) + 1
            level.aisle = f"{letter[category]}{n // PER_BAY + 1}"
        StockLevel.objects.bulk_update(levels, ["aisle"], batch_size=500)
        shelved += len(levels)
    run.say(f"aisles: {shelved} stock levels shelved at {len(stores)} stores")
