"""The shelf plan and aisle counts on /manager/counts/, and HQ's counts and shrinkage page
(/hq/shrinkage/): right figures per store and in total, and the wrong visitors turned away."""

from decimal import Decimal

import pytest
from django.template.defaultfilters import floatformat
from django.test import Client
from django.urls import reverse

from o2o.access.actors import SYSTEM, actor_for_user
from o2o.inventory.models import AdjustmentReason, StockLevel
from o2o.inventory.services import adjust_stock, receive_stock
from o2o.staff.models import Role
from o2o.stocktakes import services
from o2o.stocktakes.models import StockCount, StockCountLine
from o2o.testing.factories import EmployeeFactory, SKUFactory

pytestmark = pytest.mark.django_db


def _signed_in(employee) -> Client:
    client = Client()
    client.force_login(employee.user)
    return client


def _stocked(location, quantity: int, price: str = "1.00"):
    sku = SKUFactory(price=Decimal(price))
    receive_stock(actor=SYSTEM, location_id=location.pk, sku_id=sku.pk, quantity=quantity)
    return sku


@pytest.fixture
def manager(store) -> Client:
    return _signed_in(EmployeeFactory(role=Role.STORE_MANAGER, home_location=store))


def test_the_manager_shelves_products_and_counts_one_aisle(store, manager):
    # given two products on the shelf, one more elsewhere
    a, b, c = _stocked(store, 5), _stocked(store, 3), _stocked(store, 8)

    # when the manager puts A (by barcode) and B (by code) in aisle a3, C in B1, and counts aisle A3
    shelved = [manager.post("/manager/counts/aisles/", {"code": code, "aisle": aisle})
               for code, aisle in ((a.barcode, "a3"), (b.code, "A3"), (c.code, "B1"))]  # fmt: skip
    page = manager.get("/manager/counts/")
    started = manager.post(
        "/manager/counts/start/", {"category": "", "aisle": "A3", "note": "", "idempotency_key": "k1"}
    )

    # then the plan is saved, the page offers the aisles, and the count holds A and B only
    assert [r.status_code for r in shelved] == [302, 302, 302]
    assert dict(StockLevel.objects.filter(location=store).values_list("sku_id", "aisle")) == {
        a.pk: "A3",
        b.pk: "A3",
        c.pk: "B1",
    }
    assert 'value="A3"' in page.content.decode() and 'value="B1"' in page.content.decode()
    count = StockCount.objects.get()
    assert started.status_code == 302 and count.aisle == "A3"
    assert sorted(StockCountLine.objects.filter(count=count).values_list("sku_id", "book_quantity")) == sorted(
        [(a.pk, 5), (b.pk, 3)]
    )
    assert "货道 A3" in manager.get(f"/manager/counts/{count.pk}/").content.decode()


@pytest.mark.parametrize(
    "body",
    [
        {"category": "", "aisle": "Z9"},  # not an aisle of this store
        {"category": "", "aisle": "A 3"},
    ],
)
def test_an_unknown_aisle_is_a_form_error_and_starts_nothing(store, manager, body):
    StockLevel.objects.filter(pk=_stocked(store, 5).stock_levels.get().pk).update(aisle="A3")

    response = manager.post("/manager/counts/start/", {**body, "note": "", "idempotency_key": "k1"})

    assert response.status_code == 422
    assert 'data-field="aisle"' in response.content.decode()
    assert not StockCount.objects.exists()


def test_a_category_and_an_aisle_together_is_a_form_error(store, manager):
    sku = _stocked(store, 5)
    StockLevel.objects.filter(sku=sku).update(aisle="A3")
    body = {"category": str(sku.product.category_id), "aisle": "A3", "note": "", "idempotency_key": "k1"}

    response = manager.post("/manager/counts/start/", body)

    assert response.status_code == 422
    assert not StockCount.objects.exists()


@pytest.mark.parametrize(
    "code, aisle, field", [("NOPE", "A3", "code"), ("held", "A/3", "aisle"), ("other", "A3", "code")]
)
def test_a_bad_shelf_plan_entry_is_a_form_error(store, other_store, manager, code, aisle, field):
    held, elsewhere = _stocked(store, 2), _stocked(other_store, 2)
    code = {"held": held.code, "other": elsewhere.code}.get(code, code)

    response = manager.post("/manager/counts/aisles/", {"code": code, "aisle": aisle})

    assert response.status_code == 422
    assert f'data-field="{field}"' in response.content.decode()
    assert set(StockLevel.objects.values_list("aisle", flat=True)) == {""}


def test_a_clerk_cannot_change_the_shelf_plan(store):
    sku = _stocked(store, 2)
    clerk = _signed_in(EmployeeFactory(role=Role.CLERK, home_location=store))

    response = clerk.post("/manager/counts/aisles/", {"code": sku.code, "aisle": "A3"})

    assert response.status_code == 403
    assert StockLevel.objects.get(sku=sku).aisle == ""


def _approved_count(location, counted: dict) -> None:
    manager = actor_for_user(EmployeeFactory(role=Role.STORE_MANAGER, home_location=location).user)
    count_id = services.start_count(actor=manager, location_id=location.pk)["id"]
    for sku, units in counted.items():
        services.record_scan(actor=manager, count_id=count_id, code=sku.code, quantity=units, replace=True)
    services.submit_count(actor=manager, count_id=count_id)
    services.approve_count(actor=manager, count_id=count_id)


@pytest.fixture
def hq() -> Client:
    return _signed_in(EmployeeFactory(role=Role.HQ, home_location=None))


def _yuan(amount: str) -> str:
    """As the HQ pages show money (floatformat "2g": the locale's grouping)."""
    return f"¥{floatformat(Decimal(amount), '2g')}"


def _cell(html: str, location: str, field: str) -> str:
    row = html.split(f"<tr {location}>", 1)[1].split("</tr>", 1)[0]
    return row.split(f'data-field="{field}"', 1)[1].split(">", 1)[1].split("<", 1)[0]


def test_hq_sees_counts_variances_and_corrections_per_store_and_in_total(store, other_store, hq):
    # given store: A ¥1,000 counted 2 short; 1 A damaged; other store: B ¥2.50 counted 4 over, 2 B expired
    a, b = _stocked(store, 10, "1000.00"), _stocked(other_store, 10, "2.50")
    _approved_count(store, {a: 8})
    adjust_stock(actor=SYSTEM, location_id=store.pk, sku_id=a.pk, delta=-1, reason_code=AdjustmentReason.DAMAGED)
    _approved_count(other_store, {b: 14})
    adjust_stock(actor=SYSTEM, location_id=other_store.pk, sku_id=b.pk, delta=-2, reason_code=AdjustmentReason.EXPIRED)

    response = hq.get(reverse("web:hq-shrinkage"))

    assert response.status_code == 200
    html = response.content.decode()
    own, other, total = f'data-location="{store.pk}"', f'data-location="{other_store.pk}"', "data-total"
    assert _cell(html, own, "counts") == "1"
    assert _cell(html, own, "variance-units") == "-2"
    assert _cell(html, own, "variance-value") == _yuan("-2000.00")
    assert _cell(html, own, "damaged-value") == _yuan("-1000.00")
    assert _cell(html, other, "variance-value") == _yuan("10.00")
    assert _cell(html, other, "expired-units") == "-2"
    assert _cell(html, total, "counts") == "2"
    assert _cell(html, total, "variance-units") == "2"
    assert _cell(html, total, "variance-value") == _yuan("-1990.00")
    assert _cell(html, total, "count-value") == _yuan("-1990.00")
    assert _cell(html, total, "expired-value") == _yuan("-5.00")
    assert html.count("data-count=") == 2


def test_a_bad_period_is_a_form_error(hq):
    reversed_period = hq.get("/hq/shrinkage/", {"since": "2030-02-01", "until": "2030-01-01"})
    not_a_date = hq.get("/hq/shrinkage/", {"since": "yesterday"})

    assert reversed_period.status_code == 422 and 'data-field="since"' in reversed_period.content.decode()
    assert not_a_date.status_code == 422


@pytest.mark.parametrize("role", [Role.STORE_MANAGER, Role.CLERK, Role.CS_AGENT])
def test_store_staff_and_other_roles_are_turned_away(store, role):
    home = None if role == Role.CS_AGENT else store
    client = _signed_in(EmployeeFactory(role=role, home_location=home))

    assert client.get("/hq/shrinkage/").status_code == 403


def test_a_visitor_is_sent_to_sign_in():
    response = Client().get("/hq/shrinkage/")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))
