"""Race tests on PostgreSQL: two managers booking one order with a courier at once."""

import pytest

from o2o.access.actors import actor_for_user
from o2o.delivery.courier_bookings import book_courier
from o2o.delivery.models import CourierBooking
from o2o.delivery.tests.conftest import packed_order
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory
from o2o.testing.races import domain_errors, requires_postgres, run_together, values

pytestmark = [pytest.mark.postgres, requires_postgres]


@pytest.mark.django_db(transaction=True)
def test_two_managers_booking_one_order_at_once_book_one_courier(depot, sku, manager):
    order = packed_order(depot, sku, "上海市黄浦区人民大道200号")
    first = actor_for_user(manager.user)
    second = actor_for_user(EmployeeFactory(role=Role.STORE_MANAGER, home_location=depot).user)
    outcomes = run_together([
        lambda: book_courier(actor=first, order_id=order.pk),
        lambda: book_courier(actor=second, order_id=order.pk),
    ])  # fmt: skip
    assert len(values(outcomes)) == 1
    assert [e.code for e in domain_errors(outcomes)] == ["conflict"]
    assert list(CourierBooking.objects.values_list("state", flat=True)) == ["booked"]


@pytest.mark.django_db(transaction=True)
def test_one_managers_retries_at_once_under_one_key_book_once(depot, sku, manager):
    order = packed_order(depot, sku, "上海市黄浦区人民大道200号")
    actor = actor_for_user(manager.user)
    outcomes = run_together([lambda: book_courier(actor=actor, order_id=order.pk, idempotency_key="k1")] * 3)
    booked = {b.pk for b in values(outcomes)}
    # a retry that arrives while the first still waits for the courier is told to try again
    assert all(e.code == "conflict" for e in domain_errors(outcomes))
    assert len(booked) == 1 and CourierBooking.objects.count() == 1
