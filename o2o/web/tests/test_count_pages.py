"""The stocktake pages at a store (/manager/counts/): start, scan on a phone, hand in, approve."""

import pytest
from django.test import Client

from o2o.access.actors import SYSTEM
from o2o.inventory.models import MoveKind, StockLevel, StockMove
from o2o.inventory.services import receive_stock
from o2o.staff.models import Role
from o2o.stocktakes.models import CountState, StockCount, StockCountLine
from o2o.testing.factories import EmployeeFactory, SKUFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def _signed_in(employee) -> Client:
    client = Client()
    client.force_login(employee.user)
    return client


@pytest.fixture
def manager(store) -> Client:
    return _signed_in(EmployeeFactory(role=Role.STORE_MANAGER, home_location=store))


@pytest.fixture
def counter(store) -> Client:
    return _signed_in(EmployeeFactory(role=Role.CLERK, home_location=store))


@pytest.fixture
def sku(store):
    sku = SKUFactory()
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=sku.pk, quantity=6)
    return sku


def _start(client: Client, key: str = "start-1") -> StockCount:
    client.post("/manager/counts/start/", {"category": "", "note": "月末", "idempotency_key": key})
    return StockCount.objects.get(state__in=[CountState.COUNTING, CountState.SUBMITTED])


def _scan(client: Client, count: StockCount, code: str, quantity="1", key="scan-1", **extra):
    body = {"code": code, "quantity": quantity, "idempotency_key": key, **extra}
    return client.post(f"/manager/counts/{count.pk}/scan/", body, headers=HTMX)


def test_a_count_from_start_to_posted_through_the_pages(store, manager, counter, sku):
    listed = manager.get("/manager/counts/")
    count = _start(manager)
    again = manager.post("/manager/counts/start/", {"category": "", "note": "月末", "idempotency_key": "start-1"})

    first = _scan(counter, count, sku.barcode, key="a")
    _scan(counter, count, sku.barcode, key="b")
    retried = _scan(counter, count, sku.barcode, key="b")
    sheet = counter.get(f"/manager/counts/{count.pk}/")
    handed_in = counter.post(f"/manager/counts/{count.pk}/submit/")
    clerk_approves = counter.post(f"/manager/counts/{count.pk}/approve/", {"idempotency_key": "x"})
    manager_sees = manager.get(f"/manager/counts/{count.pk}/")
    approved = manager.post(f"/manager/counts/{count.pk}/approve/", {"idempotency_key": "approve-1"})

    assert listed.status_code == 200 and "开始盘点" in listed.content.decode()
    assert again.status_code == 302 and StockCount.objects.count() == 1  # the double submit started one count
    assert first.status_code == 200 and f"{sku.code}：已盘 1 件" in first.content.decode()
    assert retried.status_code == 200
    assert StockCountLine.objects.get(count=count, sku=sku).counted_quantity == 2
    assert "交盘" in sheet.content.decode() and "审核并过账" not in sheet.content.decode()
    assert handed_in.status_code == 302
    assert clerk_approves.status_code == 403
    assert "审核并过账" in manager_sees.content.decode()
    assert approved.status_code == 302
    count.refresh_from_db()
    assert count.state == CountState.POSTED
    assert StockLevel.objects.get(location=store, sku=sku).on_hand == 2
    assert StockMove.objects.get(kind=MoveKind.COUNT).quantity == -4


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "NO-SUCH", "quantity": "1"}, "code"),
        ({"code": "", "quantity": "1"}, "code"),
        ({"code": "{sku}", "quantity": "abc"}, "quantity"),
        ({"code": "{sku}", "quantity": "-3"}, "quantity"),  # more than was counted
    ],
)
def test_a_bad_scan_is_a_form_error_and_counts_nothing(store, manager, counter, sku, body, field):
    count = _start(manager)
    body = {**body, "code": sku.code if body["code"] == "{sku}" else body["code"], "idempotency_key": "k"}

    htmx = counter.post(f"/manager/counts/{count.pk}/scan/", body, headers=HTMX)
    plain = counter.post(f"/manager/counts/{count.pk}/scan/", {**body, "idempotency_key": "k2"})

    assert htmx.status_code == 200
    assert f'data-field="{field}"' in htmx.content.decode() or 'class="errorlist nonfield"' in htmx.content.decode()
    assert plain.status_code == 422
    assert StockCountLine.objects.get(count=count, sku=sku).counted_quantity is None


def test_another_stores_count_is_not_found(store, other_store, manager, sku):
    count = _start(manager)
    outsider = _signed_in(EmployeeFactory(role=Role.STORE_MANAGER, home_location=other_store))

    seen = outsider.get(f"/manager/counts/{count.pk}/")
    scanned = _scan(outsider, count, sku.code)
    cancelled = outsider.post(f"/manager/counts/{count.pk}/cancel/")

    assert (seen.status_code, scanned.status_code, cancelled.status_code) == (404, 404, 404)
    count.refresh_from_db()
    assert count.state == CountState.COUNTING


def test_an_anonymous_visitor_is_sent_to_sign_in(store, manager):
    count = _start(manager)

    anonymous = Client().get(f"/manager/counts/{count.pk}/")

    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
