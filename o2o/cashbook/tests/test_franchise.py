"""A franchise store's share of the online orders it fulfils, per business day, to the fen."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from o2o.access.actors import actor_for_user
from o2o.cashbook.days import today
from o2o.cashbook.tests.conftest import counter_sale
from o2o.payments.services import cancel_order, refund_order
from o2o.pickup.models import PickupVoucher
from o2o.pickup.services import redeem_pickup_voucher
from o2o.stores.models import Location
from o2o.testing.api import as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, MemberFactory
from o2o.testing.journeys import paid_pickup_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def franchise(store):
    Location.objects.filter(pk=store.pk).update(
        ownership=Location.Ownership.FRANCHISE, franchise_share_percent=Decimal("7.33")
    )
    store.refresh_from_db()
    return store


def _hand_over_and_return_one(order, franchise):
    clerk = actor_for_user(EmployeeFactory(home_location=franchise).user)
    redeem_pickup_voucher(actor=clerk, presented=PickupVoucher.objects.get(order=order).code)
    manager = EmployeeFactory(role="store_manager", home_location=franchise)
    refund_order(actor=actor_for_user(manager.user), order=order, returned={order.lines.get().pk: 1}, reason="broken")


def test_the_share_of_the_days_online_orders_net_of_refunds(franchise, other_store, clerk, tea, hq):
    # given: two online orders fulfilled by the franchise store (25.00 and 37.50, one unit of the
    # second returned: 12.50), an online order of a direct store and a sale at the franchise's counter
    member = MemberFactory()
    paid_pickup_order(member=member, store=franchise, sku=tea, quantity=2)
    _hand_over_and_return_one(paid_pickup_order(member=member, store=franchise, sku=tea, quantity=3), franchise)
    paid_pickup_order(member=member, store=other_store, sku=tea, quantity=5)
    counter_sale(clerk, tea, method="cash", quantity=4)

    # when
    response = as_staff(hq).get("cashbook/franchise", date_from=today().isoformat(), date_to=today().isoformat())

    # then: net 50.00, 7.33 % of it is 3.665 -> 3.67 (half up, to the fen)
    assert response.status_code == 200, response.content
    assert response.json() == [
        {
            "location_id": franchise.pk,
            "location_code": franchise.code,
            "business_date": today().isoformat(),
            "orders": 2,
            "gross": "62.50",
            "refunded": "12.50",
            "net": "50.00",
            "percent": "7.33",
            "share": "3.67",
            "final": False,
        }
    ]


def test_a_day_whose_orders_can_no_longer_change_is_final(franchise, tea, hq):
    # given: the only order of the day was cancelled after payment (refunded in full)
    member = MemberFactory()
    order = paid_pickup_order(member=member, store=franchise, sku=tea)
    cancel_order(actor=actor_for_user(hq.user), order=order)

    # when
    [day] = as_staff(hq).get("cashbook/franchise").json()

    # then
    assert (day["orders"], day["net"], day["share"], day["final"]) == (1, "0.00", "0.00", True)


def test_days_are_local_business_days(franchise, tea, hq):
    # given: an order paid yesterday (local date) and one today
    member = MemberFactory()
    yesterdays = paid_pickup_order(member=member, store=franchise, sku=tea)
    type(yesterdays).objects.filter(pk=yesterdays.pk).update(paid_at=yesterdays.paid_at - timedelta(days=1))
    paid_pickup_order(member=member, store=franchise, sku=tea, quantity=2)

    # when
    rows = (
        as_staff(hq)
        .get("cashbook/franchise", date_from=(today() - timedelta(days=1)).isoformat(), date_to=today().isoformat())
        .json()
    )

    # then
    assert [(row["business_date"], row["net"], row["share"]) for row in rows] == [
        ((today() - timedelta(days=1)).isoformat(), "12.50", "0.92"),
        (today().isoformat(), "25.00", "1.83"),
    ]


def test_a_franchise_manager_sees_their_own_share_only(franchise, other_store, tea):
    Location.objects.filter(pk=other_store.pk).update(ownership=Location.Ownership.FRANCHISE)
    member = MemberFactory()
    paid_pickup_order(member=member, store=franchise, sku=tea)
    paid_pickup_order(member=member, store=other_store, sku=tea)
    manager = EmployeeFactory(role="store_manager", home_location=franchise)

    rows = as_staff(manager).get("cashbook/franchise").json()

    assert [row["location_id"] for row in rows] == [franchise.pk]


def test_more_than_92_days_is_a_422(hq):
    response = as_staff(hq).get(
        "cashbook/franchise", date_from=(today() - timedelta(days=92)).isoformat(), date_to=today().isoformat()
    )

    assert (response.status_code, problem_code(response)) == (422, "invalid")


def test_a_clerk_sees_no_franchise_share(clerk):
    response = as_staff(clerk).get("cashbook/franchise")

    assert (response.status_code, problem_code(response)) == (403, "forbidden")


@pytest.mark.parametrize("percent", [Decimal("-0.01"), Decimal("100.01")])
def test_a_share_outside_0_to_100_is_refused_by_the_form_and_the_database(store, percent):
    store.franchise_share_percent = percent
    with pytest.raises(ValidationError):
        store.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        Location.objects.filter(pk=store.pk).update(franchise_share_percent=percent)
