"""Coupon races on PostgreSQL with real threads: a quota of 100 claimed by 300 members, one member
claiming many times at once, one coupon redeemed by two orders at once. Run with -s for figures.

PostgreSQL here allows 200 connections shared by every test run, so the 300 claims race in waves
of 60 threads; the quota boundary falls inside the second wave (60 racing for the last 40)."""

import time
from decimal import Decimal
from functools import partial

import pytest

from o2o.access.actors import SYSTEM, actor_for_member
from o2o.core.errors import ErrorCode
from o2o.coupons import services
from o2o.coupons.models import Coupon, CouponState, CouponTemplate
from o2o.inventory.services import receive_stock
from o2o.orders.models import Order
from o2o.orders.services import LineRequest, OrderRequest, place_order
from o2o.testing.factories import LocationFactory, MemberFactory, SKUFactory
from o2o.testing.races import domain_errors, requires_postgres, run_together, values

pytestmark = [pytest.mark.postgres, requires_postgres, pytest.mark.django_db(transaction=True)]

WAVE = 60


def _claimable(**fields) -> CouponTemplate:
    return services.create_template(
        actor=SYSTEM, name="race", kind="amount_off", amount=Decimal("5.00"), valid_days=7, claimable=True, **fields
    )


def _claim(member, template_id: int):
    return services.claim_coupon(actor=actor_for_member(member), template_id=template_id)


def test_a_quota_of_100_claimed_by_300_racing_members_issues_exactly_100():
    template = _claimable(quota=100)
    members = MemberFactory.create_batch(300)
    outcomes = []
    started = time.perf_counter()

    for wave in range(0, len(members), WAVE):
        outcomes += run_together([partial(_claim, m, template.pk) for m in members[wave : wave + WAVE]])

    elapsed = time.perf_counter() - started
    refused = domain_errors(outcomes)
    template.refresh_from_db()
    assert len(values(outcomes)) == 100
    assert {e.code for e in refused} == {ErrorCode.COUPON_QUOTA_EXHAUSTED} and len(refused) == 200
    assert (template.issued_count, Coupon.objects.filter(template=template).count()) == (100, 100)
    assert Coupon.objects.filter(template=template).values("member").distinct().count() == 100
    print(f"\n300 claims on a quota of 100 in waves of {WAVE}: 100 issued, 200 refused, {elapsed:.2f}s")


def test_one_member_claiming_20_times_at_once_gets_exactly_the_limit():
    template = _claimable(per_member_limit=2)
    member = MemberFactory()

    outcomes = run_together([partial(_claim, member, template.pk) for _ in range(20)])

    refused = domain_errors(outcomes)
    template.refresh_from_db()
    assert len(values(outcomes)) == 2
    assert {e.code for e in refused} == {ErrorCode.COUPON_LIMIT_REACHED}
    assert (template.issued_count, Coupon.objects.filter(member=member).count()) == (2, 2)


def _order_with(member, store, sku, coupon_id: int) -> Order:
    request = OrderRequest(channel="app", fulfilment="pickup", fulfilment_location_id=store.pk,
                           lines=[LineRequest(sku.pk, 1)], coupon_ids=(coupon_id,))  # fmt: skip
    return place_order(actor=actor_for_member(member), member=member, request=request)


def test_one_coupon_redeemed_by_two_racing_orders_gives_exactly_one_order():
    store, sku, member = LocationFactory(), SKUFactory(price=Decimal("30.00")), MemberFactory()
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=10)
    template = _claimable()
    coupon = services.grant_coupon(template_id=template.pk, member_id=member.pk, source="grant", reference="r")

    outcomes = run_together([partial(_order_with, member, store, sku, coupon.pk) for _ in range(2)])

    [order] = values(outcomes)
    [refused] = domain_errors(outcomes)
    coupon.refresh_from_db()
    assert refused.code == ErrorCode.COUPON_UNAVAILABLE
    assert (coupon.state, coupon.order_id) == (CouponState.USED, order.pk)
    assert list(Order.objects.values_list("pk", "total")) == [(order.pk, Decimal("25.00"))]
