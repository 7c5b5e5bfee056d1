"""Starting an order's online payment: its first tender is one statement; anything already there
(a double tap, a failed attempt, another tender) is read first and decides, as before."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from o2o.access.actors import SYSTEM, actor_for_member, actor_for_user
from o2o.core.errors import DomainError
from o2o.payments.models import Payment
from o2o.payments.services import TenderRequest, pay_order, start_online_payment
from o2o.payments.tenders import fail_pending
from o2o.testing.factories import EmployeeFactory
from o2o.testing.journeys import place_pickup_order, stocked_sku
from o2o.testing.statements import tables_of
from o2o.wallet.services import top_up_at_counter

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(member, store):
    return place_pickup_order(member=member, store=store, sku=stocked_sku(store), quantity=2)


def test_an_orders_first_online_payment_is_one_statement_for_the_whole_total(order):
    with CaptureQueriesContext(connection) as captured:
        payment, url = start_online_payment(actor=SYSTEM, order=order)

    assert tables_of(captured) == ["INSERT payments_payment"]  # NOT EXISTS a tender of the order
    stored = Payment.objects.get(order=order)
    assert (stored.pk, stored.state, stored.amount, stored.gateway) == (payment.pk, "pending", order.total, "simulated")
    assert stored.gateway_ref == payment.gateway_ref and payment.gateway_ref in url


def test_a_double_tap_reads_the_waiting_payment_and_gets_it_back(order):
    first, _url = start_online_payment(actor=SYSTEM, order=order)

    with CaptureQueriesContext(connection) as captured:
        again, _url = start_online_payment(actor=SYSTEM, order=order)

    assert again.pk == first.pk and again.gateway_ref == first.gateway_ref
    assert tables_of(captured) == ["INSERT payments_payment", "SELECT payments_payment"]
    assert Payment.objects.filter(order=order).count() == 1


def test_after_a_failed_attempt_a_new_payment_of_the_whole_total_waits(order):
    first, _url = start_online_payment(actor=SYSTEM, order=order)
    assert fail_pending(first)

    second, _url = start_online_payment(actor=SYSTEM, order=order)

    assert second.pk != first.pk and second.amount == order.total
    states = dict(Payment.objects.filter(order=order).values_list("pk", "state"))
    assert states == {first.pk: "failed", second.pk: "pending"}


def test_an_order_of_nothing_gets_no_gateway_payment(order):
    order.total = Decimal("0.00")

    with pytest.raises(DomainError) as refused:
        start_online_payment(actor=SYSTEM, order=order)

    assert refused.value.code == "illegal_transition"
    assert not Payment.objects.filter(order=order).exists()


def test_with_part_paid_from_the_wallet_the_gateway_waits_for_the_rest(order, member, store):
    clerk = EmployeeFactory(home_location=store)
    top_up_at_counter(actor=actor_for_user(clerk.user), location_id=store.pk, amount="5.00", method="cash",
                      member_id=member.pk)  # fmt: skip
    pay_order(actor=actor_for_member(member), order=order, tenders=[TenderRequest("wallet", amount=Decimal("5.00"))],
              idempotency_key=None)  # fmt: skip

    payment, _url = start_online_payment(actor=SYSTEM, order=order)

    assert payment.amount == order.total - Decimal("5.00") > 0
    assert Payment.objects.get(order=order, state="pending").pk == payment.pk
