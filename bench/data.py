"""Wipe the bench database's O2O tables and seed a chain of 10,000 stores fast (bulk_create)."""

from __future__ import annotations

import math
import random
import time
from decimal import Decimal

# (code, city, latitude, longitude, districts): city centres; stores cluster around them.
CITIES = [
    ("SH", "上海", 31.2304, 121.4737, ["黄浦区", "静安区", "徐汇区", "浦东新区", "长宁区", "普陀区", "杨浦区"]),
    ("BJ", "北京", 39.9042, 116.4074, ["东城区", "西城区", "朝阳区", "海淀区", "丰台区", "石景山区"]),
    ("GZ", "广州", 23.1291, 113.2644, ["越秀区", "天河区", "海珠区", "荔湾区", "白云区", "番禺区"]),
    ("SZ", "深圳", 22.5431, 114.0579, ["福田区", "罗湖区", "南山区", "宝安区", "龙岗区", "龙华区"]),
    ("CD", "成都", 30.5728, 104.0668, ["锦江区", "青羊区", "金牛区", "武侯区", "成华区", "高新区"]),
    ("HZ", "杭州", 30.2741, 120.1551, ["上城区", "拱墅区", "西湖区", "滨江区", "萧山区", "余杭区"]),
    ("WH", "武汉", 30.5928, 114.3055, ["江岸区", "江汉区", "硚口区", "武昌区", "洪山区", "汉阳区"]),
    ("XA", "西安", 34.3416, 108.9398, ["新城区", "碑林区", "莲湖区", "雁塔区", "未央区", "灞桥区"]),
    ("NJ", "南京", 32.0603, 118.7969, ["玄武区", "秦淮区", "鼓楼区", "建邺区", "栖霞区", "江宁区"]),
    ("CQ", "重庆", 29.5630, 106.5516, ["渝中区", "江北区", "南岸区", "沙坪坝区", "九龙坡区", "渝北区"]),
]
CITY_SPREAD_DEG = 0.11  # standard deviation of store positions around the centre (about 12 km)
STREETS = ["人民路", "解放路", "中山路", "建设路", "和平路", "新华路", "文化路", "胜利路", "长江路", "青年路"]
GOODS = ["乌龙茶", "矿泉水", "可乐", "橙汁", "绿茶", "咖啡", "牛奶", "酸奶", "苏打水", "椰子水",
         "薯片", "饼干", "巧克力", "方便面", "面包", "口香糖", "坚果", "果冻", "纸巾", "湿巾",
         "牙膏", "洗手液", "电池", "雨伞", "充电线"]
SIZES = ["330ml", "500ml", "1L", "大包", "小包"]
CHANNELS = ["app", "h5", "pos", "share_link"]

HOT_STOCK = 1_000_000
SPREAD_SKUS = 5  # SKUs stocked across many stores
SPREAD_SHARE = 0.6  # share of stores holding each spread SKU
SPREAD_PAIRS_FOR_ORDERS = 5_000  # (store, sku) pairs with plenty of stock that the spread scenario buys from


def o2o_tables() -> list[str]:
    from django.apps import apps
    from django.contrib.auth import get_user_model

    tables = {m._meta.db_table for m in apps.get_models(include_auto_created=True)
              if m._meta.app_config.name.startswith(("o2o.", "django_tasks_db"))}  # and the queued tasks
    tables.add(get_user_model()._meta.db_table)
    return sorted(tables)


def reset() -> None:
    """TRUNCATE every O2O table (and auth users, for the bench clerks, and queued tasks), restarting the ids."""
    from django.db import connection

    names = ", ".join(connection.ops.quote_name(t) for t in o2o_tables())
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")


def _position(rng: random.Random, lat0: float, lng0: float) -> tuple[float, float]:
    def offset() -> float:
        return max(-3, min(3, rng.gauss(0, 1))) * CITY_SPREAD_DEG

    lat = lat0 + offset()
    lng = lng0 + offset() / math.cos(math.radians(lat0))
    return round(lat, 6), round(lng, 6)


def seed(*, locations: int = 10_000, skus: int = 50, members: int = 2_000, seed: int = 42) -> dict:
    """Seed stores, catalog, prices, members and stock (with matching receipt moves); return the plan."""
    from django.db import connection, transaction

    from o2o.catalog.models import SKU, Category, Price, Product
    from o2o.inventory.models import MoveKind, StockLevel, StockMove
    from o2o.members.models import Member
    from o2o.stores.models import Location, Region

    rng = random.Random(seed)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    with transaction.atomic():
        regions = Region.objects.bulk_create(Region(code=f"BENCH-{c[0]}", name=c[1]) for c in CITIES)
        rows = []
        for i in range(locations):
            city_index = i % len(CITIES)
            code, city, lat0, lng0, districts = CITIES[city_index]
            n = i // len(CITIES)
            # the very first store (the hot one) sits at People's Square, Shanghai
            lat, lng = (lat0, lng0) if i == 0 else _position(rng, lat0, lng0)
            district = districts[n % len(districts)]
            rows.append(Location(
                code=f"B{code}{n:05d}", name=f"{city}{district}{n + 1}号店", kind=Location.Kind.STORE,
                region=regions[city_index], latitude=lat, longitude=lng, pickup_enabled=True,
                address=f"{city}市{district}{rng.choice(STREETS)}{rng.randint(1, 999)}号",
            ))
        stores = Location.objects.bulk_create(rows, batch_size=2_000)
        timings["locations"] = time.perf_counter() - started

        categories = Category.objects.bulk_create(
            Category(name=name, slug=f"bench-{slug}")
            for slug, name in [("drinks", "饮料"), ("snacks", "零食"), ("daily", "日用品")]
        )
        products = Product.objects.bulk_create(
            Product(name=f"{GOODS[i % len(GOODS)]}{'' if i < len(GOODS) else ' 新款'}",
                    category=categories[min(i % len(GOODS) // 10, 2)])
            for i in range(skus)
        )
        sku_rows = SKU.objects.bulk_create(
            SKU(product=p, code=f"BSKU{i:04d}", barcode=f"69{i:011d}", name=f"{p.name} {SIZES[i % len(SIZES)]}")
            for i, p in enumerate(products)
        )
        Price.objects.bulk_create(
            Price(sku=s, channel=channel, amount=Decimal(rng.randint(150, 9_900)) / 100)
            for s in sku_rows for channel in CHANNELS
        )
        member_rows = Member.objects.bulk_create(
            (Member(phone=f"+86139{i:08d}", name=f"会员{i}", registration_channel=Member.RegistrationChannel.APP)
             for i in range(members)), batch_size=2_000,
        )
        timings["catalog_members"] = time.perf_counter() - started - timings["locations"]

        hot_store, hot_sku = stores[0], sku_rows[0]
        spread_skus = sku_rows[1:1 + SPREAD_SKUS]
        stock: list[tuple[int, int, int]] = [(hot_store.pk, hot_sku.pk, HOT_STOCK)]
        for store in stores:
            for s in spread_skus:
                if rng.random() < SPREAD_SHARE:
                    stock.append((store.pk, s.pk, rng.randint(20, 600)))
        StockLevel.objects.bulk_create(
            (StockLevel(location_id=loc, sku_id=sku, on_hand=q) for loc, sku, q in stock), batch_size=5_000
        )
        StockMove.objects.bulk_create(
            (StockMove(location_id=loc, sku_id=sku, kind=MoveKind.RECEIPT, quantity=q, reference="bench:seed")
             for loc, sku, q in stock), batch_size=5_000,
        )
        timings["stock"] = time.perf_counter() - started - sum(timings.values())
    with connection.cursor() as cursor:
        for model in (Location, StockLevel, StockMove, Price, SKU, Member):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    timings["total"] = time.perf_counter() - started

    plenty = [(loc, sku) for loc, sku, q in stock[1:] if q >= 200]
    spread_pairs = rng.sample(plenty, min(SPREAD_PAIRS_FOR_ORDERS, len(plenty)))
    return {
        "hot_store": hot_store.pk, "hot_sku": hot_sku.pk, "hot_stock": HOT_STOCK,
        "spread_skus": [s.pk for s in spread_skus], "spread_pairs": spread_pairs,
        "spread_stores": len({loc for loc, _ in spread_pairs}),
        "member_ids": [m.pk for m in member_rows],
        "cities": [(c[0], c[2], c[3]) for c in CITIES],
        "counts": {"locations": len(stores), "skus": len(sku_rows), "prices": len(sku_rows) * len(CHANNELS),
                   "members": len(member_rows), "stock_levels": len(stock)},
        "seconds": {k: round(v, 2) for k, v in timings.items()},
    }
