"""Race tests on PostgreSQL: two managers deciding one proposal, two runs proposing at once, two
shipments of one requested transfer, and shipments racing for the same warehouse shelf."""

import pytest

from o2o.access.actors import SYSTEM, actor_for_user
from o2o.core.errors import ErrorCode
from o2o.inventory.models import MoveKind, StockLevel, StockMove, Transfer
from o2o.inventory.selectors import audit_stock
from o2o.inventory.services import add_requested_transfer, receive_stock, ship_requested_transfer
from o2o.replenishment.models import Proposal
from o2o.replenishment.services import approve_proposals, propose_replenishment, reject_proposal
from o2o.staff.models import Role
from o2o.stores.models import Location
from o2o.testing.factories import EmployeeFactory, LocationFactory, SKUFactory
from o2o.testing.races import domain_errors, requires_postgres, run_together, values

pytestmark = [pytest.mark.postgres, requires_postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def low_store(store):
    """A store under its alert level, and a warehouse with plenty."""
    sku = SKUFactory()
    warehouse = LocationFactory(kind=Location.Kind.WAREHOUSE, latitude=31.22, longitude=121.54)
    receive_stock(actor=SYSTEM, location_id=warehouse.pk, sku_id=sku.pk, quantity=100)
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=1)
    StockLevel.objects.filter(location=store, sku=sku).update(alert_level=5, target_level=10)
    return store, warehouse, sku


def _managers(store, n):
    return [actor_for_user(EmployeeFactory(role=Role.STORE_MANAGER, home_location=store).user) for _ in range(n)]


def test_eight_managers_approving_one_proposal_make_one_transfer(low_store):
    store, warehouse, sku = low_store
    (proposal,) = propose_replenishment(actor=SYSTEM, location_id=store.pk)
    managers = _managers(store, 8)

    outcomes = run_together(
        [lambda m=m: approve_proposals(actor=m, location_id=store.pk, quantities={proposal.pk: None}) for m in managers]
    )

    assert len(values(outcomes)) == 1
    assert [e.code for e in domain_errors(outcomes)] == [ErrorCode.ILLEGAL_TRANSITION] * 7
    (transfer,) = Transfer.objects.all()
    assert (transfer.state, [(line.sku_id, line.quantity) for line in transfer.lines.all()]) == (
        "requested",
        [(sku.pk, 9)],
    )
    assert Proposal.objects.get().transfer_id == transfer.pk


def test_approving_and_rejecting_at_once_one_decision_stands(low_store):
    store, warehouse, sku = low_store
    (proposal,) = propose_replenishment(actor=SYSTEM, location_id=store.pk)
    approver, rejecter = _managers(store, 2)

    outcomes = run_together(
        [
            lambda: approve_proposals(actor=approver, location_id=store.pk, quantities={proposal.pk: 9}),
            lambda: reject_proposal(actor=rejecter, proposal_id=proposal.pk, reason="enough on the shelf"),
        ]
    )

    assert len(values(outcomes)) == 1 and len(domain_errors(outcomes)) == 1
    decided = Proposal.objects.get()
    assert Transfer.objects.count() == (1 if decided.state == "approved" else 0)


def test_runs_proposing_at_once_keep_one_open_proposal(low_store):
    store, warehouse, sku = low_store

    outcomes = run_together([lambda: propose_replenishment(actor=SYSTEM, location_id=store.pk) for _ in range(6)])

    assert domain_errors(outcomes) == []
    assert Proposal.objects.filter(location=store, sku=sku, state="open").count() == 1
    assert Proposal.objects.get().quantity == 9


def test_a_requested_transfer_shipped_twice_at_once_leaves_once(low_store):
    store, warehouse, sku = low_store
    transfer = add_requested_transfer(
        source_id=warehouse.pk, destination_id=store.pk, lines={sku.pk: 30}, actor_id=None
    )

    outcomes = run_together(
        [lambda: ship_requested_transfer(transfer_id=transfer.pk, actor_id=None, reference="run") for _ in range(6)]
    )

    assert len(values(outcomes)) == 1
    assert [e.code for e in domain_errors(outcomes)] == [ErrorCode.ILLEGAL_TRANSITION] * 5
    assert StockLevel.objects.get(location=warehouse, sku=sku).on_hand == 70
    assert StockMove.objects.filter(kind=MoveKind.TRANSFER_OUT).count() == 1


def test_shipments_racing_for_one_shelf_never_take_more_than_it_holds(low_store):
    store, warehouse, sku = low_store  # 100 at the warehouse
    stores = [LocationFactory() for _ in range(7)]
    transfers = [
        add_requested_transfer(source_id=warehouse.pk, destination_id=s.pk, lines={sku.pk: 30}, actor_id=None)
        for s in stores
    ]

    outcomes = run_together(
        [lambda t=t: ship_requested_transfer(transfer_id=t.pk, actor_id=None, reference="run") for t in transfers]
    )

    assert len(values(outcomes)) == 3
    assert [e.code for e in domain_errors(outcomes)] == [ErrorCode.INSUFFICIENT_STOCK] * 4
    assert StockLevel.objects.get(location=warehouse, sku=sku).on_hand == 10
    assert Transfer.objects.filter(state="requested").count() == 4
    assert audit_stock() == []
