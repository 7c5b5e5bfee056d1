"""The replenishment page (/manager/replenishment/): propose, approve with edited quantities,
reject with a reason, request stock by hand, set levels, and ship from the warehouse."""

import pytest
from django.test import Client

from o2o.access.actors import SYSTEM
from o2o.inventory.models import MoveKind, StockLevel, StockMove, Transfer
from o2o.inventory.services import receive_stock
from o2o.replenishment.models import Proposal
from o2o.staff.models import Role
from o2o.stores.models import Location
from o2o.testing.factories import EmployeeFactory, LocationFactory, SKUFactory

pytestmark = pytest.mark.django_db

PAGE = "/manager/replenishment/"


def _signed_in(employee) -> Client:
    client = Client()
    client.force_login(employee.user)
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def warehouse():
    return LocationFactory(name="浦东仓", kind=Location.Kind.WAREHOUSE, latitude=31.22, longitude=121.54)


@pytest.fixture
def browser(store) -> Client:
    return _signed_in(EmployeeFactory(role=Role.STORE_MANAGER, home_location=store))


def _low(store, warehouse, *, on_hand=1, alert=5, target=10):
    sku = SKUFactory()
    receive_stock(actor=SYSTEM, location_id=warehouse.pk, sku_id=sku.pk, quantity=100)
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=on_hand)
    StockLevel.objects.filter(location=store, sku=sku).update(alert_level=alert, target_level=target)
    return sku


def test_the_manager_proposes_and_approves_an_edited_quantity(browser, store, warehouse):
    sku = _low(store, warehouse)

    proposed = browser.post(PAGE + "propose/", follow=True)
    proposal = Proposal.objects.get()
    page = browser.get(PAGE).content.decode()
    approved = browser.post(
        PAGE + "approve/",
        {"proposal": [proposal.pk], f"quantity-{proposal.pk}": "7", "idempotency_key": "k-1"},
        follow=True,
    )

    assert "1 products proposed." in proposed.content.decode()
    assert sku.code in page and 'value="9"' in page  # the proposed quantity, editable
    assert "Approved: 1 transfers requested." in approved.content.decode()
    (transfer,) = Transfer.objects.all()
    assert (transfer.state, transfer.source_id, list(transfer.lines.values_list("quantity", flat=True))) == (
        "requested",
        warehouse.pk,
        [7],
    )
    assert "Requested" in browser.get(PAGE).content.decode()


def test_a_rejection_needs_a_reason_and_a_rejected_proposal_is_not_approved(browser, store, warehouse):
    _low(store, warehouse)
    browser.post(PAGE + "propose/")
    proposal = Proposal.objects.get()

    blank = browser.post(PAGE + f"proposals/{proposal.pk}/reject/", {"reason": " "}, follow=True)
    assert "Say why the proposal is rejected." in blank.content.decode()
    browser.post(PAGE + f"proposals/{proposal.pk}/reject/", {"reason": "shelf reset next week"})
    late = browser.post(PAGE + "approve/", {"proposal": [proposal.pk]}, follow=True)

    assert "This was decided or shipped meanwhile" in late.content.decode()
    assert (Proposal.objects.get().state, Proposal.objects.get().reject_reason) == ("rejected", "shelf reset next week")
    assert Transfer.objects.count() == 0


def test_another_stores_proposal_is_a_404_from_the_page(store, warehouse):
    _low(store, warehouse)
    from o2o.replenishment.services import propose_replenishment

    (proposal,) = propose_replenishment(actor=SYSTEM, location_id=store.pk)
    outsider = _signed_in(EmployeeFactory(role=Role.STORE_MANAGER, home_location=LocationFactory()))

    rejected = outsider.post(PAGE + f"proposals/{proposal.pk}/reject/", {"reason": "not mine"})
    approved = outsider.post(PAGE + "approve/", {"proposal": [proposal.pk]})

    assert (rejected.status_code, approved.status_code) == (404, 404)
    assert Proposal.objects.get().state == "open"


def test_a_manager_requests_stock_by_hand_and_the_warehouse_ships_it(browser, store, warehouse):
    sku = _low(store, warehouse, on_hand=50)
    keeper = _signed_in(EmployeeFactory(role=Role.WAREHOUSE_CLERK, home_location=warehouse))

    bad = browser.post(PAGE + "request/", {"source": warehouse.pk, "lines": "NOPE 3", "idempotency_key": "r-0"},
                       follow=True)  # fmt: skip
    requested = browser.post(
        PAGE + "request/",
        {"source": warehouse.pk, "lines": f"{sku.code} 3\n{sku.barcode} 2", "idempotency_key": "r-1"},
        follow=True,
    )
    transfer = Transfer.objects.get()
    waiting = keeper.get(PAGE).content.decode()
    shipped = keeper.post(PAGE + f"transfers/{transfer.pk}/ship/", {"idempotency_key": "s-1"}, follow=True)

    assert "No product has this barcode or code: NOPE" in bad.content.decode()
    assert f"Transfer #{transfer.pk} requested." in requested.content.decode()
    assert list(transfer.lines.values_list("sku_id", "quantity")) == [(sku.pk, 5)]
    assert "Requests to ship" in waiting and "Ship now" in waiting
    assert f"Transfer #{transfer.pk} shipped." in shipped.content.decode()
    assert StockLevel.objects.get(location=warehouse, sku=sku).on_hand == 95
    assert StockMove.objects.filter(kind=MoveKind.TRANSFER_OUT).count() == 1


def test_shipping_more_than_the_warehouse_holds_says_so_and_moves_nothing(store, warehouse):
    sku = _low(store, warehouse)
    keeper = _signed_in(EmployeeFactory(role=Role.WAREHOUSE_CLERK, home_location=warehouse))
    from o2o.inventory.services import add_requested_transfer

    transfer = add_requested_transfer(
        source_id=warehouse.pk, destination_id=store.pk, lines={sku.pk: 101}, actor_id=None
    )

    response = keeper.post(PAGE + f"transfers/{transfer.pk}/ship/", follow=True)

    assert "Not enough free stock at the source" in response.content.decode()
    assert StockLevel.objects.get(location=warehouse, sku=sku).on_hand == 100
    assert Transfer.objects.get().state == "requested"


def test_levels_are_set_from_the_page_and_a_target_below_the_alert_is_refused(browser, store):
    sku = SKUFactory()

    saved = browser.post(PAGE + "levels/", {"code": sku.code, "alert_level": 4, "target_level": 12}, follow=True)
    refused = browser.post(PAGE + "levels/", {"code": sku.code, "alert_level": 4, "target_level": 3}, follow=True)

    assert f"Levels of {sku.code} saved." in saved.content.decode()
    assert "a target is at least the alert level" in refused.content.decode()
    level = StockLevel.objects.get(location=store, sku=sku)
    assert (level.alert_level, level.target_level) == (4, 12)


def test_a_clerk_cannot_open_the_page(store):
    clerk = _signed_in(EmployeeFactory(role=Role.CLERK, home_location=store))

    assert clerk.get(PAGE).status_code == 403


def test_hq_works_a_stores_proposals_from_the_page_of_that_store(store, warehouse):
    sku = _low(store, warehouse)
    hq = _signed_in(EmployeeFactory(role=Role.HQ, home_location=None))

    hq.post(PAGE + f"propose/?location={store.pk}")
    proposal = Proposal.objects.get()
    page = hq.get(PAGE, {"location": store.pk}).content.decode()
    approved = hq.post(PAGE + f"approve/?location={store.pk}", {"proposal": [proposal.pk]}, follow=True)

    assert sku.code in page and "Approve the ticked proposals" in page
    assert approved.redirect_chain[-1][0] == f"{PAGE}?location={store.pk}"
    assert Transfer.objects.get().destination_id == store.pk
