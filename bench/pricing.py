"""Pricing benchmark: p50/p99 of `price_cart` on a 20-line cart with 50 active promotions (every
kind, some scoped to stores, channels, SKUs and categories), against the same cart with none; and
the statements one price costs (the list prices only: the promotions come from the in-process
snapshot while nothing changed).

    DATABASE_URL=postgres://postgres@127.0.0.1:5433/promotions_bench .venv/bin/python bench/pricing.py [--runs 2000]

It creates the database if missing, migrates it, and WIPES it (flush). Prints figures only.
"""

import argparse
import os
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]
sys.path.insert(0, str(REPO))

from bench.common import nearest_rank, prepare_standalone_database  # noqa: E402

LINES = 20
PROMOTIONS = 50








def _seed():
    """A store, 20 SKUs in 4 categories, a gold member and 50 promotions of every kind."""
    from django.utils import timezone

    from o2o.access.actors import SYSTEM
    from o2o.members.models import MemberLevel
    from o2o.promotions.services import PromotionSpec, create_promotion
    from o2o.testing.factories import CategoryFactory, LocationFactory, MemberFactory, ProductFactory, SKUFactory

    store, elsewhere = LocationFactory(), LocationFactory()
    categories = [CategoryFactory() for _ in range(4)]
    skus = [
        SKUFactory(price=Decimal(15 + 7 * i), product=ProductFactory(category=categories[i % 4])) for i in range(LINES)
    ]
    level = MemberLevel.objects.create(code="gold", name="Gold", rank=2, min_growth=1000, discount_percent=5)
    member = MemberFactory(level=level)
    now = timezone.now()
    for i in range(PROMOTIONS):
        kind = ("spend_tiers", "buy_n_get_m", "bundle_price", "category_percent", "timed_price")[i % 5]
        a, b = skus[i % LINES], skus[(i + 3) % LINES]
        terms = {
            "spend_tiers": {"tiers": ((Decimal(100 + i), Decimal(5)), (Decimal(300 + i), Decimal(20)))},
            "buy_n_get_m": {"buy_quantity": 2, "free_quantity": 1, "sku_ids": (a.pk, b.pk)},
            "bundle_price": {"bundle": ((a.pk, 1), (b.pk, 1)), "price": Decimal(30)},
            "category_percent": {"percent": Decimal(5 + i % 10), "category_ids": (categories[i % 4].pk,)},
            "timed_price": {"price": Decimal(12), "sku_ids": (a.pk,), "ends_at": now + timedelta(days=1)},
        }[kind]
        spec = PromotionSpec(
            name=f"promotion {i}", kind=kind, starts_at=now - timedelta(hours=1), priority=101 + (i * 37) % 199,
            stacks=i % 7 != 0, channel_scope=("both", "online", "in_store")[i % 3],
            store_ids=(elsewhere.pk,) if i % 11 == 0 else (), **terms,
        )  # fmt: skip
        create_promotion(actor=SYSTEM, spec=spec, activate=True)
    return store, member, skus


def _measure(label: str, runs: int, price) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    price()  # the first price after a change reads the promotions
    with CaptureQueriesContext(connection) as captured:
        result = price()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        price()
        samples.append((time.perf_counter() - started) * 1000)
    print(
        f"{label:<34} p50 {nearest_rank(samples, 50):6.2f} ms  p99 {nearest_rank(samples, 99):6.2f} ms  "
        f"{len(captured)} statement(s)  discount {result.discount_total}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=2000)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("DATABASE_URL=postgres://.../promotions_bench is needed")
    prepare_standalone_database(url)
    from o2o.pricing.cart import CartLine, price_cart
    from o2o.promotions.models import Promotion
    from o2o.promotions.services import set_active

    store, member, skus = _seed()
    lines = [CartLine(sku.pk, 1 + i % 3) for i, sku in enumerate(skus)]

    def app():
        return price_cart(lines=lines, channel="app", location_id=store.pk, member=member, fulfilment="pickup")

    def pos():
        return price_cart(lines=lines, channel="pos", location_id=store.pk, member=member, fulfilment="in_store")

    print(f"price_cart, {LINES} lines, {args.runs} runs, one process, PostgreSQL")
    _measure(f"{PROMOTIONS} active promotions, app", args.runs, app)
    _measure(f"{PROMOTIONS} active promotions, POS", args.runs, pos)
    from o2o.access.actors import SYSTEM

    for pk in Promotion.objects.values_list("pk", flat=True):
        set_active(actor=SYSTEM, promotion_id=pk, active=False)
    _measure("no active promotion, app", args.runs, app)


if __name__ == "__main__":
    main()
