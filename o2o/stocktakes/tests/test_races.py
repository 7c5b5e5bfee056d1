"""Race tests on PostgreSQL: stocktakes started, scanned and approved at the same moment."""

import pytest

from o2o.access.actors import SYSTEM, actor_for_user
from o2o.core.errors import ErrorCode
from o2o.inventory.models import MoveKind, StockLevel, StockMove
from o2o.inventory.selectors import audit_stock
from o2o.inventory.services import receive_stock
from o2o.staff.models import Role
from o2o.stocktakes import services
from o2o.stocktakes.models import StockCount, StockCountLine
from o2o.testing.factories import EmployeeFactory, SKUFactory
from o2o.testing.races import domain_errors, requires_postgres, run_together, values

pytestmark = [pytest.mark.postgres, requires_postgres, pytest.mark.django_db(transaction=True)]


def _keepers(store, n: int):
    return [actor_for_user(EmployeeFactory(role=Role.STORE_MANAGER, home_location=store).user) for _ in range(n)]


def test_two_managers_starting_a_count_at_once_open_one(store):
    first, second = _keepers(store, 2)

    outcomes = run_together([lambda a=a: services.start_count(actor=a, location_id=store.pk) for a in (first, second)])

    assert len(values(outcomes)) == 1
    assert [e.code for e in domain_errors(outcomes)] == [ErrorCode.CONFLICT]
    assert StockCount.objects.filter(location=store).count() == 1


def test_eight_clerks_scanning_one_sku_at_once_count_every_unit(store):
    sku = SKUFactory()
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=5)
    keeper, *_ = _keepers(store, 1)
    count_id = services.start_count(actor=keeper, location_id=store.pk)["id"]
    clerks = [actor_for_user(EmployeeFactory(role=Role.CLERK, home_location=store).user) for _ in range(8)]

    outcomes = run_together(
        [lambda c=c: services.record_scan(actor=c, count_id=count_id, code=sku.code, quantity=3) for c in clerks]
    )

    assert len(values(outcomes)) == 8
    assert StockCountLine.objects.get(count_id=count_id, sku=sku).counted_quantity == 24


def test_two_approvals_at_once_post_the_variance_once(store):
    sku = SKUFactory()
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=10)
    first, second = _keepers(store, 2)
    count_id = services.start_count(actor=first, location_id=store.pk)["id"]
    services.record_scan(actor=first, count_id=count_id, code=sku.code, quantity=7, replace=True)
    services.submit_count(actor=first, count_id=count_id)

    outcomes = run_together([lambda a=a: services.approve_count(actor=a, count_id=count_id) for a in (first, second)])

    assert len(values(outcomes)) == 1
    assert [e.code for e in domain_errors(outcomes)] == [ErrorCode.ILLEGAL_TRANSITION]
    assert StockLevel.objects.get(location=store, sku=sku).on_hand == 7
    assert list(StockMove.objects.filter(kind=MoveKind.COUNT).values_list("quantity", flat=True)) == [-3]
    assert audit_stock() == []
