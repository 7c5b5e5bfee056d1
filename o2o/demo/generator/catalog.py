"""Categories, products, SKUs and their chain-wide prices on every channel."""

import random
from dataclasses import dataclass, field
from decimal import Decimal

from o2o.catalog.models import SKU, Category, Channel, Price, Product
from o2o.core.money import to_money
from o2o.demo.generator.base import Run, chunks, scatter
from o2o.demo.generator.data import BRANDS, CATEGORIES, PRODUCTS, Variant


@dataclass
class CatalogPlan:
    """What orders need to know about each SKU, by position (0 .. skus-1)."""

    ids: list[int] = field(default_factory=list)
    online: list[bool] = field(default_factory=list)
    offline: list[bool] = field(default_factory=list)
    popularity: list[float] = field(default_factory=list)
    shelf_price: list[Decimal] = field(default_factory=list)  # POS, chain-wide
    online_price: list[Decimal] = field(default_factory=list)  # app, H5 and share link, chain-wide

    def __len__(self) -> int:
        return len(self.ids)


def create_catalog(run: Run, *, skus: int) -> CatalogPlan:
    rng = run.rng("catalog")
    categories = _create_categories()
    plan = CatalogPlan()
    for chunk in chunks(_sku_rows(rng, categories, skus), run.batch_size):
        _create_chunk(rng, plan, chunk)
    prices = len(plan) * len(Channel.values)
    run.say(f"catalog: {len(categories)} categories, {len(plan)} SKUs, {prices} chain-wide prices")
    return plan


def _create_categories() -> dict[str, Category]:
    by_slug: dict[str, Category] = {}
    for slug, name, parent, _prefix in CATEGORIES:  # parents come first in the list
        by_slug[slug] = Category.objects.create(name=name, slug=slug, parent=by_slug.get(parent))
    return by_slug


@dataclass(frozen=True)
class _SkuRow:
    product: Product
    code: str
    barcode: str
    name: str
    variant: Variant
    unit: str


def _sku_rows(rng: random.Random, categories: dict[str, Category], count: int):
    """Brand x product template x variant until `count` SKUs exist; later rounds are new series."""
    prefixes = {slug: prefix for slug, _n, _p, prefix in CATEGORIES}
    barcode_offset = rng.randrange(10**10)
    made = 0
    round_ = 0
    while made < count:
        templates = PRODUCTS[:]
        rng.shuffle(templates)
        for t, (slug, name, unit, variants) in enumerate(templates):
            brand = BRANDS[(round_ + t) % len(BRANDS)]
            series = round_ // len(BRANDS)
            product = Product(
                name=f"{brand}{name}" + (f"（{series + 1}代）" if series else ""),
                category=categories[slug],
                description=f"{brand}出品，门店与线上同价同质。",
            )
            for variant in variants:
                if made >= count:
                    return
                made += 1
                label = " ".join(variant[0].values())
                yield _SkuRow(
                    product,
                    f"{prefixes[slug]}{made:05d}",
                    _ean13(made, barcode_offset),
                    f"{product.name} {label}",
                    variant,
                    unit,
                )
        round_ += 1


def _ean13(n: int, offset: int) -> str:
    """An EAN-13 with China's GS1 prefix 69 and a correct check digit, distinct for each n."""
    body = "69" + f"{scatter(n, modulus=10**10, multiplier=7_919_131, offset=offset):010d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def _create_chunk(rng: random.Random, plan: CatalogPlan, rows: list[_SkuRow]) -> None:
    products = list({id(r.product): r.product for r in rows}.values())
    Product.objects.bulk_create([p for p in products if p.pk is None])
    skus = [_sku(rng, r) for r in rows]
    SKU.objects.bulk_create(skus)
    prices = []
    for sku, row in zip(skus, rows, strict=True):
        shelf = to_money(row.variant[1] * Decimal(str(rng.choice((0.9, 1.0, 1.0, 1.1, 1.2)))))
        # A third of the range is a little cheaper online, to show per-channel prices.
        online = to_money(shelf * Decimal("0.95")) if rng.random() < 0.33 else shelf
        for channel in Channel.values:
            prices.append(Price(sku=sku, channel=channel, amount=shelf if channel == Channel.POS else online))
        plan.ids.append(sku.pk)
        plan.online.append(sku.sold_online)
        plan.offline.append(sku.sold_offline)
        # A long tail: a few SKUs sell much more than the rest.
        plan.popularity.append(1.0 / (1 + rng.random() * 30))
        plan.shelf_price.append(shelf)
        plan.online_price.append(online)
    Price.objects.bulk_create(prices)


def _sku(rng: random.Random, row: _SkuRow) -> SKU:
    roll = rng.random()
    return SKU(
        product=row.product,
        code=row.code,
        barcode=row.barcode,
        name=row.name,
        attributes=row.variant[0],
        unit=row.unit,
        sold_online=roll >= 0.08,  # 8% counter only (bulky, regulated)
        sold_offline=not 0.08 <= roll < 0.14,  # 6% online only
    )
