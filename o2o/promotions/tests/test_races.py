"""On PostgreSQL, with real commits: two racing orders of one member beyond a timed price's limit
-> one placed, one refused (409) with nothing of it written; and the promotions cache: pricing
costs no query while nothing changed, and a committed change is seen at once."""

from decimal import Decimal
from functools import partial

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from o2o.access.actors import SYSTEM, actor_for_member
from o2o.inventory.services import receive_stock
from o2o.orders.models import Order
from o2o.orders.services import LineRequest, OrderRequest, place_order
from o2o.pricing.cart import CartLine, price_cart
from o2o.promotions import cache
from o2o.promotions.models import MemberUsage, UsageClaim
from o2o.promotions.services import set_active
from o2o.promotions.tests.given import promotion
from o2o.testing.factories import MemberFactory, SKUFactory
from o2o.testing.races import domain_errors, requires_postgres, run_together, values

pytestmark = [pytest.mark.postgres, requires_postgres, pytest.mark.django_db(transaction=True)]

RUNS = 8
D = Decimal


@pytest.fixture(autouse=True)
def _fresh_cache():
    yield
    cache.refresh()  # the flushed database: no promotions left for the next test to see


def _buy(member, store, sku, quantity):
    request = OrderRequest(channel="app", fulfilment="pickup", fulfilment_location_id=store.pk,
                           lines=[LineRequest(sku.pk, quantity)])  # fmt: skip
    return place_order(actor=actor_for_member(member), member=member, request=request)


def test_two_racing_orders_of_one_member_beyond_the_limit_one_is_refused(store):
    tea = SKUFactory(price=D("50.00"))
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=tea.pk, quantity=RUNS * 4)
    promo = promotion("timed_price", price=D("39.90"), sku_ids=[tea.pk], per_member_limit=2)
    refusals = 0
    for _ in range(RUNS):
        member = MemberFactory()
        outcomes = run_together([partial(_buy, member, store, tea, 2), partial(_buy, member, store, tea, 2)])
        refused = domain_errors(outcomes)
        placed = values(outcomes)
        assert len(placed) == 1 and [str(e.code) for e in refused] == ["promotion_limit_reached"]
        assert MemberUsage.objects.get(promotion=promo, member=member).units == 2
        assert Order.objects.filter(member=member).count() == 1
        assert list(UsageClaim.objects.filter(usage__member=member).values_list("order_id", "units")) == [
            (placed[0].pk, 2)
        ]
        refusals += len(refused)
    print(f"\n{RUNS} races of two orders of 2 units against a limit of 2: {refusals} refused, {RUNS} placed")


def test_pricing_costs_no_query_while_nothing_changed_and_sees_a_change_at_once():
    skus = [SKUFactory(price=D("10.00")) for _ in range(3)]
    promo = promotion("category_percent", percent=D(10), sku_ids=[skus[0].pk])
    lines = [CartLine(s.pk, 1) for s in skus]
    prices = {s.pk: D("10.00") for s in skus}

    def priced():
        return price_cart(lines=lines, channel="app", location_id=None, member=None, fulfilment="pickup",
                          prices=prices)  # fmt: skip

    assert priced().discount_total == D("1.00")  # the first price after the change reads them
    with CaptureQueriesContext(connection) as captured:
        assert priced().discount_total == D("1.00")
    assert len(captured) == 0

    set_active(actor=SYSTEM, promotion_id=promo.pk, active=False)  # committed: published at once

    assert priced().discount_total == D("0.00")
    with CaptureQueriesContext(connection) as captured:
        assert priced().discount_total == D("0.00")
    assert len(captured) == 0
