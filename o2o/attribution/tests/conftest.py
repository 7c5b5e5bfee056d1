from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from o2o.access.actors import SYSTEM, actor_for_member, actor_for_user
from o2o.attribution.models import LineCredit
from o2o.inventory.services import receive_stock
from o2o.orders.models import Order
from o2o.orders.services import LineRequest, OrderRequest, place_order
from o2o.payments.services import take_in_store_payment
from o2o.staff.models import Role
from o2o.staffing import services as staffing
from o2o.testing.factories import EmployeeFactory, SKUFactory
from o2o.testing.journeys import pay_online


@pytest.fixture
def tea(store, other_store):
    """9.99 a unit: splits of it do not come out even, so the rounding shows."""
    sku = SKUFactory(price=Decimal("9.99"))
    for location in (store, other_store):
        receive_stock(actor=SYSTEM, location_id=location.pk, sku_id=sku.pk, quantity=100)
    return sku


@pytest.fixture
def hq():
    return EmployeeFactory(role=Role.HQ, home_location=None)


@pytest.fixture
def manager(store):
    return EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)


def counter_sale(clerk, sku, *, quantity=1, member=None, at=None, fulfilment="in_store", address="") -> Order:
    """A paid counter order placed by the clerk; goods from `at` (the clerk's store by default)."""
    order = place_order(
        actor=actor_for_user(clerk.user),
        member=member,
        request=OrderRequest(
            channel="pos",
            fulfilment=fulfilment,
            fulfilment_location_id=(at or clerk.home_location).pk,
            delivery_address=address,
            lines=[LineRequest(sku.pk, quantity)],
        ),
    )
    take_in_store_payment(actor=actor_for_user(clerk.user), order=order, method="cash")
    order.refresh_from_db()
    return order


def online_order(member, store, sku, *, quantity=1, fulfilment="pickup", referrer=None) -> Order:
    """A paid online order (app, or the employee's share link when `referrer` is given)."""
    order = place_order(
        actor=actor_for_member(member),
        member=member,
        request=OrderRequest(
            channel="share_link" if referrer else "app",
            fulfilment=fulfilment,
            fulfilment_location_id=store.pk,
            delivery_address="上海市黄浦区南京东路2号" if fulfilment == "delivery" else "",
            referrer=referrer,
            lines=[LineRequest(sku.pk, quantity)],
        ),
    )
    return pay_online(order)


def lend(employee, to_store):
    """The employee is lent to `to_store` from an hour ago for four hours (accepted)."""
    now = timezone.now()
    request = staffing.create_request(
        actor=SYSTEM,
        request=staffing.RequestIn(
            location_id=to_store.pk,
            role=employee.role,
            headcount=1,
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=3),
        ),
    )
    loan = staffing.lend_employee(actor=SYSTEM, request_id=request.pk, employee_id=employee.pk)
    return staffing.accept_loan(actor=SYSTEM, loan_id=loan.pk)


def rows(order, kind="credit"):
    """(party, redirected_from, employee_id, location_id, percent, amount) of the order's credits."""
    return [
        (c.party, c.redirected_from, c.employee_id, c.location_id, str(c.percent), str(c.amount))
        for c in LineCredit.objects.filter(order=order, kind=kind).order_by("pk")
    ]
