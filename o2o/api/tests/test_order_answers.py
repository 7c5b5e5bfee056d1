"""An answer about an order says what the full read of the order says: placing it answers with what
it wrote, without reading it back; reading it reads the order and its lines in two statements."""

import json
from datetime import datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from ninja.responses import NinjaJSONEncoder

from o2o.access.actors import SYSTEM, actor_for_member
from o2o.api.orders import OrderOut
from o2o.inventory.services import receive_stock
from o2o.members.models import MemberLevel
from o2o.orders.selectors import get_order_for
from o2o.testing.api import as_member, problem_code
from o2o.testing.factories import LocationFactory, MemberFactory, SKUFactory
from o2o.testing.statements import tables_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def gold_member():
    level = MemberLevel.objects.create(code="gold", name="Gold", rank=2, min_growth=1000, discount_percent=5)
    return MemberFactory(level=level)


@pytest.fixture
def skus(store):
    found = [SKUFactory(name="乌龙茶 500ml", price=Decimal("6.50")), SKUFactory(name="绿茶", price=Decimal("3.99"))]
    for sku in found:
        receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=10, actor=SYSTEM)
    return found


def order_body(store, skus) -> dict:
    lines = [{"sku_id": skus[0].pk, "quantity": 2}, {"sku_id": skus[1].pk, "quantity": 1}]
    return {"channel": "app", "fulfilment": "pickup", "location_id": store.pk, "lines": lines}


def full_read_as_json(member, order_id: int) -> dict:
    """The order as `get_order_for` reads it (member, locations, lines, SKUs, discounts), rendered
    as the API renders an answer."""
    order = get_order_for(actor=actor_for_member(member), order_id=order_id)
    return json.loads(json.dumps(OrderOut.from_orm(order).model_dump(), cls=NinjaJSONEncoder))


@pytest.mark.parametrize("who", ["plain", "gold"])
def test_placing_and_reading_answer_what_the_full_read_says(who, store, skus, member, gold_member):
    buyer = gold_member if who == "gold" else member
    customer = as_member(buyer)

    placed = customer.post("orders", order_body(store, skus))
    read = customer.get(f"orders/{placed.json()['id']}")

    assert placed.status_code == 201, placed.content
    answer = placed.json()
    assert answer == read.json() == full_read_as_json(buyer, answer["id"])
    assert [line["sku_name"] for line in answer["lines"]] == ["乌龙茶 500ml", "绿茶"]
    discounted = [line for line in answer["lines"] if line["discounts"]]
    assert len(discounted) == (2 if who == "gold" else 0)
    assert answer["refunded_total"] == "0.00"


def test_reading_an_order_takes_its_token_owner_the_order_and_its_lines(store, skus, member, gold_member):
    plain = as_member(member)
    gold = as_member(gold_member)
    plain_id = plain.post("orders", order_body(store, skus)).json()["id"]
    gold_id = gold.post("orders", order_body(store, skus)).json()["id"]

    with CaptureQueriesContext(connection) as plain_read:
        assert plain.get(f"orders/{plain_id}").status_code == 200
    with CaptureQueriesContext(connection) as gold_read:
        assert gold.get(f"orders/{gold_id}").status_code == 200

    assert tables_of(plain_read) == ["SELECT auth_user", "SELECT orders_order", "SELECT orders_orderline"]
    assert tables_of(gold_read) == [*tables_of(plain_read), "SELECT orders_orderlinediscount"]


def test_another_member_neither_reads_nor_starts_paying_the_order(store, skus, member):
    order_id = as_member(member).post("orders", order_body(store, skus)).json()["id"]
    intruder = as_member(MemberFactory())

    read = intruder.get(f"orders/{order_id}")
    pay = intruder.post(f"payments/orders/{order_id}/online")

    assert (read.status_code, problem_code(read)) == (404, "not_found")
    assert (pay.status_code, problem_code(pay)) == (404, "not_found")
    assert as_member(member).post(f"payments/orders/{order_id}/online").status_code == 201


def test_placing_answers_with_what_it_wrote_without_reading_it_back(store, skus, gold_member):
    customer = as_member(gold_member)

    with CaptureQueriesContext(connection) as placing:
        placed = customer.post("orders", order_body(store, skus))

    assert placed.status_code == 201, placed.content
    assert placed.json() == full_read_as_json(gold_member, placed.json()["id"])
    writes = tables_of(placing)[tables_of(placing).index("INSERT orders_order") :]
    # the stock row's UPDATE is the last statement: nothing is read after the order's COMMIT
    assert writes == [
        "INSERT orders_order",
        "INSERT orders_orderline",
        "INSERT orders_orderlinediscount",
        "INSERT inventory_reservation",
        "UPDATE inventory_stocklevel",
        "UPDATE inventory_stocklevel",
    ]


@pytest.mark.parametrize("written", ["2026-12-01T18:30:00+08:00", "2026-12-01T10:30:00Z", "2026-12-01T18:30:00"])
def test_a_chosen_pickup_time_is_answered_as_a_read_gives_it(written):
    """With or without its zone (without: the stores' local time), as the database keeps it."""
    shanghai = ZoneInfo("Asia/Shanghai")
    shop = LocationFactory(opens_at=time(9), closes_at=time(21), preparation_minutes=15)
    sku = SKUFactory(price=Decimal("8.00"))
    receive_stock(location_id=shop.pk, sku_id=sku.pk, quantity=5, actor=SYSTEM)
    buyer = MemberFactory()
    body = order_body(shop, [sku, sku])
    body["lines"] = body["lines"][:1]
    body["pickup_at"] = written

    with time_machine.travel(datetime(2026, 12, 1, 17, 50, tzinfo=shanghai), tick=False):
        placed = as_member(buyer).post("orders", body)
        read = as_member(buyer).get(f"orders/{placed.json()['id']}")

    assert placed.status_code == 201, placed.content
    assert placed.json() == read.json() == full_read_as_json(buyer, placed.json()["id"])
    assert datetime.fromisoformat(placed.json()["pickup_at"]) == datetime(2026, 12, 1, 18, 30, tzinfo=shanghai)


def test_an_order_paid_at_once_and_a_retry_answer_as_a_read_gives_them(store, member):
    free = SKUFactory(name="试饮", price=Decimal("0.00"))
    receive_stock(location_id=store.pk, sku_id=free.pk, quantity=5, actor=SYSTEM)
    customer = as_member(member)
    body = {"channel": "app", "fulfilment": "pickup", "location_id": store.pk,
            "lines": [{"sku_id": free.pk, "quantity": 1}]}  # fmt: skip

    first = customer.post("orders", body, headers={"Idempotency-Key": "free-1"})
    again = customer.post("orders", body, headers={"Idempotency-Key": "free-1"})

    assert first.status_code == again.status_code == 201, first.content
    assert first.json()["state"] == "paid"
    assert first.json() == again.json() == full_read_as_json(member, first.json()["id"])
