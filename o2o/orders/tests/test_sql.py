"""The order's named SQL reads the lines as the ORM's annotated query reads them, on both databases."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from o2o.access.actors import SYSTEM, actor_for_member
from o2o.catalog.selectors import sku_categories
from o2o.core.sql import cache_related_rows
from o2o.inventory.services import receive_stock
from o2o.orders import sql
from o2o.orders.models import Order, OrderLine
from o2o.orders.services import LineRequest, OrderRequest, place_order
from o2o.testing.factories import CategoryFactory, ProductFactory, SKUFactory
from o2o.testing.rows import fields_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_line_order(member, store) -> Order:
    """A line whose SKU sits in a sub-category, and one in a top category."""
    tea = CategoryFactory()
    green_tea = CategoryFactory(parent=tea)
    skus = [SKUFactory(product=ProductFactory(category=green_tea)), SKUFactory(product=ProductFactory(category=tea))]
    for sku in skus:
        receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=5, actor=SYSTEM)
    request = OrderRequest(channel="app", fulfilment="pickup", fulfilment_location_id=store.pk,
                           lines=[LineRequest(skus[0].pk, 2), LineRequest(skus[1].pk, 1)])  # fmt: skip
    return place_order(actor=actor_for_member(member), member=member, request=request)


def test_lines_equal_the_orms_annotated_lines_field_by_field(two_line_order):
    order = Order.objects.get(pk=two_line_order.pk)

    read = sql.lines_with_categories(order)
    expected = list(OrderLine.objects.filter(order=order).annotate(**sku_categories("sku")).order_by("pk"))

    fields = [f.attname for f in OrderLine._meta.concrete_fields] + list(sku_categories("sku"))
    assert len(read) == 2
    assert [[getattr(line, f) for f in fields] for line in read] == [
        [getattr(line, f) for f in fields] for line in expected
    ]
    sub, top = read
    assert sub.sku_parent_category_id == top.sku_category_id  # the sub-category's parent is the top one
    assert top.sku_parent_category_id is None


def test_cached_lines_are_what_the_order_gives_without_a_query(two_line_order):
    order = Order.objects.get(pk=two_line_order.pk)
    cache_related_rows(order, "lines", sql.lines_with_categories(order))

    with CaptureQueriesContext(connection) as captured:
        lines = list(order.lines.all())
        owners = [line.order for line in lines]
    assert len(captured) == 0
    assert [line.pk for line in lines] == sorted(OrderLine.objects.filter(order=order).values_list("pk", flat=True))
    assert all(owner is order for owner in owners)


def test_an_order_without_lines_reads_none(two_line_order):
    assert sql.lines_with_categories(Order(pk=two_line_order.pk + 1000)) == []


def test_caching_again_replaces_the_rows_and_leaves_an_earlier_result_alone(two_line_order):
    order = Order.objects.prefetch_related("lines").get(pk=two_line_order.pk)
    earlier = order.lines.all()
    first, second = sql.lines_with_categories(order)

    cache_related_rows(order, "lines", [second])

    assert list(order.lines.all()) == [second]
    assert [line.pk for line in earlier] == [first.pk, second.pk]


def test_lines_with_skus_equal_the_orms_lines_and_skus_field_by_field(two_line_order):
    order = Order.objects.get(pk=two_line_order.pk)

    read = sql.lines_with_skus(order)
    expected = list(OrderLine.objects.filter(order=order).select_related("sku").order_by("pk"))

    assert len(read) == 2
    assert [fields_of(line) for line in read] == [fields_of(line) for line in expected]
    assert [fields_of(line.sku) for line in read] == [fields_of(line.sku) for line in expected]
    assert all(line.order is order for line in read)
    assert sql.lines_with_skus(Order(pk=two_line_order.pk + 1000)) == []


def test_a_members_order_is_found_field_by_field_and_only_for_that_member(two_line_order, member):
    order = Order.objects.get(pk=two_line_order.pk)

    found = sql.members_order(order_id=order.pk, member_id=member.pk)

    assert fields_of(found) == fields_of(order)
    assert sql.members_order(order_id=order.pk, member_id=member.pk + 1000) is None
    assert sql.members_order(order_id=order.pk + 1000, member_id=member.pk) is None
