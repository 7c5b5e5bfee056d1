"""The store manager's pages: stock and adjustments, incoming transfers, orders by state, staff join QR codes."""

import re
from decimal import Decimal

import pytest
from django.test import Client

from o2o.access.actors import SYSTEM
from o2o.inventory.models import MoveKind, StockLevel, StockMove, Transfer
from o2o.inventory.services import receive_stock, send_transfer
from o2o.staff.models import Role
from o2o.stores.models import Location
from o2o.testing.factories import EmployeeFactory, LocationFactory, SKUFactory
from o2o.testing.journeys import paid_pickup_order, place_pickup_order
from o2o.web.manager import views

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def manager(store):
    return EmployeeFactory(role=Role.STORE_MANAGER, home_location=store)


def _signed_in(employee) -> Client:
    client = Client()
    client.force_login(employee.user)
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def browser(manager) -> Client:
    return _signed_in(manager)


def _stocked(location, quantity: int = 10, alert_level: int = 0, **sku):
    sku = SKUFactory(**sku)
    receive_stock(location_id=location.pk, sku_id=sku.pk, quantity=quantity, actor=SYSTEM)
    StockLevel.objects.filter(location=location, sku=sku).update(alert_level=alert_level)
    return sku


def _row(html: str, sku) -> str:
    match = re.search(rf'<tbody id="stock-{sku.pk}".*?</tbody>', html, re.S)
    assert match, f"no row for {sku.code}"
    return match.group(0)


def _on_hand(location, sku) -> int:
    return StockLevel.objects.get(location=location, sku=sku).on_hand


# ---- stock -------------------------------------------------------------------------------------


def test_the_manager_sees_only_their_stores_stock(browser, store, other_store):
    ours = _stocked(store, quantity=7)
    theirs = _stocked(other_store, quantity=3)

    html = browser.get("/manager/").content.decode()

    assert ours.code in html and theirs.code not in html
    assert '<td class="num" data-field="on_hand">7</td>' in _row(html, ours)


def test_low_stock_rows_are_highlighted_and_the_filter_shows_only_them(browser, store):
    low = _stocked(store, quantity=2, alert_level=5)
    plenty = _stocked(store, quantity=50, alert_level=5)

    page = browser.get("/manager/").content.decode()
    filtered = browser.get("/manager/", {"low": "on"}, headers=HTMX)

    assert '<tr class="low"' in _row(page, low)
    assert '<tr class=""' in _row(page, plenty)
    body = filtered.content.decode()
    assert filtered.status_code == 200 and "<html" not in body  # the table partial only
    assert low.code in body and plenty.code not in body


def test_search_finds_a_sku_by_code_name_or_barcode(browser, store):
    wanted = _stocked(store, name="洗发水 400ml")
    other = _stocked(store, name="抽纸")

    by_name = browser.get("/manager/", {"q": "洗发水"}).content.decode()
    by_barcode = browser.get("/manager/", {"q": wanted.barcode}).content.decode()

    assert wanted.code in by_name and other.code not in by_name
    assert wanted.code in by_barcode and other.code not in by_barcode


def test_an_adjustment_with_a_reason_changes_stock_and_writes_the_ledger(browser, store, manager):
    sku = _stocked(store, quantity=10)

    response = browser.post(f"/manager/stock/{sku.pk}/adjust/", {"delta": "-3", "reason": "damaged"}, headers=HTMX)

    assert response.status_code == 200
    assert '<td class="num" data-field="on_hand">7</td>' in response.content.decode()
    assert _on_hand(store, sku) == 7
    move = StockMove.objects.get(kind=MoveKind.ADJUSTMENT)
    assert (move.location_id, move.sku_id, move.quantity, move.reason, move.actor_id) == (
        store.pk,
        sku.pk,
        -3,
        "damaged",
        manager.user_id,
    )


def test_without_javascript_an_adjustment_redirects_back_to_the_stock_page(browser, store):
    sku = _stocked(store, quantity=10)

    response = browser.post(f"/manager/stock/{sku.pk}/adjust/", {"delta": "2", "reason": "found"}, follow=True)

    assert response.redirect_chain == [("/manager/", 302)]
    assert f"Stock of {sku.code} changed by +2." in response.content.decode()
    assert _on_hand(store, sku) == 12


def test_a_missing_reason_is_a_field_error_and_changes_nothing(browser, store):
    sku = _stocked(store, quantity=10)

    partial = browser.post(f"/manager/stock/{sku.pk}/adjust/", {"delta": "-3", "reason": "  "}, headers=HTMX)
    page = browser.post(f"/manager/stock/{sku.pk}/adjust/", {"delta": "-3", "reason": ""})

    assert partial.status_code == 200  # htmx swaps the row with its errors
    assert '<div class="field-errors" data-field="reason">' in partial.content.decode()
    assert page.status_code == 422
    assert '<div class="field-errors" data-field="reason">' in page.content.decode()
    assert _on_hand(store, sku) == 10
    assert not StockMove.objects.filter(kind=MoveKind.ADJUSTMENT).exists()


def test_a_zero_change_is_a_field_error(browser, store):
    sku = _stocked(store, quantity=10)

    response = browser.post(f"/manager/stock/{sku.pk}/adjust/", {"delta": "0", "reason": "x"}, headers=HTMX)

    assert "Enter a change other than zero." in response.content.decode()
    assert not StockMove.objects.filter(kind=MoveKind.ADJUSTMENT).exists()


def test_taking_away_more_than_is_free_shows_insufficient_stock_and_changes_nothing(browser, store, member):
    sku = _stocked(store, quantity=5)
    place_pickup_order(member=member, store=store, sku=sku, quantity=2)  # 2 of 5 reserved

    response = browser.post(f"/manager/stock/{sku.pk}/adjust/", {"delta": "-4", "reason": "lost"}, headers=HTMX)

    body = response.content.decode()
    assert response.status_code == 200
    assert '<div class="field-errors" data-field="delta">' in body and "Not enough free stock" in body
    assert StockLevel.objects.filter(location=store, sku=sku).values_list("on_hand", "reserved").get() == (5, 2)
    assert not StockMove.objects.filter(kind=MoveKind.ADJUSTMENT).exists()


def test_another_stores_location_is_not_found_and_its_stock_untouched(browser, other_store):
    sku = _stocked(other_store, quantity=10)

    page = browser.get("/manager/", {"location": other_store.pk})
    adjust = browser.post(
        f"/manager/stock/{sku.pk}/adjust/?location={other_store.pk}", {"delta": "-3", "reason": "x"}, headers=HTMX
    )
    own_store_other_sku = browser.post(f"/manager/stock/{sku.pk}/adjust/", {"delta": "-3", "reason": "x"})

    assert (page.status_code, adjust.status_code, own_store_other_sku.status_code) == (404, 404, 404)
    assert _on_hand(other_store, sku) == 10


def test_hq_picks_any_store_with_the_location_parameter(store, other_store):
    hq = _signed_in(EmployeeFactory(role=Role.HQ, home_location=None))
    sku = _stocked(other_store, quantity=4)

    html = hq.get("/manager/", {"location": other_store.pk}).content.decode()

    assert sku.code in html
    assert f'action="/manager/stock/{sku.pk}/adjust/?location={other_store.pk}"' in html


def test_a_clerk_may_not_open_the_manager_pages(clerk):
    assert _signed_in(clerk).get("/manager/").status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in():
    response = Client().get("/manager/")

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# ---- transfers ---------------------------------------------------------------------------------


@pytest.fixture
def warehouse():
    return LocationFactory(kind=Location.Kind.WAREHOUSE, name="配送中心")


def _transfer(warehouse, destination, quantity: int = 6):
    sku = _stocked(warehouse, quantity=20)
    return sku, send_transfer(
        source_id=warehouse.pk, destination_id=destination.pk, lines={sku.pk: quantity}, actor=SYSTEM
    )


def test_incoming_transfers_list_their_lines(browser, store, other_store, warehouse):
    sku, transfer = _transfer(warehouse, store)
    _elsewhere_sku, elsewhere = _transfer(warehouse, other_store)

    html = browser.get("/manager/transfers/").content.decode()

    assert f'id="transfer-{transfer.pk}"' in html and f'id="transfer-{elsewhere.pk}"' not in html
    assert sku.code in html and '<td class="num">6</td>' in html


def test_receiving_a_transfer_books_its_goods_once(browser, store, warehouse):
    sku, transfer = _transfer(warehouse, store)

    first = browser.post(f"/manager/transfers/{transfer.pk}/receive/", headers=HTMX)
    again = browser.post(f"/manager/transfers/{transfer.pk}/receive/", headers=HTMX)

    assert first.status_code == 200 and "received" in first.content.decode()
    assert "This transfer was already received." in again.content.decode()
    assert Transfer.objects.get(pk=transfer.pk).state == Transfer.State.RECEIVED
    assert _on_hand(store, sku) == 6
    assert browser.get("/manager/transfers/").content.decode().count('class="transfer"') == 0


def test_another_stores_manager_cannot_receive_the_transfer(store, other_store, warehouse):
    sku, transfer = _transfer(warehouse, store)
    stranger = _signed_in(EmployeeFactory(role=Role.STORE_MANAGER, home_location=other_store))

    response = stranger.post(f"/manager/transfers/{transfer.pk}/receive/")

    assert response.status_code == 404
    assert Transfer.objects.get(pk=transfer.pk).state == Transfer.State.IN_TRANSIT
    assert not StockLevel.objects.filter(location=store, sku=sku).exists()


def _key(html: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)


def test_a_double_submitted_adjustment_changes_stock_once(browser, store):
    sku = _stocked(store, quantity=10)
    key = _key(_row(browser.get("/manager/").content.decode(), sku))
    form = {"delta": "-2", "reason": "damaged", "idempotency_key": key}

    first = browser.post(f"/manager/stock/{sku.pk}/adjust/", form, headers=HTMX)
    second = browser.post(f"/manager/stock/{sku.pk}/adjust/", form, headers=HTMX)

    assert (first.status_code, second.status_code) == (200, 200)
    assert '<td class="num" data-field="on_hand">8</td>' in second.content.decode()
    assert _on_hand(store, sku) == 8
    assert StockMove.objects.filter(kind=MoveKind.ADJUSTMENT).count() == 1
    assert _key(first.content.decode()) != key  # the saved row comes back with a new form and key


def test_each_row_and_each_render_has_its_own_key(browser, store):
    first, second = _stocked(store), _stocked(store)

    page = browser.get("/manager/").content.decode()

    keys = {
        _key(_row(page, first)),
        _key(_row(page, second)),
        _key(_row(browser.get("/manager/").content.decode(), first)),
    }
    assert len(keys) == 3


def test_a_role_the_table_refuses_is_not_offered_the_adjustment_and_is_refused_like_the_api(store):
    sku = _stocked(store, quantity=10)
    marketer = _signed_in(EmployeeFactory(role=Role.MARKETER, home_location=None))

    page = marketer.get(f"/manager/?location={store.pk}").content.decode()
    response = marketer.post(f"/manager/stock/{sku.pk}/adjust/?location={store.pk}", {"delta": "-2", "reason": "x"})

    assert sku.code in _row(page, sku) and f"/manager/stock/{sku.pk}/adjust/" not in page
    assert response.status_code == 403
    assert "Your role may not change stock at this store." in response.content.decode()
    assert _on_hand(store, sku) == 10
    assert not StockMove.objects.filter(kind=MoveKind.ADJUSTMENT).exists()


def test_a_double_submitted_transfer_receipt_books_once_and_says_received(browser, store, warehouse):
    sku, transfer = _transfer(warehouse, store)
    key = _key(browser.get("/manager/transfers/").content.decode())

    first = browser.post(f"/manager/transfers/{transfer.pk}/receive/", {"idempotency_key": key}, headers=HTMX)
    again = browser.post(f"/manager/transfers/{transfer.pk}/receive/", {"idempotency_key": key}, headers=HTMX)

    assert "already received" not in first.content.decode() + again.content.decode()
    assert _on_hand(store, sku) == 6
    assert StockMove.objects.filter(kind=MoveKind.TRANSFER_IN).count() == 1


def test_roles_the_table_refuses_are_not_offered_to_receive_a_transfer(store, warehouse):
    _sku, transfer = _transfer(warehouse, store)
    operator = _signed_in(EmployeeFactory(role=Role.ONLINE_OPERATOR, home_location=None))

    page = operator.get(f"/manager/transfers/?location={store.pk}").content.decode()
    response = operator.post(f"/manager/transfers/{transfer.pk}/receive/?location={store.pk}", follow=True)

    assert f'id="transfer-{transfer.pk}"' in page and f"/manager/transfers/{transfer.pk}/receive/" not in page
    assert "Your role may not receive transfers at this store." in response.content.decode()
    assert Transfer.objects.get(pk=transfer.pk).state == Transfer.State.IN_TRANSIT


# ---- orders ------------------------------------------------------------------------------------


@pytest.fixture
def orders(store, other_store, member):
    sku = _stocked(store, quantity=20, price=Decimal("8.00"))
    receive_stock(location_id=other_store.pk, sku_id=sku.pk, quantity=20, actor=SYSTEM)
    return {
        "paid": paid_pickup_order(member=member, store=store, sku=sku),
        "pending": place_pickup_order(member=member, store=store, sku=sku),
        "elsewhere": place_pickup_order(member=member, store=other_store, sku=sku),
    }


def _numbers(html: str) -> list[str]:
    return re.findall(r'data-number="([^"]+)"', html)


def test_orders_are_filtered_by_state_and_scoped_to_the_store(browser, orders):
    everything = browser.get("/manager/orders/").content.decode()
    pending = browser.get("/manager/orders/", {"state": "pending_payment"}).content.decode()
    ready = browser.get("/manager/orders/", {"state": "paid"}, headers=HTMX).content.decode()

    assert _numbers(everything) == [orders["pending"].number, orders["paid"].number]
    assert _numbers(pending) == [orders["pending"].number]
    assert _numbers(ready) == [orders["paid"].number]
    assert "<html" not in ready


def test_more_orders_come_after_the_last_one_shown(browser, orders, monkeypatch):
    monkeypatch.setattr(views, "ORDERS_PAGE", 1)

    first = browser.get("/manager/orders/").content.decode()
    more = browser.get("/manager/orders/", {"state": "", "before": orders["pending"].pk}, headers=HTMX).content.decode()

    assert _numbers(first) == [orders["pending"].number]
    assert f"before={orders['pending'].pk}" in first
    assert _numbers(more) == [orders["paid"].number]
    assert 'id="orders-more"' not in more


def test_an_unknown_state_is_bad_input(browser, orders):
    response = browser.get("/manager/orders/", {"state": "lost"})

    assert response.status_code == 422
    assert _numbers(response.content.decode()) == []


# ---- staff -------------------------------------------------------------------------------------


def test_the_staff_list_shows_each_employees_join_qr_code(browser, store, other_store, manager, clerk, settings):
    settings.O2O_SITE_URL = "https://shop.example"
    stranger = EmployeeFactory(home_location=other_store)

    html = browser.get("/manager/staff/").content.decode()

    for employee in (manager, clerk):
        assert f'href="https://shop.example/join/{store.code}?ref={employee.code}"' in html
    assert html.count('src="data:image/svg+xml') == 2
    assert stranger.code not in html


def test_the_stock_page_takes_a_fixed_number_of_queries(browser, store, django_assert_max_num_queries):
    for _ in range(5):
        _stocked(store, quantity=3)

    with django_assert_max_num_queries(6):
        browser.get("/manager/")
