"""Journey 10: a store runs low, the proposal is approved, the warehouse ships the requested
transfer, the store receives it, and a stocktake finds and posts a variance ("count").

All through the API: the warehouse plans tomorrow's delivery runs (part D, o2o.delivery), the
requested transfer is a stop of the run, and dispatching the run ships it
(inventory.ship_requested_transfer)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from o2o.delivery.models import RunStop, Vehicle
from o2o.inventory.models import AdjustmentReason, MoveKind, StockLevel, StockMove, Transfer
from o2o.inventory.selectors import audit_stock
from o2o.orders.models import Order
from o2o.staff.models import Role
from o2o.stores.models import Location
from o2o.testing.api import as_staff
from o2o.testing.factories import EmployeeFactory, LocationFactory, MemberFactory, SKUFactory
from o2o.testing.journeys import paid_pickup_order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _quick_solver(settings):
    settings.O2O_ROUTING_TIME_LIMIT_SECONDS = 1


def _level(location, sku) -> StockLevel:
    return StockLevel.objects.get(location=location, sku=sku)


def test_journey_10_low_stock_to_proposal_to_transfer_to_receipt_to_stocktake(store):
    sku = SKUFactory()
    warehouse = LocationFactory(name="浦东仓", kind=Location.Kind.WAREHOUSE, latitude=31.22, longitude=121.54)
    manager = as_staff(EmployeeFactory(role=Role.STORE_MANAGER, home_location=store))
    keeper = as_staff(EmployeeFactory(role=Role.WAREHOUSE_CLERK, home_location=warehouse))
    hq = as_staff(EmployeeFactory(role=Role.HQ, home_location=None))
    driver = as_staff(EmployeeFactory(role=Role.DRIVER, home_location=warehouse))
    Vehicle.objects.create(depot=warehouse, name="沪A-10", capacity_units=100, max_stops=20)
    tomorrow = timezone.localdate() + timedelta(days=1)

    # the warehouse and the store have stock; the manager sets the store's levels
    assert (
        keeper.post("inventory/receipts", {"location_id": warehouse.pk, "sku_id": sku.pk, "quantity": 200}).status_code
        == 201
    )
    assert (
        manager.post("inventory/receipts", {"location_id": store.pk, "sku_id": sku.pk, "quantity": 30}).status_code
        == 201
    )
    levels = manager.post(
        f"replenishment/locations/{store.pk}/levels/{sku.pk}", {"alert_level": 10, "target_level": 40}
    )
    assert (levels.status_code, levels.json()["target_level"]) == (200, 40)

    # 28 units sold over the last two weeks: 2 a day; 22 of them handed over, 6 still to collect
    for days_ago, units in ((12, 10), (6, 12), (1, 6)):
        order = paid_pickup_order(member=MemberFactory(), store=store, sku=sku, quantity=units)
        Order.objects.filter(pk=order.pk).update(paid_at=timezone.now() - timedelta(days=days_ago))
    assert (_level(store, sku).on_hand, _level(store, sku).available) == (30, 2)

    # the proposal: 40 - 2 available + 2.00 expected until the next run = 40 from the warehouse
    (proposal,) = manager.post(f"replenishment/locations/{store.pk}/proposals").json()
    assert (proposal["quantity"], proposal["expected_sales"], proposal["source_id"]) == (40, "2.00", warehouse.pk)
    listed = manager.get(f"replenishment/locations/{store.pk}/proposals").json()["results"]
    assert [p["id"] for p in listed] == [proposal["id"]]

    # the manager approves 36 of them: a requested transfer; nothing has moved yet
    approval = manager.post(
        f"replenishment/locations/{store.pk}/approvals",
        {"lines": [{"proposal_id": proposal["id"], "quantity": 36}]},
        headers={"Idempotency-Key": "journey-10-approve"},
    )
    assert approval.status_code == 201, approval.content
    (transfer_id,) = approval.json()["transfer_ids"]
    assert _level(warehouse, sku).on_hand == 200
    waiting = keeper.get(f"replenishment/locations/{warehouse.pk}/transfers", state="requested").json()["results"]
    assert [(t["id"], t["destination_id"], t["lines"][0]["quantity"]) for t in waiting] == [(transfer_id, store.pk, 36)]

    # the warehouse plans tomorrow's run: the transfer is a stop; the driver sets off and it ships
    planned = keeper.post("delivery/runs/plan", {"depot_id": warehouse.pk, "date": tomorrow.isoformat()})
    assert planned.status_code == 200, planned.content
    (run,) = planned.json()
    assert RunStop.objects.get(run_id=run["id"]).transfer_id == transfer_id
    assert _level(warehouse, sku).on_hand == 200  # planned, not gone
    dispatched = driver.post(f"delivery/runs/{run['id']}/dispatch")
    assert dispatched.status_code == 200, dispatched.content
    assert Transfer.objects.get(pk=transfer_id).state == "in_transit"
    assert _level(warehouse, sku).on_hand == 164
    out = StockMove.objects.get(kind=MoveKind.TRANSFER_OUT)
    assert (out.location_id, out.quantity, out.reference) == (warehouse.pk, -36, f"transfer:{transfer_id}")
    assert Transfer.objects.get(pk=transfer_id).shipped_reference == f"run:{run['id']}"

    # the store receives it
    received = manager.post(f"inventory/transfers/{transfer_id}/receive")
    assert (received.status_code, received.json()["state"]) == (200, "received")
    assert (_level(store, sku).on_hand, _level(store, sku).available) == (66, 38)
    history = manager.get(f"replenishment/locations/{store.pk}/transfers").json()["results"]
    assert [(t["id"], t["state"], t["reference"]) for t in history] == [(transfer_id, "received", "replenishment")]
    assert manager.post(f"replenishment/locations/{store.pk}/proposals").json() == []  # above the alert again

    # a stocktake: 64 on the shelf, not 66 (two damaged ones were thrown away unrecorded)
    count = manager.post("stock-counts", {"location_id": store.pk})
    assert count.status_code == 201, count.content
    count_id = count.json()["id"]
    scan = manager.post(f"stock-counts/{count_id}/scans", {"code": sku.barcode, "quantity": 64})
    assert scan.status_code == 200, scan.content
    assert manager.post(f"stock-counts/{count_id}/submit").status_code == 200
    approved = manager.post(f"stock-counts/{count_id}/approve")
    assert approved.status_code == 200, approved.content

    variance = StockMove.objects.get(kind=MoveKind.COUNT, location=store, sku=sku)
    assert (variance.quantity, variance.reason_code) == (-2, AdjustmentReason.COUNT)
    assert _level(store, sku).on_hand == 64
    assert audit_stock() == []
    assert hq.get("inventory/audit").json()["differences"] == 0
