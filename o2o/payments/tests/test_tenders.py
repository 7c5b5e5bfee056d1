"""Split tenders through the API: stored value, points and the gateway online; counter money and
the member's payment code at the counter; money back tender by tender, exact to the fen."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from o2o.access.actors import SYSTEM, actor_for_member, actor_for_user
from o2o.inventory.services import receive_stock
from o2o.loyalty.selectors import points_balance
from o2o.loyalty.services import Adjustment, adjust_points
from o2o.orders.models import Order, OrderState
from o2o.payments.models import Payment, Refund
from o2o.payments.simulator import simulate_customer_payment
from o2o.pickup.models import PickupVoucher
from o2o.staff.models import Role
from o2o.testing.api import as_member, as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, MemberFactory, SKUFactory
from o2o.testing.journeys import place_counter_sale, place_pickup_order
from o2o.wallet.models import WalletEntry
from o2o.wallet.selectors import balance
from o2o.wallet.services import issue_payment_code, top_up_at_counter

pytestmark = pytest.mark.django_db

D = Decimal


def audit() -> tuple[bool, str]:
    out = StringIO()
    try:
        call_command("audit", stdout=out)
    except CommandError as failed:
        return False, out.getvalue() + str(failed)
    return True, out.getvalue()


def _fund(member, store, *, wallet: str = "100.00", points: int = 5000) -> None:
    cashier = actor_for_user(EmployeeFactory(home_location=store).user)
    top_up_at_counter(actor=cashier, location_id=store.pk, amount=wallet, method="cash", member_id=member.pk)
    adjust_points(actor=SYSTEM, adjustment=Adjustment(member.pk, points, "welcome", f"welcome:{member.pk}"))


def _wallet(member) -> Decimal:
    return balance(member_id=member.pk).total


def _points(member) -> int:
    return points_balance(member_id=member.pk).available


def _order(member, store, *, price: str = "100.00", quantity: int = 1) -> Order:
    sku = SKUFactory(price=D(price))
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=10)
    return place_pickup_order(member=member, store=store, sku=sku, quantity=quantity)


def _tenders(order) -> list[tuple]:
    return list(
        Payment.objects.filter(order=order)
        .order_by("pk")
        .values_list("method", "state", "amount", "points", "refunded_amount")
    )


SPLIT = {
    "tenders": [{"method": "wallet", "amount": "30.00"}, {"method": "points", "points": 2000}, {"method": "online_qr"}]
}


def _pay_split(member, order, key: str = "split-1"):
    return as_member(member).post(f"payments/orders/{order.pk}/tenders", SPLIT, headers={"Idempotency-Key": key})


def test_wallet_points_and_gateway_pay_the_order_when_the_callback_arrives(store, member):
    # given: 100.00 in the wallet, 5000 points, an order of 100.00
    _fund(member, store)
    order = _order(member, store)

    # when: 30.00 from the wallet, 2000 points (20.00), the rest at the gateway
    response = _pay_split(member, order)

    # then: wallet and points are spent at once, the gateway waits for 50.00
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["order_state"] == "pending_payment" and body["pay_url"].endswith(
        Payment.objects.get(method="online_qr").gateway_ref
    )
    assert [(p["method"], p["state"], p["amount"], p["points"]) for p in body["payments"]] == [
        ("wallet", "succeeded", "30.00", None),
        ("points", "succeeded", "20.00", 2000),
        ("online_qr", "pending", "50.00", None),
    ]
    assert (_wallet(member), _points(member)) == (D("70.00"), 3000)

    # when: the customer pays the gateway part
    outcome = simulate_customer_payment(gateway_ref=Payment.objects.get(method="online_qr").gateway_ref)

    # then: the order is paid, its tenders add up to its total exactly, the books agree
    order.refresh_from_db()
    assert (outcome, order.state) == ("paid", OrderState.PAID)
    assert _tenders(order) == [
        # taken points first, then stored value: the order refunds lock them in (no deadlock)
        ("points", "succeeded", D("20.00"), 2000, D("0.00")),
        ("wallet", "succeeded", D("30.00"), None, D("0.00")),
        ("online_qr", "succeeded", D("50.00"), None, D("0.00")),
    ]
    assert audit()[0], audit()[1]


def test_the_gateway_part_fails_and_wallet_and_points_come_back_exactly(store, member):
    _fund(member, store)
    order = _order(member, store)
    _pay_split(member, order)

    outcome = simulate_customer_payment(
        gateway_ref=Payment.objects.get(method="online_qr").gateway_ref, succeeded=False
    )

    # the order stays payable (until its deadline) and holds nothing of the member's
    order.refresh_from_db()
    assert (outcome, order.state) == ("failed", OrderState.PENDING_PAYMENT)
    assert (_wallet(member), _points(member)) == (D("100.00"), 5000)
    assert _tenders(order) == [
        ("points", "returned", D("20.00"), 2000, D("20.00")),
        ("wallet", "returned", D("30.00"), None, D("30.00")),
        ("online_qr", "failed", D("50.00"), None, D("0.00")),
    ]
    assert list(Refund.objects.order_by("pk").values_list("amount", "points", "state")) == [
        (D("20.00"), 2000, "succeeded"),
        (D("30.00"), None, "succeeded"),
    ]
    assert audit()[0], audit()[1]

    # and the customer can pay again, with a fresh key
    again = _pay_split(member, order, key="split-2")
    assert again.status_code == 201 and (_wallet(member), _points(member)) == (D("70.00"), 3000)


def test_cancelling_an_unpaid_order_gives_the_wallet_part_back(store, member):
    _fund(member, store)
    order = _order(member, store)
    _pay_split(member, order)

    response = as_member(member).post(f"orders/{order.pk}/cancel")

    order.refresh_from_db()
    assert (response.status_code, order.state) == (200, OrderState.CANCELLED)
    assert (_wallet(member), _points(member)) == (D("100.00"), 5000)
    assert [t[:2] for t in _tenders(order)] == [("points", "returned"), ("wallet", "returned"), ("online_qr", "failed")]
    # money that still arrives at the gateway for it is returned
    late = simulate_customer_payment(gateway_ref=Payment.objects.get(method="online_qr").gateway_ref)
    assert late == "returned"
    assert audit()[0], audit()[1]


def test_a_partial_return_pays_back_points_first_then_wallet_then_gateway(store, member):
    # given: two units of 40.00 paid with 1000 points (10.00), 20.00 stored value and 50.00 at the gateway
    _fund(member, store)
    order = _order(member, store, price="40.00", quantity=2)
    body = {"tenders": [{"method": "points", "points": 1000}, {"method": "wallet", "amount": "20.00"},
                        {"method": "online_qr"}]}  # fmt: skip
    as_member(member).post(f"payments/orders/{order.pk}/tenders", body, headers={"Idempotency-Key": "k"})
    simulate_customer_payment(gateway_ref=Payment.objects.get(method="online_qr").gateway_ref)
    clerk = EmployeeFactory(home_location=store)
    as_staff(clerk).post("pickup/redeem", {"code": PickupVoucher.objects.get(order=order).code})

    # when: one unit (40.00) comes back
    manager = EmployeeFactory(home_location=store, role=Role.STORE_MANAGER)
    line = order.lines.get()
    response = as_staff(manager).post(
        f"orders/{order.pk}/returns", {"lines": [{"line_id": line.pk, "quantity": 1}], "reason": "too big"}
    )

    # then: 10.00 of points (1000), all 20.00 of stored value, 10.00 from the gateway
    assert response.status_code == 200, response.content
    assert [(t[0], t[4]) for t in _tenders(order)] == [
        ("points", D("10.00")),
        ("wallet", D("20.00")),
        ("online_qr", D("10.00")),
    ]
    assert list(Refund.objects.order_by("pk").values_list("payment__method", "amount", "points")) == [
        ("points", D("10.00"), 1000),
        ("wallet", D("20.00"), None),
        ("online_qr", D("10.00"), None),
    ]
    assert (_wallet(member), _points(member)) == (D("100.00"), 5000)
    order.refresh_from_db()
    assert order.refunded_total == D("40.00")
    assert audit()[0], audit()[1]


def test_tenders_over_the_payable_are_refused_and_nothing_is_written(store, member):
    _fund(member, store, wallet="500.00")
    order = _order(member, store)
    body = {"tenders": [{"method": "wallet", "amount": "80.00"}, {"method": "points", "points": 2001}]}

    response = as_member(member).post(f"payments/orders/{order.pk}/tenders", body, headers={"Idempotency-Key": "k"})

    assert (response.status_code, problem_code(response)) == (422, "tenders_exceed_payable")
    assert Payment.objects.count() == 0 and WalletEntry.objects.filter(kind="spend").count() == 0
    assert (_wallet(member), _points(member)) == (D("500.00"), 5000)


def test_a_retry_with_the_same_key_returns_the_same_payments_and_moves_nothing_again(store, member):
    _fund(member, store)
    order = _order(member, store)

    first, again = _pay_split(member, order), _pay_split(member, order)

    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Payment.objects.count() == 3 and (_wallet(member), _points(member)) == (D("70.00"), 3000)
    other = dict(SPLIT, tenders=[{"method": "wallet", "amount": "10.00"}])
    conflict = as_member(member).post(
        f"payments/orders/{order.pk}/tenders", other, headers={"Idempotency-Key": "split-1"}
    )
    assert (conflict.status_code, problem_code(conflict)) == (409, "idempotency_conflict")


def test_the_member_pays_at_the_counter_by_code_and_cash_for_the_rest(store, clerk, member):
    # given: a counter sale of 100.00 for the member, who shows their payment code
    _fund(member, store)
    sku = SKUFactory(price=D("100.00"))
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=3)
    order = place_counter_sale(clerk=clerk, sku=sku, member=member)
    code, _row = issue_payment_code(actor=actor_for_member(member))

    # when: the clerk scans it for 60.00 and takes cash for the rest
    body = {"tenders": [{"method": "wallet", "amount": "60.00", "member_code": code}, {"method": "cash"}]}
    response = as_staff(clerk).post(f"payments/orders/{order.pk}/tenders", body, headers={"Idempotency-Key": "c1"})

    # then: paid (handed over at the counter), 60.00 from the member's wallet, 40.00 cash in the store's drawer
    assert response.status_code == 201, response.content
    order.refresh_from_db()
    assert order.state == OrderState.PICKED_UP and _wallet(member) == D("40.00")
    assert list(Payment.objects.order_by("pk").values_list("method", "amount", "payer", "location", "received_by")) == [
        ("wallet", D("60.00"), member.pk, store.pk, clerk.user.pk),
        ("cash", D("40.00"), None, store.pk, clerk.user.pk),
    ]
    # the code was used once: scanned again it pays nothing
    sale = place_counter_sale(clerk=clerk, sku=sku, member=member)
    body = {"tenders": [{"method": "wallet", "member_code": code}]}
    again = as_staff(clerk).post(f"payments/orders/{sale.pk}/tenders", body)
    assert (again.status_code, problem_code(again)) == (409, "payment_code_invalid")
    assert _wallet(member) == D("40.00") and not Payment.objects.filter(order=sale).exists()
    assert audit()[0], audit()[1]


def test_a_code_of_another_member_pays_nothing_and_stays_usable(store, clerk, member):
    stranger = MemberFactory()
    _fund(stranger, store)
    sku = SKUFactory(price=D("10.00"))
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=3)
    order = place_counter_sale(clerk=clerk, sku=sku, member=member)
    code, _row = issue_payment_code(actor=actor_for_member(stranger))

    response = as_staff(clerk).post(
        f"payments/orders/{order.pk}/tenders", {"tenders": [{"method": "wallet", "member_code": code}]}
    )

    assert (response.status_code, problem_code(response)) == (409, "payment_code_invalid")
    assert Payment.objects.count() == 0 and _wallet(stranger) == D("100.00")
    # an order without a member takes the code (the payment records whose wallet paid)
    walk_in = place_counter_sale(clerk=clerk, sku=sku)
    paid = as_staff(clerk).post(
        f"payments/orders/{walk_in.pk}/tenders", {"tenders": [{"method": "wallet", "member_code": code}]}
    )
    assert paid.status_code == 201 and Payment.objects.get().payer == stranger
    walk_in.refresh_from_db()
    assert walk_in.member is None and walk_in.state == OrderState.PICKED_UP


def test_a_clerk_of_another_store_cannot_take_the_payment(store, other_store, member):
    sku = SKUFactory(price=D("10.00"))
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=3)
    order = place_counter_sale(clerk=EmployeeFactory(home_location=store), sku=sku)
    stranger = EmployeeFactory(home_location=other_store)

    response = as_staff(stranger).post(f"payments/orders/{order.pk}/tenders", {"tenders": [{"method": "cash"}]})

    assert response.status_code == 404 and problem_code(response) == "not_found"
    assert Payment.objects.count() == 0


def test_staff_cannot_spend_a_members_balance_without_their_code(store, clerk, member):
    _fund(member, store)
    sku = SKUFactory(price=D("10.00"))
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=3)
    order = place_counter_sale(clerk=clerk, sku=sku, member=member)

    response = as_staff(clerk).post(f"payments/orders/{order.pk}/tenders", {"tenders": [{"method": "wallet"}]})

    assert (response.status_code, problem_code(response)) == (403, "forbidden")
    assert Payment.objects.count() == 0 and _wallet(member) == D("100.00")


@pytest.mark.parametrize(
    "body",
    [
        {"tenders": []},
        {"tenders": [{"method": "bitcoin"}]},
        {"tenders": [{"method": "store_credit", "amount": "10.00"}]},
        {"tenders": [{"method": "wallet", "amount": "-1.00"}]},
        {"tenders": [{"method": "wallet", "amount": "1.005"}]},
        {"tenders": [{"method": "wallet", "amount": "abc"}]},
        {"tenders": [{"method": "wallet", "amount": True}]},
        {"tenders": [{"method": "points"}]},
        {"tenders": [{"method": "points", "points": True}]},
        {"tenders": [{"method": "points", "points": 100, "amount": "1.00"}]},
        {"tenders": [{"method": "wallet", "points": 100}]},
        {"tenders": [{"method": "wallet"}, {"method": "online_qr"}]},
        {"tenders": [{"method": "online_qr", "amount": "10.00"}]},
        {"tenders": [{"method": "online_qr"}, {"method": "online_qr"}]},
        {"tenders": [{"method": "points", "points": 100, "member_code": "123"}]},
        {"tenders": [{"method": "online_qr"}], "installment_periods": 4},
        {"tenders": [{"method": "online_qr"}], "installment_periods": 3},  # a 100.00 order is too small
        {"tenders": "wallet"},
    ],
)
def test_bad_tenders_are_a_4xx_and_nothing_is_written(store, member, body):
    _fund(member, store)
    order = _order(member, store)

    response = as_member(member).post(f"payments/orders/{order.pk}/tenders", body)

    assert response.status_code in (400, 422), response.content
    assert response["Content-Type"] == "application/problem+json"
    assert Payment.objects.count() == 0 and (_wallet(member), _points(member)) == (D("100.00"), 5000)


def test_a_paid_order_takes_no_more_tenders(store, member):
    _fund(member, store)
    order = _order(member, store, price="10.00")
    as_member(member).post(f"payments/orders/{order.pk}/tenders", {"tenders": [{"method": "wallet"}]})

    response = as_member(member).post(
        f"payments/orders/{order.pk}/tenders", {"tenders": [{"method": "points", "points": 10}]}
    )

    assert (response.status_code, problem_code(response)) == (409, "illegal_transition")
    assert _tenders(order) == [("wallet", "succeeded", D("10.00"), None, D("0.00"))]


def test_the_gateway_installment_product_books_its_fee_on_big_orders(store, member, settings):
    settings.O2O_INSTALLMENT_FEE_BORNE_BY = "customer"
    order = _order(member, store, price="1200.00")

    response = as_member(member).post(f"payments/orders/{order.pk}/online?installment_periods=6")

    assert response.status_code == 201, response.content
    payment = Payment.objects.get()
    assert (payment.amount, payment.installment_periods, payment.installment_fee, payment.installment_fee_borne_by) == (
        D("1200.00"),
        6,
        D("54.00"),
        "customer",
    )
    assert response.json()["pay_url"].endswith(f"{payment.gateway_ref}?installment_periods=6")
    assert simulate_customer_payment(gateway_ref=payment.gateway_ref) == "paid"


def test_the_gateway_installment_product_is_refused_below_the_minimum(store, member):
    order = _order(member, store, price="999.99")

    response = as_member(member).post(f"payments/orders/{order.pk}/online?installment_periods=3")

    assert (response.status_code, problem_code(response)) == (422, "invalid")
    assert Payment.objects.count() == 0


def test_a_clerk_who_guesses_codes_is_stopped_even_for_the_right_one(store, clerk, member):
    _fund(member, store)
    sku = SKUFactory(price=D("10.00"))
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=3)
    order = place_counter_sale(clerk=clerk, sku=sku, member=member)
    code, _row = issue_payment_code(actor=actor_for_member(member))
    path = f"payments/orders/{order.pk}/tenders"

    wrong = [
        as_staff(clerk).post(path, {"tenders": [{"method": "wallet", "member_code": f"{n:018d}"}]}) for n in range(10)
    ]
    right = as_staff(clerk).post(path, {"tenders": [{"method": "wallet", "member_code": code}]})

    assert {r.status_code for r in wrong} == {409}
    assert (right.status_code, problem_code(right)) == (429, "rate_limited")
    assert Payment.objects.count() == 0 and _wallet(member) == D("100.00")


def test_an_order_of_nothing_is_paid_at_once_and_opens_no_gateway_payment(store, member):
    free = SKUFactory(price=Decimal("0.00"))
    receive_stock(location_id=store.pk, sku_id=free.pk, quantity=5, actor=SYSTEM)
    order = place_pickup_order(member=member, store=store, sku=free)

    response = as_member(member).post(f"payments/orders/{order.pk}/online", {})

    # nothing to pay: ready for pickup with its voucher, without waiting for a payment deadline
    order.refresh_from_db()
    assert order.state == OrderState.PAID and order.paid_at is not None
    assert PickupVoucher.objects.filter(order=order).exists()
    assert response.status_code == 409 and problem_code(response) == "illegal_transition"
    assert not Payment.objects.filter(order=order).exists()
    assert audit()[0], audit()[1]
