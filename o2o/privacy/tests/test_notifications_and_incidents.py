"""Notifications and incidents in a member's data rights: listed in the export (only the member's
own), blanked by the deletion."""

import json
from decimal import Decimal

import pytest
from django.db import transaction

from o2o.access.actors import SYSTEM, actor_for_member
from o2o.core import events
from o2o.core.models import OutboxMessage
from o2o.incidents.models import IncidentAction
from o2o.inventory.services import receive_stock
from o2o.notifications.models import Notification
from o2o.orders.locks import lock_order
from o2o.orders.models import Order
from o2o.payments.services import cancel_order
from o2o.staff.models import Role
from o2o.testing.api import as_member, as_staff
from o2o.testing.factories import EmployeeFactory, MemberFactory, SKUFactory
from o2o.testing.journeys import paid_pickup_order
from o2o.testing.outbox import last_code_sent_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def sku(store):
    sku = SKUFactory(price=Decimal("12.50"))
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=50)
    return sku


def _finished_order_with_an_incident(member, store, sku) -> Order:
    """Paid, cancelled (refunded: a finished order), its delivery failed as far as incidents know, and
    the customer told that it will be delivered again."""
    order = cancel_order(actor=actor_for_member(member), order=paid_pickup_order(member=member, store=store, sku=sku))
    with transaction.atomic():
        events.publish(events.DELIVERY_FAILED, order=lock_order(order.pk), reason="nobody home", actor_id=None)
    incident = order.incidents.get()
    manager = EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)
    told = as_staff(manager).post(f"incidents/{incident.pk}/redeliveries", {"note": "明天上午"})
    assert told.status_code == 201, told.content
    return order


def test_the_export_lists_my_notifications_and_my_orders_incidents_only(store, sku):
    me, other = MemberFactory(), MemberFactory()
    mine = _finished_order_with_an_incident(me, store, sku)
    theirs = _finished_order_with_an_incident(other, store, sku)

    body = as_member(me).get("privacy/export").content.decode()

    data = json.loads(body)
    told = Notification.objects.filter(member=me).order_by("created_at", "pk")
    assert [(n["kind"], n["order"], n["channels"]) for n in data["notifications"]] == [
        (n.kind, mine.number, ["sms"]) for n in told
    ]
    assert "incident_update" in [n["kind"] for n in data["notifications"]]
    [incident] = data["incidents"]
    assert (incident["order"], incident["kind"], incident["state"]) == (mine.number, "delivery_failed", "remedied")
    assert [a["kind"] for a in incident["actions"]] == ["opened", "redelivery", "customer_told"]
    assert theirs.number not in body and other.phone not in body


def test_deleting_the_account_blanks_what_was_sent_to_me(store, sku):
    me, other = MemberFactory(), MemberFactory()
    _finished_order_with_an_incident(me, store, sku)
    _finished_order_with_an_incident(other, store, sku)
    their_texts = list(Notification.objects.filter(member=other).values_list("text", flat=True))
    client = as_member(me)
    assert client.post("privacy/deletion/code").status_code == 202

    deleted = client.post("privacy/deletion", {"code": last_code_sent_to(me.phone)})

    assert deleted.status_code == 200, deleted.content
    mine = Notification.objects.filter(member=me)
    assert mine.count() >= 2 and set(mine.values_list("text", flat=True)) == {"[deleted]"}
    sent = OutboxMessage.objects.filter(pk__in=mine.values("messages__message_id"))
    assert set(sent.values_list("body", "recipient", "secret")) == {("[deleted]", f"+999{me.pk:012d}", "")}
    assert set(sent.values_list("state", flat=True)) <= {"sent", "failed"}
    told = IncidentAction.objects.filter(incident__order__member=me, kind="customer_told")
    assert told.count() == 1 and told.get().note == ""
    # the other member's messages are untouched
    assert list(Notification.objects.filter(member=other).values_list("text", flat=True)) == their_texts
    assert IncidentAction.objects.get(incident__order__member=other, kind="customer_told").note != ""
