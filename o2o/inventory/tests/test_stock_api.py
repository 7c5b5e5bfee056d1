"""Stock over the API: idempotency keys on every stock move, strict quantities, and the table's say."""

import pytest

from o2o.access.actors import SYSTEM
from o2o.core.models import IdempotencyRecord
from o2o.inventory.models import MoveKind, StockLevel, StockMove, Transfer
from o2o.inventory.services import receive_stock, send_transfer
from o2o.staff.models import Role
from o2o.testing.api import as_staff, problem_code
from o2o.testing.factories import EmployeeFactory, SKUFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sku():
    return SKUFactory()


@pytest.fixture
def manager(store):
    return as_staff(EmployeeFactory(role=Role.STORE_MANAGER, home_location=store))


def _key(value: str) -> dict:
    return {"Idempotency-Key": value}


def _on_hand(location, sku) -> int:
    return StockLevel.objects.get(location=location, sku=sku).on_hand


def test_a_retried_receipt_answers_with_the_first_result_and_books_once(manager, store, sku):
    body = {"location_id": store.pk, "sku_id": sku.pk, "quantity": 5}
    first = manager.post("inventory/receipts", body, headers=_key("delivery-0001"))
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=1)  # stock moves meanwhile

    again = manager.post("inventory/receipts", body, headers=_key("delivery-0001"))

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert (first.json()["on_hand"], first.json()["sku_code"], first.json()["low"]) == (5, sku.code, False)
    assert _on_hand(store, sku) == 6
    assert StockMove.objects.filter(kind=MoveKind.RECEIPT).count() == 2


def test_the_same_key_for_another_receipt_is_a_conflict_and_writes_nothing(manager, store, sku):
    manager.post("inventory/receipts", {"location_id": store.pk, "sku_id": sku.pk, "quantity": 5}, headers=_key("k1"))

    other = manager.post(
        "inventory/receipts", {"location_id": store.pk, "sku_id": sku.pk, "quantity": 50}, headers=_key("k1")
    )

    assert (other.status_code, problem_code(other)) == (409, "idempotency_conflict")
    assert _on_hand(store, sku) == 5
    assert StockMove.objects.count() == 1


def test_keys_belong_to_their_user(manager, store, sku):
    colleague = as_staff(EmployeeFactory(role=Role.STORE_MANAGER, home_location=store))
    body = {"location_id": store.pk, "sku_id": sku.pk, "quantity": 5}
    manager.post("inventory/receipts", body, headers=_key("k1"))

    theirs = colleague.post("inventory/receipts", body, headers=_key("k1"))

    assert theirs.status_code == 201
    assert _on_hand(store, sku) == 10


def test_a_retried_write_off_takes_the_units_once(manager, store, sku):
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=10)
    body = {"location_id": store.pk, "sku_id": sku.pk, "delta": -3, "reason": "broken"}

    first = manager.post("inventory/adjustments", body, headers=_key("wo-1"))
    again = manager.post("inventory/adjustments", body, headers=_key("wo-1"))

    assert (first.status_code, again.status_code, again.json()) == (200, 200, first.json())
    assert _on_hand(store, sku) == 7
    assert StockMove.objects.filter(kind=MoveKind.ADJUSTMENT).count() == 1


def test_a_refused_write_off_leaves_its_key_free(manager, store, sku):
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=2)
    body = {"location_id": store.pk, "sku_id": sku.pk, "delta": -3, "reason": "broken"}

    refused = manager.post("inventory/adjustments", body, headers=_key("wo-1"))
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=5)
    retried = manager.post("inventory/adjustments", body, headers=_key("wo-1"))

    assert (refused.status_code, problem_code(refused)) == (409, "insufficient_stock")
    assert (retried.status_code, retried.json()["on_hand"]) == (200, 4)


def test_a_retried_count_answers_with_the_first_variance(manager, store, sku):
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=10)
    body = {"location_id": store.pk, "sku_id": sku.pk, "counted": 7}

    first = manager.post("inventory/counts", body, headers=_key("count-1"))
    again = manager.post("inventory/counts", body, headers=_key("count-1"))

    assert (first.json(), again.json()) == ({"variance": -3}, {"variance": -3})
    assert StockMove.objects.filter(kind=MoveKind.COUNT).count() == 1


def test_a_retried_transfer_is_sent_once(manager, store, other_store, sku):
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=10)
    body = {"source_id": store.pk, "destination_id": other_store.pk, "lines": [{"sku_id": sku.pk, "quantity": 4}]}

    first = manager.post("inventory/transfers", body, headers=_key("tr-1"))
    again = manager.post("inventory/transfers", body, headers=_key("tr-1"))

    assert (first.status_code, again.status_code, again.json()) == (201, 201, first.json())
    assert Transfer.objects.count() == 1
    assert _on_hand(store, sku) == 6


def test_a_retried_transfer_receipt_answers_as_the_first_and_without_a_key_is_a_conflict(store, other_store, sku):
    receive_stock(actor=SYSTEM, location_id=other_store.pk, sku_id=sku.pk, quantity=10)
    transfer = send_transfer(actor=SYSTEM, source_id=other_store.pk, destination_id=store.pk, lines={sku.pk: 4})
    clerk = as_staff(EmployeeFactory(role=Role.CLERK, home_location=store))
    path = f"inventory/transfers/{transfer.id}/receive"

    first = clerk.post(path, headers=_key("in-1"))
    again = clerk.post(path, headers=_key("in-1"))
    keyless = clerk.post(path)

    assert (first.status_code, again.status_code, again.json()) == (200, 200, first.json())
    assert first.json()["state"] == "received"
    assert (keyless.status_code, problem_code(keyless)) == (409, "illegal_transition")
    assert _on_hand(store, sku) == 4


def test_an_overlong_key_is_refused(manager, store, sku):
    response = manager.post(
        "inventory/receipts", {"location_id": store.pk, "sku_id": sku.pk, "quantity": 1}, headers=_key("k" * 81)
    )

    assert response.status_code == 422
    assert not StockMove.objects.exists()


def test_a_clerk_may_not_write_stock_off(store, sku):
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=10)
    clerk = as_staff(EmployeeFactory(role=Role.CLERK, home_location=store))

    response = clerk.post(
        "inventory/adjustments", {"location_id": store.pk, "sku_id": sku.pk, "delta": -10, "reason": "gone"}
    )

    assert (response.status_code, problem_code(response)) == (403, "forbidden")
    assert response.json()["operation"] == "adjust_stock"
    assert _on_hand(store, sku) == 10
    assert not StockMove.objects.filter(kind=MoveKind.ADJUSTMENT).exists()
    assert not IdempotencyRecord.objects.exists()


NOT_NUMBERS = [True, 1.5, 2.0, "2", None]


@pytest.mark.parametrize("value", NOT_NUMBERS, ids=repr)
@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("inventory/receipts", lambda store, other, sku, v: {"location_id": store, "sku_id": sku, "quantity": v}),
        (
            "inventory/adjustments",
            lambda store, other, sku, v: {"location_id": store, "sku_id": sku, "delta": v, "reason": "r"},
        ),
        ("inventory/counts", lambda store, other, sku, v: {"location_id": store, "sku_id": sku, "counted": v}),
        (
            "inventory/transfers",
            lambda store, other, sku, v: {
                "source_id": store,
                "destination_id": other,
                "lines": [{"sku_id": sku, "quantity": v}],
            },
        ),
        (
            "orders",
            lambda store, other, sku, v: {
                "channel": "pos",
                "fulfilment": "in_store",
                "location_id": store,
                "lines": [{"sku_id": sku, "quantity": v}],
            },
        ),
    ],
    ids=lambda p: p if isinstance(p, str) else "",
)
def test_only_an_integer_is_a_quantity(manager, store, other_store, sku, path, body, value):
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=10)

    response = manager.post(path, body(store.pk, other_store.pk, sku.pk, value))

    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert StockMove.objects.count() == 1 and _on_hand(store, sku) == 10
    assert not Transfer.objects.exists()
