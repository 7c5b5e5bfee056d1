"""A flash sale raced on PostgreSQL: 100 units, 500 buyers pressing "buy" at once through the API
(32 threads, each a stream of buyers; some members press twice) -> exactly 100 units sold, nobody
beyond the per-member limit, the stock row reserved exactly 100, every other answer a 409.
Run with -s for the figures."""

import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from o2o.access.actors import SYSTEM
from o2o.flashsale.models import FlashSale, FlashSaleBuyer, FlashSaleUnit
from o2o.flashsale.services import create_flash_sale
from o2o.inventory.models import StockLevel
from o2o.inventory.services import receive_stock
from o2o.orders.models import Order, OrderLineDiscount
from o2o.testing.api import as_member
from o2o.testing.factories import MemberFactory, SKUFactory
from o2o.testing.races import requires_postgres, run_together

pytestmark = [pytest.mark.postgres, requires_postgres, pytest.mark.django_db(transaction=True)]

UNITS = 100
BUYERS = 500
TWICE = 50  # members who press twice (two requests racing in different threads)
THREADS = 32


def test_500_buyers_at_once_buy_exactly_the_100_units(store):
    sku = SKUFactory(price=Decimal("4999.00"))
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=1000)
    now = timezone.now()
    sale = create_flash_sale(actor=SYSTEM, sku_id=sku.pk, location_id=store.pk, price=Decimal("1999.00"),
                             quantity=UNITS, per_member_limit=1, starts_at=now - timedelta(seconds=1),
                             ends_at=now + timedelta(hours=1))  # fmt: skip
    members = [MemberFactory() for _ in range(BUYERS - TWICE)]
    clients = [as_member(m) for m in members] + [as_member(m) for m in members[:TWICE]]
    path = f"flash-sales/{sale.pk}/orders"
    answers: list[tuple[int, str, float]] = []

    def stream(mine):
        def run():
            for client in mine:
                started = time.perf_counter()
                response = client.post(path, {})
                code = response.json().get("code", "") if response.status_code != 201 else "sold"
                answers.append((response.status_code, code, time.perf_counter() - started))

        return run

    started = time.perf_counter()
    outcomes = run_together([stream(clients[i::THREADS]) for i in range(THREADS)], timeout=120)
    wall = time.perf_counter() - started

    assert [o.error for o in outcomes if o.error is not None] == []
    tally = Counter((status, code) for status, code, _ in answers)
    print(f"\n{BUYERS} buyers, {THREADS} threads, {wall:.1f}s: {dict(tally)}")
    assert len(answers) == BUYERS
    assert tally[(201, "sold")] == UNITS
    assert set(tally) <= {(201, "sold"), (409, "flash_sale_sold_out"), (409, "flash_sale_limit_reached")}
    orders = Order.objects.filter(lines__discounts__rule_ref=f"flash:{sale.pk}")
    assert orders.count() == UNITS and Order.objects.count() == UNITS
    assert OrderLineDiscount.objects.filter(rule_ref=f"flash:{sale.pk}", amount=Decimal("3000.00")).count() == UNITS
    per_member = Counter(orders.values_list("member_id", flat=True))
    assert max(per_member.values()) == 1
    taken = FlashSaleUnit.objects.filter(sale=sale, order_id__isnull=False)
    assert taken.count() == UNITS and set(taken.values_list("order_id", flat=True)) == set(
        orders.values_list("pk", flat=True)
    )
    assert FlashSaleBuyer.objects.filter(sale=sale, bought__gt=0).count() == UNITS
    assert StockLevel.objects.get(location=store, sku=sku).reserved == UNITS
    assert FlashSale.objects.get(pk=sale.pk).sold_out_at is not None
