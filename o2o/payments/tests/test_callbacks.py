import json
from decimal import Decimal

import pytest

from o2o.access.actors import SYSTEM
from o2o.core.errors import DomainError
from o2o.inventory.services import receive_stock
from o2o.orders.services import cancel_unpaid
from o2o.payments.gateways import SIGNATURE_HEADER, SimulatedGateway
from o2o.payments.models import GatewayCallback, Payment, PaymentAlert, Refund
from o2o.payments.services import handle_gateway_callback, start_online_payment
from o2o.payments.simulator import signed_callback
from o2o.pickup.models import PickupVoucher
from o2o.testing.api import ApiClient, problem_code
from o2o.testing.factories import SKUFactory
from o2o.testing.journeys import place_pickup_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def payment(store, member):
    sku = SKUFactory(price=Decimal("12.30"))
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=5, actor=SYSTEM)
    order = place_pickup_order(member=member, store=store, sku=sku, quantity=2)
    payment, _url = start_online_payment(actor=SYSTEM, order=order)
    return payment


def deliver(body: bytes, signature: str) -> str:
    return handle_gateway_callback(gateway_name="simulated", body=body, signature=signature)


def test_a_bad_signature_is_refused_over_http_and_changes_nothing(payment):
    body, signature = signed_callback(payment)

    response = ApiClient().post("payments/callbacks/simulated", body, headers={SIGNATURE_HEADER: "0" * 64})
    tampered = body.replace(b"24.60", b"0.01")
    with pytest.raises(DomainError) as caught:
        deliver(tampered, signature)

    assert (response.status_code, problem_code(response)) == (400, "bad_signature")
    assert caught.value.code == "bad_signature"
    payment.refresh_from_db()
    assert payment.state == "pending"
    assert not GatewayCallback.objects.exists()


def test_a_replayed_callback_is_harmless(payment):
    body, signature = signed_callback(payment, event_id="evt-1")

    outcomes = [deliver(body, signature) for _ in range(3)]

    assert outcomes == ["paid", "duplicate", "duplicate"]
    assert Payment.objects.filter(state="succeeded").count() == 1
    assert PickupVoucher.objects.count() == 1


def test_a_late_failure_after_success_is_ignored(payment):
    deliver(*signed_callback(payment, event_id="ok"))

    outcome = deliver(*signed_callback(payment, succeeded=False, event_id="late-failure"))

    assert outcome == "ignored_late_failure"
    payment.refresh_from_db()
    assert payment.state == "succeeded"
    assert payment.order.state == "paid"


def test_success_after_a_failure_pays_the_order(payment):
    deliver(*signed_callback(payment, succeeded=False, event_id="first-try"))

    outcome = deliver(*signed_callback(payment, event_id="second-try"))

    assert outcome == "paid"


def test_an_amount_that_does_not_match_does_not_pay_is_returned_and_raises_an_alert(payment, caplog):
    # given a pending payment of 24.60 and a success callback for 0.01
    gateway = SimulatedGateway()
    body = gateway.callback_body(
        event_id="e", gateway_ref=payment.gateway_ref, succeeded=True, amount=Decimal("0.01"), txn_id="T1"
    )

    # when the gateway delivers it
    with caplog.at_level("ERROR", logger="o2o.payments"):
        outcome = deliver(body, gateway.sign(body))

    # then the order is not paid, the 0.01 the gateway took goes back, and a person is told
    assert outcome == "amount_mismatch"
    payment.refresh_from_db()
    assert (payment.state, payment.amount, payment.refunded_amount) == ("returned", Decimal("0.01"), Decimal("0.01"))
    assert payment.order.state == "pending_payment"
    assert list(Refund.objects.values_list("payment_id", "amount", "state")) == [
        (payment.pk, Decimal("0.01"), "requested")
    ]
    alert = PaymentAlert.objects.get()
    assert (alert.kind, alert.payment_id, alert.expected_amount, alert.received_amount) == (
        "amount_mismatch",
        payment.pk,
        Decimal("24.60"),
        Decimal("0.01"),
    )
    assert list(GatewayCallback.objects.values_list("event_id", "outcome")) == [("e", "amount_mismatch")]


def test_money_arriving_after_the_order_was_cancelled_is_refunded(payment):
    cancel_unpaid(order=payment.order, actor_id=None, note="deadline")

    outcome = deliver(*signed_callback(payment))

    assert outcome == "returned"
    payment.refresh_from_db()
    assert payment.state == "returned"
    refund = Refund.objects.get()
    assert (refund.payment_id, refund.amount) == (payment.pk, Decimal("24.60"))
    assert not PickupVoucher.objects.exists()


def test_an_unknown_gateway_is_404(payment):
    body, signature = signed_callback(payment)

    response = ApiClient().post("payments/callbacks/nopay", body, headers={SIGNATURE_HEADER: signature})

    assert response.status_code == 404


def test_a_second_payment_of_a_paid_order_is_returned_not_lost(payment):
    payment.state = "failed"
    Payment.objects.filter(pk=payment.pk).update(state="failed")
    second, _url = start_online_payment(actor=SYSTEM, order=payment.order)  # the customer tries again
    deliver(*signed_callback(second, event_id="second"))

    outcome = deliver(*signed_callback(payment, event_id="first-after-all"))  # the first one went through too

    assert outcome == "returned"
    states = dict(Payment.objects.values_list("pk", "state"))
    assert states == {payment.pk: "returned", second.pk: "succeeded"}
    assert Refund.objects.get().payment_id == payment.pk
    assert PickupVoucher.objects.count() == 1


def test_starting_the_payment_twice_reuses_the_waiting_one(payment):
    again, _url = start_online_payment(actor=SYSTEM, order=payment.order)

    assert again.pk == payment.pk
    assert Payment.objects.filter(order=payment.order).count() == 1


def post_callback(body: bytes, signature: str):
    return ApiClient().post("payments/callbacks/simulated", body, headers={SIGNATURE_HEADER: signature})


def test_a_callback_for_an_unknown_payment_is_recorded_and_raises_an_alert(
    payment, caplog, django_capture_on_commit_callbacks
):
    # given a signed callback for a payment reference this system never issued
    gateway = SimulatedGateway()
    body = gateway.callback_body(
        event_id="stray", gateway_ref="NOSUCHREF", succeeded=True, amount=Decimal("99.00"), txn_id="T-STRAY"
    )

    # when the gateway delivers it
    with caplog.at_level("ERROR", logger="o2o.payments"), django_capture_on_commit_callbacks(execute=True):
        response = post_callback(body, gateway.sign(body))

    # then it is acknowledged, kept, and a person is told about the 99.00 that has no order
    assert (response.status_code, response.json()) == (200, {"outcome": "unknown_payment"})
    assert list(GatewayCallback.objects.values_list("event_id", "outcome")) == [("stray", "unknown_payment")]
    alert = PaymentAlert.objects.get()
    assert (alert.kind, alert.event_id, alert.received_amount, alert.payment_id) == (
        "unknown_payment",
        "stray",
        Decimal("99.00"),
        None,
    )
    assert "payment alert unknown_payment" in caplog.text


@pytest.mark.parametrize("amount", ["abc", "NaN", "Infinity", "-1", "0", "1.005", "1e30", True, None, [1]])
def test_a_callback_with_an_amount_that_is_not_money_is_a_400_and_changes_nothing(payment, amount):
    body = json.dumps(
        {"event_id": "e1", "gateway_ref": payment.gateway_ref, "status": "succeeded", "amount": amount, "txn_id": "T"}
    ).encode()

    response = post_callback(body, SimulatedGateway().sign(body))

    assert (response.status_code, problem_code(response)) == (400, "bad_callback")
    payment.refresh_from_db()
    assert payment.state == "pending"
    assert not GatewayCallback.objects.exists()


def test_a_database_error_in_a_callback_is_a_5xx_not_a_duplicate(payment, member, store):
    # given another order's payment that already carries the gateway transaction id T-1
    other = place_pickup_order(member=member, store=store, sku=payment.order.lines.get().sku, quantity=1)
    Payment.objects.create(order=other, method="online_qr", amount=other.total, gateway="simulated",
                           gateway_ref="OTHER", gateway_txn_id="T-1", state="failed")  # fmt: skip
    # and a success callback for our payment with that same transaction id (the unique txn id refuses it)
    gateway = SimulatedGateway()
    body = gateway.callback_body(
        event_id="e-db", gateway_ref=payment.gateway_ref, succeeded=True, amount=payment.amount, txn_id="T-1"
    )

    # when the gateway delivers it
    response = post_callback(body, gateway.sign(body))

    # then the answer is a 5xx (the gateway will deliver it again), and nothing was applied or recorded
    assert (response.status_code, problem_code(response)) == (503, "callback_not_applied")
    payment.refresh_from_db()
    assert (payment.state, payment.order.state) == ("pending", "pending_payment")
    assert not GatewayCallback.objects.exists()
