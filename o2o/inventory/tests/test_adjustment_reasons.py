"""Standard adjustment reasons and a SKU's stock history, over the API and on the manager's page."""

import pytest
from django.test import Client

from o2o.access.actors import SYSTEM
from o2o.inventory.models import AdjustmentReason, MoveKind, StockLevel, StockMove
from o2o.inventory.services import receive_stock
from o2o.staff.models import Role
from o2o.testing.api import as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, SKUFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_employee(store):
    return EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)


@pytest.fixture
def sku(store):
    sku = SKUFactory()
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=10, reason="delivery")
    return sku


def _adjust(client, store, sku, delta, **why):
    return client.post("inventory/adjustments", {"location_id": store.pk, "sku_id": sku.pk, "delta": delta, **why})


def test_a_standard_reason_needs_no_words_and_is_kept_on_the_move(store, sku, manager_employee):
    manager = as_staff(manager_employee)

    expired = _adjust(manager, store, sku, -2, reason_code="expired")
    found = _adjust(manager, store, sku, 1, reason_code="found", reason="behind the shelf")
    other = _adjust(manager, store, sku, -1, reason="given to a charity")

    assert [r.status_code for r in (expired, found, other)] == [200, 200, 200]
    moves = StockMove.objects.filter(kind=MoveKind.ADJUSTMENT).order_by("pk")
    assert [(m.quantity, m.reason_code, m.reason) for m in moves] == [
        (-2, "expired", ""), (1, "found", "behind the shelf"), (-1, "other", "given to a charity"),
    ]  # fmt: skip
    assert StockLevel.objects.get(location=store, sku=sku).on_hand == 8


@pytest.mark.parametrize(
    ("why", "field"),
    [
        ({"reason_code": "other"}, None),  # "other" says why in words
        ({"reason_code": "other", "reason": "   "}, None),
        ({"reason_code": "count"}, "reason_code"),  # a count comes from a stocktake, never by hand
        ({"reason_code": "stolen"}, None),
        ({"reason_code": 7}, None),
    ],
)
def test_a_bad_reason_is_a_422_and_moves_nothing(store, sku, manager_employee, why, field):
    response = _adjust(as_staff(manager_employee), store, sku, -1, **why)

    assert (response.status_code, problem_code(response)) in ((422, "invalid"), (422, "validation_error"))
    if field:
        assert response.json()["field"] == field
    assert not StockMove.objects.filter(kind=MoveKind.ADJUSTMENT).exists()
    assert StockLevel.objects.get(location=store, sku=sku).on_hand == 10


def test_the_history_lists_every_move_newest_first_with_its_reason(store, other_store, sku, manager_employee):
    manager = as_staff(manager_employee)
    _adjust(manager, store, sku, -3, reason_code="damaged")

    history = manager.get(f"inventory/locations/{store.pk}/stock/{sku.pk}/moves").json()["results"]
    outsider = as_staff(EmployeeFactory(role=Role.STORE_MANAGER, home_location=other_store))
    refused = outsider.get(f"inventory/locations/{store.pk}/stock/{sku.pk}/moves")

    assert [(m["kind"], m["quantity"], m["reason_code"]) for m in history] == [
        ("adjustment", -3, "damaged"), ("receipt", 10, ""),
    ]  # fmt: skip
    assert history[0]["actor_id"] == manager_employee.user_id
    assert refused.status_code == 404


def test_the_manager_page_adjusts_with_a_standard_reason_and_shows_the_history(store, sku, manager_employee):
    browser = Client()
    browser.force_login(manager_employee.user)

    saved = browser.post(f"/manager/stock/{sku.pk}/adjust/", {"delta": "-2", "reason_code": "theft", "reason": ""})
    refused = browser.post(f"/manager/stock/{sku.pk}/adjust/", {"delta": "-1", "reason_code": "other", "reason": ""})
    page = browser.get(f"/manager/stock/{sku.pk}/history/").content.decode()

    assert saved.status_code == 302
    assert refused.status_code == 422 and 'data-field="reason"' in refused.content.decode()
    assert StockMove.objects.get(kind=MoveKind.ADJUSTMENT).reason_code == AdjustmentReason.THEFT
    assert page.count("<tr data-kind=") == 2
    assert 'data-kind="adjustment" data-reason="theft"' in page
    assert browser.get("/manager/stock/999999/history/").status_code == 404
