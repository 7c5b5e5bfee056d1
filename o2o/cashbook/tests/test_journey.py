"""A store's day end to end through the API: sales and a return at the counter, a top-up, the
manager's close, HQ's view, and the cash-book audit clean afterwards."""

from decimal import Decimal

import pytest

from o2o.cashbook import audit
from o2o.cashbook.days import today
from o2o.testing.api import as_staff, problem_code

pytestmark = pytest.mark.django_db


def _sell(api, store, tea, quantity: int, method: str) -> dict:
    body = {"channel": "pos", "fulfilment": "in_store", "location_id": store.pk,
            "lines": [{"sku_id": tea.pk, "quantity": quantity}]}  # fmt: skip
    order = api.post("orders", body)
    assert order.status_code == 201, order.content
    paid = api.post(f"payments/orders/{order.json()['id']}/in-store", {"method": method})
    assert paid.status_code == 201, paid.content
    return order.json()


def test_a_day_at_the_counter_closes_with_the_cash_in_the_drawer(settings, store, other_store, clerk, manager, hq,
                                                                 member, tea):  # fmt: skip
    # given: a float of 300.00; at the counter 3 x 12.50 cash, 2 x 12.50 by card, one cash unit
    # brought back, and 88.00 cash topped up into a member's wallet
    settings.O2O_CASH_FLOAT = "300.00"
    counter, back_office = as_staff(clerk), as_staff(manager)
    returned = _sell(counter, store, tea, 3, "cash")
    _sell(counter, store, tea, 2, "card")
    line = returned["lines"][0]["id"]
    back = back_office.post(f"orders/{returned['id']}/returns", {"lines": [{"line_id": line, "quantity": 1}],
                                                                  "reason": "broken seal"})  # fmt: skip
    assert back.status_code in (200, 201), back.content
    top_up = counter.post("wallet/counter/top-ups", {"location_id": store.pk, "amount": "88.00", "method": "cash",
                                                     "member_phone": member.phone})  # fmt: skip
    assert top_up.status_code == 201, top_up.content
    day = today().isoformat()

    # when: the manager reads the expected cash and closes with 400.00 counted
    takings = back_office.get(f"cashbook/locations/{store.pk}/takings", business_date=day).json()
    close = back_office.post(f"cashbook/locations/{store.pk}/closes", {"business_date": day, "counted_cash": "400.00"},
                             headers={"Idempotency-Key": "close-today"})  # fmt: skip

    # then: 300.00 + 37.50 + 88.00 - 12.50 = 413.00 expected, 13.00 short
    assert takings["expected_cash"] == "413.00"
    assert close.status_code == 201, close.content
    assert (close.json()["expected_cash"], close.json()["variance"]) == ("413.00", "-13.00")
    assert close.json()["variance_flagged"] is False
    # HQ sees it, and the other store as not closed yet
    listed = as_staff(hq).get("cashbook/closes", date_from=day, date_to=day).json()["results"]
    unclosed = as_staff(hq).get("cashbook/unclosed", business_date=day).json()["results"]
    assert [(row["location_id"], row["variance"]) for row in listed] == [(store.pk, "-13.00")]
    assert [row["id"] for row in unclosed] == [other_store.pk]
    # closing it again is refused; the close agrees with the facts of its window
    again = back_office.post(f"cashbook/locations/{store.pk}/closes", {"business_date": day, "counted_cash": "413"})
    assert (again.status_code, problem_code(again)) == (409, "day_already_closed")
    assert Decimal(takings["cash_in"]) - Decimal(takings["cash_out"]) == Decimal("113.00")
    assert audit.run() == []
