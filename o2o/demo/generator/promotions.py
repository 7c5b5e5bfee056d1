"""Demo promotions: spend 100 save 10 / 200 save 25 everywhere, 10% off one category in the app,
and buy 2 get 1 on two SKUs at the counter; all open from a week ago for a month. Written as rows
(the generator runs in one transaction; the service's own is durable) and published with the
promotions version bump, like the service does."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from o2o.catalog.models import SKU, Category
from o2o.demo.generator.base import Run
from o2o.promotions import cache
from o2o.promotions.models import Promotion, PromotionKind, PromotionTier


def create_promotions(run: Run) -> int:
    category = Category.objects.order_by("pk").first()
    skus = list(SKU.objects.order_by("pk").values_list("pk", flat=True)[:2])
    if category is None or not skus:
        run.say("promotions: none (no catalogue)")
        return 0
    window = {"starts_at": timezone.now() - timedelta(days=7), "ends_at": timezone.now() + timedelta(days=30)}
    tiers = Promotion.objects.create(name="满100减10 · 满200减25", kind=PromotionKind.SPEND_TIERS, is_active=True,
                                     **window)  # fmt: skip
    PromotionTier.objects.bulk_create(
        [PromotionTier(promotion=tiers, threshold=Decimal(100), amount_off=Decimal(10)),
         PromotionTier(promotion=tiers, threshold=Decimal(200), amount_off=Decimal(25))]
    )  # fmt: skip
    percent = Promotion.objects.create(name=f"{category.name} 九折", kind=PromotionKind.CATEGORY_PERCENT,
                                       percent=Decimal(10), channel_scope="online", priority=150, is_active=True,
                                       **window)  # fmt: skip
    percent.categories.set([category])
    buy_two = Promotion.objects.create(name="门店买二送一", kind=PromotionKind.BUY_N_GET_M, buy_quantity=2,
                                       free_quantity=1, channel_scope="in_store", priority=150, is_active=True,
                                       **window)  # fmt: skip
    buy_two.skus.set(skus)
    cache.bump()
    run.say("promotions: 3 (spend tiers, a category 10% online, buy 2 get 1 in store)")
    return 3
