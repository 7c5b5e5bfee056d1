"""On PostgreSQL, placing an order still to be paid commits without waiting for the disk (the hot
stock row is released sooner); everything that touches money waits for it (docs/operations.md)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from o2o.access.actors import SYSTEM, actor_for_member
from o2o.inventory.services import receive_stock
from o2o.members.models import Member
from o2o.orders.models import Order, OrderState
from o2o.orders.services import LineRequest, OrderRequest, place_order
from o2o.payments.gateways import SimulatedGateway
from o2o.payments.services import handle_gateway_callback, start_online_payment
from o2o.payments.simulator import signed_callback
from o2o.testing.factories import MemberFactory, SKUFactory

pytestmark = pytest.mark.django_db

RELAX = "SET LOCAL synchronous_commit TO OFF"
ON_POSTGRESQL = connection.vendor == "postgresql"


@pytest.fixture
def tea(store):
    sku = SKUFactory(price=Decimal("12.50"))
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=10, actor=SYSTEM)
    return sku


def _place(store, sku) -> tuple[Order, list[str]]:
    member = Member.objects.get(pk=MemberFactory().pk)
    request = OrderRequest(channel="app", fulfilment="pickup", fulfilment_location_id=store.pk,
                           lines=[LineRequest(sku.pk, 1)])  # fmt: skip
    with CaptureQueriesContext(connection) as captured:
        order = place_order(actor=actor_for_member(member), member=member, request=request)
    return order, [q["sql"] for q in captured]


def _synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.mark.skipif(not ON_POSTGRESQL, reason="synchronous_commit is PostgreSQL's")
def test_an_unpaid_order_commits_without_waiting_for_the_disk_and_only_its_own_transaction(store, tea):
    order, statements = _place(store, tea)

    assert order.state == OrderState.PENDING_PAYMENT
    # set before the stock row is locked, so no statement is added while it is held
    stock_update = next(
        i for i, sql in enumerate(statements) if sql.lstrip().startswith("UPDATE") and "inventory_stocklevel" in sql
    )
    assert statements.index(RELAX) < stock_update
    # SET LOCAL ends with the placing transaction (the test's own transaction is still open here:
    # the order's transaction is a savepoint in it, so the setting is still in force; a real
    # request's is a transaction of its own)
    assert _synchronous_commit() == "off"


@pytest.mark.skipif(not ON_POSTGRESQL, reason="synchronous_commit is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_the_setting_ends_with_the_order_and_the_payment_waits_for_the_disk(store, tea):
    order, statements = _place(store, tea)
    assert RELAX in statements
    assert _synchronous_commit() == "on"  # the order's transaction committed: back to the server's setting

    payment, _url = start_online_payment(actor=SYSTEM, order=order)
    body, signature = signed_callback(payment)
    with CaptureQueriesContext(connection) as paid:
        outcome = handle_gateway_callback(gateway_name=SimulatedGateway.name, body=body, signature=signature)

    assert outcome == "paid"
    assert not any("synchronous_commit" in q["sql"] for q in paid)
    order.refresh_from_db()
    assert order.state == OrderState.PAID


def test_an_order_paid_at_once_waits_for_the_disk(store):
    free = SKUFactory(price=Decimal("0.00"))
    receive_stock(location_id=store.pk, sku_id=free.pk, quantity=5, actor=SYSTEM)

    order, statements = _place(store, free)

    assert order.state == OrderState.PAID
    assert not any("synchronous_commit" in sql for sql in statements)


@pytest.mark.parametrize("turned_off", [True, False])
def test_with_the_setting_off_or_on_sqlite_an_unpaid_order_waits_for_the_disk(store, settings, tea, turned_off):
    if not turned_off and ON_POSTGRESQL:
        pytest.skip("on PostgreSQL with the setting on, the placing transaction sets it (tests above)")
    settings.O2O_ASYNC_COMMIT_UNPAID_ORDERS = not turned_off

    order, statements = _place(store, tea)

    assert order.state == OrderState.PENDING_PAYMENT
    assert not any("synchronous_commit" in sql for sql in statements)
