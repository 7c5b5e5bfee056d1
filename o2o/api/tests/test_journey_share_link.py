"""Journey 4, first steps: an order through an employee's share link is credited to them and their store.

(Commission rules and settlement are not built yet.)"""

from decimal import Decimal

import pytest

from o2o.access.actors import SYSTEM
from o2o.catalog.models import Channel, Price
from o2o.inventory.services import receive_stock
from o2o.orders.models import Order
from o2o.testing.api import as_member, problem_code
from o2o.testing.factories import SKUFactory

pytestmark = pytest.mark.django_db


def test_an_order_through_a_share_link_credits_the_employee_and_their_store(store, other_store, clerk, member):
    sku = SKUFactory(price=Decimal("20.00"))
    Price.objects.filter(sku=sku, channel=Channel.SHARE_LINK).update(amount=Decimal("18.00"))
    receive_stock(location_id=other_store.pk, sku_id=sku.pk, quantity=5, actor=SYSTEM)

    response = as_member(member).post(
        "orders",
        {
            "channel": "share_link",
            "fulfilment": "pickup",
            "location_id": other_store.pk,
            "referrer_code": clerk.code,
            "lines": [{"sku_id": sku.pk, "quantity": 2}],
        },
    )

    assert response.status_code == 201, response.content
    order = response.json()
    assert (order["referrer_id"], order["selling_location_id"]) == (clerk.pk, store.pk)
    assert order["fulfilment_location_id"] == other_store.pk
    assert Decimal(order["total"]) == Decimal("36.00")  # the share-link price


def test_an_unknown_share_code_is_refused_and_nothing_is_written(store, member):
    sku = SKUFactory()
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=5, actor=SYSTEM)

    response = as_member(member).post(
        "orders",
        {
            "channel": "share_link",
            "fulfilment": "pickup",
            "location_id": store.pk,
            "referrer_code": "NOBODY",
            "lines": [{"sku_id": sku.pk, "quantity": 1}],
        },
    )

    assert (response.status_code, problem_code(response)) == (422, "invalid")
    assert not Order.objects.exists()
