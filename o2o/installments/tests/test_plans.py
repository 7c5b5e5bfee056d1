"""Store credit plans through the API: setting one up pays the order, the schedule is split to the
fen, repayments at the counter (once per Idempotency-Key), early settlement, returns reduce the
last dues first, and bad input is a 4xx problem+json that writes nothing."""

from decimal import Decimal

import pytest
from django.utils import timezone

from o2o.access.actors import SYSTEM
from o2o.installments import audit as installments_audit
from o2o.installments.models import InstallmentDue, InstallmentPlan, InstallmentRepayment
from o2o.installments.terms import add_months
from o2o.inventory.services import receive_stock
from o2o.orders.models import Order
from o2o.payments import audit as payments_audit
from o2o.payments.models import Payment
from o2o.staff.models import Role
from o2o.testing.api import as_member, as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, MemberFactory, SKUFactory
from o2o.testing.journeys import pay_online, payment_code_of, place_pickup_order

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def tyre(store):
    sku = SKUFactory(price=D("1000.00"))
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=20, actor=SYSTEM)
    return sku


@pytest.fixture
def half_tyre(store):
    sku = SKUFactory(price=D("600.00"))
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=20, actor=SYSTEM)
    return sku


@pytest.fixture
def manager(store):
    return EmployeeFactory(home_location=store, role=Role.STORE_MANAGER)


def counter_sale(clerk, member, sku, quantity: int = 1) -> dict:
    response = as_staff(clerk).post(
        "orders",
        {"channel": "pos", "fulfilment": "in_store", "location_id": clerk.home_location_id,
         "lines": [{"sku_id": sku.pk, "quantity": quantity}], "member_phone": member.phone},
    )  # fmt: skip
    assert response.status_code == 201, response.content
    return response.json()


def dues(plan_id: int) -> list[tuple[int, Decimal, Decimal, str]]:
    return list(
        InstallmentDue.objects.filter(plan_id=plan_id)
        .order_by("seq")
        .values_list("seq", "amount", "paid_amount", "state")
    )


def assert_books_agree() -> None:
    assert installments_audit.run() == []
    assert payments_audit.run() == []


def nothing_written() -> None:
    assert InstallmentPlan.objects.count() == 0
    assert InstallmentDue.objects.count() == 0
    assert Payment.objects.count() == 0


# --- setting a plan up ------------------------------------------------------------------------


def test_a_member_pays_a_big_ticket_order_with_a_three_period_plan(store, member, tyre):
    # given an online order of 1000.00
    order = place_pickup_order(member=member, store=store, sku=tyre)

    # when the member picks 3 periods
    response = as_member(member).post(f"installments/orders/{order.pk}/plan", {"periods": 3})

    # then the order is paid by one store credit tender, and 1000.00 is owed in 333.33, 333.33, 333.34
    assert response.status_code == 201, response.content
    plan = response.json()
    today = timezone.localdate()
    assert [(d["seq"], d["due_date"], d["amount"], d["state"]) for d in plan["dues"]] == [
        (1, add_months(today, 1).isoformat(), "333.33", "due"),
        (2, add_months(today, 2).isoformat(), "333.33", "due"),
        (3, add_months(today, 3).isoformat(), "333.34", "due"),
    ]
    assert (plan["financed_amount"], plan["fee"], plan["outstanding"], plan["state"]) == (
        "1000.00", "0.00", "1000.00", "active"
    )  # fmt: skip
    order.refresh_from_db()
    assert order.state == "paid"  # the store prepares it next (o2o.preparation)
    assert list(Payment.objects.filter(order=order).values_list("method", "amount", "state")) == [
        ("store_credit", D("1000.00"), "succeeded")
    ]
    assert_books_agree()


def test_a_clerk_sets_up_a_plan_with_a_cash_down_payment_and_the_order_is_paid(clerk, member, half_tyre):
    # given a counter sale of two tyres, 1200.00, for a member
    sale = counter_sale(clerk, member, half_tyre, 2)

    # when the customer pays 200.00 down in cash and the rest over 6 months
    response = as_staff(clerk).post(
        f"installments/orders/{sale['id']}/plan",
        {"periods": 6, "down_payment": "200.00", "down_payment_method": "cash", "member_code": payment_code_of(member)},
    )

    # then two tenders cover the order: 200.00 cash and 1000.00 store credit in six dues
    assert response.status_code == 201, response.content
    plan = response.json()
    assert [d["amount"] for d in plan["dues"]] == ["166.66"] * 5 + ["166.70"]
    assert (plan["down_payment"], plan["financed_amount"]) == ("200.00", "1000.00")
    assert Order.objects.get(pk=sale["id"]).state == "picked_up"
    tenders = Payment.objects.filter(order_id=sale["id"]).order_by("pk").values_list("method", "amount", "location")
    assert list(tenders) == [("cash", D("200.00"), clerk.home_location_id), ("store_credit", D("1000.00"), None)]
    assert InstallmentPlan.objects.get().created_by == clerk.user
    assert_books_agree()


def test_online_with_a_down_payment_the_order_waits_for_the_gateway_then_is_paid(store, member, half_tyre):
    # given an online order of 1200.00 financed but for 200.00
    order = place_pickup_order(member=member, store=store, sku=half_tyre, quantity=2)
    response = as_member(member).post(f"installments/orders/{order.pk}/plan", {"periods": 3, "down_payment": "200.00"})
    assert response.status_code == 201, response.content
    order.refresh_from_db()
    assert order.state == "pending_payment"

    # when the member pays the rest at the gateway
    pay_online(order)

    # then the order is paid: store credit 1000.00 + gateway 200.00
    assert order.state == "paid"  # the store prepares it next (o2o.preparation)
    assert sorted(Payment.objects.filter(order=order, state="succeeded").values_list("method", "amount")) == [
        ("online_qr", D("200.00")),
        ("store_credit", D("1000.00")),
    ]
    assert_books_agree()


def test_the_fee_by_plan_length_is_added_and_split_to_the_fen(settings, store, member, tyre):
    settings.O2O_STORE_CREDIT_FEE_PERCENT = "3:0,6:1.5,12:3"
    order = place_pickup_order(member=member, store=store, sku=tyre)

    response = as_member(member).post(f"installments/orders/{order.pk}/plan", {"periods": 12})

    plan = response.json()
    assert (plan["fee_percent"], plan["fee"], plan["outstanding"]) == ("3.00", "30.00", "1030.00")
    assert [d["amount"] for d in plan["dues"]] == ["85.83"] * 11 + ["85.87"]
    assert_books_agree()


def test_the_options_show_each_plan_length_and_none_below_the_minimum(store, member, tyre):
    order = place_pickup_order(member=member, store=store, sku=tyre)

    options = as_member(member).get(f"installments/orders/{order.pk}/options").json()

    assert [(o["periods"], o["total"]) for o in options] == [(3, "1000.00"), (6, "1000.00"), (12, "1000.00")]


def test_an_order_below_the_minimum_cannot_be_financed(store, member):
    # given an order of 999.99
    sku = SKUFactory(price=D("999.99"))
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=5, actor=SYSTEM)
    order = place_pickup_order(member=member, store=store, sku=sku)

    response = as_member(member).post(f"installments/orders/{order.pk}/plan", {"periods": 3})
    options = as_member(member).get(f"installments/orders/{order.pk}/options")

    assert (response.status_code, problem_code(response)) == (422, "below_installment_minimum")
    assert options.json() == []
    nothing_written()


def test_another_members_order_is_not_found_and_nothing_is_written(store, member, tyre):
    order = place_pickup_order(member=member, store=store, sku=tyre)

    response = as_member(MemberFactory()).post(f"installments/orders/{order.pk}/plan", {"periods": 3})

    assert (response.status_code, problem_code(response)) == (404, "not_found")
    nothing_written()
    assert Order.objects.get(pk=order.pk).state == "pending_payment"


@pytest.mark.parametrize(
    "body",
    [
        {"periods": 4},
        {"periods": "3"},
        {"periods": True},
        {"periods": 3.0},
        {},
        {"periods": 3, "down_payment": "-1.00"},
        {"periods": 3, "down_payment": "abc"},
        {"periods": 3, "down_payment": "NaN"},
        {"periods": 3, "down_payment": "1.001"},
        {"periods": 3, "down_payment": "1e30"},
        {"periods": 3, "down_payment": "1000.00"},  # nothing left to finance
        {"periods": 3, "down_payment": "100.00", "down_payment_method": "cash"},  # online: at the gateway
        {"periods": 3, "down_payment_method": "wallet"},
    ],
)
def test_bad_plan_requests_are_refused_and_write_nothing(store, member, tyre, body):
    order = place_pickup_order(member=member, store=store, sku=tyre)

    response = as_member(member).post(f"installments/orders/{order.pk}/plan", body)

    assert 400 <= response.status_code < 500, response.content
    assert response["Content-Type"] == "application/problem+json"
    nothing_written()


def test_a_second_plan_for_the_same_order_is_a_conflict_but_a_retry_gets_the_first(store, member, tyre):
    order = place_pickup_order(member=member, store=store, sku=tyre)
    client = as_member(member)
    first = client.post(f"installments/orders/{order.pk}/plan", {"periods": 3}, headers={"Idempotency-Key": "p-1"})

    retry = client.post(f"installments/orders/{order.pk}/plan", {"periods": 3}, headers={"Idempotency-Key": "p-1"})
    again = client.post(f"installments/orders/{order.pk}/plan", {"periods": 6})

    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json()["id"] == first.json()["id"]
    assert again.status_code == 409
    assert InstallmentPlan.objects.count() == 1
    assert Payment.objects.count() == 1


def test_a_counter_sale_without_a_member_cannot_be_financed(clerk, tyre):
    sale = as_staff(clerk).post(
        "orders",
        {"channel": "pos", "fulfilment": "in_store", "location_id": clerk.home_location_id,
         "lines": [{"sku_id": tyre.pk, "quantity": 1}]},
    ).json()  # fmt: skip

    response = as_staff(clerk).post(f"installments/orders/{sale['id']}/plan", {"periods": 3})

    assert (response.status_code, problem_code(response)) == (422, "invalid")
    nothing_written()


def test_a_clerk_cannot_open_credit_in_a_members_name_without_their_payment_code(clerk, member, half_tyre):
    # given a counter sale that merely names the member (a phone number is enough for that)
    sale = counter_sale(clerk, member, half_tyre, 2)

    # when the clerk asks for a plan without the code on the member's phone
    response = as_staff(clerk).post(f"installments/orders/{sale['id']}/plan", {"periods": 3})

    # then nothing is financed
    assert (response.status_code, problem_code(response)) == (422, "invalid")
    nothing_written()


def test_another_members_payment_code_is_no_consent(clerk, member, half_tyre):
    sale = counter_sale(clerk, member, half_tyre, 2)
    someone_else = payment_code_of(MemberFactory())

    response = as_staff(clerk).post(
        f"installments/orders/{sale['id']}/plan", {"periods": 3, "member_code": someone_else}
    )

    assert (response.status_code, problem_code(response)) == (409, "payment_code_invalid")
    nothing_written()


def test_a_used_payment_code_is_no_consent_twice(clerk, member, half_tyre):
    first_sale = counter_sale(clerk, member, half_tyre, 2)
    second_sale = counter_sale(clerk, member, half_tyre, 2)
    code = payment_code_of(member)
    as_staff(clerk).post(f"installments/orders/{first_sale['id']}/plan", {"periods": 3, "member_code": code})

    response = as_staff(clerk).post(
        f"installments/orders/{second_sale['id']}/plan", {"periods": 3, "member_code": code}
    )

    assert problem_code(response) == "payment_code_invalid"
    assert InstallmentPlan.objects.get().order_id == first_sale["id"]


def test_a_member_sets_up_their_own_plan_without_a_code(member, store, half_tyre):
    order = place_pickup_order(member=member, store=store, sku=half_tyre)

    response = as_member(member).post(
        f"installments/orders/{order.pk}/plan", {"periods": 3, "member_code": payment_code_of(member)}
    )

    assert (response.status_code, problem_code(response)) == (422, "invalid")
    nothing_written()


# --- repayments -------------------------------------------------------------------------------


@pytest.fixture
def plan(store, member, tyre) -> dict:
    order = place_pickup_order(member=member, store=store, sku=tyre)
    return as_member(member).post(f"installments/orders/{order.pk}/plan", {"periods": 3}).json()


def test_a_repayment_at_the_counter_pays_the_oldest_due(plan, clerk):
    response = as_staff(clerk).post(
        f"installments/plans/{plan['id']}/repayments", {"amount": "333.33", "method": "cash"}
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["repayment"]["amount"], body["repayment"]["kind"], body["plan"]["outstanding"]) == (
        "333.33", "due", "666.67"
    )  # fmt: skip
    assert [d[1:] for d in dues(plan["id"])] == [
        (D("333.33"), D("333.33"), "paid"),
        (D("333.33"), D("0.00"), "due"),
        (D("333.34"), D("0.00"), "due"),
    ]
    repayment = InstallmentRepayment.objects.get()
    assert (repayment.location_id, repayment.received_by, repayment.method) == (
        clerk.home_location_id, clerk.user, "cash"
    )  # fmt: skip
    assert_books_agree()


def test_a_repayment_retried_with_the_same_key_moves_money_once(plan, clerk):
    client = as_staff(clerk)
    body = {"amount": "100.00", "method": "card"}

    first = client.post(f"installments/plans/{plan['id']}/repayments", body, headers={"Idempotency-Key": "r-1"})
    second = client.post(f"installments/plans/{plan['id']}/repayments", body, headers={"Idempotency-Key": "r-1"})
    other = client.post(
        f"installments/plans/{plan['id']}/repayments", {"amount": "50.00", "method": "card"},
        headers={"Idempotency-Key": "r-1"},
    )  # fmt: skip

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["repayment"]["id"] == second.json()["repayment"]["id"]
    assert (other.status_code, problem_code(other)) == (409, "idempotency_conflict")
    assert list(InstallmentRepayment.objects.values_list("amount", flat=True)) == [D("100.00")]
    assert dues(plan["id"])[0][2] == D("100.00")
    assert_books_agree()


def test_a_repayment_over_what_is_owed_is_refused_and_writes_nothing(plan, clerk):
    response = as_staff(clerk).post(
        f"installments/plans/{plan['id']}/repayments", {"amount": "1000.01", "method": "cash"}
    )

    assert (response.status_code, problem_code(response)) == (409, "repayment_exceeds_owed")
    assert InstallmentRepayment.objects.count() == 0
    assert all(paid == 0 for _seq, _amount, paid, _state in dues(plan["id"]))


@pytest.mark.parametrize(
    "body",
    [
        {"amount": "0.00", "method": "cash"},
        {"amount": "-5.00", "method": "cash"},
        {"amount": "1.005", "method": "cash"},
        {"amount": "abc", "method": "cash"},
        {"amount": "Infinity", "method": "cash"},
        {"amount": "10.00", "method": "wallet"},
        {"amount": "10.00"},
        {"method": "cash"},
    ],
)
def test_bad_repayments_are_refused_and_write_nothing(plan, clerk, body):
    response = as_staff(clerk).post(f"installments/plans/{plan['id']}/repayments", body)

    assert 400 <= response.status_code < 500, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert InstallmentRepayment.objects.count() == 0


def test_only_the_counter_of_the_selling_store_takes_repayments(plan, member, other_store):
    by_member = as_member(member).post(
        f"installments/plans/{plan['id']}/repayments", {"amount": "1.00", "method": "cash"}
    )
    elsewhere = as_staff(EmployeeFactory(home_location=other_store)).post(
        f"installments/plans/{plan['id']}/repayments", {"amount": "1.00", "method": "cash"}
    )

    assert by_member.status_code == 403
    assert elsewhere.status_code == 404
    assert InstallmentRepayment.objects.count() == 0


def test_early_settlement_pays_exactly_what_is_left(plan, clerk):
    client = as_staff(clerk)
    client.post(f"installments/plans/{plan['id']}/repayments", {"amount": "400.00", "method": "cash"})

    response = client.post(f"installments/plans/{plan['id']}/settle", {"method": "store_qr"})

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["repayment"]["amount"], body["repayment"]["kind"]) == ("600.00", "settlement")
    assert (body["plan"]["state"], body["plan"]["outstanding"]) == ("settled", "0.00")
    assert body["plan"]["settled_at"] is not None
    assert [d[2:] for d in dues(plan["id"])] == [(D("333.33"), "paid"), (D("333.33"), "paid"), (D("333.34"), "paid")]
    again = client.post(f"installments/plans/{plan['id']}/settle", {"method": "cash"})
    assert (again.status_code, problem_code(again)) == (409, "illegal_transition")
    assert InstallmentRepayment.objects.count() == 2
    assert_books_agree()


def test_the_member_sees_their_plans_and_nobody_elses(plan, member):
    mine = as_member(member).get("installments/plans").json()
    theirs = as_member(MemberFactory()).get("installments/plans").json()
    missing = as_member(MemberFactory()).get(f"installments/plans/{plan['id']}")

    assert [p["id"] for p in mine["results"]] == [plan["id"]]
    assert theirs["results"] == []
    assert missing.status_code == 404


# --- returns ----------------------------------------------------------------------------------


def test_a_return_reduces_the_last_dues_first(clerk, manager, member, half_tyre):
    # given two tyres (1200.00) on a 3-period plan: 400.00 a month
    sale = counter_sale(clerk, member, half_tyre, 2)
    plan = (
        as_staff(clerk)
        .post(f"installments/orders/{sale['id']}/plan", {"periods": 3, "member_code": payment_code_of(member)})
        .json()
    )

    # when one tyre (600.00) comes back
    response = as_staff(manager).post(
        f"orders/{sale['id']}/returns", {"lines": [{"line_id": sale["lines"][0]["id"], "quantity": 1}], "reason": "x"}
    )

    # then the last due goes, and the second is halved
    assert response.status_code == 200, response.content
    assert dues(plan["id"]) == [
        (1, D("400.00"), D("0.00"), "due"),
        (2, D("200.00"), D("0.00"), "due"),
        (3, D("0.00"), D("0.00"), "waived"),
    ]
    plan_row = InstallmentPlan.objects.get()
    assert (plan_row.credit_refunded, plan_row.state) == (D("600.00"), "active")
    assert_books_agree()


def test_a_full_return_after_repayments_hands_the_repaid_money_back(clerk, manager, member, half_tyre):
    # given a 3-period plan on 1200.00 with the first 400.00 repaid
    sale = counter_sale(clerk, member, half_tyre, 2)
    plan = (
        as_staff(clerk)
        .post(f"installments/orders/{sale['id']}/plan", {"periods": 3, "member_code": payment_code_of(member)})
        .json()
    )
    as_staff(clerk).post(f"installments/plans/{plan['id']}/repayments", {"amount": "400.00", "method": "cash"})

    # when everything comes back
    as_staff(manager).post(
        f"orders/{sale['id']}/returns", {"lines": [{"line_id": sale["lines"][0]["id"], "quantity": 2}], "reason": "x"}
    )

    # then nothing is owed, and the 400.00 repaid is handed back at the counter
    assert [d[1:] for d in dues(plan["id"])] == [(D("0.00"), D("0.00"), "waived")] * 3
    assert list(InstallmentRepayment.objects.order_by("pk").values_list("kind", "amount")) == [
        ("due", D("400.00")),
        ("refund", D("-400.00")),
    ]
    assert InstallmentPlan.objects.get().state == "cancelled"
    assert_books_agree()


def test_an_order_cancelled_before_the_down_payment_cancels_its_plan(store, member, half_tyre):
    # given an online order of 1200.00 with a plan for 1000.00, the 200.00 down payment not paid yet
    order = place_pickup_order(member=member, store=store, sku=half_tyre, quantity=2)
    plan = as_member(member).post(f"installments/orders/{order.pk}/plan", {"periods": 3, "down_payment": "200.00"})

    # when the member cancels the order
    response = as_member(member).post(f"orders/{order.pk}/cancel")

    # then the store credit went back and nothing is owed
    assert response.json()["state"] == "cancelled"
    assert [d[1:] for d in dues(plan.json()["id"])] == [(D("0.00"), D("0.00"), "waived")] * 3
    assert InstallmentPlan.objects.get().state == "cancelled"
    assert Payment.objects.get(order=order).state == "returned"
    assert_books_agree()


def test_the_list_of_plans_takes_the_same_queries_for_one_plan_or_three(store, member, tyre):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def plans_listed_with_queries():
        with CaptureQueriesContext(connection) as queries:
            response = as_member(member).get("installments/plans")
        return len(response.json()["results"]), len(queries)

    def new_plan():
        order = place_pickup_order(member=member, store=store, sku=tyre)
        as_member(member).post(f"installments/orders/{order.pk}/plan", {"periods": 3})

    new_plan()
    one = plans_listed_with_queries()
    new_plan()
    new_plan()
    three = plans_listed_with_queries()

    assert (one[0], three[0]) == (1, 3)
    assert three[1] == one[1]


def test_the_minimum_is_the_shared_setting(settings, store, member, tyre):
    settings.O2O_INSTALLMENT_MIN_AMOUNT = Decimal("1000.01")
    order = place_pickup_order(member=member, store=store, sku=tyre)

    response = as_member(member).post(f"installments/orders/{order.pk}/plan", {"periods": 3})

    assert (response.status_code, problem_code(response)) == (422, "below_installment_minimum")
    nothing_written()
