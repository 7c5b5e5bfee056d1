"""HQ's shrinkage across stores: counts approved, their variance in units and at the counter
price, and the ledger's corrections by reason, per store and in total, in a fixed number of queries."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from o2o.access.actors import SYSTEM, actor_for_user
from o2o.core.errors import DomainError
from o2o.inventory.models import AdjustmentReason
from o2o.inventory.services import adjust_stock, receive_stock
from o2o.staff.models import Role
from o2o.stocktakes import services
from o2o.stocktakes.models import StockCount
from o2o.stocktakes.selectors import shrinkage
from o2o.testing.api import as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, LocationFactory, RegionFactory, SKUFactory

pytestmark = pytest.mark.django_db


def _stocked(location, quantity: int, price: str):
    sku = SKUFactory(price=Decimal(price))
    receive_stock(actor=SYSTEM, location_id=location.pk, sku_id=sku.pk, quantity=quantity)
    return sku


def _approved_count(location, counted: dict) -> int:
    """A full count of the location with `counted` {sku: units}, approved by its manager."""
    manager = actor_for_user(EmployeeFactory(role=Role.STORE_MANAGER, home_location=location).user)
    count_id = services.start_count(actor=manager, location_id=location.pk)["id"]
    for sku, units in counted.items():
        services.record_scan(actor=manager, count_id=count_id, code=sku.code, quantity=units, replace=True)
    services.submit_count(actor=manager, count_id=count_id)
    services.approve_count(actor=manager, count_id=count_id)
    return count_id


def _adjust(location, sku, delta, reason):
    adjust_stock(actor=SYSTEM, location_id=location.pk, sku_id=sku.pk, delta=delta, reason_code=reason)


@pytest.fixture
def hq():
    return actor_for_user(EmployeeFactory(role=Role.HQ, home_location=None).user)


@pytest.fixture
def two_stores(store, other_store):
    # store: A ¥10 (book 10, counted 7: -3, ¥-30), B ¥2.50 (book 4, counted 6: +2, ¥+5)
    a, b = _stocked(store, 10, "10.00"), _stocked(store, 4, "2.50")
    _approved_count(store, {a: 7, b: 6})
    # then 1 A damaged, 2 B expired, 1 A stolen
    _adjust(store, a, -1, AdjustmentReason.DAMAGED)
    _adjust(store, b, -2, AdjustmentReason.EXPIRED)
    _adjust(store, a, -1, AdjustmentReason.THEFT)
    # other store: C ¥4 (book 5, counted 4: -1, ¥-4), two counts; 3 C given as samples
    c = _stocked(other_store, 9, "4.00")
    _approved_count(other_store, {c: 8})
    _approved_count(other_store, {c: 7})
    _adjust(other_store, c, -3, AdjustmentReason.SAMPLE)
    return store, other_store


def test_each_store_shows_its_counts_variance_and_corrections_by_reason(hq, two_stores):
    store, other_store = two_stores

    report = shrinkage(actor=hq)

    rows = {row.location_id: row for row in report.stores}
    own, other = rows[store.pk], rows[other_store.pk]
    assert (own.counts_approved, own.variance_units, own.variance_value) == (1, -1, Decimal("-25.00"))
    assert own.by_reason["count"] == (-1, Decimal("-25.00"))
    assert own.by_reason["damaged"] == (-1, Decimal("-10.00"))
    assert own.by_reason["expired"] == (-2, Decimal("-5.00"))
    assert own.by_reason["theft"] == (-1, Decimal("-10.00"))
    assert own.by_reason["sample"] == (0, Decimal("0.00"))
    assert (other.counts_approved, other.variance_units, other.variance_value) == (2, -2, Decimal("-8.00"))
    assert other.by_reason["sample"] == (-3, Decimal("-12.00"))
    assert other.by_reason["count"] == (-2, Decimal("-8.00"))
    totals = report.totals
    assert (totals.counts_approved, totals.variance_units, totals.variance_value) == (3, -3, Decimal("-33.00"))
    assert totals.by_reason["count"] == (-3, Decimal("-33.00"))
    assert totals.by_reason["damaged"] == (-1, Decimal("-10.00"))
    assert [c.location_id for c in report.recent] == [other_store.pk, other_store.pk, store.pk]


def test_a_period_before_the_counts_shows_nothing(hq, two_stores):
    old = timezone.localdate() - timedelta(days=60)

    report = shrinkage(actor=hq, first=old - timedelta(days=10), last=old)

    assert report.totals.counts_approved == 0
    assert report.totals.by_reason["count"] == (0, Decimal("0.00"))
    assert report.recent == []


@pytest.mark.parametrize("first_back, last_back", [(0, 1), (400, 0)])
def test_a_period_that_ends_before_it_starts_or_is_too_long_is_refused(hq, first_back, last_back):
    today = timezone.localdate()

    with pytest.raises(DomainError) as refused:
        shrinkage(actor=hq, first=today - timedelta(days=first_back), last=today - timedelta(days=last_back))

    assert refused.value.extra["field"] == "since"


def test_a_regional_supervisor_sees_only_the_stores_of_the_region(hq, two_stores):
    far = LocationFactory(region=RegionFactory(code="BJ-DC", name="东城区"))
    _approved_count(far, {_stocked(far, 3, "1.00"): 1})
    supervisor = EmployeeFactory(role=Role.REGIONAL_SUPERVISOR, home_location=None, region=far.region)

    report = shrinkage(actor=actor_for_user(supervisor.user))

    assert [row.location_id for row in report.stores] == [far.pk]
    assert (report.totals.counts_approved, report.totals.variance_value) == (1, Decimal("-2.00"))


def test_the_queries_do_not_grow_with_the_stores(hq, two_stores, django_assert_num_queries):
    with django_assert_num_queries(5):
        shrinkage(actor=hq)
    for _ in range(3):
        location = LocationFactory()
        _approved_count(location, {_stocked(location, 3, "1.00"): 1})

    with django_assert_num_queries(5):
        report = shrinkage(actor=hq)

    assert len(report.stores) == 5
    assert StockCount.objects.count() == 6


def test_the_api_answers_the_same_figures_and_refuses_a_bad_period(two_stores):
    store, _ = two_stores
    client = as_staff(EmployeeFactory(role=Role.HQ, home_location=None))

    response = client.get("stock-counts/shrinkage")
    reversed_period = client.get("stock-counts/shrinkage", since="2030-02-01", until="2030-01-01")

    assert response.status_code == 200
    rows = {row["location_id"]: row for row in response.json()["stores"]}
    assert rows[store.pk]["variance_value"] == "-25.00"
    assert {r["reason"]: r["units"] for r in rows[store.pk]["by_reason"]}["theft"] == -1
    assert response.json()["totals"]["counts_approved"] == 3
    assert reversed_period.status_code == 422 and problem_code(reversed_period) == "invalid"
