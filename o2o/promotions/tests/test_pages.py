"""The marketers' promotion pages: list, create per kind, preview without saving, switch, and the
overstock clearance suggestions with their prefilled "create clearance promotion" link."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from o2o.access.actors import SYSTEM
from o2o.inventory.models import MoveKind, StockMove
from o2o.inventory.services import receive_stock
from o2o.promotions.models import Promotion
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory, SKUFactory

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def marketer_page():
    client = Client()
    client.force_login(EmployeeFactory(role=Role.MARKETER, home_location=None).user)
    return client


def _form(**changes) -> dict:
    return {
        "name": "满100减10", "kind": "spend_tiers", "starts_at": "2026-01-01T00:00", "tiers": "100:10, 200:25",
        "channel_scope": "both", "priority": "200", "stacks": "on", "sample_channel": "app",
    } | changes  # fmt: skip


def test_a_marketer_creates_and_switches_on_a_promotion_from_the_page(marketer_page):
    created = marketer_page.post("/marketing/promotions/", _form(create="1"))

    assert created.status_code == 302
    promo = Promotion.objects.get()
    assert (promo.kind, promo.is_active, [(t.threshold, t.amount_off) for t in promo.tiers.all()]) == (
        "spend_tiers", False, [(D("100.00"), D("10.00")), (D("200.00"), D("25.00"))]
    )  # fmt: skip
    page = marketer_page.get("/marketing/promotions/")
    assert "满100.00减10.00; 满200.00减25.00" in page.content.decode()

    marketer_page.post(f"/marketing/promotions/{promo.pk}/active", {"active": "1"})

    promo.refresh_from_db()
    assert promo.is_active is True


def test_the_preview_prices_the_sample_cart_and_saves_nothing(marketer_page):
    tea = SKUFactory(price=D("60.00"))

    page = marketer_page.post("/marketing/promotions/", _form(preview="1", sample=f"{tea.pk}:2"))

    assert page.status_code == 200
    assert '<span id="preview-payable">110.00</span>' in page.content.decode()
    assert Promotion.objects.count() == 0


@pytest.mark.parametrize(
    "changes",
    [{"tiers": "100:100"}, {"tiers": "cheap"}, {"kind": "category_percent", "tiers": "", "percent": "10"},
     {"priority": "5"}, {"sku_ids": "x"}],
)  # fmt: skip
def test_bad_terms_are_a_form_error_and_nothing_is_written(marketer_page, changes):
    page = marketer_page.post("/marketing/promotions/", _form(create="1", **changes))

    assert page.status_code == 422
    assert Promotion.objects.count() == 0


def test_a_clerk_may_not_open_the_promotion_pages(store):
    client = Client()
    client.force_login(EmployeeFactory(home_location=store).user)

    assert client.get("/marketing/promotions/").status_code == 403
    assert client.get("/marketing/clearance/").status_code == 403
    assert client.post("/marketing/promotions/", _form(create="1")).status_code == 403
    assert Promotion.objects.count() == 0


def test_clearance_lists_slow_old_stock_with_a_prefilled_promotion(marketer_page, store):
    old, fresh, selling = (SKUFactory(price=D("10.00"), name=name) for name in ("旧款", "新款", "畅销"))
    for sku in (old, fresh, selling):
        receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=10)
    StockMove.objects.filter(sku__in=[old, selling]).update(created_at=timezone.now() - timedelta(days=70))
    StockMove.objects.create(location=store, sku=selling, kind=MoveKind.SALE, quantity=-5)  # a third sold

    page = marketer_page.get("/marketing/clearance/")

    html = page.content.decode()
    assert page.status_code == 200
    assert f'data-sku="{old.pk}"' in html and f'data-sku="{fresh.pk}"' not in html
    assert f'data-sku="{selling.pk}"' not in html
    assert "kind=category_percent" in html and "percent=30" in html and f"sku_ids={old.pk}" in html
    prefilled = marketer_page.get(f"/marketing/promotions/?kind=category_percent&percent=30&sku_ids={old.pk}"
                                  f"&store_ids={store.pk}")  # fmt: skip
    assert f'value="{old.pk}"' in prefilled.content.decode()
