"""HQ's view of every store's daily closes, and the stores that have not closed yet."""

from datetime import timedelta
from decimal import Decimal

import pytest

from o2o.access.actors import actor_for_user
from o2o.cashbook.days import today
from o2o.cashbook.models import DailyClose
from o2o.cashbook.services import close_business_day
from o2o.staff.models import Role
from o2o.stores.models import Location
from o2o.testing.api import as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, LocationFactory

pytestmark = pytest.mark.django_db


def _close(employee, location, counted: str, business_date=None) -> DailyClose:
    return close_business_day(
        actor=actor_for_user(employee.user),
        location_id=location.pk,
        business_date=business_date or today(),
        counted_cash=Decimal(counted),
    )


def test_hq_sees_every_stores_close_and_who_closed_it(store, other_store, manager, hq):
    # given: the store closed by its manager, the other store by HQ, one of them yesterday too
    _close(manager, store, "10.00")
    _close(hq, other_store, "5.50")
    _close(manager, store, "1.00", business_date=today() - timedelta(days=1))

    # when
    response = as_staff(hq).get("cashbook/closes", date_from=today().isoformat(), date_to=today().isoformat())

    # then
    assert response.status_code == 200, response.content
    rows = {(row["location_code"], row["counted_cash"], row["expected_cash"], row["variance"], row["closed_by"])
            for row in response.json()["results"]}  # fmt: skip
    assert rows == {
        (store.code, "10.00", "0.00", "10.00", manager.user.username),
        (other_store.code, "5.50", "0.00", "5.50", hq.user.username),
    }


def test_a_range_of_days_newest_first(store, manager, hq):
    for days_back in (2, 0, 1):
        _close(manager, store, f"{days_back}.00", business_date=today() - timedelta(days=days_back))

    response = as_staff(hq).get(
        "cashbook/closes", date_from=(today() - timedelta(days=2)).isoformat(), date_to=today().isoformat()
    )

    assert [row["counted_cash"] for row in response.json()["results"]] == ["0.00", "1.00", "2.00"]


def test_a_manager_sees_only_their_stores_closes(store, other_store, manager, hq):
    _close(manager, store, "10.00")
    _close(hq, other_store, "5.50")

    response = as_staff(manager).get("cashbook/closes")

    assert [row["location_id"] for row in response.json()["results"]] == [store.pk]


def test_the_stores_not_closed_yet(store, other_store, manager, hq):
    # given: one store closed; a warehouse has no drawer
    LocationFactory(kind=Location.Kind.WAREHOUSE)
    _close(manager, store, "0.00")

    # when
    response = as_staff(hq).get("cashbook/unclosed", business_date=today().isoformat())

    # then
    assert [row["id"] for row in response.json()["results"]] == [other_store.pk]


def test_a_clerk_sees_no_closes(clerk):
    response = as_staff(clerk).get("cashbook/closes")

    assert (response.status_code, problem_code(response)) == (403, "forbidden")


def test_a_reversed_range_is_a_422(hq):
    response = as_staff(hq).get("cashbook/closes", date_from=today().isoformat(), date_to="2020-01-01")

    assert (response.status_code, problem_code(response)) == (422, "invalid")


def test_the_list_takes_a_fixed_number_of_queries(django_assert_max_num_queries, store, hq):
    for days_back in range(12):
        _close(hq, store, "1.00", business_date=today() - timedelta(days=days_back))
    api = as_staff(hq)
    first = (today() - timedelta(days=20)).isoformat()

    with django_assert_max_num_queries(8):
        response = api.get("cashbook/closes", date_from=first, date_to=today().isoformat())

    assert len(response.json()["results"]) == 12


def test_a_regional_supervisor_sees_their_regions_closes(store, manager):
    supervisor = EmployeeFactory(role=Role.REGIONAL_SUPERVISOR, home_location=None, region=store.region)
    _close(manager, store, "3.00")

    response = as_staff(supervisor).get("cashbook/closes")

    assert [row["location_id"] for row in response.json()["results"]] == [store.pk]
