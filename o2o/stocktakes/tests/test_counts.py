"""Stocktakes over the API: the book frozen at the start, scans, approval posting the variances,
and every refusal leaving the book as it was."""

from decimal import Decimal

import pytest

from o2o.access.actors import SYSTEM, actor_for_user
from o2o.inventory.models import MoveKind, StockLevel, StockMove
from o2o.inventory.selectors import audit_stock
from o2o.inventory.services import adjust_stock, receive_stock
from o2o.staff.models import Role
from o2o.stocktakes.models import CountState, StockCount, StockCountLine
from o2o.testing.api import as_staff, problem_code
from o2o.testing.factories import CategoryFactory, EmployeeFactory, ProductFactory, SKUFactory
from o2o.testing.journeys import place_counter_sale

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_employee(store):
    return EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)


@pytest.fixture
def manager(manager_employee):
    return as_staff(manager_employee)


@pytest.fixture
def counter(store):
    return as_staff(EmployeeFactory(role=Role.CLERK, home_location=store))


def _stocked(store, quantity: int, **sku_fields):
    sku = SKUFactory(**sku_fields)
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=quantity)
    return sku


def _on_hand(store, sku) -> int:
    return StockLevel.objects.get(location=store, sku=sku).on_hand


def _scan(client, count_id, code, quantity=1, *, replace=False, key=None):
    headers = {"Idempotency-Key": key} if key else None
    return client.post(f"stock-counts/{count_id}/scans", {"code": code, "quantity": quantity, "replace": replace},
                       headers=headers)  # fmt: skip


def test_a_count_posts_what_was_counted_against_the_book_at_its_start(store, manager, counter, manager_employee):
    # given 10 of A, 5 of B, and C which the book does not know at this store
    a = _stocked(store, 10, price=Decimal("12.50"))
    b = _stocked(store, 5)
    c = SKUFactory(price=Decimal("3.00"))
    started = manager.post("stock-counts", {"location_id": store.pk, "note": "month end"})
    count_id = started.json()["id"]
    # one unit of A written off while the count runs: the book moves on, the frozen book does not
    adjust_stock(actor=actor_for_user(manager_employee.user), location_id=store.pk, sku_id=a.pk, delta=-1,
                 reason="damaged")  # fmt: skip

    # when the clerk scans A eight times (one scan retried), B as 5, finds 2 of C, and hands it in
    scans = [_scan(counter, count_id, a.barcode, key=f"scan-{n}") for n in range(8)]
    retried = _scan(counter, count_id, a.barcode, key="scan-7")
    _scan(counter, count_id, b.code, 5, replace=True)
    _scan(counter, count_id, c.barcode, 2)
    submitted = counter.post(f"stock-counts/{count_id}/submit")
    report = manager.get(f"stock-counts/{count_id}").json()
    approved = manager.post(f"stock-counts/{count_id}/approve", headers={"Idempotency-Key": "approve-1"})
    again = manager.post(f"stock-counts/{count_id}/approve", headers={"Idempotency-Key": "approve-1"})

    # then the variances against the start are posted on today's book, once
    assert (started.status_code, started.json()["lines"], started.json()["state"]) == (201, 2, "counting")
    assert [s.json()["counted_quantity"] for s in scans] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert retried.json()["counted_quantity"] == 8
    assert submitted.json()["state"] == "submitted"
    lines = {line["sku_code"]: line for line in report["lines"]}
    assert (lines[a.code]["book_quantity"], lines[a.code]["counted_quantity"], lines[a.code]["variance"]) == (10, 8, -2)
    assert Decimal(lines[a.code]["variance_value"]) == Decimal("-25.00")
    assert (lines[b.code]["variance"], lines[c.code]["book_quantity"], lines[c.code]["variance"]) == (0, 0, 2)
    assert (report["counted"], report["not_counted"], report["units_over"], report["units_short"]) == (3, 0, 2, 2)
    assert (Decimal(report["value_over"]), Decimal(report["value_short"])) == (Decimal("6.00"), Decimal("25.00"))
    assert [line["sku_code"] for line in report["lines"]][0] == a.code  # the largest by value first
    assert (approved.status_code, approved.json()["state"], approved.json()["posted"]) == (200, "posted", 2)
    assert again.json() == approved.json()
    assert (_on_hand(store, a), _on_hand(store, b), _on_hand(store, c)) == (7, 5, 2)
    moves = StockMove.objects.filter(kind=MoveKind.COUNT, reference=f"count:{count_id}")
    assert sorted(moves.values_list("sku_id", "quantity")) == sorted([(a.pk, -2), (c.pk, 2)])
    assert set(moves.values_list("reason_code", flat=True)) == {"count"}
    assert audit_stock() == []


def test_approving_twice_without_a_key_is_a_conflict_and_posts_once(store, manager, counter):
    sku = _stocked(store, 4)
    count_id = manager.post("stock-counts", {"location_id": store.pk}).json()["id"]
    _scan(counter, count_id, sku.code, 6, replace=True)
    counter.post(f"stock-counts/{count_id}/submit")

    first = manager.post(f"stock-counts/{count_id}/approve")
    second = manager.post(f"stock-counts/{count_id}/approve")

    assert first.status_code == 200
    assert (second.status_code, problem_code(second)) == (409, "illegal_transition")
    assert _on_hand(store, sku) == 6
    assert StockMove.objects.filter(kind=MoveKind.COUNT).count() == 1


def test_uncounted_lines_stay_as_they_are(store, manager, counter):
    counted, skipped = _stocked(store, 4), _stocked(store, 9)
    count_id = manager.post("stock-counts", {"location_id": store.pk}).json()["id"]
    _scan(counter, count_id, counted.code, 3, replace=True)
    counter.post(f"stock-counts/{count_id}/submit")

    report = manager.get(f"stock-counts/{count_id}").json()
    manager.post(f"stock-counts/{count_id}/approve")

    assert (report["counted"], report["not_counted"]) == (1, 1)
    assert [line["variance"] for line in report["lines"]] == [-1, None]  # the uncounted one last
    assert (_on_hand(store, counted), _on_hand(store, skipped)) == (3, 9)


def test_a_count_below_the_units_reserved_for_orders_posts_nothing(store, manager, counter, clerk):
    reserved, fine = _stocked(store, 5), _stocked(store, 5)
    place_counter_sale(clerk=clerk, sku=reserved, quantity=4)  # 4 units held for an unpaid sale
    count_id = manager.post("stock-counts", {"location_id": store.pk}).json()["id"]
    _scan(counter, count_id, fine.code, 1, replace=True)
    _scan(counter, count_id, reserved.code, 2, replace=True)
    counter.post(f"stock-counts/{count_id}/submit")

    refused = manager.post(f"stock-counts/{count_id}/approve")

    assert (refused.status_code, problem_code(refused)) == (409, "insufficient_stock")
    assert refused.json()["sku_id"] == reserved.pk
    assert (_on_hand(store, reserved), _on_hand(store, fine)) == (5, 5)
    assert StockCount.objects.get(pk=count_id).state == CountState.SUBMITTED
    assert not StockMove.objects.filter(kind=MoveKind.COUNT).exists()
    # the manager sends it back, it is recounted, and then it posts
    manager.post(f"stock-counts/{count_id}/send-back")
    _scan(counter, count_id, reserved.code, 4, replace=True)
    counter.post(f"stock-counts/{count_id}/submit")
    assert manager.post(f"stock-counts/{count_id}/approve").status_code == 200
    assert (_on_hand(store, reserved), _on_hand(store, fine)) == (4, 1)


def test_one_open_count_per_location(store, manager):
    first = manager.post("stock-counts", {"location_id": store.pk})

    second = manager.post("stock-counts", {"location_id": store.pk})
    manager.post(f"stock-counts/{first.json()['id']}/cancel")
    after_cancel = manager.post("stock-counts", {"location_id": store.pk})

    assert (second.status_code, problem_code(second)) == (409, "conflict")
    assert after_cancel.status_code == 201
    assert StockCount.objects.filter(location=store).count() == 2


def test_a_category_count_freezes_and_takes_only_that_category_and_its_children(store, manager, counter):
    drinks = CategoryFactory()
    tea = CategoryFactory(parent=drinks)
    in_tea = _stocked(store, 3, product=ProductFactory(category=tea))
    _stocked(store, 3)  # another category

    started = manager.post("stock-counts", {"location_id": store.pk, "category_id": drinks.pk})
    outside = SKUFactory()
    refused = _scan(counter, started.json()["id"], outside.code)

    assert started.json()["lines"] == 1
    assert StockCountLine.objects.get(count_id=started.json()["id"]).sku_id == in_tea.pk
    assert (refused.status_code, refused.json()["field"]) == (422, "code")


def test_scans_end_when_the_count_is_handed_in(store, manager, counter):
    sku = _stocked(store, 3)
    count_id = manager.post("stock-counts", {"location_id": store.pk}).json()["id"]
    counter.post(f"stock-counts/{count_id}/submit")

    late = _scan(counter, count_id, sku.code)

    assert (late.status_code, problem_code(late)) == (409, "illegal_transition")
    assert StockCountLine.objects.get(count_id=count_id).counted_quantity is None


@pytest.mark.parametrize(
    "body",
    [
        {"code": "", "quantity": 1},
        {"code": "x" * 41, "quantity": 1},
        {"code": "NO-SUCH-SKU", "quantity": 1},
        {"code": "{sku}", "quantity": 0},
        {"code": "{sku}", "quantity": True},
        {"code": "{sku}", "quantity": 1.5},
        {"code": "{sku}", "quantity": "2"},
        {"code": "{sku}", "quantity": 100_001},
        {"code": "{sku}", "quantity": -1},  # takes back more than was counted (nothing yet)
        {"code": "{sku}", "quantity": -1, "replace": True},
        {"code": "{sku}", "quantity": 1, "replace": "yes"},
    ],
)
def test_bad_scans_are_a_clear_422_and_count_nothing(store, manager, counter, body):
    sku = _stocked(store, 3)
    count_id = manager.post("stock-counts", {"location_id": store.pk}).json()["id"]
    body = {**body, "code": sku.code if body["code"] == "{sku}" else body["code"]}

    response = counter.post(f"stock-counts/{count_id}/scans", body)

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert StockCountLine.objects.get(count_id=count_id).counted_quantity is None


def test_another_stores_count_is_not_found_and_a_clerk_cannot_approve(store, other_store, manager, counter):
    sku = _stocked(store, 3)
    count_id = manager.post("stock-counts", {"location_id": store.pk}).json()["id"]
    _scan(counter, count_id, sku.code, 3, replace=True)
    counter.post(f"stock-counts/{count_id}/submit")
    outsider = as_staff(EmployeeFactory(role=Role.STORE_MANAGER, home_location=other_store))

    seen = outsider.get(f"stock-counts/{count_id}")
    approved_by_outsider = outsider.post(f"stock-counts/{count_id}/approve")
    approved_by_clerk = counter.post(f"stock-counts/{count_id}/approve")
    listed = outsider.get(f"stock-counts/locations/{store.pk}")

    assert (seen.status_code, approved_by_outsider.status_code, listed.status_code) == (404, 404, 404)
    assert approved_by_clerk.status_code == 403
    assert StockCount.objects.get(pk=count_id).state == CountState.SUBMITTED
    assert _on_hand(store, sku) == 3


def test_the_counts_of_a_location_newest_first(store, manager):
    first = manager.post("stock-counts", {"location_id": store.pk}).json()["id"]
    manager.post(f"stock-counts/{first}/cancel")
    second = manager.post("stock-counts", {"location_id": store.pk}).json()["id"]

    listed = manager.get(f"stock-counts/locations/{store.pk}").json()

    assert [(row["id"], row["state"]) for row in listed["results"]] == [(second, "counting"), (first, "cancelled")]


def test_the_variance_report_reads_in_two_queries_however_many_lines(store, manager, counter,
                                                                      django_assert_num_queries):  # fmt: skip
    from o2o.access.actors import actor_for_user as actor_of
    from o2o.stocktakes.selectors import variance_report

    skus = [_stocked(store, 2) for _ in range(6)]
    count_id = manager.post("stock-counts", {"location_id": store.pk}).json()["id"]
    for sku in skus[:4]:
        _scan(counter, count_id, sku.code, 1)
    keeper = actor_of(EmployeeFactory(role=Role.STORE_MANAGER, home_location=store).user)

    with django_assert_num_queries(2):
        report = variance_report(actor=keeper, count_id=count_id)

    assert (report.counted, report.not_counted, report.units_short) == (4, 2, 4)
