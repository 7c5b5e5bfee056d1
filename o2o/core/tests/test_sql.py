"""Named SQL reads and inserts rows exactly as the ORM does, on SQLite and PostgreSQL alike."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction

from o2o.catalog.models import SKU, Channel, Price, Product
from o2o.core.models import OutboxMessage, ReferenceVersion
from o2o.core.sql import (
    columns_of,
    fetch_joined,
    fetch_models,
    insert_model_where,
    insert_models,
    insert_models_unless_conflicting,
)
from o2o.inventory.models import Reservation
from o2o.orders.models import Order, OrderLine, OrderState, OrderTransition
from o2o.payments.models import GatewayCallback, Payment
from o2o.preparation.models import Preparation, PreparationPick
from o2o.stores.sql import active_location
from o2o.testing.journeys import paid_pickup_order, place_pickup_order, stocked_sku
from o2o.testing.rows import fields_of

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

    assert len(fetched) == len(read) >= 2
    assert [[fields_of(p), fields_of(s), fields_of(g)] for p, s, g in fetched] == [
        [fields_of(p), fields_of(p.sku), fields_of(p.sku.product)] for p in read
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


# --- insert_models writes what the ORM writes ---

NOW = datetime(2026, 11, 30, 12, 34, 56, 789012, tzinfo=UTC)


def _order(c, n):
    return Order(
        number=f"T{n}", member=c["member"], channel="app", fulfilment="pickup", selling_location=c["store"],
        fulfilment_location=c["store"], delivery_address="人民路 1 号", subtotal=Decimal("25.00"),
        discount_total=Decimal("0.50"), total=Decimal("24.50"), payment_deadline=NOW + timedelta(minutes=15),
        idempotency_key=None, request_fingerprint="f" * 64,
    )  # fmt: skip


def _line(c, n):
    return OrderLine(
        order=c["orders"][n], sku=c["sku"], quantity=3, unit_price=Decimal("12.50"), line_total=Decimal("37.50"),
        discount_total=Decimal("1.25"), net_amount=Decimal("36.25"),
    )  # fmt: skip


def _transition(c, n):
    return OrderTransition(order=c["orders"][0], from_state="placed", to_state="paid", note="备注")


def _reservation(c, n):
    return Reservation(order_line=c["lines"][n], location=c["store"], sku=c["sku"], quantity=2, expires_at=None)


def _payment(c, n):
    return Payment(order=c["orders"][0], method="online_qr", state="failed", amount=Decimal("9.99"),
                   gateway="fake", gateway_ref=f"ref-{n}", installment_periods=None)  # fmt: skip


def _callback(c, n):
    payload = {"amount": "25.00", "名": "茶", "nested": {"list": [1, 2.5, None, True, "x"]}}
    return GatewayCallback(gateway="fake", event_id=f"ev-{n}", payload=payload, outcome="paid")


def _message(c, n):  # next_attempt_at has a database default, so it is read back
    return OutboxMessage(channel="sms", recipient="+8613800000000", body="取货码 {secret}", secret="1234",
                         next_attempt_at=NOW - timedelta(seconds=1))  # fmt: skip


def _pick(c, n):  # auto_now
    return PreparationPick(preparation=c["preparation"], line=c["lines"][n], sku=c["sku"], ordered=3)


# each: the instance to build (twice: 0 for the ORM, 1 for insert_models), the columns that differ
TWINS = [
    (_order, {"id", "number"}),
    (_line, {"id", "order_id"}),
    (_transition, {"id"}),
    (_reservation, {"id", "order_line_id"}),
    (_payment, {"id", "gateway_ref"}),
    (_callback, {"id", "event_id"}),
    (_message, {"id"}),
    (_pick, {"id", "line_id"}),
]


@pytest.fixture
def context(member, store, tea):
    paid = paid_pickup_order(member=member, store=store, sku=tea, quantity=2)
    orders = [place_pickup_order(member=member, store=store, sku=stocked_sku(store)) for _ in range(2)]
    lines = [order.lines.get() for order in orders]
    return {"member": member, "store": store, "sku": tea, "orders": orders, "lines": lines,
            "preparation": Preparation.objects.get(order=paid)}  # fmt: skip


def _stored(model, pk):
    """The row as the database holds it (no conversion), by column."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns_of(model)} FROM {model._meta.db_table} WHERE id = %s", [pk])
        row = cursor.fetchone()
    return dict(zip([f.column for f in model._meta.concrete_fields], row, strict=True))


@pytest.mark.parametrize(("build", "differing"), TWINS, ids=[build.__name__ for build, _ in TWINS])
def test_inserted_rows_equal_the_orms_field_by_field(build, differing, context):
    with time_machine.travel(NOW, tick=False):
        by_orm = type(build(context, 0))._base_manager.bulk_create([build(context, 0)])[0]
        [inserted] = insert_models([build(context, 1)])

    _assert_twins(by_orm, inserted, differing)


@pytest.mark.parametrize(("build", "differing"), TWINS, ids=[build.__name__ for build, _ in TWINS])
def test_a_row_inserted_where_its_condition_holds_equals_the_orms(build, differing, context):
    with time_machine.travel(NOW, tick=False):
        by_orm = type(build(context, 0))._base_manager.bulk_create([build(context, 0)])[0]
        inserted = build(context, 1)
        assert insert_model_where(inserted, "1 = %s", [1]) is True

    _assert_twins(by_orm, inserted, differing)


def _assert_twins(by_orm, inserted, differing) -> None:
    model = type(inserted)
    stored_by_orm, stored = _stored(model, by_orm.pk), _stored(model, inserted.pk)
    assert {k: v for k, v in stored.items() if k not in differing} == {
        k: v for k, v in stored_by_orm.items() if k not in differing
    }
    read_by_orm, read = model.objects.get(pk=by_orm.pk), model.objects.get(pk=inserted.pk)
    for f in model._meta.concrete_fields:
        if f.column not in differing:
            assert getattr(read, f.attname) == getattr(read_by_orm, f.attname), f.name
            assert getattr(inserted, f.attname) == getattr(read, f.attname), f.name  # as it went in
    assert inserted.pk != by_orm.pk and not inserted._state.adding and inserted._state.db == "default"


def test_auto_now_add_times_and_defaults_are_set_on_the_instances(context):
    with time_machine.travel(NOW, tick=False):
        order, other = insert_models([_order(context, 0), _order(context, 1)])

    assert order.created_at == other.created_at == NOW and order.pk + 1 == other.pk
    assert Order.objects.get(pk=order.pk).created_at == NOW
    assert order.state == OrderState.PENDING_PAYMENT and order.refunded_total == 0


def test_a_row_count_has_its_statement_and_a_model_its_own(context):
    one = insert_models([_transition(context, 0)])
    three = insert_models([_transition(context, 0) for _ in range(3)])
    [payment] = insert_models([_payment(context, 5)])

    inserted = OrderTransition.objects.filter(pk__in=[t.pk for t in one + three])
    assert [t.order_id for t in inserted] == [context["orders"][0].pk] * 4
    assert Payment.objects.get(pk=payment.pk).gateway_ref == "ref-5"


def test_a_constraint_violation_is_an_integrity_error(context):
    insert_models([_callback(context, 7)])

    with pytest.raises(IntegrityError), transaction.atomic():
        insert_models([_callback(context, 7)])


def test_a_value_left_to_the_database_goes_through_bulk_create(context):
    with time_machine.travel(NOW, tick=False):
        [message] = insert_models([OutboxMessage(channel="sms", recipient="+8613800000000", body="hello")])

    assert message.pk and not message._state.adding
    assert OutboxMessage.objects.get(pk=message.pk).next_attempt_at == message.next_attempt_at is not None


def test_unless_conflicting_says_whether_the_rows_went_in(context):
    first = [_callback(context, 10), _callback(context, 11)]
    again = [_callback(context, 10), _callback(context, 11)]
    partly = [_callback(context, 11), _callback(context, 12)]

    assert insert_models_unless_conflicting(first) is True
    assert insert_models_unless_conflicting(again) is False
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_models_unless_conflicting(partly)

    assert all(c.pk and not c._state.adding for c in first)
    assert all(c.pk is None and c._state.adding for c in again)
    stored = GatewayCallback.objects.filter(event_id__startswith="ev-1").order_by("pk")
    assert [(c.pk, c.event_id, c.payload) for c in stored] == [(c.pk, c.event_id, c.payload) for c in first]


def test_a_row_is_not_inserted_where_its_condition_fails_or_its_key_is_taken(context):
    order = context["orders"][0]
    no_payment_yet = "NOT EXISTS (SELECT 1 FROM payments_payment WHERE order_id = %s)"
    first, second, taken = _payment(context, 20), _payment(context, 21), _callback(context, 22)

    assert insert_model_where(first, no_payment_yet, [order.pk]) is True
    assert insert_model_where(second, no_payment_yet, [order.pk]) is False
    insert_models([_callback(context, 22)])
    assert insert_model_where(taken, "1 = %s", [1]) is False

    assert [p.gateway_ref for p in Payment.objects.filter(order=order)] == ["ref-20"]
    assert first.pk is not None and not first._state.adding
    assert second.pk is None and second._state.adding and taken.pk is None
    assert GatewayCallback.objects.filter(event_id="ev-22").count() == 1


def test_a_row_with_a_value_left_to_the_database_is_inserted_where_its_condition_holds(context):
    def message():
        return OutboxMessage(channel="sms", recipient="+8613800000000", body="hello")

    kept_out, let_in = message(), message()

    assert insert_model_where(kept_out, "1 = %s", [0]) is False
    assert insert_model_where(let_in, "1 = %s", [1]) is True

    assert kept_out.pk is None
    assert list(OutboxMessage.objects.filter(body="hello").values_list("pk", flat=True)) == [let_in.pk]
    assert OutboxMessage.objects.get(pk=let_in.pk).next_attempt_at == let_in.next_attempt_at is not None


def test_rows_with_their_own_keys_and_nothing_left_to_the_database_go_in_and_say_so():
    first = [ReferenceVersion(name="tea-a", version=3), ReferenceVersion(name="tea-b")]

    assert [v.name for v in insert_models(first)] == ["tea-a", "tea-b"]
    assert insert_models_unless_conflicting([ReferenceVersion(name="tea-a", version=9)]) is False
    assert insert_models_unless_conflicting([ReferenceVersion(name="tea-c", version=1)]) is True

    stored = ReferenceVersion.objects.filter(name__startswith="tea-").order_by("name")
    assert [(v.name, v.version) for v in stored] == [("tea-a", 3), ("tea-b", 0), ("tea-c", 1)]
    assert not any(v._state.adding for v in first)
