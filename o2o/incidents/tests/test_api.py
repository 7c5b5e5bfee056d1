"""Incidents over the API as an attacker would try them: another store's incident, a remedy applied
twice, more units than missing, a closed incident, bad input; and the automatic openers firing once."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from o2o.access.actors import SYSTEM
from o2o.core import events
from o2o.coupons.models import Coupon
from o2o.coupons.services import create_template
from o2o.incidents.models import Incident, IncidentAction
from o2o.incidents.sweeps import sweep_late
from o2o.inventory.models import StockLevel
from o2o.inventory.services import receive_stock
from o2o.orders.locks import lock_order
from o2o.orders.models import Order, OrderLine
from o2o.payments.models import Refund
from o2o.staff.models import Role
from o2o.testing.api import as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, SKUFactory
from o2o.testing.journeys import paid_pickup_order
from o2o.testing.preparation import mark_ready

pytestmark = pytest.mark.django_db


@pytest.fixture
def tea():
    return SKUFactory(name="乌龙茶 500ml", price=Decimal("3.33"))


@pytest.fixture
def manager(store):
    return EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)


def _short(order: Order, missing: int) -> Incident:
    with transaction.atomic():
        locked = lock_order(order.pk)
        line = OrderLine.objects.get(order=locked)
        events.publish(events.PICK_SHORTAGE, order=locked, line=line, missing=missing, actor_id=None)
    return Incident.objects.get(order=order, kind="item_missing")


def _order(store, member, sku, quantity=3) -> Order:
    receive_stock(location_id=store.pk, sku_id=sku.pk, quantity=10, actor=SYSTEM)
    return paid_pickup_order(member=member, store=store, sku=sku, quantity=quantity)


def test_a_shortage_published_twice_opens_one_incident(store, member, tea):
    order = _order(store, member, tea)

    first, second = _short(order, 1), _short(order, 1)

    assert first.pk == second.pk and Incident.objects.count() == 1
    assert list(IncidentAction.objects.values_list("kind", flat=True)) == ["opened"]
    assert (first.opened_by_id, first.quantity, first.remedy, first.location_id) == (
        None,
        1,
        "partial_refund",
        store.pk,
    )


def test_refunds_of_missing_units_add_up_to_the_line_net_to_the_fen(store, member, tea, manager):
    # 3 x 3.33 = 9.99: two missing units are 3.33 + 3.33 by cumulative rounding
    order = _order(store, member, tea)
    incident = _short(order, 2)
    staff = as_staff(manager)

    one = staff.post(f"incidents/{incident.pk}/refunds", {"quantity": 1}, headers={"Idempotency-Key": "a"})
    two = staff.post(f"incidents/{incident.pk}/refunds", {"quantity": 1}, headers={"Idempotency-Key": "b"})

    assert [one.status_code, two.status_code] == [201, 201]
    assert [r.amount for r in Refund.objects.order_by("pk")] == [Decimal("3.33"), Decimal("3.33")]
    order.refresh_from_db()
    assert order.refunded_total == Decimal("6.66")
    assert StockLevel.objects.get(location=store, sku=tea).reserved == 1


def test_more_units_than_missing_is_refused_and_nothing_is_written(store, member, tea, manager):
    order = _order(store, member, tea)
    incident = _short(order, 1)

    refused = as_staff(manager).post(f"incidents/{incident.pk}/refunds", {"quantity": 2})

    assert refused.status_code == 422 and problem_code(refused) == "return_exceeds_sold"
    assert Refund.objects.count() == 0
    assert OrderLine.objects.get(order=order).returned_quantity == 0
    assert StockLevel.objects.get(location=store, sku=tea).reserved == 3
    assert Incident.objects.get().refunded_quantity == 0


def test_the_last_units_of_an_order_are_not_refunded_as_missing(store, member, tea, manager):
    order = _order(store, member, tea, quantity=1)
    incident = _short(order, 1)

    refused = as_staff(manager).post(f"incidents/{incident.pk}/refunds", {"quantity": 1})

    assert refused.status_code == 409 and problem_code(refused) == "illegal_transition"
    assert Refund.objects.count() == 0 and Incident.objects.get().refunded_quantity == 0


def test_another_stores_staff_get_404_and_change_nothing(store, other_store, member, tea):
    order = _order(store, member, tea)
    incident = _short(order, 1)
    stranger = as_staff(EmployeeFactory(role=Role.STORE_MANAGER, home_location=other_store))

    assert stranger.get(f"incidents/{incident.pk}").status_code == 404
    assert stranger.post(f"incidents/{incident.pk}/refunds", {"quantity": 1}).status_code == 404
    assert stranger.post(f"incidents/{incident.pk}/close", {"outcome": "resolved"}).status_code == 404
    assert stranger.get("incidents").json()["results"] == []
    assert Refund.objects.count() == 0 and Incident.objects.get().state == "open"


def test_a_clerk_sees_the_incident_but_may_not_refund(store, member, tea, clerk):
    order = _order(store, member, tea)
    incident = _short(order, 1)
    counter = as_staff(clerk)

    assert counter.get(f"incidents/{incident.pk}").status_code == 200
    assert counter.post(f"incidents/{incident.pk}/refunds", {"quantity": 1}).status_code == 403
    assert Refund.objects.count() == 0


def _apology_template():
    return create_template(actor=SYSTEM, name="致歉券", kind="threshold", amount=Decimal("5.00"),
                           min_spend=Decimal("20.00"), valid_days=7)  # fmt: skip


def test_an_apology_coupon_retried_under_its_key_is_the_first_action(store, member, tea, manager):
    order = _order(store, member, tea)
    incident = _short(order, 1)
    template = _apology_template()
    staff = as_staff(manager)
    key = {"Idempotency-Key": "coupon-1"}

    first = staff.post(f"incidents/{incident.pk}/coupons", {"template_id": template.pk}, headers=key)
    retry = staff.post(f"incidents/{incident.pk}/coupons", {"template_id": template.pk}, headers=key)

    assert [first.status_code, retry.status_code] == [201, 201]
    assert first.json() == retry.json()
    assert Coupon.objects.filter(member=member).count() == 1
    assert IncidentAction.objects.filter(incident=incident, kind="coupon_granted").count() == 1
    assert IncidentAction.objects.filter(incident=incident, kind="customer_told").count() == 1


def test_an_apology_coupon_asked_again_under_another_key_is_a_409_and_writes_nothing(store, member, tea, manager):
    order = _order(store, member, tea)
    incident = _short(order, 1)
    template = _apology_template()
    staff = as_staff(manager)
    first = staff.post(
        f"incidents/{incident.pk}/coupons", {"template_id": template.pk}, headers={"Idempotency-Key": "a"}
    )
    actions = list(IncidentAction.objects.order_by("pk").values_list("pk", flat=True))

    second = staff.post(
        f"incidents/{incident.pk}/coupons", {"template_id": template.pk}, headers={"Idempotency-Key": "b"}
    )
    no_key = staff.post(f"incidents/{incident.pk}/coupons", {"template_id": template.pk})

    assert first.status_code == 201
    assert (second.status_code, problem_code(second)) == (409, "conflict")
    assert (no_key.status_code, problem_code(no_key)) == (409, "conflict")
    assert second.json()["action_id"] == first.json()["id"]
    assert Coupon.objects.filter(member=member).count() == 1
    assert list(IncidentAction.objects.order_by("pk").values_list("pk", flat=True)) == actions


def test_a_closed_incident_takes_no_remedy(store, member, tea, manager):
    order = _order(store, member, tea)
    incident = _short(order, 1)
    staff = as_staff(manager)
    assert staff.post(f"incidents/{incident.pk}/close", {"outcome": "no_action_needed"}).status_code == 200

    refused = staff.post(f"incidents/{incident.pk}/refunds", {"quantity": 1})
    closed_again = staff.post(f"incidents/{incident.pk}/close", {"outcome": "resolved"})

    assert (refused.status_code, closed_again.status_code) == (409, 409)
    assert Refund.objects.count() == 0
    assert Incident.objects.get().outcome == "no_action_needed"


def test_substitute_is_swapped_only_on_the_customers_yes(store, member, tea, manager):
    order = _order(store, member, tea)
    incident = _short(order, 1)
    green = SKUFactory(name="绿茶 500ml", price=Decimal("3.50"))
    staff = as_staff(manager)

    early = staff.post(f"incidents/{incident.pk}/substitutes/answer", {"accepted": True})
    offered = staff.post(f"incidents/{incident.pk}/substitutes", {"sku_id": green.pk, "note": "同价替换"})
    declined = staff.post(f"incidents/{incident.pk}/substitutes/answer", {"accepted": False})

    assert early.status_code == 409
    assert (offered.status_code, offered.json()["sku_id"]) == (201, green.pk)
    assert (declined.json()["kind"], declined.json()["sku_id"]) == ("substitute_declined", green.pk)
    assert Incident.objects.get().state == "open"  # a no is not a remedy


@pytest.mark.parametrize(
    "path, body",
    [
        ("refunds", {"quantity": 0}),
        ("refunds", {"quantity": "1"}),
        ("refunds", {"quantity": True}),
        ("coupons", {"template_id": True}),
        ("redeliveries", {"note": ""}),
        ("substitutes", {"sku_id": 999_999}),
        ("close", {"outcome": "whatever"}),
        ("close", {"outcome": "resolved", "note": "x" * 501}),
    ],
)
def test_bad_input_is_a_4xx_problem_and_writes_nothing(store, member, tea, manager, path, body):
    incident = _short(_order(store, member, tea), 1)

    response = as_staff(manager).post(f"incidents/{incident.pk}/{path}", body)

    assert 400 <= response.status_code < 500 and response["Content-Type"].startswith("application/problem+json")
    assert list(IncidentAction.objects.values_list("kind", flat=True)) == ["opened"]


def test_opening_by_hand_twice_is_a_409(store, member, tea, manager):
    order = _order(store, member, tea)
    line = OrderLine.objects.get(order=order)
    staff = as_staff(manager)
    body = {"order_id": order.pk, "kind": "damaged_item", "line_id": line.pk, "quantity": 1, "detail": "瓶身破损"}

    first, second = staff.post("incidents", body), staff.post("incidents", body)

    assert first.status_code == 201 and first.json()["opened_by_id"] == manager.user_id
    assert second.status_code == 409 and problem_code(second) == "conflict"
    assert Incident.objects.count() == 1


def test_an_uncollected_pickup_and_a_failed_delivery_open_their_incidents(store, member, tea):
    order = mark_ready(_order(store, member, tea))
    never_ready = _order(store, member, tea)
    with transaction.atomic():
        events.publish(events.ORDER_UNCOLLECTED, order=lock_order(order.pk), amount=Decimal("9.99"))
        events.publish(events.DELIVERY_FAILED, order=order, reason="nobody home", actor_id=None)
    with transaction.atomic():
        events.publish(events.ORDER_UNCOLLECTED, order=lock_order(never_ready.pk), amount=Decimal("9.99"))

    kinds = sorted(Incident.objects.values_list("order_id", "kind", "remedy"))
    assert kinds == [
        (order.pk, "delivery_failed", "redelivery"),
        (order.pk, "no_show", "contact_customer"),
        # the store never made it ready: its failure, not the customer's
        (never_ready.pk, "late_preparation", "apology_coupon"),
    ]


def test_hq_counts_by_type_store_and_step_with_the_overdue(store, other_store, member, tea):
    late = _short(_order(store, member, tea), 1)
    long_ago = timezone.now() - timedelta(days=200)
    Incident.objects.filter(pk=late.pk).update(opened_at=long_ago, due_by=long_ago)
    receive_stock(location_id=other_store.pk, sku_id=tea.pk, quantity=10, actor=SYSTEM)
    _short(paid_pickup_order(member=member, store=other_store, sku=tea, quantity=2), 1)
    hq = as_staff(EmployeeFactory(role=Role.HQ, home_location=None))

    since = (timezone.now() - timedelta(days=300)).isoformat()
    until = (timezone.now() + timedelta(days=1)).isoformat()  # the second incident opened just now
    counts = hq.get("incidents/counts", since=since, until=until).json()

    assert (counts["total"], counts["overdue"]) == (2, 1)
    assert [(r["key"], r["total"], r["overdue"]) for r in counts["by_kind"]] == [("item_missing", 2, 1)]
    assert sorted((r["key"], r["total"]) for r in counts["by_location"]) == [
        (str(store.pk), 1),
        (str(other_store.pk), 1),
    ]
    assert [(r["key"], r["open"]) for r in counts["by_step"]] == [("preparation", 2)]
    clerk = as_staff(EmployeeFactory(role=Role.CLERK, home_location=store))
    assert clerk.get("incidents/counts", since=since).json()["total"] == 1  # their store only


def test_the_sweep_opens_late_preparations_once(store, member, tea):
    order = _order(store, member, tea)
    later = order.paid_at + timedelta(days=1)

    first, again = sweep_late(now=later), sweep_late(now=later + timedelta(minutes=1))

    assert first == {"late_preparation": 1, "late_delivery": 0}
    assert again == {"late_preparation": 0, "late_delivery": 0}
    incident = Incident.objects.get()
    assert (incident.kind, incident.step, incident.remedy) == ("late_preparation", "preparation", "apology_coupon")
    assert incident.due_by - incident.opened_at == timedelta(minutes=30)
