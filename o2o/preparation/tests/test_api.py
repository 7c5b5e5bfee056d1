"""The preparation queue over the API, as the store's staff and as outsiders: paid pickup orders
wait in the queue (the order stays paid, shown as preparing), one clerk accepts, picks by
scanning, reports what is missing, and marks the order ready (or packed for delivery)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from o2o.access.actors import SYSTEM
from o2o.core import events
from o2o.inventory.services import receive_stock
from o2o.orders.models import Order, OrderState
from o2o.preparation.models import Preparation, PreparationPick, PreparationState
from o2o.preparation.selectors import late_preparations
from o2o.staff.models import Role
from o2o.testing.api import ApiClient, as_member, as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, SKUFactory
from o2o.testing.journeys import paid_pickup_order, pay_online

pytestmark = pytest.mark.django_db


@pytest.fixture
def sku(store):
    sku = SKUFactory(price=Decimal("25.00"), barcode="6901234567892")
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=20)
    return sku


@pytest.fixture
def counter(clerk):
    return as_staff(clerk)


def _preparation(order: Order) -> Preparation:
    return Preparation.objects.get(order=order)


def _delivery_order(member, store, sku, quantity=1) -> Order:
    customer = as_member(member)
    placed = customer.post("orders", {"channel": "app", "fulfilment": "delivery", "location_id": store.pk,
                                      "delivery_address": "上海市黄浦区南京东路1号",
                                      "lines": [{"sku_id": sku.pk, "quantity": quantity}]})  # fmt: skip
    assert placed.status_code == 201, placed.content
    return pay_online(Order.objects.get(pk=placed.json()["id"]))


def test_a_paid_pickup_order_waits_in_the_queue_until_ready(store, member, sku, counter, clerk):
    # given a member paid a pickup order of 2 units
    order = paid_pickup_order(member=member, store=store, sku=sku, quantity=2)
    preparation = _preparation(order)
    # then the order is paid (preparing), in the store's queue, due in the store's preparation time
    assert order.state == OrderState.PAID
    assert preparation.state == PreparationState.TO_PREPARE
    assert preparation.due_at == order.paid_at + timedelta(minutes=store.preparation_minutes)
    listed = counter.get("preparations")
    assert listed.status_code == 200
    assert [(row["order_number"], row["state"]) for row in listed.json()["results"]] == [(order.number, "to_prepare")]
    assert listed.json()["results"][0]["lines"] == [
        {"line_id": order.lines.get().pk, "sku_id": sku.pk, "sku_code": sku.code, "sku_name": sku.name,
         "ordered": 2, "picked": 0, "short": 0}
    ]  # fmt: skip
    # when the clerk accepts, scans both units and marks it ready
    accepted = counter.post(f"preparations/{preparation.pk}/accept")
    assert accepted.status_code == 200, accepted.content
    assert (accepted.json()["state"], accepted.json()["accepted_by_id"]) == ("accepted", clerk.user_id)
    scanned = counter.post(f"preparations/{preparation.pk}/picks", {"code": "6901234567892", "quantity": 2})
    assert scanned.json()["lines"][0]["picked"] == 2
    ready = counter.post(f"preparations/{preparation.pk}/ready")
    # then the order is ready for pickup and the event told the others
    assert ready.status_code == 200, ready.content
    assert ready.json()["state"] == "ready"
    order.refresh_from_db()
    assert order.state == OrderState.READY_FOR_PICKUP
    assert list(order.transitions.values_list("from_state", "to_state", "actor_id").order_by("pk"))[-1] == (
        "paid", "ready_for_pickup", clerk.user_id
    )  # fmt: skip
    # and asking again changes nothing (a retry)
    assert counter.post(f"preparations/{preparation.pk}/ready").json()["state"] == "ready"
    assert order.transitions.filter(to_state="ready_for_pickup").count() == 1


def test_the_ready_event_is_published_once(store, member, sku, counter):
    seen = []
    handler = events.subscribe(events.ORDER_READY_FOR_PICKUP)(lambda *, order, **_: seen.append(order.pk))
    try:
        order = paid_pickup_order(member=member, store=store, sku=sku)
        preparation = _preparation(order)
        counter.post(f"preparations/{preparation.pk}/accept")
        counter.post(f"preparations/{preparation.pk}/picks", {"sku_id": sku.pk})
        counter.post(f"preparations/{preparation.pk}/ready")
        counter.post(f"preparations/{preparation.pk}/ready")
    finally:
        events._handlers[events.ORDER_READY_FOR_PICKUP].remove(handler)
    assert seen == [order.pk]


def test_picking_more_than_ordered_is_refused_and_changes_nothing(store, member, sku, counter):
    order = paid_pickup_order(member=member, store=store, sku=sku, quantity=2)
    preparation = _preparation(order)
    counter.post(f"preparations/{preparation.pk}/accept")
    counter.post(f"preparations/{preparation.pk}/picks", {"sku_id": sku.pk, "quantity": 2})

    response = counter.post(f"preparations/{preparation.pk}/picks", {"sku_id": sku.pk, "quantity": 1})

    assert response.status_code == 422
    assert problem_code(response) == "invalid"
    assert PreparationPick.objects.get(preparation=preparation).picked_quantity == 2


def test_a_scan_of_an_item_not_on_the_order_is_refused(store, member, sku, counter):
    other = SKUFactory(barcode="6900000000001")
    preparation = _preparation(paid_pickup_order(member=member, store=store, sku=sku))
    counter.post(f"preparations/{preparation.pk}/accept")

    unknown = counter.post(f"preparations/{preparation.pk}/picks", {"code": "nothing-like-it"})
    not_ordered = counter.post(f"preparations/{preparation.pk}/picks", {"code": other.barcode})
    both = counter.post(f"preparations/{preparation.pk}/picks", {"code": other.barcode, "sku_id": sku.pk})
    boolean = counter.post(f"preparations/{preparation.pk}/picks", {"sku_id": sku.pk, "quantity": True})

    assert [unknown.status_code, not_ordered.status_code, both.status_code, boolean.status_code] == [
        422, 422, 422, 422
    ]  # fmt: skip
    assert PreparationPick.objects.get(preparation=preparation).picked_quantity == 0


def test_a_retried_scan_with_its_key_counts_once(store, member, sku, counter):
    preparation = _preparation(paid_pickup_order(member=member, store=store, sku=sku, quantity=3))
    counter.post(f"preparations/{preparation.pk}/accept")

    for _ in range(2):
        counter.post(f"preparations/{preparation.pk}/picks", {"sku_id": sku.pk}, headers={"Idempotency-Key": "s-1"})

    assert PreparationPick.objects.get(preparation=preparation).picked_quantity == 1


def test_ready_with_lines_unpicked_is_refused(store, member, sku, counter):
    order = paid_pickup_order(member=member, store=store, sku=sku, quantity=2)
    preparation = _preparation(order)
    counter.post(f"preparations/{preparation.pk}/accept")
    counter.post(f"preparations/{preparation.pk}/picks", {"sku_id": sku.pk, "quantity": 1})

    response = counter.post(f"preparations/{preparation.pk}/ready")

    assert response.status_code == 409
    assert response.json()["lines"] == [order.lines.get().pk]
    order.refresh_from_db()
    preparation.refresh_from_db()
    assert (order.state, preparation.state, preparation.ready_at) == (OrderState.PAID, "accepted", None)


def test_nothing_is_picked_before_the_order_is_accepted(store, member, sku, counter):
    preparation = _preparation(paid_pickup_order(member=member, store=store, sku=sku))

    picked = counter.post(f"preparations/{preparation.pk}/picks", {"sku_id": sku.pk})
    ready = counter.post(f"preparations/{preparation.pk}/ready")

    assert (picked.status_code, ready.status_code) == (409, 409)
    assert PreparationPick.objects.get(preparation=preparation).picked_quantity == 0


def test_a_shortage_is_published_for_incidents_and_then_the_rest_is_ready(store, member, sku, counter, clerk):
    order = paid_pickup_order(member=member, store=store, sku=sku, quantity=3)
    line = order.lines.get()
    preparation = _preparation(order)
    counter.post(f"preparations/{preparation.pk}/accept")
    counter.post(f"preparations/{preparation.pk}/picks", {"sku_id": sku.pk, "quantity": 1})
    seen = []
    handler = events.subscribe(events.PICK_SHORTAGE)(
        lambda *, order, line, missing, actor_id: seen.append((order.pk, line.pk, missing, actor_id))
    )
    try:
        # more picked than the shelf had is refused; the shelf had 1: 2 are missing
        refused = counter.post(f"preparations/{preparation.pk}/shortages", {"line_id": line.pk, "available": 0})
        reported = counter.post(f"preparations/{preparation.pk}/shortages", {"line_id": line.pk, "available": 1})
        again = counter.post(f"preparations/{preparation.pk}/shortages", {"line_id": line.pk, "available": 1})
        other = counter.post(f"preparations/{preparation.pk}/shortages", {"line_id": line.pk, "available": 2})
    finally:
        events._handlers[events.PICK_SHORTAGE].remove(handler)

    assert refused.status_code == 422
    assert reported.status_code == 200, reported.content
    assert (reported.json()["lines"][0]["picked"], reported.json()["lines"][0]["short"]) == (1, 2)
    assert again.status_code == 200
    assert other.status_code == 409
    assert seen == [(order.pk, line.pk, 2, clerk.user_id)]
    assert counter.post(f"preparations/{preparation.pk}/ready").json()["state"] == "ready"
    order.refresh_from_db()
    assert order.state == OrderState.READY_FOR_PICKUP


def test_a_delivery_order_is_packed_and_stays_paid(store, member, sku, counter):
    order = _delivery_order(member, store, sku, quantity=1)
    preparation = _preparation(order)
    counter.post(f"preparations/{preparation.pk}/accept")
    counter.post(f"preparations/{preparation.pk}/picks", {"sku_id": sku.pk})

    wrong = counter.post(f"preparations/{preparation.pk}/ready")
    packed = counter.post(f"preparations/{preparation.pk}/packed")

    assert wrong.status_code == 422
    assert packed.json()["state"] == "packed"
    order.refresh_from_db()
    assert order.state == OrderState.PAID


def test_a_store_that_accepts_automatically_queues_orders_accepted(store, member, sku, counter):
    store.auto_accept_orders = True
    store.save(update_fields=["auto_accept_orders"])

    preparation = _preparation(paid_pickup_order(member=member, store=store, sku=sku))

    assert (preparation.state, preparation.accepted_by_id) == ("accepted", None)
    assert preparation.accepted_at is not None
    assert counter.post(f"preparations/{preparation.pk}/accept").status_code == 409
    assert counter.post(f"preparations/{preparation.pk}/picks", {"sku_id": sku.pk}).status_code == 200


def test_the_chosen_pickup_slot_sets_the_due_time_when_later(store, member, sku):
    order = paid_pickup_order(member=member, store=store, sku=sku)
    slot = order.paid_at + timedelta(hours=3)
    Order.objects.filter(pk=order.pk).update(pickup_at=slot)
    Preparation.objects.filter(order=order).delete()
    order.refresh_from_db()
    from o2o.preparation.services import open_preparation

    assert open_preparation(order=order).due_at == slot


def test_outsiders_are_refused_and_nothing_changes(store, other_store, member, sku):
    preparation = _preparation(paid_pickup_order(member=member, store=store, sku=sku))
    strangers = {
        "other store's clerk": as_staff(EmployeeFactory(role=Role.CLERK, home_location=other_store)),
        "other store's manager": as_staff(EmployeeFactory(role=Role.STORE_MANAGER, home_location=other_store)),
        "customer service": as_staff(EmployeeFactory(role=Role.CS_AGENT, home_location=None)),
        "the customer": as_member(member),
        "anonymous": ApiClient(),
    }
    answers = {}
    for who, client in strangers.items():
        answers[who] = (
            client.post(f"preparations/{preparation.pk}/accept").status_code,
            client.post(f"preparations/{preparation.pk}/picks", {"sku_id": sku.pk}).status_code,
            client.post(f"preparations/{preparation.pk}/ready").status_code,
            client.get("preparations", location_id=store.pk).status_code,
        )

    assert answers == {
        "other store's clerk": (404, 404, 404, 404),
        "other store's manager": (404, 404, 404, 404),
        "customer service": (403, 403, 403, 403),
        "the customer": (404, 404, 404, 403),
        "anonymous": (401, 401, 401, 401),
    }
    preparation.refresh_from_db()
    assert (preparation.state, preparation.accepted_at) == ("to_prepare", None)


def test_the_queue_is_oldest_due_first_and_filters_by_state(store, member, sku, counter):
    first = _preparation(paid_pickup_order(member=member, store=store, sku=sku))
    second = _preparation(paid_pickup_order(member=member, store=store, sku=sku))
    Preparation.objects.filter(pk=second.pk).update(due_at=first.due_at - timedelta(minutes=5))
    counter.post(f"preparations/{first.pk}/accept")

    everything = counter.get("preparations").json()["results"]
    waiting = counter.get("preparations", state="to_prepare").json()["results"]
    bad = counter.get("preparations", state="nonsense")

    assert [row["id"] for row in everything] == [second.pk, first.pk]
    assert [row["id"] for row in waiting] == [second.pk]
    assert bad.status_code == 422


def test_handing_over_or_cancelling_closes_the_preparation(store, member, sku):
    from o2o.access.actors import actor_for_user
    from o2o.pickup.models import PickupVoucher
    from o2o.pickup.services import redeem_pickup_voucher

    # a paid (not yet ready) order is handed over on the spot: the preparation closes
    order = paid_pickup_order(member=member, store=store, sku=sku)
    clerk = EmployeeFactory(role=Role.CLERK, home_location=store)
    redeem_pickup_voucher(actor=actor_for_user(clerk.user), presented=PickupVoucher.objects.get(order=order).code)
    order.refresh_from_db()
    preparation = _preparation(order)
    assert order.state == OrderState.PICKED_UP
    assert (preparation.state, preparation.closed_at is not None) == ("closed", True)
    # a cancelled (refunded) paid order leaves the queue too
    manager = as_staff(EmployeeFactory(role=Role.STORE_MANAGER, home_location=store))
    cancelled = paid_pickup_order(member=member, store=store, sku=sku)
    assert manager.post(f"orders/{cancelled.pk}/cancel").status_code == 200
    assert _preparation(cancelled).state == "closed"


def test_late_preparations_are_those_not_ready_by_their_due_time(store, other_store, member, sku, counter):
    late = _preparation(paid_pickup_order(member=member, store=store, sku=sku))
    done = _preparation(paid_pickup_order(member=member, store=store, sku=sku))
    counter.post(f"preparations/{done.pk}/accept")
    counter.post(f"preparations/{done.pk}/picks", {"sku_id": sku.pk})
    counter.post(f"preparations/{done.pk}/ready")
    later = late.due_at + timedelta(minutes=1)

    assert list(late_preparations(now=later)) == [late]
    assert list(late_preparations(now=later, location_id=other_store.pk)) == []
    assert list(late_preparations(now=timezone.now())) == []
