"""Placing an order without discounts takes no more statements than before pricing existed (the
bench budget): price_cart adds no query when no rule applies, and SKUs and prices are one query."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from o2o.access.actors import SYSTEM, actor_for_member
from o2o.inventory.services import receive_stock
from o2o.members.models import Member, MemberLevel
from o2o.orders.services import LineRequest, OrderRequest, place_order
from o2o.testing.factories import MemberFactory, SKUFactory
from o2o.testing.statements import tables_of

pytestmark = pytest.mark.django_db


def statements_to_place(member_id: int, store, sku) -> list[str]:
    member = Member.objects.get(pk=member_id)  # as a request reads it
    request = OrderRequest(channel="app", fulfilment="pickup", fulfilment_location_id=store.pk,
                           lines=[LineRequest(sku.pk, 1)])  # fmt: skip
    with CaptureQueriesContext(connection) as captured:
        place_order(actor=actor_for_member(member), member=member, request=request)
    return tables_of(captured)


def test_an_order_without_discounts_takes_six_statements_and_a_discount_two_more(store):
    """(PostgreSQL: and the placing transaction's own setting, before anything is locked.)"""
    sku = SKUFactory(price=Decimal("12.50"))
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=10, actor=SYSTEM)
    level = MemberLevel.objects.create(code="gold", name="Gold", rank=2, min_growth=1000, discount_percent=5)

    plain = statements_to_place(MemberFactory().pk, store, sku)
    discounted = statements_to_place(MemberFactory(level=level).pk, store, sku)

    assert plain == [
        "SELECT stores_location",
        "SELECT catalog_price",
        # an unpaid order commits without waiting for the disk (docs/operations.md)
        *(["SET synchronous_commit"] if connection.vendor == "postgresql" else []),
        "INSERT orders_order",
        "INSERT orders_orderline",
        "INSERT inventory_reservation",
        # last: the stock row is locked from here to the commit, every order of the SKU at the store waits
        "UPDATE inventory_stocklevel",
    ]
    assert sorted(set(discounted) - set(plain)) == ["INSERT orders_orderlinediscount", "SELECT members_memberlevel"]
    assert len(discounted) == len(plain) + 2
