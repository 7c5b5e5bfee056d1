"""A member is told once per state change of their order, on their channels, in their language."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from o2o.access.actors import SYSTEM, actor_for_member
from o2o.core import events, messaging
from o2o.core.models import OutboxMessage
from o2o.inventory.services import receive_stock
from o2o.members.models import Member
from o2o.notifications import channels, services
from o2o.notifications.models import Notification, NotificationPreference, NotificationTemplate
from o2o.orders.models import Order
from o2o.payments.models import Payment
from o2o.payments.services import handle_gateway_callback
from o2o.payments.simulator import SimulatedGateway, signed_callback
from o2o.pickup.models import PickupVoucher
from o2o.testing.api import as_member, as_staff
from o2o.testing.factories import EmployeeFactory, LocationFactory, SKUFactory
from o2o.testing.journeys import paid_pickup_order, pay_online, place_counter_sale, place_pickup_order
from o2o.testing.preparation import mark_ready

pytestmark = pytest.mark.django_db


def _messages(member: Member) -> list[OutboxMessage]:
    ids = Notification.objects.filter(member=member).values_list("messages__message_id", flat=True)
    return list(OutboxMessage.objects.filter(pk__in=ids).order_by("pk"))


def _kinds(member: Member) -> list[str]:
    return list(Notification.objects.filter(member=member).order_by("pk").values_list("kind", flat=True))


def test_a_paid_pickup_order_is_told_by_sms_with_its_pickup_code(store, member, sku):
    order = paid_pickup_order(member=member, store=store, sku=sku)

    voucher = PickupVoucher.objects.get(order=order)
    [message] = _messages(member)
    assert (message.channel, message.recipient) == ("sms", member.phone)
    assert message.text() == (
        f"订单{order.number}已支付39.90元。取货码{voucher.display_code}"
        + _number_suffix(voucher)
        + f"，请到{store.name}出示取货。"
    )
    assert voucher.code[:4] not in message.body  # the code waits in the secret, out of the logs
    notification = Notification.objects.get(member=member)
    assert notification.kind == "paid_pickup"
    assert f"**** **** {voucher.code[-4:]}" in notification.text and voucher.display_code not in notification.text


def _number_suffix(voucher: PickupVoucher) -> str:
    number = getattr(voucher, "display_number", "")
    return f"（取货号{number}）" if number else ""


def test_a_replayed_event_and_a_retried_payment_callback_tell_once(store, member, sku):
    order = place_pickup_order(member=member, store=store, sku=sku)
    from o2o.payments.services import start_online_payment

    payment, _url = start_online_payment(actor=SYSTEM, order=order)
    payment = Payment.objects.get(pk=payment.pk)
    body, signature = signed_callback(payment, succeeded=True)

    handle_gateway_callback(gateway_name=SimulatedGateway.name, body=body, signature=signature)
    handle_gateway_callback(gateway_name=SimulatedGateway.name, body=body, signature=signature)
    with transaction.atomic():
        events.publish(events.ORDER_PAID, order=Order.objects.get(pk=order.pk))

    assert _kinds(member) == ["paid_pickup"]
    assert len(_messages(member)) == 1


def test_each_state_change_of_a_pickup_is_told_once(store, clerk, member, sku):
    order = paid_pickup_order(member=member, store=store, sku=sku)
    mark_ready(order)
    code = PickupVoucher.objects.get(order=order).code

    redeemed = as_staff(clerk).post("pickup/redeem", {"code": code})
    assert redeemed.status_code == 200, redeemed.content

    assert _kinds(member) == ["paid_pickup", "ready_for_pickup", "picked_up"]
    ready = _messages(member)[1]
    assert PickupVoucher.objects.get(order=order).display_code in ready.text()
    assert _messages(member)[2].text() == f"订单{order.number}已在{store.name}取货，感谢惠顾。"


def test_delivery_is_told_when_it_leaves_with_its_eta_and_when_it_arrives(store, member, sku):
    order = place_pickup_order(member=member, store=store, sku=sku)
    Order.objects.filter(pk=order.pk).update(fulfilment="delivery", delivery_address="上海市静安区愚园路100号")
    order.refresh_from_db()
    eta = timezone.now() + timedelta(days=2)  # another day: the date is said too

    with transaction.atomic():
        events.publish(events.ORDER_OUT_FOR_DELIVERY, order=order, eta=eta)
        events.publish(events.ORDER_OUT_FOR_DELIVERY, order=order, eta=eta)  # replayed
        events.publish(events.ORDER_DELIVERED, order=order)

    assert _kinds(member) == ["out_for_delivery", "delivered"]
    local = timezone.localtime(eta).strftime("%m-%d %H:%M")
    assert _messages(member)[0].text() == f"订单{order.number}已从{store.name}出发配送，预计{local}送达。"


def test_a_cancelled_paid_order_is_told_its_refund_to_the_fen(store, member, sku):
    order = paid_pickup_order(member=member, store=store, sku=sku)

    cancelled = as_member(member).post(f"orders/{order.pk}/cancel", headers={"Idempotency-Key": "c-1"})
    assert cancelled.status_code == 200, cancelled.content

    assert _kinds(member) == ["paid_pickup", "refunded"]
    assert _messages(member)[-1].text() == f"订单{order.number}已退款39.90元，将原路退回。"


def test_members_channels_and_language_decide_where_and_how(store, member, sku):
    NotificationPreference.objects.create(member=member, sms=False, wechat=True, push=True, language="en")
    NotificationTemplate.objects.filter(kind="paid_pickup", language="en", channel="wechat").update(
        wechat_template_id="TPL-PAID"
    )

    order = paid_pickup_order(member=member, store=store, sku=sku)

    voucher = PickupVoucher.objects.get(order=order)
    wechat, push = _messages(member)
    assert (wechat.channel, wechat.recipient, wechat.subject) == ("wechat", f"member:{member.pk}", "TPL-PAID")
    data = json.loads(wechat.text())
    assert data["character_string1"] == {"value": order.number}
    assert data["thing2"]["value"].startswith(
        f"Order {order.number}: 39.90 yuan paid. Pickup code {voucher.display_code}"
    )
    assert (push.channel, push.subject) == ("push", order.number)
    assert not OutboxMessage.objects.filter(recipient=member.phone).exists()  # no SMS chosen


def test_marketing_opt_out_does_not_stop_order_messages_but_stops_marketing(store, member, sku):
    assert member.marketing_consent is False
    paid_pickup_order(member=member, store=store, sku=sku)

    assert services.send_marketing(member_id=member.pk, content="周末全场8折。") is None
    Member.objects.filter(pk=member.pk).update(marketing_consent=True, marketing_consent_at=timezone.now())
    sent = services.send_marketing(member_id=member.pk, content="周末全场8折。")

    assert _kinds(member) == ["paid_pickup", "marketing"]
    assert sent.text == f"{member.name}您好，周末全场8折。 回复TD退订"


def test_a_walk_in_without_membership_and_a_counter_sale_are_not_told(store, clerk, member, sku):
    sale = place_counter_sale(clerk=clerk, sku=sku, member=member)
    paid = as_staff(clerk).post(f"payments/orders/{sale.pk}/in-store", {"method": "cash"})
    assert paid.status_code == 201, paid.content
    walk_in = place_counter_sale(clerk=clerk, sku=sku)
    assert as_staff(clerk).post(f"payments/orders/{walk_in.pk}/in-store", {"method": "cash"}).status_code == 201

    assert Notification.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


def test_an_endless_aisle_pickup_tells_the_member_the_pickup_code(store, other_store, clerk, member):
    drill = SKUFactory(name="电钻", price=Decimal("299.00"))
    receive_stock(location_id=other_store.pk, sku_id=drill.pk, quantity=1, actor=SYSTEM)
    counter = as_staff(clerk)
    order = counter.post(
        "orders",
        {
            "channel": "pos",
            "fulfilment": "pickup",
            "location_id": other_store.pk,
            "member_phone": member.phone,
            "lines": [{"sku_id": drill.pk, "quantity": 1}],
        },
    ).json()
    assert counter.post(f"payments/orders/{order['id']}/in-store", {"method": "cash"}).status_code == 201

    voucher = PickupVoucher.objects.get(order_id=order["id"])
    [message] = _messages(member)
    assert voucher.display_code in message.text()
    assert f"请到{other_store.name}出示取货" in message.text()


def test_the_sms_backend_signs_with_the_chain_signature(settings, store, member, sku):
    settings.O2O_MESSAGE_BACKENDS = {"sms": "o2o.notifications.channels.SimulatedSmsBackend"}
    settings.O2O_SMS_SIGNATURE = "【O2O】"
    channels.SENT.clear()
    order = paid_pickup_order(member=member, store=store, sku=sku)
    [message] = _messages(member)

    messaging.deliver(message_id=message.pk)

    [(channel, recipient, payload)] = channels.SENT
    assert (channel, recipient) == ("sms", member.phone)
    assert payload["text"].startswith(f"【O2O】订单{order.number}已支付39.90元。取货码")
    assert PickupVoucher.objects.get(order=order).display_code in payload["text"]
    message.refresh_from_db()
    assert (message.state, message.secret) == ("sent", "")


def test_the_reminder_goes_once_per_voucher_before_it_expires(settings, store, clerk, member, sku):
    settings.O2O_PICKUP_REMINDER_HOURS = 24
    waiting = paid_pickup_order(member=member, store=store, sku=sku)
    collected = paid_pickup_order(member=member, store=store, sku=sku)
    far = paid_pickup_order(member=member, store=store, sku=sku)
    now = timezone.now()
    PickupVoucher.objects.filter(order__in=[waiting, collected]).update(expires_at=now + timedelta(hours=5))
    PickupVoucher.objects.filter(order=collected).update(state="revoked", revoked_at=now)

    assert services.remind_pickups(now=now) == 1
    assert services.remind_pickups(now=now + timedelta(hours=1)) == 0

    reminders = Notification.objects.filter(kind="pickup_reminder")
    assert [r.order_id for r in reminders] == [waiting.pk]
    assert far.pk not in {r.order_id for r in reminders}
    voucher = PickupVoucher.objects.get(order=waiting)
    expires = timezone.localtime(voucher.expires_at).strftime("%Y-%m-%d %H:%M")
    assert f"请在{expires}前凭取货码{voucher.display_code}" in _messages(member)[-1].text()


def test_an_anonymised_member_is_not_told(store, sku):
    member = Member.objects.create(phone="+8613900000001", registration_channel="h5")
    order = place_pickup_order(member=member, store=store, sku=sku)
    Member.objects.filter(pk=member.pk).update(anonymised_at=timezone.now())
    with transaction.atomic():
        events.publish(events.ORDER_DELIVERED, order=order)
    assert Notification.objects.count() == 0


def test_a_member_anonymised_before_the_gateway_s_callback_is_not_told_of_the_payment(store, sku):
    member = Member.objects.create(phone="+8613900000002", registration_channel="h5")
    order = place_pickup_order(member=member, store=store, sku=sku)
    Member.objects.filter(pk=member.pk).update(anonymised_at=timezone.now())

    paid = pay_online(order)  # the callback reads the member with the order it locks

    assert paid.state == "paid" and PickupVoucher.objects.filter(order=order).exists()
    assert Notification.objects.count() == 0


def test_another_store_clerk_sees_nothing_of_it(store, member, sku):
    stranger = EmployeeFactory(home_location=LocationFactory())
    paid_pickup_order(member=member, store=store, sku=sku)
    assert actor_for_member(member).member == member
    assert as_staff(stranger).get("me/notifications").status_code == 403


def test_a_message_without_a_voucher_leaves_the_code_out_instead_of_failing_the_change(store, member, sku):
    order = place_pickup_order(member=member, store=store, sku=sku)  # unpaid: no voucher yet

    with transaction.atomic():
        events.publish(events.ORDER_READY_FOR_PICKUP, order=order)

    [message] = _messages(member)
    assert message.text() == f"订单{order.number}已备好，请凭取货码到{store.name}取货。"
    assert message.secret == ""


def test_a_delivery_ordered_at_the_counter_is_told_paid_dispatched_and_delivered(store, clerk, member):
    from o2o.staff.models import Role
    from o2o.stores.models import Location

    warehouse = LocationFactory(name="浦东仓", kind=Location.Kind.WAREHOUSE, pickup_enabled=False)
    drill = SKUFactory(name="电钻", price=Decimal("299.00"))
    receive_stock(location_id=warehouse.pk, sku_id=drill.pk, quantity=1, actor=SYSTEM)
    counter = as_staff(clerk)
    order = counter.post(
        "orders",
        {
            "channel": "pos",
            "fulfilment": "delivery",
            "location_id": warehouse.pk,
            "member_phone": member.phone,
            "delivery_address": "上海市静安区愚园路100号",
            "lines": [{"sku_id": drill.pk, "quantity": 1}],
        },
    ).json()
    assert counter.post(f"payments/orders/{order['id']}/in-store", {"method": "card"}).status_code == 201
    shipper = as_staff(EmployeeFactory(role=Role.WAREHOUSE_CLERK, home_location=warehouse))
    assert shipper.post(f"orders/{order['id']}/dispatch").status_code == 200
    assert shipper.post(f"orders/{order['id']}/delivered").status_code == 200

    assert _kinds(member) == ["paid", "out_for_delivery", "delivered"]
    paid, out, delivered = (m.text() for m in _messages(member))
    assert paid == f"订单{order['number']}已支付299.00元，浦东仓正在为您准备。"
    assert out == f"订单{order['number']}已从浦东仓出发配送，预计尽快送达。"
    assert delivered == f"订单{order['number']}已送达，感谢惠顾。"
