"""Incidents on PostgreSQL: managers applying the same refund at once, and shortage events racing
to open one incident. The order's lock, the conditional UPDATE and the UNIQUE index decide."""

import time
from decimal import Decimal

import pytest
from django.db import transaction

from o2o.access.actors import SYSTEM, actor_for_user
from o2o.core import events
from o2o.core.errors import DomainError
from o2o.coupons.models import Coupon
from o2o.coupons.services import create_template
from o2o.incidents import services
from o2o.incidents.models import Incident, IncidentAction
from o2o.inventory.models import StockLevel
from o2o.inventory.services import receive_stock
from o2o.orders.locks import lock_order
from o2o.orders.models import OrderLine
from o2o.payments.models import Refund
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory, LocationFactory, MemberFactory, SKUFactory
from o2o.testing.journeys import paid_pickup_order
from o2o.testing.races import requires_postgres, run_together

pytestmark = [pytest.mark.postgres, requires_postgres, pytest.mark.django_db(transaction=True)]
RUNS = 4


def _paid(store, quantity=3):
    tea = SKUFactory(price=Decimal("3.33"))
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=10, actor=SYSTEM)
    return paid_pickup_order(member=MemberFactory(), store=store, sku=tea, quantity=quantity), tea


def _shortage(order_id: int, missing: int) -> None:
    with transaction.atomic():
        order = lock_order(order_id)
        line = OrderLine.objects.get(order=order)
        events.publish(events.PICK_SHORTAGE, order=order, line=line, missing=missing, actor_id=None)


def test_shortage_events_racing_open_one_incident():
    store = LocationFactory()
    order, _tea = _paid(store)

    outcomes = run_together([lambda: _shortage(order.pk, 1)] * RUNS)

    assert [o.error for o in outcomes] == [None] * RUNS
    assert Incident.objects.count() == 1
    assert IncidentAction.objects.filter(kind="opened").count() == 1


def test_managers_racing_to_refund_the_missing_unit_refund_it_once():
    store = LocationFactory()
    order, tea = _paid(store)
    _shortage(order.pk, 1)
    incident = Incident.objects.get()
    actors = [actor_for_user(EmployeeFactory(role=Role.STORE_MANAGER, home_location=store).user) for _ in range(RUNS)]

    started = time.perf_counter()
    outcomes = run_together(
        [
            lambda a=a, i=i: services.refund_units(actor=a, incident_id=incident.pk, quantity=1, key=f"k{i}")
            for i, a in enumerate(actors)
        ]
    )
    elapsed = time.perf_counter() - started

    refused = [o.error for o in outcomes if o.error is not None]
    assert len(refused) == RUNS - 1 and all(isinstance(e, DomainError) for e in refused)
    assert {str(e.code) for e in refused} == {"return_exceeds_sold"}
    assert [r.amount for r in Refund.objects.all()] == [Decimal("3.33")]
    order.refresh_from_db()
    assert order.refunded_total == Decimal("3.33")
    assert OrderLine.objects.get(order=order).returned_quantity == 1
    assert StockLevel.objects.get(location=store, sku=tea).reserved == 2
    print(f"{RUNS} managers refunding one missing unit at once: 1 refund, {elapsed * 1000:.0f} ms")


def test_managers_racing_to_grant_an_apology_coupon_grant_one():
    store = LocationFactory()
    order, _tea = _paid(store)
    _shortage(order.pk, 1)
    incident = Incident.objects.get()
    template = create_template(actor=SYSTEM, name="致歉券", kind="threshold", amount=Decimal("5.00"),
                               min_spend=Decimal("20.00"), valid_days=7)  # fmt: skip
    actors = [actor_for_user(EmployeeFactory(role=Role.STORE_MANAGER, home_location=store).user) for _ in range(RUNS)]

    outcomes = run_together(
        [
            lambda a=a, i=i: services.grant_apology_coupon(
                actor=a, incident_id=incident.pk, template_id=template.pk, key=f"k{i}"
            )
            for i, a in enumerate(actors)
        ]
    )

    refused = [o.error for o in outcomes if o.error is not None]
    assert len(refused) == RUNS - 1 and {str(e.code) for e in refused} == {"conflict"}
    assert Coupon.objects.filter(member=order.member).count() == 1
    assert IncidentAction.objects.filter(incident=incident, kind="coupon_granted").count() == 1
