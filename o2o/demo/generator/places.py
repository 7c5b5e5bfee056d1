"""The chain on the map: one region per Shanghai district, the stores, a warehouse, a workshop."""

from dataclasses import dataclass
from datetime import time
from decimal import Decimal

from o2o.demo.generator.base import Run, chunks
from o2o.demo.generator.data import BRAND, DISTRICTS
from o2o.stores.models import Location, Region

# (opens, closes, share of stores)
HOURS = [((9, 0), (21, 0), 60), ((8, 0), (22, 0), 25), ((10, 0), (22, 0), 15)]


@dataclass(frozen=True)
class Places:
    regions: list[Region]
    stores: list[Location]
    warehouse: Location
    workshop: Location


def create_places(run: Run, *, stores: int) -> Places:
    rng = run.rng("places")
    regions = Region.objects.bulk_create(Region(code=f"SH-{code}", name=f"上海{name}") for code, name, *_ in DISTRICTS)
    created: list[Location] = []
    for chunk in chunks(_stores(run, regions, stores), run.batch_size):
        created += Location.objects.bulk_create(chunk)
    warehouse = Location.objects.create(
        code="SH-WH1",
        name=f"{BRAND}·浦东金桥配送中心",
        kind=Location.Kind.WAREHOUSE,
        region=regions[-1],
        address="上海市浦东新区金桥路1200号",
        latitude=31.2650,
        longitude=121.5900,
        opens_at=time(6, 0),
        closes_at=time(22, 0),
        pickup_enabled=False,
        delivery_radius_km=Decimal("30.0"),
    )
    workshop = Location.objects.create(
        code="SH-WS1",
        name="沪安汽车服务合作工坊",
        kind=Location.Kind.WORKSHOP,
        region=regions[3],
        address=f"上海市长宁区协和路{rng.randint(100, 800)}号",
        latitude=31.2130,
        longitude=121.3700,
        opens_at=time(8, 30),
        closes_at=time(18, 0),
        pickup_enabled=False,
        online_orders_reserve_stock=False,
    )
    run.say(f"places: {len(regions)} regions, {len(created)} stores, 1 warehouse, 1 workshop")
    return Places(regions=regions, stores=created, warehouse=warehouse, workshop=workshop)


def _stores(run: Run, regions: list[Region], count: int):
    """Store i sits in district i mod 6, a couple of km around its centre, on one of its streets.

    Every fourth store and the last one are franchised; the last one also keeps its shelf stock
    away from online orders (counter sales only), so the demo shows both settings.
    """
    rng = run.rng("stores")
    visits = [0] * len(DISTRICTS)
    for i in range(1, count + 1):
        d = (i - 1) % len(DISTRICTS)
        _code, district, lat, lng, streets = DISTRICTS[d]
        street = streets[visits[d] % len(streets)]
        branch = visits[d] // len(streets) + 1
        visits[d] += 1
        (oh, om), (ch, cm) = rng.choices([h[:2] for h in HOURS], weights=[h[2] for h in HOURS])[0]
        last = i == count and count >= 2
        yield Location(
            code=f"SH{i:03d}",
            name=f"{BRAND}·{street}店" if branch == 1 else f"{BRAND}·{street}{branch}号店",
            kind=Location.Kind.STORE,
            ownership=Location.Ownership.FRANCHISE if i % 4 == 0 or last else Location.Ownership.DIRECT,
            region=regions[d],
            address=f"上海市{district}{street}{rng.randint(1, 1500)}号",
            latitude=round(lat + rng.uniform(-0.018, 0.018), 6),
            longitude=round(lng + rng.uniform(-0.021, 0.021), 6),
            opens_at=time(oh, om),
            closes_at=time(ch, cm),
            delivery_radius_km=Decimal("3.0") if i == 1 or rng.random() < 0.7 else Decimal("0"),
            online_orders_reserve_stock=not last,
        )
