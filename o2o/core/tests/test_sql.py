"""Named SQL reads rows exactly as the ORM does, on SQLite and PostgreSQL alike."""

from decimal import Decimal

import pytest

from o2o.core.sql import columns_of, fetch_models
from o2o.orders.models import Order
from o2o.payments.models import GatewayCallback, Payment
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
