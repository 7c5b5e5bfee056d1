"""The daily close (日结): once per store and day, by the store's manager or HQ, with the variance."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest

from o2o.cashbook.days import today
from o2o.cashbook.models import DailyClose
from o2o.cashbook.tests.conftest import counter_sale, give_back
from o2o.core.models import IdempotencyRecord
from o2o.staff.models import Role
from o2o.stores.models import Location
from o2o.testing.api import as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, LocationFactory

pytestmark = pytest.mark.django_db


def _close(employee, store, counted="0.00", business_date=None, note="", key=None):
    body = {"business_date": (business_date or today()).isoformat(), "counted_cash": counted, "note": note}
    headers = {"Idempotency-Key": key} if key else None
    return as_staff(employee).post(f"cashbook/locations/{store.pk}/closes", body, headers=headers)


def test_a_manager_closes_the_day_with_the_variance_of_the_count(settings, store, clerk, manager, tea):
    # given: a float of 200.00, 37.50 cash taken and 12.50 handed back
    settings.O2O_CASH_FLOAT = "200.00"
    counter_sale(clerk, tea, method="cash", quantity=2)
    give_back(manager, counter_sale(clerk, tea, method="cash"))
    counter_sale(clerk, tea, method="card")

    # when: the drawer holds 223.80
    response = _close(manager, store, counted="223.80", note="short 1.20")

    # then: expected 225.00, variance -1.20, not flagged
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["expected_cash"], body["counted_cash"], body["variance"]) == ("225.00", "223.80", "-1.20")
    assert (body["variance_flagged"], body["closed_by"], body["note"]) == (False, manager.user.username, "short 1.20")
    close = DailyClose.objects.get()
    assert (close.location_id, close.business_date, close.closed_by_id) == (store.pk, today(), manager.user.pk)
    lines = {(line["kind"], line["method"]): line["net"] for line in close.takings["lines"]}
    assert lines == {("counter", "cash"): "25.00", ("counter", "card"): "12.50"}


def test_a_variance_above_the_alert_is_flagged(settings, store, manager):
    settings.O2O_CASH_VARIANCE_ALERT = "50.00"

    response = _close(manager, store, counted="50.01")

    assert (response.json()["variance"], response.json()["variance_flagged"]) == ("50.01", True)


def test_a_variance_of_exactly_the_alert_is_not_flagged(settings, store, manager):
    settings.O2O_CASH_VARIANCE_ALERT = "50.00"

    assert _close(manager, store, counted="50.00").json()["variance_flagged"] is False


def test_a_day_closes_once(store, manager, hq):
    # given
    first = _close(manager, store, counted="10.00")

    # when
    again = _close(manager, store, counted="12.00")
    by_hq = _close(hq, store, counted="10.00")

    # then
    assert first.status_code == 201
    assert (again.status_code, problem_code(again)) == (409, "day_already_closed")
    assert (by_hq.status_code, problem_code(by_hq)) == (409, "day_already_closed")
    assert list(DailyClose.objects.values_list("counted_cash", flat=True)) == [Decimal("10.00")]


def test_a_retry_with_the_same_key_returns_the_first_close(store, manager):
    first = _close(manager, store, counted="10.00", key="close-1")

    retry = _close(manager, store, counted="10.00", key="close-1")

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json()["id"] == first.json()["id"]
    assert DailyClose.objects.count() == 1


def test_the_same_key_for_another_count_is_a_409(store, manager):
    _close(manager, store, counted="10.00", key="close-1")

    response = _close(manager, store, counted="11.00", key="close-1")

    assert (response.status_code, problem_code(response)) == (409, "idempotency_conflict")


def test_money_taken_after_the_close_counts_to_the_next_day(store, clerk, manager, tea):
    # given: today is closed with 12.50 taken in cash
    counter_sale(clerk, tea, method="cash")
    _close(manager, store, counted="12.50")

    # when: another cash sale comes after the close
    counter_sale(clerk, tea, method="cash", quantity=2)

    # then: the closed day keeps its figures; the sale is tomorrow's
    api = as_staff(manager)
    closed = api.get(f"cashbook/locations/{store.pk}/takings", business_date=today().isoformat()).json()
    tomorrow = (today() + timedelta(days=1)).isoformat()
    next_day = api.get(f"cashbook/locations/{store.pk}/takings", business_date=tomorrow).json()
    assert (closed["closed"], closed["cash_in"], closed["close"]["counted_cash"]) == (True, "12.50", "12.50")
    assert (next_day["closed"], next_day["cash_in"]) == (False, "25.00")
    assert next_day["takings_from"] == closed["takings_to"]


def test_yesterday_can_be_closed_the_next_morning(store, manager):
    response = _close(manager, store, counted="0.00", business_date=today() - timedelta(days=1))

    assert response.status_code == 201
    assert response.json()["business_date"] == (today() - timedelta(days=1)).isoformat()


def test_a_day_that_has_not_begun_cannot_be_closed(store, manager):
    response = _close(manager, store, business_date=today() + timedelta(days=1))

    assert (response.status_code, problem_code(response)) == (422, "invalid")
    assert not DailyClose.objects.exists()


def test_a_clerk_may_not_close_the_day(store, clerk):
    response = _close(clerk, store)

    assert (response.status_code, problem_code(response)) == (403, "forbidden")
    assert not DailyClose.objects.exists()


def test_a_manager_may_not_close_another_stores_day(other_store, manager):
    # another store is not theirs to see: the same 404 as a missing one (docs/permissions.md)
    response = _close(manager, other_store)

    assert (response.status_code, problem_code(response)) == (404, "not_found")
    assert not DailyClose.objects.exists()


def test_a_regional_supervisor_sees_but_does_not_close(store):
    supervisor = EmployeeFactory(role=Role.REGIONAL_SUPERVISOR, home_location=None, region=store.region)

    response = _close(supervisor, store)

    assert (response.status_code, problem_code(response)) == (403, "forbidden")


def test_hq_closes_any_stores_day(store, other_store, hq):
    assert _close(hq, store).status_code == 201
    assert _close(hq, other_store).status_code == 201


def test_a_warehouse_has_no_drawer_to_close(hq):
    warehouse = LocationFactory(kind=Location.Kind.WAREHOUSE)

    response = _close(hq, warehouse)

    assert (response.status_code, problem_code(response)) == (422, "invalid")


@pytest.mark.parametrize(
    "change",
    [
        {"counted_cash": "abc"},
        {"counted_cash": "-0.01"},
        {"counted_cash": "1.234"},
        {"counted_cash": True},
        {"counted_cash": "NaN"},
        {"counted_cash": "Infinity"},
        {"counted_cash": 1e30},
        {"counted_cash": None},
        {"counted_cash": [1]},
        {"business_date": 20261128},
        {"business_date": "2026-02-30"},
        {"business_date": "28/11/2026"},
        {"business_date": None},
        {"note": "x" * 501},
        {"note": 5},
    ],
)
def test_bad_input_is_a_422_and_writes_nothing(store, manager, change):
    body = {"business_date": today().isoformat(), "counted_cash": "10.00", "note": "", **change}

    response = as_staff(manager).post(
        f"cashbook/locations/{store.pk}/closes", body, headers={"Idempotency-Key": "bad-1"}
    )

    assert (response.status_code, problem_code(response)) == (422, "invalid")
    assert not DailyClose.objects.exists()
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.parametrize("path", ["cashbook/locations/0/closes", "cashbook/locations/99999999999999999999/closes"])
def test_a_bad_location_id_is_a_4xx(manager, path):
    response = as_staff(manager).post(path, {"business_date": today().isoformat(), "counted_cash": "1.00"})

    assert response.status_code in (404, 422)
    assert response["Content-Type"] == "application/problem+json"


def test_a_form_post_is_refused(store, manager):
    response = as_staff(manager).client.post(
        f"/api/v1/cashbook/locations/{store.pk}/closes",
        {"business_date": today().isoformat(), "counted_cash": "1.00"},
        headers=as_staff(manager).headers,
    )

    assert response.status_code == 415
    assert not DailyClose.objects.exists()


def test_a_number_is_read_to_the_fen(store, manager):
    response = as_staff(manager).post(
        f"cashbook/locations/{store.pk}/closes",
        json.dumps({"business_date": today().isoformat(), "counted_cash": 12.3}),
    )

    assert response.json()["counted_cash"] == "12.30"
