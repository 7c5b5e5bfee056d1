"""Counting by aisle: the manager shelves SKUs in aisles of the store, a count of one aisle
freezes the book of what is shelved there, and a bad aisle is refused before anything is written."""

import pytest

from o2o.access.actors import SYSTEM
from o2o.inventory.models import StockLevel
from o2o.inventory.services import receive_stock
from o2o.staff.models import Role
from o2o.stocktakes.models import StockCount, StockCountLine
from o2o.testing.api import as_staff, problem_code
from o2o.testing.factories import CategoryFactory, EmployeeFactory, ProductFactory, SKUFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(store):
    return as_staff(EmployeeFactory(role=Role.STORE_MANAGER, home_location=store))


def _stocked(location, quantity: int, **sku_fields):
    sku = SKUFactory(**sku_fields)
    receive_stock(actor=SYSTEM, location_id=location.pk, sku_id=sku.pk, quantity=quantity)
    return sku


def _shelve(client, location, sku, aisle: str):
    return client._call("put", f"stock-counts/locations/{location.pk}/aisles/{sku.pk}", {"aisle": aisle})


def test_a_count_of_one_aisle_freezes_the_book_of_what_is_shelved_there(store, other_store, manager):
    # given A and B in aisle A3, C in B1, D not shelved; A is also in aisle A3 at the other store
    a, b, c, d = (_stocked(store, n) for n in (10, 4, 7, 2))
    receive_stock(actor=SYSTEM, location_id=other_store.pk, sku_id=a.pk, quantity=3)
    StockLevel.objects.filter(location=other_store, sku=a).update(aisle="A3")
    shelved = [_shelve(manager, store, sku, aisle) for sku, aisle in ((a, " a3 "), (b, "A3"), (c, "B1"))]

    # when the manager counts aisle A3
    started = manager.post("stock-counts", {"location_id": store.pk, "aisle": "a3"})

    # then the shelf plan is stored upper case, and the count holds A and B at their book of the start
    assert [r.status_code for r in shelved] == [200, 200, 200]
    assert shelved[0].json() == {"location_id": store.pk, "sku_id": a.pk, "aisle": "A3"}
    assert started.status_code == 201, started.content
    assert started.json()["aisle"] == "A3"
    assert started.json()["lines"] == 2
    lines = StockCountLine.objects.filter(count_id=started.json()["id"])
    assert sorted(lines.values_list("sku_id", "book_quantity")) == sorted([(a.pk, 10), (b.pk, 4)])
    assert StockLevel.objects.get(location=store, sku=d).aisle == ""


def test_a_scan_of_a_sku_shelved_elsewhere_is_refused_in_an_aisle_count(store, manager):
    a, c = _stocked(store, 5), _stocked(store, 5)
    _shelve(manager, store, a, "A3")
    _shelve(manager, store, c, "B1")
    count_id = manager.post("stock-counts", {"location_id": store.pk, "aisle": "A3"}).json()["id"]

    refused = manager.post(f"stock-counts/{count_id}/scans", {"code": c.code, "quantity": 1})
    counted = manager.post(f"stock-counts/{count_id}/scans", {"code": a.code, "quantity": 5, "replace": True})

    assert refused.status_code == 422 and problem_code(refused) == "invalid"
    assert counted.status_code == 200
    assert list(StockCountLine.objects.filter(count_id=count_id).values_list("sku_id", "counted_quantity")) == [
        (a.pk, 5)
    ]


@pytest.mark.parametrize("aisle", ["", "   ", "Z9", "A 3", "TOO-LONG-AISLE"])
def test_an_empty_or_unknown_aisle_starts_no_count(store, manager, aisle):
    a = _stocked(store, 5)
    _shelve(manager, store, a, "A3")

    response = manager.post("stock-counts", {"location_id": store.pk, "aisle": aisle})

    assert response.status_code == 422
    assert not StockCount.objects.exists()


def test_a_count_is_by_category_or_by_aisle_not_both(store, manager):
    category = CategoryFactory()
    a = _stocked(store, 5, product=ProductFactory(category=category))
    _shelve(manager, store, a, "A3")

    response = manager.post("stock-counts", {"location_id": store.pk, "aisle": "A3", "category_id": category.pk})

    assert response.status_code == 422 and problem_code(response) == "invalid"
    assert not StockCount.objects.exists()


def test_only_the_stores_own_manager_shelves_and_only_what_it_holds(store, other_store, manager):
    a = _stocked(store, 5)
    b = _stocked(other_store, 5)
    clerk = as_staff(EmployeeFactory(role=Role.CLERK, home_location=store))
    other_manager = as_staff(EmployeeFactory(role=Role.STORE_MANAGER, home_location=other_store))

    by_clerk = _shelve(clerk, store, a, "A3")
    by_other = _shelve(other_manager, store, a, "A3")
    not_held = _shelve(manager, store, b, "A3")
    bad = _shelve(manager, store, a, "A/3")

    assert by_clerk.status_code == 403
    assert by_other.status_code in (403, 404)
    assert not_held.status_code == 422
    assert bad.status_code == 422
    assert set(StockLevel.objects.values_list("aisle", flat=True)) == {""}
