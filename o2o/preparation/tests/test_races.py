"""Races on PostgreSQL: clerks accepting one order at once, scans racing past the ordered quantity."""

from decimal import Decimal

import pytest

from o2o.access.actors import SYSTEM, actor_for_user
from o2o.core.errors import ErrorCode
from o2o.inventory.services import receive_stock
from o2o.preparation import services
from o2o.preparation.models import Preparation, PreparationPick
from o2o.staff.models import Role
from o2o.testing.factories import EmployeeFactory, SKUFactory
from o2o.testing.journeys import paid_pickup_order
from o2o.testing.races import domain_errors, requires_postgres, run_together, values

pytestmark = [pytest.mark.postgres, requires_postgres, pytest.mark.django_db(transaction=True)]


def _clerks(store, n: int):
    return [actor_for_user(EmployeeFactory(role=Role.CLERK, home_location=store).user) for _ in range(n)]


def _queued(store, member, quantity: int) -> Preparation:
    sku = SKUFactory(price=Decimal("9.90"))
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=50)
    return Preparation.objects.get(order=paid_pickup_order(member=member, store=store, sku=sku, quantity=quantity))


def test_two_clerks_accepting_one_order_at_once_one_wins(store, member):
    preparation = _queued(store, member, 1)
    first, second = _clerks(store, 2)

    outcomes = run_together(
        [lambda a=a: services.accept_preparation(actor=a, preparation_id=preparation.pk) for a in (first, second)]
    )

    (won,) = values(outcomes)
    assert [e.code for e in domain_errors(outcomes)] == [ErrorCode.ILLEGAL_TRANSITION]
    preparation.refresh_from_db()
    assert preparation.state == "accepted"
    assert preparation.accepted_by_id == won["accepted_by_id"] in (first.user_id, second.user_id)


def test_eight_scans_at_once_never_pick_more_than_ordered(store, member):
    preparation = _queued(store, member, 5)
    services.accept_preparation(actor=SYSTEM, preparation_id=preparation.pk)
    sku_id = preparation.picks.get().sku_id
    clerks = _clerks(store, 8)

    outcomes = run_together(
        [lambda c=c: services.pick_line(actor=c, preparation_id=preparation.pk, sku_id=sku_id) for c in clerks]
    )

    assert len(values(outcomes)) == 5
    assert [e.code for e in domain_errors(outcomes)] == [ErrorCode.INVALID] * 3
    assert PreparationPick.objects.get(preparation=preparation).picked_quantity == 5
