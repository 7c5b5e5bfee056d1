"""Counter repayments of store credit plans are the store's takings: by method, in the expected
cash, in the close's snapshot and in the cash-book audit's recount; repaid money handed back in
cash after a return leaves the drawer."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from o2o.access.actors import SYSTEM
from o2o.cashbook import audit
from o2o.cashbook.days import today
from o2o.cashbook.models import DailyClose
from o2o.installments.models import InstallmentRepayment
from o2o.inventory.services import receive_stock
from o2o.testing.api import as_staff
from o2o.testing.factories import SKUFactory
from o2o.testing.journeys import payment_code_of

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def tyre(store):
    sku = SKUFactory(price=D("650.00"))
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=10)
    return sku


def _sell(api, store, sku, quantity: int, **extra) -> dict:
    body = {"channel": "pos", "fulfilment": "in_store", "location_id": store.pk,
            "lines": [{"sku_id": sku.pk, "quantity": quantity}], **extra}  # fmt: skip
    order = api.post("orders", body)
    assert order.status_code == 201, order.content
    return order.json()


def _cash_sale(api, store, sku) -> None:
    order = _sell(api, store, sku, 1)
    paid = api.post(f"payments/orders/{order['id']}/in-store", {"method": "cash"})
    assert paid.status_code == 201, paid.content


def _plan_for_two_tyres(api, store, tyre, member) -> tuple[dict, dict]:
    """1300.00 of tyres on a 3-month plan with nothing down: dues 433.33, 433.33, 433.34."""
    sale = _sell(api, store, tyre, 2, member_phone=member.phone)
    plan = api.post(f"installments/orders/{sale['id']}/plan", {"periods": 3, "member_code": payment_code_of(member)})
    assert plan.status_code == 201, plan.content
    return sale, plan.json()


def _repay(api, plan: dict, amount: str, method: str) -> None:
    repaid = api.post(f"installments/plans/{plan['id']}/repayments", {"amount": amount, "method": method})
    assert repaid.status_code == 201, repaid.content


def _lines(takings: dict) -> list[tuple]:
    return [(line["kind"], line["method"], line["count"], line["taken"], line["refunded"]) for line in takings["lines"]]


def test_a_cash_repayment_is_in_the_expected_cash_the_close_and_the_audit(settings, store, clerk, manager, member,
                                                                          tea, tyre):  # fmt: skip
    # given: a float of 200.00; a cash sale of 12.50, and on a plan 300.00 repaid in cash and 100.00 by card
    settings.O2O_CASH_FLOAT = "200.00"
    counter, back_office = as_staff(clerk), as_staff(manager)
    _cash_sale(counter, store, tea)
    _, plan = _plan_for_two_tyres(counter, store, tyre, member)
    _repay(counter, plan, "300.00", "cash")
    _repay(counter, plan, "100.00", "card")
    day = today().isoformat()

    # when: the manager reads the day and closes it with exactly the cash expected counted
    takings = back_office.get(f"cashbook/locations/{store.pk}/takings", business_date=day).json()
    close = back_office.post(f"cashbook/locations/{store.pk}/closes", {"business_date": day, "counted_cash": "512.50"})

    # then: 200.00 + 12.50 + 300.00 = 512.50 in the drawer; the card repayment is takings, not cash
    assert (takings["cash_in"], takings["cash_out"], takings["expected_cash"]) == ("312.50", "0.00", "512.50")
    assert _lines(takings) == [
        ("counter", "cash", 1, "12.50", "0.00"),
        ("repayment", "card", 1, "100.00", "0.00"),
        ("repayment", "cash", 1, "300.00", "0.00"),
        ("non_cash", "store_credit", 1, "1300.00", "0.00"),
    ]
    assert close.status_code == 201, close.content
    assert (close.json()["expected_cash"], close.json()["variance"]) == ("512.50", "0.00")
    snapshot = DailyClose.objects.get().takings
    assert (snapshot["cash_in"], snapshot["expected_cash"]) == ("312.50", "512.50")
    assert {"kind": "repayment", "method": "cash", "count": 1, "taken": "300.00", "refunded": "0.00",
            "net": "300.00"} in snapshot["lines"]  # fmt: skip
    assert audit.run() == []


def test_repaid_money_handed_back_after_a_return_leaves_the_drawer(store, clerk, manager, member, tyre):
    # given: 900.00 repaid in cash on a 1300.00 plan, then one tyre (650.00) brought back: the plan
    # owes 400.00 less and hands 250.00 of the repaid money back in cash
    counter, back_office = as_staff(clerk), as_staff(manager)
    sale, plan = _plan_for_two_tyres(counter, store, tyre, member)
    _repay(counter, plan, "900.00", "cash")
    one_tyre = {"lines": [{"line_id": sale["lines"][0]["id"], "quantity": 1}], "reason": "wrong size"}
    back = back_office.post(f"orders/{sale['id']}/returns", one_tyre)
    assert back.status_code == 200, back.content
    assert list(InstallmentRepayment.objects.order_by("pk").values_list("kind", "amount", "method")) == [
        ("due", D("900.00"), "cash"),
        ("refund", D("-250.00"), "cash"),
    ]
    day = today().isoformat()

    # when
    takings = back_office.get(f"cashbook/locations/{store.pk}/takings", business_date=day).json()
    close = back_office.post(f"cashbook/locations/{store.pk}/closes", {"business_date": day, "counted_cash": "650.00"})

    # then: 900.00 in, 250.00 out: 650.00 expected (float 0.00); the close and the audit agree
    assert (takings["cash_in"], takings["cash_out"], takings["expected_cash"]) == ("900.00", "250.00", "650.00")
    assert ("repayment", "cash", 1, "900.00", "250.00") in _lines(takings)
    assert close.status_code == 201, close.content
    assert (close.json()["expected_cash"], close.json()["variance"]) == ("650.00", "0.00")
    assert audit.run() == []


def test_a_repayment_booked_into_a_closed_window_is_found_by_the_audit(store, clerk, manager, member, tyre):
    # given: a day closed with a cash repayment of 300.00 in it
    counter, back_office = as_staff(clerk), as_staff(manager)
    _, plan = _plan_for_two_tyres(counter, store, tyre, member)
    _repay(counter, plan, "300.00", "cash")
    day = today().isoformat()
    close = back_office.post(f"cashbook/locations/{store.pk}/closes", {"business_date": day, "counted_cash": "300.00"})
    assert close.status_code == 201, close.content
    assert audit.run() == []

    # when: another repayment is written with a time inside the closed window
    _repay(counter, plan, "100.00", "cash")
    inside = DailyClose.objects.get().takings_to - timedelta(seconds=1)
    InstallmentRepayment.objects.filter(amount=D("100.00")).update(created_at=inside)

    # then: the recount no longer agrees with the close
    assert sorted(finding.check for finding in audit.run()) == ["cashbook_expected", "cashbook_takings"]


def test_the_managers_cash_book_page_shows_the_repayments_in_the_expected_cash(settings, store, clerk, manager,
                                                                                member, tyre):  # fmt: skip
    settings.O2O_CASH_FLOAT = "100.00"
    _, plan = _plan_for_two_tyres(as_staff(clerk), store, tyre, member)
    _repay(as_staff(clerk), plan, "433.33", "cash")
    client = Client()
    client.force_login(manager.user)

    page = client.get(reverse("web:manager-cashbook"))

    assert page.status_code == 200
    assert 'data-expected="533.33"' in page.content.decode()
    assert "柜台分期还款" in page.content.decode()
