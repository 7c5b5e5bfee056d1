"""Replenishment over the API, as managers, warehouse clerks and outsiders would call it."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from o2o.access.actors import SYSTEM
from o2o.inventory.models import MoveKind, StockLevel, StockMove, Transfer
from o2o.inventory.services import receive_stock
from o2o.orders.models import Order
from o2o.replenishment.models import Proposal
from o2o.replenishment.services import propose_for_all_stores
from o2o.staff.models import Role
from o2o.stores.models import Location
from o2o.testing.api import as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, LocationFactory, MemberFactory, SKUFactory
from o2o.testing.journeys import paid_pickup_order, place_pickup_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def sku():
    return SKUFactory()


@pytest.fixture
def warehouse():
    return LocationFactory(name="浦东仓", kind=Location.Kind.WAREHOUSE, latitude=31.2200, longitude=121.5400)


@pytest.fixture
def manager(store):
    return as_staff(EmployeeFactory(role=Role.STORE_MANAGER, home_location=store))


def _stock(location, sku, units, *, alert=0, target=0):
    if units:
        receive_stock(actor=SYSTEM, location_id=location.pk, sku_id=sku.pk, quantity=units)
    StockLevel.objects.update_or_create(
        location=location, sku=sku, defaults={"alert_level": alert, "target_level": target}
    )


def _sold(store, sku, units, *, days_ago):
    """A paid pickup order of `units` at the store, paid `days_ago` days ago (still reserved)."""
    order = paid_pickup_order(member=MemberFactory(), store=store, sku=sku, quantity=units)
    Order.objects.filter(pk=order.pk).update(paid_at=timezone.now() - timedelta(days=days_ago))
    return order


def _on_hand(location, sku) -> int:
    return StockLevel.objects.get(location=location, sku=sku).on_hand


def _one_proposal(manager, store) -> dict:
    response = manager.post(f"replenishment/locations/{store.pk}/proposals")
    assert response.status_code == 200, response.content
    (proposal,) = response.json()
    return proposal


def test_a_store_under_its_alert_level_is_proposed_its_target_plus_expected_sales_from_the_warehouse(
    manager, store, warehouse, sku
):
    _stock(store, sku, 20, alert=10, target=30)
    _stock(warehouse, sku, 100)
    _sold(store, sku, 15, days_ago=3)  # 15 units in 14 days: 1.07 a day; available 20 - 15 = 5
    _sold(store, sku, 2, days_ago=20)  # older than the window: not counted
    place_pickup_order(member=MemberFactory(), store=store, sku=sku, quantity=1)  # unpaid: not a sale

    proposal = _one_proposal(manager, store)

    # 20 on hand, 18 reserved by the three orders: 30 - 2 + 1.07 expected = 29.07 -> 30
    assert (proposal["available"], proposal["expected_sales"], proposal["quantity"]) == (2, "1.07", 30)
    assert (proposal["source_id"], proposal["state"], proposal["sku_code"]) == (warehouse.pk, "open", sku.code)
    assert StockMove.objects.filter(kind=MoveKind.TRANSFER_OUT).count() == 0


def test_re_proposing_updates_the_one_open_proposal(manager, store, warehouse, sku):
    _stock(store, sku, 3, alert=10, target=30)
    _stock(warehouse, sku, 100)
    first = _one_proposal(manager, store)
    StockLevel.objects.filter(location=store, sku=sku).update(target_level=40)

    again = _one_proposal(manager, store)
    propose_for_all_stores()  # the nightly job: still the same proposal

    assert (first["quantity"], again["quantity"], again["id"]) == (27, 37, first["id"])
    assert Proposal.objects.filter(location=store, sku=sku).count() == 1
    assert Proposal.objects.get().quantity == 37


def test_a_stock_level_above_its_alert_or_already_on_its_way_gets_no_proposal(manager, store, warehouse, sku):
    other = SKUFactory()
    _stock(store, sku, 10, alert=10, target=30)  # not under the alert level
    _stock(store, other, 2, alert=10, target=20)
    _stock(warehouse, other, 100)
    requested = manager.post(
        "replenishment/requests",
        {"source_id": warehouse.pk, "destination_id": store.pk, "lines": [{"sku_id": other.pk, "quantity": 18}]},
    )
    assert requested.status_code == 201

    response = manager.post(f"replenishment/locations/{store.pk}/proposals")

    assert (response.status_code, response.json()) == (200, [])
    assert Proposal.objects.count() == 0


def test_without_warehouse_stock_a_nearby_store_gives_its_surplus_over_its_own_target(manager, store, other_store, sku):
    far = LocationFactory(name="北京店", latitude=39.9042, longitude=116.4074)
    _stock(store, sku, 2, alert=5, target=10)
    _stock(other_store, sku, 12, alert=2, target=5)  # nearest (5 km), but 7 over its target: short of 8
    _stock(far, sku, 500)  # 1,000 km away
    near_enough = LocationFactory(name="虹口店", latitude=31.2900, longitude=121.5000)  # 7 km
    _stock(near_enough, sku, 30, alert=5, target=10)  # 20 spare

    proposal = _one_proposal(manager, store)

    assert (proposal["quantity"], proposal["source_id"]) == (8, near_enough.pk)


def test_when_nobody_has_enough_the_largest_surplus_is_proposed(manager, store, other_store, sku):
    _stock(store, sku, 0, alert=5, target=10)
    _stock(other_store, sku, 9, alert=2, target=5)  # 4 spare

    proposal = _one_proposal(manager, store)

    assert (proposal["quantity"], proposal["source_id"]) == (4, other_store.pk)


def test_approval_makes_one_requested_transfer_per_source_and_moves_no_stock(
    manager, store, other_store, warehouse, sku
):
    tea = SKUFactory()
    _stock(store, sku, 1, alert=5, target=10)
    _stock(store, tea, 0, alert=2, target=4)
    _stock(warehouse, sku, 100)
    _stock(other_store, tea, 20, alert=2, target=5)
    proposals = manager.post(f"replenishment/locations/{store.pk}/proposals").json()
    by_sku = {p["sku_id"]: p for p in proposals}

    response = manager.post(
        f"replenishment/locations/{store.pk}/approvals",
        {"lines": [{"proposal_id": by_sku[sku.pk]["id"], "quantity": 12}, {"proposal_id": by_sku[tea.pk]["id"]}]},
    )

    assert response.status_code == 201, response.content
    transfers = {t.source_id: t for t in Transfer.objects.filter(pk__in=response.json()["transfer_ids"])}
    assert set(transfers) == {warehouse.pk, other_store.pk}
    assert {t.state for t in transfers.values()} == {Transfer.State.REQUESTED}
    assert [(line.sku_id, line.quantity) for line in transfers[warehouse.pk].lines.all()] == [(sku.pk, 12)]
    assert [(line.sku_id, line.quantity) for line in transfers[other_store.pk].lines.all()] == [(tea.pk, 4)]
    assert (_on_hand(warehouse, sku), _on_hand(other_store, tea)) == (100, 20)
    assert StockMove.objects.filter(kind=MoveKind.TRANSFER_OUT).count() == 0
    approved = Proposal.objects.get(pk=by_sku[sku.pk]["id"])
    assert (approved.state, approved.approved_quantity, approved.transfer_id) == (
        "approved",
        12,
        transfers[warehouse.pk].pk,
    )


def test_approving_twice_is_a_409_and_makes_no_second_transfer(manager, store, warehouse, sku):
    _stock(store, sku, 1, alert=5, target=10)
    _stock(warehouse, sku, 100)
    proposal = _one_proposal(manager, store)
    body = {"lines": [{"proposal_id": proposal["id"]}]}

    first = manager.post(f"replenishment/locations/{store.pk}/approvals", body)
    second = manager.post(f"replenishment/locations/{store.pk}/approvals", body)

    assert first.status_code == 201
    assert (second.status_code, problem_code(second)) == (409, "illegal_transition")
    assert Transfer.objects.count() == 1


def test_a_retried_approval_with_its_key_answers_with_the_first_transfers(manager, store, warehouse, sku):
    _stock(store, sku, 1, alert=5, target=10)
    _stock(warehouse, sku, 100)
    proposal = _one_proposal(manager, store)
    body = {"lines": [{"proposal_id": proposal["id"]}]}

    first = manager.post(f"replenishment/locations/{store.pk}/approvals", body, headers={"Idempotency-Key": "a1"})
    again = manager.post(f"replenishment/locations/{store.pk}/approvals", body, headers={"Idempotency-Key": "a1"})

    assert (first.status_code, again.status_code, again.json()) == (201, 201, first.json())
    assert Transfer.objects.count() == 1


def test_one_decided_proposal_in_a_batch_refuses_the_whole_batch(manager, store, warehouse, sku):
    tea = SKUFactory()
    _stock(store, sku, 1, alert=5, target=10)
    _stock(store, tea, 1, alert=5, target=10)
    _stock(warehouse, sku, 100)
    _stock(warehouse, tea, 100)
    proposals = manager.post(f"replenishment/locations/{store.pk}/proposals").json()
    manager.post(f"replenishment/proposals/{proposals[1]['id']}/reject", {"reason": "已有货"})

    response = manager.post(
        f"replenishment/locations/{store.pk}/approvals",
        {"lines": [{"proposal_id": p["id"]} for p in proposals]},
    )

    assert (response.status_code, problem_code(response)) == (409, "illegal_transition")
    assert Transfer.objects.count() == 0
    assert Proposal.objects.get(pk=proposals[0]["id"]).state == "open"


def test_a_rejected_proposal_cannot_be_approved_and_a_rejection_needs_a_reason(manager, store, warehouse, sku):
    _stock(store, sku, 1, alert=5, target=10)
    _stock(warehouse, sku, 100)
    proposal = _one_proposal(manager, store)

    blank = manager.post(f"replenishment/proposals/{proposal['id']}/reject", {"reason": "   "})
    rejected = manager.post(f"replenishment/proposals/{proposal['id']}/reject", {"reason": "促销结束，不补货"})
    approved = manager.post(
        f"replenishment/locations/{store.pk}/approvals", {"lines": [{"proposal_id": proposal["id"]}]}
    )
    rejected_again = manager.post(f"replenishment/proposals/{proposal['id']}/reject", {"reason": "again"})

    assert (blank.status_code, problem_code(blank)) == (422, "invalid")
    assert (rejected.status_code, rejected.json()["state"], rejected.json()["reject_reason"]) == (
        200,
        "rejected",
        "促销结束，不补货",
    )
    assert (approved.status_code, problem_code(approved)) == (409, "illegal_transition")
    assert rejected_again.status_code == 409
    assert Transfer.objects.count() == 0
    # the next run opens a new proposal beside the rejected one
    assert _one_proposal(manager, store)["id"] != proposal["id"]


def test_another_stores_manager_can_neither_see_nor_decide_a_proposal(manager, store, warehouse, sku):
    _stock(store, sku, 1, alert=5, target=10)
    _stock(warehouse, sku, 100)
    proposal = _one_proposal(manager, store)
    elsewhere = LocationFactory()
    outsider = as_staff(EmployeeFactory(role=Role.STORE_MANAGER, home_location=elsewhere))

    listed = outsider.get(f"replenishment/locations/{store.pk}/proposals")
    proposed = outsider.post(f"replenishment/locations/{store.pk}/proposals")
    approved = outsider.post(
        f"replenishment/locations/{store.pk}/approvals", {"lines": [{"proposal_id": proposal["id"]}]}
    )
    # approving our proposal's id at his own store: not his store's proposal
    own = outsider.post(
        f"replenishment/locations/{elsewhere.pk}/approvals", {"lines": [{"proposal_id": proposal["id"]}]}
    )
    rejected = outsider.post(f"replenishment/proposals/{proposal['id']}/reject", {"reason": "不要"})

    assert [r.status_code for r in (listed, proposed, approved, own, rejected)] == [404, 404, 404, 404, 404]
    assert Proposal.objects.get().state == "open"
    assert Transfer.objects.count() == 0


def test_a_clerk_may_not_approve_or_request(store, warehouse, sku, manager):
    _stock(store, sku, 1, alert=5, target=10)
    _stock(warehouse, sku, 100)
    proposal = _one_proposal(manager, store)
    clerk = as_staff(EmployeeFactory(role=Role.CLERK, home_location=store))

    approved = clerk.post(f"replenishment/locations/{store.pk}/approvals", {"lines": [{"proposal_id": proposal["id"]}]})
    requested = clerk.post(
        "replenishment/requests",
        {"source_id": warehouse.pk, "destination_id": store.pk, "lines": [{"sku_id": sku.pk, "quantity": 1}]},
    )

    assert (approved.status_code, requested.status_code) == (403, 403)
    assert Transfer.objects.count() == 0


def test_shipping_more_than_the_source_has_is_a_409_and_nothing_moves(manager, store, warehouse, sku):
    _stock(warehouse, sku, 10)
    keeper = as_staff(EmployeeFactory(role=Role.WAREHOUSE_CLERK, home_location=warehouse))
    requested = manager.post(
        "replenishment/requests",
        {"source_id": warehouse.pk, "destination_id": store.pk, "lines": [{"sku_id": sku.pk, "quantity": 11}]},
    )
    transfer_id = requested.json()["id"]

    shipped = keeper.post(f"replenishment/transfers/{transfer_id}/ship")

    assert (requested.status_code, requested.json()["state"]) == (201, "requested")
    assert (shipped.status_code, problem_code(shipped)) == (409, "insufficient_stock")
    assert _on_hand(warehouse, sku) == 10
    assert StockMove.objects.filter(kind=MoveKind.TRANSFER_OUT).count() == 0
    transfer = Transfer.objects.get(pk=transfer_id)
    assert (transfer.state, transfer.shipped_at) == ("requested", None)


def test_a_requested_transfer_ships_once_and_is_received_at_the_store(manager, store, warehouse, sku):
    _stock(warehouse, sku, 10)
    keeper = as_staff(EmployeeFactory(role=Role.WAREHOUSE_CLERK, home_location=warehouse))
    transfer_id = manager.post(
        "replenishment/requests",
        {"source_id": warehouse.pk, "destination_id": store.pk, "lines": [{"sku_id": sku.pk, "quantity": 4}]},
    ).json()["id"]

    by_the_store = manager.post(f"replenishment/transfers/{transfer_id}/ship")  # not the store's to ship
    shipped = keeper.post(f"replenishment/transfers/{transfer_id}/ship")
    again = keeper.post(f"replenishment/transfers/{transfer_id}/ship")
    received = manager.post(f"inventory/transfers/{transfer_id}/receive")

    assert by_the_store.status_code == 404
    assert (shipped.status_code, shipped.json()["state"]) == (200, "in_transit")
    assert (again.status_code, problem_code(again)) == (409, "illegal_transition")
    assert (received.status_code, received.json()["state"]) == (200, "received")
    assert (_on_hand(warehouse, sku), _on_hand(store, sku)) == (6, 4)


def test_a_requested_transfer_cannot_be_received_before_it_leaves(manager, store, warehouse, sku):
    _stock(warehouse, sku, 10)
    transfer_id = manager.post(
        "replenishment/requests",
        {"source_id": warehouse.pk, "destination_id": store.pk, "lines": [{"sku_id": sku.pk, "quantity": 4}]},
    ).json()["id"]

    received = manager.post(f"inventory/transfers/{transfer_id}/receive")

    assert (received.status_code, problem_code(received)) == (409, "illegal_transition")
    assert StockLevel.objects.filter(location=store, sku=sku).exists() is False


def test_both_ends_see_the_transfer_history_with_states(manager, store, warehouse, sku):
    _stock(warehouse, sku, 10)
    keeper = as_staff(EmployeeFactory(role=Role.WAREHOUSE_CLERK, home_location=warehouse))
    body = {"source_id": warehouse.pk, "destination_id": store.pk, "lines": [{"sku_id": sku.pk, "quantity": 2}]}
    first = manager.post("replenishment/requests", body).json()["id"]
    second = manager.post("replenishment/requests", body).json()["id"]
    keeper.post(f"replenishment/transfers/{first}/ship")

    at_store = manager.get(f"replenishment/locations/{store.pk}/transfers").json()["results"]
    at_warehouse = keeper.get(f"replenishment/locations/{warehouse.pk}/transfers").json()["results"]
    waiting = keeper.get(f"replenishment/locations/{warehouse.pk}/transfers", state="requested").json()["results"]
    store_from_warehouse_clerk = keeper.get(f"replenishment/locations/{store.pk}/transfers")

    assert [(t["id"], t["state"]) for t in at_store] == [(second, "requested"), (first, "in_transit")]
    assert at_warehouse == at_store
    assert at_store[1]["lines"] == [{"sku_id": sku.pk, "sku_code": sku.code, "quantity": 2}]
    assert [t["id"] for t in waiting] == [second]
    assert store_from_warehouse_clerk.status_code == 404


def test_levels_are_set_with_the_target_at_least_the_alert(manager, store, sku):
    ok = manager.post(f"replenishment/locations/{store.pk}/levels/{sku.pk}", {"alert_level": 5, "target_level": 12})
    below = manager.post(f"replenishment/locations/{store.pk}/levels/{sku.pk}", {"alert_level": 5, "target_level": 4})
    negative = manager.post(f"replenishment/locations/{store.pk}/levels/{sku.pk}", {"alert_level": -1})
    not_a_number = manager.post(f"replenishment/locations/{store.pk}/levels/{sku.pk}", {"alert_level": 2.5})

    assert (ok.status_code, ok.json()["alert_level"], ok.json()["target_level"]) == (200, 5, 12)
    assert (below.status_code, problem_code(below)) == (422, "invalid")
    assert (negative.status_code, not_a_number.status_code) == (422, 422)
    level = StockLevel.objects.get(location=store, sku=sku)
    assert (level.alert_level, level.target_level, level.on_hand) == (5, 12, 0)


def test_the_database_refuses_a_target_below_the_alert_level(store, sku):
    from django.db import IntegrityError, transaction

    _stock(store, sku, 0, alert=5, target=10)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(location=store, sku=sku).update(target_level=4)


def test_the_expected_sales_use_the_pluggable_forecast(manager, store, warehouse, sku, settings):
    settings.O2O_DEMAND_FORECAST = "o2o.replenishment.tests.test_replenishment_api.busy_forecast"
    _stock(store, sku, 4, alert=5, target=10)
    _stock(warehouse, sku, 100)

    proposal = _one_proposal(manager, store)

    assert (proposal["expected_sales"], proposal["quantity"]) == ("2.50", 9)  # 10 - 4 + 2.5 -> 9


def busy_forecast(*, location_id, sku_ids, now, days_ahead):
    return {sku_id: Decimal("2.5") for sku_id in sku_ids}


def test_a_proposal_without_a_source_is_approved_only_with_one_chosen(manager, store, other_store, sku):
    _stock(store, sku, 0, alert=5, target=10)  # nobody has any
    proposal = _one_proposal(manager, store)
    _stock(other_store, sku, 30)
    url = f"replenishment/locations/{store.pk}/approvals"

    without = manager.post(url, {"lines": [{"proposal_id": proposal["id"]}]})
    to_itself = manager.post(url, {"lines": [{"proposal_id": proposal["id"], "source_id": store.pk}]})
    nowhere = manager.post(url, {"lines": [{"proposal_id": proposal["id"], "source_id": 99999999}]})
    chosen = manager.post(url, {"lines": [{"proposal_id": proposal["id"], "source_id": other_store.pk}]})

    assert proposal["source_id"] is None
    assert (without.status_code, problem_code(without)) == (422, "invalid")
    assert (to_itself.status_code, nowhere.status_code) == (422, 404)
    assert chosen.status_code == 201
    assert Transfer.objects.get().source_id == other_store.pk
    assert Proposal.objects.get().source_id == other_store.pk


@pytest.mark.parametrize(
    "lines",
    [
        [],
        [{"proposal_id": 1, "quantity": 0}],
        [{"proposal_id": 1, "quantity": "3"}],
        [{"proposal_id": 1, "quantity": True}],
        [{"proposal_id": 1, "quantity": 1.5}],
        [{"proposal_id": 0}],
        [{"proposal_id": 1}, {"proposal_id": 1}],
    ],
)
def test_bad_approvals_are_422_and_write_nothing(manager, store, warehouse, sku, lines):
    _stock(store, sku, 1, alert=5, target=10)
    _stock(warehouse, sku, 100)
    proposal = _one_proposal(manager, store)
    lines = [{**line, "proposal_id": proposal["id"]} if line.get("proposal_id") == 1 else line for line in lines]

    response = manager.post(f"replenishment/locations/{store.pk}/approvals", {"lines": lines})

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert Transfer.objects.count() == 0
    assert Proposal.objects.get().state == "open"


def test_a_request_between_one_location_and_itself_or_without_lines_is_422(manager, store, warehouse, sku):
    same = manager.post(
        "replenishment/requests",
        {"source_id": store.pk, "destination_id": store.pk, "lines": [{"sku_id": sku.pk, "quantity": 1}]},
    )
    empty = manager.post("replenishment/requests", {"source_id": warehouse.pk, "destination_id": store.pk, "lines": []})
    unknown = manager.post(
        "replenishment/requests",
        {"source_id": warehouse.pk, "destination_id": store.pk, "lines": [{"sku_id": 99999999, "quantity": 1}]},
    )

    assert (same.status_code, empty.status_code, unknown.status_code) == (422, 422, 422)
    assert Transfer.objects.count() == 0


def test_an_open_proposal_no_longer_needed_goes_at_the_next_run(manager, store, warehouse, sku):
    _stock(store, sku, 1, alert=5, target=10)
    _stock(warehouse, sku, 100)
    proposal = _one_proposal(manager, store)
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=20)  # a supplier delivered

    again = manager.post(f"replenishment/locations/{store.pk}/proposals")
    approved = manager.post(
        f"replenishment/locations/{store.pk}/approvals", {"lines": [{"proposal_id": proposal["id"]}]}
    )

    assert again.json() == []
    assert Proposal.objects.count() == 0
    assert approved.status_code == 404
    assert Transfer.objects.count() == 0
