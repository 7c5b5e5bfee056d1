"""Journey 9: an item missing at pick -> incident -> partial refund -> customer told -> closed.

Over the API: the member orders and pays for pickup, the clerk accepts it from the store's queue
and reports one unit not on the shelf (preparation's shortage, which publishes PICK_SHORTAGE),
the store manager sees the incident with its standard remedy, applies it (money to the fen back
on the tender; that unit's reservation released), the customer is texted, the incident closes."""

from datetime import timedelta
from decimal import Decimal

import pytest

from o2o.access.actors import SYSTEM
from o2o.core.models import OutboxMessage
from o2o.incidents.models import Incident, IncidentAction
from o2o.inventory.models import StockLevel
from o2o.inventory.services import receive_stock
from o2o.notifications.models import Notification
from o2o.orders.models import OrderLine
from o2o.payments.gateways import SIGNATURE_HEADER
from o2o.payments.models import Payment, Refund
from o2o.payments.simulator import signed_callback
from o2o.staff.models import Role
from o2o.testing.api import ApiClient, as_member, as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, SKUFactory

pytestmark = pytest.mark.django_db


def test_item_missing_at_pick_is_refunded_told_and_closed(store, clerk, member):
    tea = SKUFactory(name="乌龙茶 500ml", price=Decimal("6.50"))
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=5, actor=SYSTEM)
    manager = as_staff(EmployeeFactory(role=Role.STORE_MANAGER, home_location=store))
    customer = as_member(member)

    # a paid pickup order of three
    placed = customer.post(
        "orders", {"channel": "h5", "fulfilment": "pickup", "location_id": store.pk,
                   "lines": [{"sku_id": tea.pk, "quantity": 3}]},
    )  # fmt: skip
    assert placed.status_code == 201, placed.content
    order = placed.json()
    started = customer.post(f"payments/orders/{order['id']}/online")
    payment = Payment.objects.get(pk=started.json()["payment"]["id"])
    body, signature = signed_callback(payment)
    assert ApiClient().post("payments/callbacks/simulated", body, headers={SIGNATURE_HEADER: signature}).json() == {
        "outcome": "paid"
    }
    assert StockLevel.objects.get(location=store, sku=tea).reserved == 3

    # the clerk takes the order from the store's queue and picks: one unit is not on the shelf
    counter = as_staff(clerk)
    queued = counter.get("preparations").json()["results"]
    preparation_id = next(p["id"] for p in queued if p["order_id"] == order["id"])
    assert counter.post(f"preparations/{preparation_id}/accept").status_code == 200
    line_id = order["lines"][0]["id"]
    short = counter.post(f"preparations/{preparation_id}/shortages", {"line_id": line_id, "available": 2})
    assert short.status_code == 200, short.content

    # the manager sees the incident, its standard remedy and the time to act
    listed = manager.get("incidents", state="open").json()["results"]
    assert [(i["kind"], i["step"], i["remedy"], i["quantity"], i["line_id"]) for i in listed] == [
        ("item_missing", "preparation", "partial_refund", 1, line_id)
    ]
    incident = Incident.objects.get()
    assert incident.due_by - incident.opened_at == timedelta(minutes=30)
    assert incident.opened_by_id == clerk.user_id

    # applies it: 6.50 back on the tender, the unit's reservation released; a retry pays nothing more
    applied = manager.post(f"incidents/{incident.pk}/refunds", {"quantity": 1}, headers={"Idempotency-Key": "j9-1"})
    assert applied.status_code == 201, applied.content
    assert (applied.json()["kind"], Decimal(applied.json()["amount"])) == ("refunded", Decimal("6.50"))
    retried = manager.post(f"incidents/{incident.pk}/refunds", {"quantity": 1}, headers={"Idempotency-Key": "j9-1"})
    assert retried.json()["id"] == applied.json()["id"]
    assert [(r.payment_id, r.amount) for r in Refund.objects.all()] == [(payment.pk, Decimal("6.50"))]
    payment.refresh_from_db()
    assert payment.refunded_amount == Decimal("6.50")
    assert customer.get(f"orders/{order['id']}").json()["refunded_total"] == "6.50"
    assert OrderLine.objects.get(pk=line_id).returned_quantity == 1
    stock = StockLevel.objects.get(location=store, sku=tea)
    assert (stock.on_hand, stock.reserved) == (5, 2)

    # a second refund of the same missing unit is refused and writes nothing
    again = manager.post(f"incidents/{incident.pk}/refunds", {"quantity": 1}, headers={"Idempotency-Key": "j9-2"})
    assert again.status_code == 422 and problem_code(again) == "return_exceeds_sold"
    assert Refund.objects.count() == 1 and IncidentAction.objects.filter(kind="refunded").count() == 1

    # the customer is told through their notifications (SMS by default), to their phone
    told_ref = IncidentAction.objects.get(incident=incident, kind="customer_told").reference
    notification = Notification.objects.get(pk=int(told_ref.removeprefix("notification:")))
    assert (notification.kind, notification.member_id) == ("incident_update", member.pk)
    told = OutboxMessage.objects.get(pk=notification.messages.get(channel="sms").message_id)
    assert told.recipient == member.phone
    assert order["number"] in told.body and "6.50" in told.body

    # closed with its outcome; the history says who did what
    closed = manager.post(f"incidents/{incident.pk}/close", {"outcome": "resolved", "note": "顾客已知悉"})
    assert closed.status_code == 200, closed.content
    assert closed.json()["state"] == "closed" and closed.json()["outcome"] == "resolved"
    assert [a["kind"] for a in closed.json()["actions"]] == ["opened", "refunded", "customer_told", "closed"]
    assert closed.json()["refunded_quantity"] == 1 and closed.json()["refunded_amount"] == "6.50"

    # the clerk picks the two units there are and the order is ready; the voucher hands over two
    assert counter.post(f"preparations/{preparation_id}/picks", {"sku_id": tea.pk, "quantity": 2}).status_code == 200
    assert counter.post(f"preparations/{preparation_id}/ready").status_code == 200
    voucher = customer.get(f"pickup/orders/{order['id']}/voucher").json()
    assert counter.post("pickup/redeem", {"code": voucher["code"]}).status_code == 200
    stock = StockLevel.objects.get(location=store, sku=tea)
    assert (stock.on_hand, stock.reserved) == (3, 0)
