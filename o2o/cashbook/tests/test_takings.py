"""A store's takings of a business day by method, and the cash expected in its drawer."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from o2o.access.actors import actor_for_member, actor_for_user
from o2o.cashbook.days import today
from o2o.cashbook.tests.conftest import counter_sale, give_back
from o2o.payments.models import Payment
from o2o.payments.services import pay_order
from o2o.payments.tenders import TenderRequest
from o2o.testing.api import as_staff, problem_code
from o2o.testing.factories import EmployeeFactory
from o2o.testing.journeys import paid_pickup_order, place_counter_sale
from o2o.wallet.services import issue_payment_code, refund_principal, top_up_at_counter

pytestmark = pytest.mark.django_db


def _a_day_of_takings(store, clerk, manager, member, tea):
    counter_sale(clerk, tea, method="cash", quantity=2)  # 25.00
    counter_sale(clerk, tea, method="card")  # 12.50
    counter_sale(clerk, tea, method="store_qr", quantity=3)  # 37.50
    give_back(manager, counter_sale(clerk, tea, method="cash"))  # 12.50 in, 12.50 handed back
    clerk_actor = actor_for_user(clerk.user)
    top_up_at_counter(actor=clerk_actor, location_id=store.pk, amount="200.00", method="cash", member_id=member.pk)
    top_up_at_counter(actor=clerk_actor, location_id=store.pk, amount="100.00", method="card", member_id=member.pk)
    paid_pickup_order(member=member, store=store, sku=tea)  # online, 12.50: settles through HQ


def _lines(body):
    return {(line["kind"], line["method"]): (line["count"], line["taken"], line["refunded"]) for line in body["lines"]}


def test_expected_cash_is_the_float_plus_cash_in_minus_cash_handed_back(settings, store, clerk, manager, member, tea):
    # given: a float of 500.00 and a day of cash, card and QR sales, a refund and top-ups at the counter
    settings.O2O_CASH_FLOAT = "500.00"
    _a_day_of_takings(store, clerk, manager, member, tea)

    # when
    response = as_staff(manager).get(f"cashbook/locations/{store.pk}/takings", business_date=today().isoformat())

    # then: 500.00 + 25.00 + 12.50 + 200.00 - 12.50
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["expected_cash"] == "725.00"
    assert (body["opening_float"], body["cash_in"], body["cash_out"]) == ("500.00", "237.50", "12.50")
    assert _lines(body) == {
        ("counter", "card"): (1, "12.50", "0.00"),
        ("counter", "cash"): (2, "37.50", "12.50"),
        ("counter", "store_qr"): (1, "37.50", "0.00"),
        ("top_up", "card"): (1, "100.00", "0.00"),
        ("top_up", "cash"): (1, "200.00", "0.00"),
        ("online", "online_qr"): (1, "12.50", "0.00"),
    }
    assert body["closed"] is False


def test_another_stores_takings_are_not_in_this_drawer(store, other_store, clerk, manager, tea):
    # given: a cash sale at the other store
    counter_sale(clerk_of_other := _clerk(other_store), tea, method="cash")
    assert clerk_of_other.home_location_id == other_store.pk

    # when
    body = as_staff(manager).get(f"cashbook/locations/{store.pk}/takings", business_date=today().isoformat()).json()

    # then
    assert (body["expected_cash"], body["lines"]) == ("0.00", [])


def test_yesterdays_payments_are_yesterdays_takings(store, clerk, manager, tea):
    # given: a cash sale taken yesterday (local time) and one today
    counter_sale(clerk, tea, method="cash")
    Payment.objects.update(succeeded_at=Payment.objects.get().succeeded_at - timedelta(days=1))
    counter_sale(clerk, tea, method="cash", quantity=2)
    yesterday = today() - timedelta(days=1)

    # when
    api = as_staff(manager)
    before = api.get(f"cashbook/locations/{store.pk}/takings", business_date=yesterday.isoformat()).json()
    now = api.get(f"cashbook/locations/{store.pk}/takings", business_date=today().isoformat()).json()

    # then
    assert (before["cash_in"], now["cash_in"]) == ("12.50", "25.00")


def _clerk(location):
    return EmployeeFactory(home_location=location)


def test_a_clerk_may_not_see_the_cash_book(store, clerk):
    response = as_staff(clerk).get(f"cashbook/locations/{store.pk}/takings", business_date=today().isoformat())

    assert (response.status_code, problem_code(response)) == (403, "forbidden")


def test_a_manager_does_not_see_another_stores_cash_book(other_store, manager):
    response = as_staff(manager).get(f"cashbook/locations/{other_store.pk}/takings", business_date=today().isoformat())

    assert (response.status_code, problem_code(response)) == (404, "not_found")


@pytest.mark.parametrize("business_date", ["20261128", "2026-13-01", "yesterday", "", "2026-11-28T00:00:00"])
def test_a_date_that_is_not_a_date_is_a_422(store, manager, business_date):
    response = as_staff(manager).get(f"cashbook/locations/{store.pk}/takings", business_date=business_date)

    assert (response.status_code, problem_code(response)) == (422, "invalid")


def test_the_cash_float_setting_is_read_to_the_fen(settings, store, manager):
    settings.O2O_CASH_FLOAT = "300"

    body = as_staff(manager).get(f"cashbook/locations/{store.pk}/takings", business_date=today().isoformat()).json()

    assert (body["opening_float"], body["expected_cash"]) == ("300.00", "300.00")
    assert Decimal(body["expected_cash"]) == Decimal("300.00")


def test_stored_value_spent_is_not_takings_and_principal_paid_back_leaves_the_drawer(
    store, clerk, manager, member, tea
):
    # given: 100.00 cash topped up at the counter, a sale paid 10.00 from the wallet and 2.50 in
    # cash, and 30.00 of principal paid back in cash at the counter
    clerk_actor = actor_for_user(clerk.user)
    top_up_at_counter(actor=clerk_actor, location_id=store.pk, amount="100.00", method="cash", member_id=member.pk)
    code, _ = issue_payment_code(actor=actor_for_member(member))
    order = place_counter_sale(clerk=clerk, sku=tea, member=member)
    tenders = [TenderRequest("wallet", Decimal("10.00"), member_code=code), TenderRequest("cash")]
    pay_order(actor=clerk_actor, order=order, tenders=tenders, idempotency_key=None)
    refund_principal(
        actor=actor_for_user(manager.user), member_id=member.pk, amount="30.00", reason="moving", location_id=store.pk
    )

    # when
    body = as_staff(manager).get(f"cashbook/locations/{store.pk}/takings", business_date=today().isoformat()).json()

    # then: 100.00 + 2.50 - 30.00 in the drawer; the wallet tender is a liability used, not takings
    assert _lines(body) == {
        ("counter", "cash"): (1, "2.50", "0.00"),
        ("top_up", "cash"): (1, "100.00", "30.00"),
        ("non_cash", "wallet"): (1, "10.00", "0.00"),
    }
    assert (body["cash_in"], body["cash_out"], body["expected_cash"]) == ("102.50", "30.00", "72.50")


def test_the_takings_take_as_many_queries_for_ten_sales_as_for_one(store, clerk, manager, tea):
    api = as_staff(manager)
    url = f"cashbook/locations/{store.pk}/takings"
    counter_sale(clerk, tea, method="cash")
    with CaptureQueriesContext(connection) as one:
        api.get(url, business_date=today().isoformat())
    for method in ["cash", "card", "store_qr"] * 3:
        counter_sale(clerk, tea, method=method)
    with CaptureQueriesContext(connection) as ten:
        body = api.get(url, business_date=today().isoformat()).json()

    assert body["cash_in"] == "50.00"
    assert len(ten.captured_queries) == len(one.captured_queries) <= 12
