"""Money leaving the process is durable: a refund to a gateway is a row worked with retries and
backoff, under its own id, so a retry never pays twice and a refund that cannot go out is seen."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from o2o.access.actors import SYSTEM
from o2o.inventory.services import receive_stock
from o2o.payments.gateways import get_gateway
from o2o.payments.models import Payment, PaymentAlert, Refund
from o2o.payments.refunds import backoff, send_due_refunds
from o2o.staff.models import Role
from o2o.testing.api import as_staff
from o2o.testing.factories import EmployeeFactory, SKUFactory
from o2o.testing.journeys import paid_pickup_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def gateway():
    simulated = get_gateway("simulated")
    simulated.refunds.clear()
    simulated.refund_calls = 0
    simulated.failures_to_come = 0
    yield simulated
    simulated.failures_to_come = 0


@pytest.fixture
def paid(store, member):
    """A paid online pickup order of 2 x 30.00."""
    sku = SKUFactory(price=Decimal("30.00"))
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=5, actor=SYSTEM)
    return paid_pickup_order(member=member, store=store, sku=sku, quantity=2)


def cancel_as_manager(store, order, capture):
    manager = EmployeeFactory(home_location=store, role=Role.STORE_MANAGER)
    with capture(execute=True):
        response = as_staff(manager).post(f"orders/{order.pk}/cancel")
    assert response.status_code == 200, response.content
    return Refund.objects.get()


def test_a_refund_goes_to_the_gateway_once_under_its_own_id(store, paid, gateway, django_capture_on_commit_callbacks):
    refund = cancel_as_manager(store, paid, django_capture_on_commit_callbacks)

    refund.refresh_from_db()
    assert (refund.state, refund.attempts, refund.amount) == (Refund.State.SUCCEEDED, 1, Decimal("60.00"))
    assert refund.finished_at is not None
    txn = Payment.objects.get().gateway_txn_id
    assert gateway.refunds == {refund.gateway_refund_id: (txn, Decimal("60.00"))}


def test_a_gateway_that_is_down_is_retried_with_backoff_until_the_refund_goes_through(
    store, paid, gateway, django_capture_on_commit_callbacks
):
    # given a gateway that fails the next two refund calls
    gateway.failures_to_come = 2

    # when the order is cancelled (the refund is tried after commit, and fails)
    refund = cancel_as_manager(store, paid, django_capture_on_commit_callbacks)

    # then the refund waits as requested, with the error and its next try
    refund.refresh_from_db()
    assert (refund.state, refund.attempts, refund.last_error) == (
        Refund.State.REQUESTED,
        1,
        "GatewayUnavailable: the simulated gateway is down",
    )
    first_retry = refund.next_attempt_at
    assert send_due_refunds(now=first_retry - timedelta(seconds=1)) == 0  # not due yet
    assert gateway.refund_calls == 1

    # and when the sweep runs at each due time, the third try goes through
    assert send_due_refunds(now=first_retry) == 0
    refund.refresh_from_db()
    assert (refund.state, refund.attempts) == (Refund.State.REQUESTED, 2)
    assert refund.next_attempt_at - first_retry == backoff(2)
    assert send_due_refunds(now=refund.next_attempt_at) == 1
    refund.refresh_from_db()
    assert (refund.state, refund.attempts, refund.last_error) == (Refund.State.SUCCEEDED, 3, "")
    assert list(gateway.refunds) == [refund.gateway_refund_id]


def test_a_retry_after_a_lost_answer_never_pays_twice(store, paid, gateway, django_capture_on_commit_callbacks):
    # given a refund the gateway paid, whose worker died before writing it down (still "sent")
    refund = cancel_as_manager(store, paid, django_capture_on_commit_callbacks)
    Refund.objects.filter(pk=refund.pk).update(
        state=Refund.State.SENT, finished_at=None, next_attempt_at=timezone.now()
    )

    # when the sweep tries it again after the worker's lease
    send_due_refunds(now=timezone.now() + timedelta(seconds=1))

    # then the gateway was asked twice under the same id and paid once
    assert gateway.refund_calls == 2
    assert gateway.refunds == {refund.gateway_refund_id: (Payment.objects.get().gateway_txn_id, Decimal("60.00"))}
    assert Refund.objects.get().state == Refund.State.SUCCEEDED


def test_a_refund_that_keeps_failing_is_failed_alerted_and_fails_the_audit(
    store, paid, gateway, settings, django_capture_on_commit_callbacks, caplog
):
    # given a gateway that is down for good, and 3 tries allowed
    settings.O2O_REFUND_MAX_ATTEMPTS = 3
    gateway.failures_to_come = 100
    refund = cancel_as_manager(store, paid, django_capture_on_commit_callbacks)

    # when the sweep keeps trying
    with caplog.at_level("ERROR", logger="o2o.payments"):
        for day in range(1, 6):
            send_due_refunds(now=timezone.now() + timedelta(days=day))

    # then after the third try the refund is failed, a person is alerted, and the audit says so
    refund.refresh_from_db()
    assert (refund.state, refund.attempts) == (Refund.State.FAILED, 3)
    assert gateway.refund_calls == 3
    alert = PaymentAlert.objects.get()
    assert (alert.kind, alert.refund_id, alert.expected_amount) == ("refund_failed", refund.pk, Decimal("60.00"))
    assert f"refund {refund.pk} failed for good after 3 attempts" in caplog.text
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("audit", stdout=out)
    assert f"refund_failed: refund {refund.pk}: 60.00 not paid back" in out.getvalue()
