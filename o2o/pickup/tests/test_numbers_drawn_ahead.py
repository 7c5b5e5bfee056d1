"""A gateway's paid callback draws the store's short pickup number before its transaction, in a
statement of its own (pickup.numbers): the voucher gets that number; a callback that pays nothing
draws none; a number drawn for a payment that did not go through is skipped, never given twice."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from o2o.access.actors import SYSTEM, actor_for_member
from o2o.inventory.services import receive_stock
from o2o.orders.models import Order, OrderState
from o2o.orders.services import LineRequest, OrderRequest, place_order
from o2o.payments.gateways import SIGNATURE_HEADER, SimulatedGateway
from o2o.payments.models import Payment
from o2o.payments.services import handle_gateway_callback, start_online_payment
from o2o.payments.simulator import signed_callback
from o2o.pickup import numbers
from o2o.pickup.models import PickupNumberCounter, PickupVoucher
from o2o.testing.api import ApiClient, as_member, problem_code
from o2o.testing.factories import LocationFactory, MemberFactory, SKUFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 17, 50, tzinfo=SHANGHAI)
TODAY = NOW.date()


@pytest.fixture
def shop():
    return LocationFactory(opens_at=time(9), closes_at=time(21))


@pytest.fixture
def sku(shop):
    sku = SKUFactory()
    receive_stock(location_id=shop.pk, sku_id=sku.pk, quantity=20, actor=SYSTEM)
    return sku


def pending_payment(shop, sku, pickup_at=None) -> Payment:
    member = MemberFactory()
    request = OrderRequest(channel="app", fulfilment="pickup", fulfilment_location_id=shop.pk,
                           lines=[LineRequest(sku.pk, 1)], pickup_at=pickup_at)  # fmt: skip
    order = place_order(actor=actor_for_member(member), member=member, request=request)
    return start_online_payment(actor=SYSTEM, order=order)[0]


def callback(payment: Payment, *, succeeded: bool = True, event_id: str | None = None) -> str:
    body, signature = signed_callback(payment, succeeded=succeeded, event_id=event_id)
    return handle_gateway_callback(gateway_name=SimulatedGateway.name, body=body, signature=signature)


def last_number(shop, day=TODAY) -> int | None:
    return PickupNumberCounter.objects.filter(location=shop, day=day).values_list("last", flat=True).first()


def test_the_voucher_takes_the_number_drawn_before_the_payments_transaction(shop, sku):
    with time_machine.travel(NOW, tick=False):
        first, second = pending_payment(shop, sku), pending_payment(shop, sku)
        assert callback(second) == "paid"
        assert callback(first) == "paid"

    numbers_by_order = dict(PickupVoucher.objects.values_list("order_id", "short_number"))
    assert numbers_by_order == {second.order_id: 1, first.order_id: 2}
    assert last_number(shop) == 2


def test_over_http_a_forged_callback_draws_nothing_and_the_gateways_own_gives_the_number(shop, sku):
    with time_machine.travel(NOW, tick=False):
        payment = pending_payment(shop, sku)
        body, signature = signed_callback(payment)
        gateway = ApiClient()
        forged = gateway.post("payments/callbacks/simulated", body, headers={SIGNATURE_HEADER: "0" * 64})
        counter_after_forgery = last_number(shop)
        paid = gateway.post("payments/callbacks/simulated", body, headers={SIGNATURE_HEADER: signature})
        order = Order.objects.get(pk=payment.order_id)
        voucher = as_member(order.member).get(f"pickup/orders/{order.pk}/voucher")

    assert (forged.status_code, problem_code(forged)) == (400, "bad_signature")
    assert counter_after_forgery is None
    assert paid.json() == {"outcome": "paid"}
    assert voucher.json()["pickup_number"] == "A001"


def test_a_callback_that_pays_nothing_draws_no_number(shop, sku):
    with time_machine.travel(NOW, tick=False):
        payment = pending_payment(shop, sku)
        failed = callback(payment, succeeded=False)
        paid = callback(payment)
        replayed = callback(payment)  # the gateway delivers the success again, as a new event
        again = callback(payment, event_id="same-event")
        duplicate = callback(payment, event_id="same-event")

    assert (failed, paid, replayed, again, duplicate) == ("failed", "paid", "already_settled", "already_settled",
                                                          "duplicate")  # fmt: skip
    assert last_number(shop) == 1
    assert PickupVoucher.objects.get().short_number == 1


def test_a_callback_for_less_than_the_order_draws_in_its_transaction_only_if_it_pays(shop, sku):
    with time_machine.travel(NOW, tick=False):
        payment = pending_payment(shop, sku)
        Payment.objects.filter(pk=payment.pk).update(amount=payment.amount - 1)  # as a partial tender
        payment.refresh_from_db()
        outcome = callback(payment)

    assert outcome == "partly_paid"
    assert last_number(shop) is None  # nothing drawn ahead, nothing drawn in the transaction
    assert Order.objects.get(pk=payment.order_id).state == OrderState.PENDING_PAYMENT


def test_an_order_for_a_chosen_time_draws_its_days_number_in_the_payment(shop, sku):
    tomorrow_morning = (NOW + timedelta(days=1)).replace(hour=10, minute=0)
    with time_machine.travel(NOW, tick=False):
        payment = pending_payment(shop, sku, pickup_at=tomorrow_morning)
        assert callback(payment) == "paid"

    voucher = PickupVoucher.objects.get()
    assert (voucher.pickup_day, voucher.short_number) == (tomorrow_morning.date(), 1)
    assert last_number(shop) is None and last_number(shop, tomorrow_morning.date()) == 1


def test_a_number_drawn_for_another_day_is_not_taken(shop, sku):
    with time_machine.travel(NOW, tick=False):
        payment = pending_payment(shop, sku)
        yesterday = numbers.draw_ahead(order_id=payment.order_id, day=TODAY - timedelta(days=1))
        # the payment's transaction runs after midnight of the day the number was drawn for
        number = numbers.take_drawn_ahead(order_id=payment.order_id, location_id=shop.pk, day=TODAY)

    assert yesterday is not None and yesterday.number == 1
    assert number is None
    assert numbers.take_drawn_ahead(order_id=payment.order_id, location_id=shop.pk, day=yesterday.day) is None


def test_a_number_drawn_ahead_goes_to_its_own_order_only(shop, sku):
    with time_machine.travel(NOW, tick=False):
        drawn_for, paid = pending_payment(shop, sku), pending_payment(shop, sku)
        numbers.draw_ahead(order_id=drawn_for.order_id, day=TODAY)  # its callback then failed
        assert callback(paid) == "paid"

    assert PickupVoucher.objects.get().short_number == 2  # 1 is a gap, never given
    assert last_number(shop) == 2


def test_no_number_is_drawn_ahead_for_an_order_that_no_longer_waits_for_payment(shop, sku):
    with time_machine.travel(NOW, tick=False):
        payment = pending_payment(shop, sku)
        Order.objects.filter(pk=payment.order_id).update(state=OrderState.CANCELLED)
        drawn = numbers.draw_ahead(order_id=payment.order_id, day=TODAY)

    assert drawn is None and last_number(shop) is None
