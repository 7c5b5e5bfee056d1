"""The customer hears of a remedy through notifications: the member's language and channels, once
per action, and never an anonymised member."""

from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from o2o.access.actors import SYSTEM
from o2o.core import events
from o2o.core.models import OutboxMessage
from o2o.incidents.models import Incident, IncidentAction
from o2o.inventory.services import receive_stock
from o2o.members.models import Member
from o2o.notifications.models import Notification, NotificationPreference
from o2o.orders.locks import lock_order
from o2o.orders.models import OrderLine
from o2o.staff.models import Role
from o2o.testing.api import as_staff
from o2o.testing.factories import EmployeeFactory, SKUFactory
from o2o.testing.journeys import paid_pickup_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(store):
    return EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)


def _short_order(store, member) -> tuple:
    tea = SKUFactory(name="乌龙茶 500ml", price=Decimal("3.33"))
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=10, actor=SYSTEM)
    order = paid_pickup_order(member=member, store=store, sku=tea, quantity=3)
    with transaction.atomic():
        locked = lock_order(order.pk)
        events.publish(events.PICK_SHORTAGE, order=locked, line=OrderLine.objects.get(order=locked), missing=1,
                       actor_id=None)  # fmt: skip
    return order, Incident.objects.get(order=order, kind="item_missing")


def _refund(manager, incident, key="r1"):
    return as_staff(manager).post(f"incidents/{incident.pk}/refunds", {"quantity": 1}, headers={"Idempotency-Key": key})


def test_a_refund_is_told_once_in_the_members_language_on_their_channel(store, member, manager):
    NotificationPreference.objects.create(member=member, sms=False, push=True, language="en")
    order, incident = _short_order(store, member)

    first = _refund(manager, incident)
    retry = _refund(manager, incident)

    assert (first.status_code, retry.status_code) == (201, 201) and first.json()["id"] == retry.json()["id"]
    told = Notification.objects.get(kind="incident_update")
    assert (told.member_id, told.order_id, told.language) == (member.pk, order.pk, "en")
    assert (
        told.text == f"Order {order.number}: 1 unit(s) could not be supplied; 3.33 is on its way back to how you paid."
    )
    assert [(m.channel, m.message.recipient) for m in told.messages.select_related("message")] == [
        ("push", f"member:{member.pk}")
    ]
    assert list(IncidentAction.objects.filter(kind="customer_told").values_list("reference", flat=True)) == [
        f"notification:{told.pk}"
    ]


def test_a_chinese_speaking_member_gets_the_chinese_text_by_sms(store, member, manager):
    order, incident = _short_order(store, member)

    assert _refund(manager, incident).status_code == 201

    told = Notification.objects.get(kind="incident_update")
    assert told.language == "zh-hans" and told.text.startswith(f"订单{order.number}：")
    assert [m.channel for m in told.messages.all()] == ["sms"]
    assert told.messages.get().message.recipient == member.phone


def test_two_remedies_of_one_order_are_two_notifications(store, member, manager):
    order, incident = _short_order(store, member)

    _refund(manager, incident, key="r1")
    assert (
        as_staff(manager).post(f"incidents/{incident.pk}/redeliveries", {"note": "tomorrow 10:00"}).status_code == 201
    )

    assert Notification.objects.filter(kind="incident_update", order=order).count() == 2


def test_an_anonymised_member_is_told_nothing(store, member, manager):
    order, incident = _short_order(store, member)
    Member.objects.filter(pk=member.pk).update(anonymised_at=timezone.now())
    outbox_before = OutboxMessage.objects.count()

    assert _refund(manager, incident).status_code == 201

    assert Notification.objects.filter(kind="incident_update").count() == 0
    assert not IncidentAction.objects.filter(kind="customer_told").exists()
    assert OutboxMessage.objects.count() == outbox_before
