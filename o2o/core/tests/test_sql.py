"""Named SQL reads rows exactly as the ORM does, on SQLite and PostgreSQL alike."""

from decimal import Decimal

import pytest

from o2o.catalog.models import SKU, Channel, Price, Product
from o2o.core.sql import columns_of, fetch_joined, fetch_models
from o2o.orders.models import Order
from o2o.payments.models import GatewayCallback, Payment
from o2o.stores.sql import active_location
from o2o.testing.journeys import paid_pickup_order, stocked_sku

pytestmark = pytest.mark.django_db


@pytest.fixture
def tea(store):
    return stocked_sku(store)


@pytest.mark.parametrize("model", [Order, Payment, GatewayCallback])  # money, times, JSON, nulls
def test_fetched_rows_equal_the_orms_field_by_field(model, member, store, tea):
    paid_pickup_order(member=member, store=store, sku=tea, quantity=2)
    sql = f"SELECT {columns_of(model)} FROM {model._meta.db_table} ORDER BY id"

    fetched = fetch_models(model, sql, [])
    read = list(model.objects.order_by("pk"))

    fields = [f.attname for f in model._meta.concrete_fields]
    assert fetched and [[getattr(o, f) for f in fields] for o in fetched] == [
        [getattr(o, f) for f in fields] for o in read
    ]
    assert all(not o._state.adding for o in fetched)  # saved rows: a save() updates, never inserts


def test_fetched_values_have_the_fields_python_types(member, store, tea):
    order = paid_pickup_order(member=member, store=store, sku=tea, quantity=2)
    sql = f"SELECT {columns_of(Payment)} FROM payments_payment WHERE order_id = %s"

    [payment] = fetch_models(Payment, sql, [order.pk])

    assert payment.amount == Decimal("25.00") and isinstance(payment.amount, Decimal)
    assert payment.succeeded_at.tzinfo is not None
    assert payment.order_id == order.pk


def test_joined_rows_equal_what_select_related_reads(store, tea):
    Price.objects.create(sku=tea, channel=Channel.H5, location=store, amount=Decimal("11.50"))  # the store's own
    sql = (
        f"SELECT {columns_of(Price, 'p')}, {columns_of(SKU, 's')}, {columns_of(Product, 'g')} FROM catalog_price p "
        "JOIN catalog_sku s ON s.id = p.sku_id JOIN catalog_product g ON g.id = s.product_id ORDER BY p.id"
    )

    fetched = fetch_joined([Price, SKU, Product], sql, [])
    read = list(Price.objects.select_related("sku__product").order_by("pk"))

    def values(instance):
        return [getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields]

    assert len(fetched) == len(read) >= 2
    assert [[values(p), values(s), values(g)] for p, s, g in fetched] == [
        [values(p), values(p.sku), values(p.sku.product)] for p in read
    ]


def test_an_outer_join_that_found_no_row_reads_as_none(store, tea):
    sql = (
        f"SELECT {columns_of(SKU, 's')}, {columns_of(Price, 'p')} FROM catalog_sku s LEFT JOIN catalog_price p ON 1 = 0"
    )

    [(sku, price)] = fetch_joined([SKU, Price], sql, [])

    assert sku == tea and sku.attributes == tea.attributes and price is None


def test_an_active_locations_row_comes_with_its_region_and_a_closed_one_not_at_all(store):
    location = active_location(store.pk)

    assert location == store and location.region == store.region and location.region.name == store.region.name
    assert location.opens_at == store.opens_at and location.latitude == store.latitude
    store.is_active = False
    store.save(update_fields=["is_active"])
    assert active_location(store.pk) is None
