"""Offers chosen on an order (o2o.pricing.claims): a special offer nobody sells is refused before
anything is written; a malformed one is refused by the API schema."""

from decimal import Decimal

import pytest

from o2o.access.actors import SYSTEM
from o2o.inventory.models import StockLevel
from o2o.inventory.services import receive_stock
from o2o.orders.models import Order
from o2o.testing.api import as_member, problem_code
from o2o.testing.factories import MemberFactory, SKUFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sku(store):
    sku = SKUFactory(price=Decimal("5.00"))
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=5, actor=SYSTEM)
    return sku


def order_body(store, sku, **extra) -> dict:
    lines = [{"sku_id": sku.pk, "quantity": 1}]
    return {"channel": "app", "fulfilment": "pickup", "location_id": store.pk, "lines": lines} | extra


def test_an_offer_of_a_kind_nobody_sells_is_refused_and_nothing_is_written(store, sku):
    response = as_member(MemberFactory()).post("orders", order_body(store, sku, offer="nosuch:1"))

    assert response.status_code == 422, response.content
    assert problem_code(response) == "invalid"
    assert not Order.objects.exists()
    assert StockLevel.objects.get(location=store, sku=sku).reserved == 0


@pytest.mark.parametrize("offer", ["flash", "flash:", "flash:x", ":1", "FLASH:1", "flash:1 "])
def test_a_malformed_offer_is_a_validation_error(store, sku, offer):
    response = as_member(MemberFactory()).post("orders", order_body(store, sku, offer=offer))

    assert response.status_code == 422, response.content
    assert not Order.objects.exists()


def test_coupons_must_be_ids(store, sku):
    response = as_member(MemberFactory()).post("orders", order_body(store, sku, coupon_ids=[0]))

    assert response.status_code == 422
    assert not Order.objects.exists()
