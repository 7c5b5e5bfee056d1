"""Demo flash sales: one open now and one opening tomorrow at 10:00:00, both at the first store,
for the SKU it has most of (so the demo member can buy one at /shop/flash/<id>/)."""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.db.models import F
from django.utils import timezone

from o2o.catalog.models import Price
from o2o.demo.generator.base import Run
from o2o.flashsale.services import cut_sale
from o2o.inventory.models import StockLevel
from o2o.stores.models import Location


def create_flash_sales(run: Run) -> int:
    store = Location.objects.filter(kind=Location.Kind.STORE).order_by("pk").first()
    level = (
        StockLevel.objects.filter(location=store)
        .annotate(free=F("on_hand") - F("reserved"))
        .order_by("-free", "sku_id")
        .first()
    )
    price = (
        Price.objects.filter(sku_id=level.sku_id).order_by("amount").values_list("amount", flat=True).first()
        if level
        else None
    )
    if store is None or level is None or price is None or level.free < 20:
        run.say("flash sales: none (no stock to sell)")
        return 0
    flash_price = max(Decimal("0.01"), (price / 2).quantize(Decimal("0.01")))
    now = timezone.now()
    tomorrow = datetime.combine(timezone.localdate() + timedelta(days=1), time(10, 0), tzinfo=run.tz)
    terms = {"sku_id": level.sku_id, "location_id": store.pk, "price": flash_price, "per_member_limit": 1}
    cut_sale(**terms, quantity=10, starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(days=2))
    cut_sale(**terms, quantity=min(50, level.free // 2), starts_at=tomorrow, ends_at=tomorrow + timedelta(hours=2))
    run.say(f"flash sales: 2 at {store.code} (SKU {level.sku_id} at ¥{flash_price})")
    return 2
