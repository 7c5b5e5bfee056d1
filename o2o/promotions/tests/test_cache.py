"""Promotion changes made by another worker process reach this one without a shared cache: the
version row is looked at again after O2O_REFERENCE_RECHECK_SECONDS."""

from decimal import Decimal

import pytest
from django.db.models import F

from o2o.pricing.cart import CartLine, price_cart
from o2o.promotions.models import Promotion, PromotionsVersion
from o2o.promotions.tests.given import promotion
from o2o.testing.factories import SKUFactory

pytestmark = pytest.mark.django_db(transaction=True)
D = Decimal


def _switched_off_by_another_process(promo) -> None:
    """What another process's commit looks like from here: rows changed, this process's cache not told."""
    Promotion.objects.filter(pk=promo.pk).update(is_active=False)
    PromotionsVersion.objects.filter(pk=1).update(version=F("version") + 1)


def _discount(sku) -> Decimal:
    return price_cart(
        lines=[CartLine(sku.pk, 1)], channel="app", location_id=None, member=None, fulfilment="pickup"
    ).discount_total


@pytest.mark.parametrize(("recheck", "seen"), [(None, D("1.00")), (0, D("0.00"))])
def test_a_change_from_another_process_is_seen_once_the_version_row_is_looked_at(settings, recheck, seen):
    sku = SKUFactory(price=D("10.00"))
    promo = promotion("category_percent", percent=D(10), sku_ids=[sku.pk])
    assert _discount(sku) == D("1.00")

    settings.O2O_REFERENCE_RECHECK_SECONDS = recheck
    _switched_off_by_another_process(promo)

    # without the look (only the in-process cache), the old promotion would stay forever
    assert _discount(sku) == seen
