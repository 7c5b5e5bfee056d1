"""The clerk's counter pages: pickup hand-over, POS sale, endless aisle — through the Django test client."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from o2o.access.actors import SYSTEM
from o2o.inventory.models import StockLevel
from o2o.inventory.selectors import audit_stock
from o2o.inventory.services import receive_stock
from o2o.members.models import Member
from o2o.orders.models import Fulfilment, Order, OrderState
from o2o.payments.models import Payment
from o2o.pickup.codes import qr_payload
from o2o.pickup.models import PickupVoucher, VoucherAttempt
from o2o.staff.models import Role
from o2o.stores.models import Location
from o2o.testing.factories import EmployeeFactory, LocationFactory, SKUFactory, UserFactory
from o2o.testing.journeys import paid_pickup_order
from o2o.web.auth import MEMBER_SESSION_KEY

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def signed_in(employee) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(employee.user)
    return client


def stock(location, sku) -> StockLevel:
    return StockLevel.objects.get(location=location, sku=sku)


@pytest.fixture
def tea():
    return SKUFactory(name="Jasmine tea 500ml", barcode="6901234567892", price=Decimal("4.50"))


@pytest.fixture
def voucher(store, member, tea):
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=5, actor=SYSTEM)
    order = paid_pickup_order(member=member, store=store, sku=tea, quantity=2)
    return PickupVoucher.objects.get(order=order)


@pytest.fixture
def counter(clerk) -> Client:
    return signed_in(clerk)


# --- who may open the counter -------------------------------------------------------------------


def test_signed_out_visitors_are_sent_to_the_staff_sign_in(client):
    response = client.get(reverse("web:counter-home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


def test_a_plain_user_other_staff_roles_and_hq_without_a_store_get_403(store):
    plain = UserFactory()
    warehouse = EmployeeFactory(role=Role.WAREHOUSE_CLERK, home_location=store)
    hq = EmployeeFactory(role=Role.HQ, home_location=None)
    for user in (plain, warehouse.user, hq.user):
        client = Client()
        client.force_login(user)
        for name in ("web:counter-home", "web:counter-pickup", "web:counter-sale", "web:counter-aisle"):
            assert client.get(reverse(name)).status_code == 403


def test_a_signed_in_customer_is_not_let_in(member):
    client = Client()
    session = client.session
    session[MEMBER_SESSION_KEY] = member.pk
    session.save()

    response = client.get(reverse("web:counter-sale"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


def test_a_store_manager_works_the_counter_too(store):
    manager = signed_in(EmployeeFactory(role=Role.STORE_MANAGER, home_location=store))

    assert manager.get(reverse("web:counter-home")).status_code == 200


# --- home: pickups waiting at this store ----------------------------------------------------------


def test_home_lists_only_this_stores_waiting_pickups_with_masked_phone(counter, voucher, other_store, member, tea):
    receive_stock(location_id=other_store.pk, sku_id=tea.pk, quantity=5, actor=SYSTEM)
    elsewhere = paid_pickup_order(member=member, store=other_store, sku=tea)

    response = counter.get(reverse("web:counter-home"))

    page = response.content.decode()
    assert response.status_code == 200
    assert [row.voucher.pk for row in response.context["waiting"]] == [voucher.pk]
    assert voucher.order.number in page
    assert elsewhere.number not in page
    assert member.phone not in page
    assert member.phone[-4:] in page and "****" in page
    assert "Jasmine tea 500ml" in page


def test_the_waiting_list_refreshes_as_a_partial(counter, voucher):
    response = counter.get(reverse("web:counter-home"), **HTMX)

    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith('<div id="waiting"')
    assert voucher.order.number in page
    assert "<html" not in page


# --- verify pickup --------------------------------------------------------------------------------


def test_a_typed_code_shows_the_lines_then_confirming_hands_the_order_over(counter, voucher, tea, member):
    typed = voucher.display_code  # "1234 5678 9012", as read off the customer's phone

    looked_up = counter.post(reverse("web:counter-pickup-lookup"), {"code": typed}, **HTMX)

    page = looked_up.content.decode()
    assert looked_up.status_code == 200
    assert voucher.order.number in page and "Jasmine tea 500ml" in page and "Confirm hand-over" in page
    assert member.name in page
    voucher.refresh_from_db()
    assert voucher.state == PickupVoucher.State.ISSUED  # looking up changes nothing

    confirmed = counter.post(reverse("web:counter-pickup-redeem"), {"code": typed}, **HTMX)

    assert confirmed.status_code == 200
    assert "Handed over" in confirmed.content.decode() and voucher.order.number in confirmed.content.decode()
    voucher.refresh_from_db()
    voucher.order.refresh_from_db()
    assert voucher.state == PickupVoucher.State.REDEEMED
    assert voucher.order.state == OrderState.PICKED_UP
    assert stock(voucher.location, tea).on_hand == 3
    assert audit_stock() == []


def test_a_scanned_qr_payload_works_like_the_typed_code(counter, voucher):
    payload = qr_payload(voucher.code)

    looked_up = counter.post(reverse("web:counter-pickup-lookup"), {"code": payload})
    confirmed = counter.post(reverse("web:counter-pickup-redeem"), {"code": payload})

    assert looked_up.status_code == 200 and "Jasmine tea 500ml" in looked_up.content.decode()
    assert confirmed.status_code == 200 and "Handed over" in confirmed.content.decode()
    voucher.refresh_from_db()
    assert voucher.state == PickupVoucher.State.REDEEMED


def test_confirming_twice_hands_over_once_and_says_why_the_second_fails(counter, voucher):
    counter.post(reverse("web:counter-pickup-redeem"), {"code": voucher.code}, **HTMX)

    again = counter.post(reverse("web:counter-pickup-redeem"), {"code": voucher.code}, **HTMX)

    assert again.status_code == 422
    assert "cannot be used" in again.content.decode() and "redeemed" in again.content.decode()
    assert VoucherAttempt.objects.filter(voucher=voucher, result="redeemed").count() == 1


def test_another_stores_clerk_typing_the_code_sees_not_found_and_nothing_changes(voucher, other_store):
    stranger = signed_in(EmployeeFactory(home_location=other_store))

    looked_up = stranger.post(reverse("web:counter-pickup-lookup"), {"code": voucher.code}, **HTMX)
    redeemed = stranger.post(reverse("web:counter-pickup-redeem"), {"code": voucher.code}, **HTMX)

    for response in (looked_up, redeemed):
        page = response.content.decode()
        assert response.status_code == 422
        assert "No pickup order with this code at this store" in page
        assert voucher.order.number not in page and "Jasmine tea" not in page
    voucher.refresh_from_db()
    voucher.order.refresh_from_db()
    assert (voucher.state, voucher.order.state) == (PickupVoucher.State.ISSUED, OrderState.PAID)


def test_a_scanned_qr_of_another_store_names_the_store_to_go_to(voucher, other_store, store):
    stranger = signed_in(EmployeeFactory(home_location=other_store))

    response = stranger.post(reverse("web:counter-pickup-lookup"), {"code": qr_payload(voucher.code)}, **HTMX)

    assert response.status_code == 422
    assert f"This order is picked up at another store: {store.name}" in response.content.decode()


def test_an_empty_code_is_a_form_error_not_a_500(counter):
    response = counter.post(reverse("web:counter-pickup-lookup"), {"code": "  "})

    assert response.status_code == 422
    assert "Type the 12-digit pickup code" in response.content.decode()


def test_too_many_wrong_codes_are_rate_limited(counter, settings):
    settings.O2O_VOUCHER_FAILED_ATTEMPTS = "3/minute"
    for _ in range(3):
        counter.post(reverse("web:counter-pickup-lookup"), {"code": "000000000000"}, **HTMX)

    response = counter.post(reverse("web:counter-pickup-lookup"), {"code": "000000000000"}, **HTMX)

    assert response.status_code == 422
    assert "Too many wrong codes" in response.content.decode()


def test_a_store_manager_sees_recent_hand_overs_and_can_undo_one(voucher, store, tea):
    manager = signed_in(EmployeeFactory(role=Role.STORE_MANAGER, home_location=store))
    manager.post(reverse("web:counter-pickup-redeem"), {"code": voucher.code})

    page = manager.get(reverse("web:counter-pickup")).content.decode()
    assert "Undo hand-over" in page and voucher.order.number in page

    undo_url = reverse("web:counter-pickup-undo", args=[voucher.pk])
    no_reason = manager.post(undo_url, {"reason": ""}, **HTMX)
    undone = manager.post(undo_url, {"reason": "wrong bag handed over"}, **HTMX)

    assert no_reason.status_code == 422 and "Say why" in no_reason.content.decode()
    assert undone.status_code == 200 and "Hand-over undone" in undone.content.decode()
    voucher.refresh_from_db()
    voucher.order.refresh_from_db()
    assert (voucher.state, voucher.order.state) == (PickupVoucher.State.ISSUED, OrderState.READY_FOR_PICKUP)
    assert stock(store, tea).on_hand == 5
    assert audit_stock() == []


def test_a_clerk_sees_no_undo_and_cannot_undo(counter, voucher):
    counter.post(reverse("web:counter-pickup-redeem"), {"code": voucher.code})

    page = counter.get(reverse("web:counter-pickup")).content.decode()
    response = counter.post(reverse("web:counter-pickup-undo", args=[voucher.pk]), {"reason": "oops"}, **HTMX)

    assert "Undo hand-over" not in page
    assert response.status_code == 422 and "Only the store manager" in response.content.decode()
    voucher.refresh_from_db()
    assert voucher.state == PickupVoucher.State.REDEEMED


# --- POS sale -------------------------------------------------------------------------------------


def test_a_sale_by_barcode_to_a_member_paid_in_cash(counter, store, tea, member):
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=10, actor=SYSTEM)
    counter.post(reverse("web:counter-sale-scan"), {"barcode": tea.barcode}, **HTMX)
    basket = counter.post(reverse("web:counter-sale-scan"), {"barcode": tea.barcode}, **HTMX)
    assert basket.status_code == 200 and "¥9.00" in basket.content.decode()
    assert 'id="checkout" class="card" hx-swap-oob="true"' in basket.content.decode()  # the pay button's total too
    found = counter.post(reverse("web:counter-customer"), {"phone": member.phone[3:], "back": "sale"}, **HTMX)
    assert member.name in found.content.decode()
    token = counter.get(reverse("web:counter-sale")).context["token"]

    paid = counter.post(reverse("web:counter-sale-pay"), {"method": "cash", "token": token})

    order = Order.objects.get()
    assert paid.status_code == 302 and paid["Location"] == reverse("web:counter-receipt", args=[order.pk])
    assert (order.state, order.channel, order.fulfilment) == (OrderState.PICKED_UP, "pos", Fulfilment.IN_STORE)
    assert (order.member, order.selling_location, order.total) == (member, store, Decimal("9.00"))
    assert Payment.objects.get(order=order).method == "cash"
    assert stock(store, tea).on_hand == 8
    assert audit_stock() == []
    receipt = counter.get(paid["Location"]).content.decode()
    assert order.number in receipt and "¥9.00" in receipt and "Jasmine tea 500ml" in receipt and store.name in receipt
    assert counter.get(reverse("web:counter-sale")).context["basket"].lines == []  # the counter is clear


def test_a_double_submit_sells_once(counter, store, tea):
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=10, actor=SYSTEM)
    counter.post(reverse("web:counter-sale-scan"), {"barcode": tea.barcode})
    token = counter.get(reverse("web:counter-sale")).context["token"]

    first = counter.post(reverse("web:counter-sale-pay"), {"method": "cash", "token": token})
    second = counter.post(reverse("web:counter-sale-pay"), {"method": "cash", "token": token})

    order = Order.objects.get()
    assert first["Location"] == second["Location"] == reverse("web:counter-receipt", args=[order.pk])
    assert Payment.objects.count() == 1
    assert stock(store, tea).on_hand == 9


def test_not_enough_stock_is_shown_and_nothing_is_written(counter, store, tea):
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=1, actor=SYSTEM)
    counter.post(reverse("web:counter-sale-scan"), {"barcode": tea.barcode})
    counter.post(reverse("web:counter-sale-line"), {"sku_id": tea.pk, "quantity": 3})
    page = counter.get(reverse("web:counter-sale"))
    assert "only 1 on the shelf" in page.content.decode()

    response = counter.post(reverse("web:counter-sale-pay"), {"method": "card", "token": page.context["token"]})

    assert response.status_code == 422
    assert "Not enough stock of Jasmine tea 500ml" in response.content.decode()
    assert (Order.objects.count(), Payment.objects.count()) == (0, 0)
    assert (stock(store, tea).on_hand, stock(store, tea).reserved) == (1, 0)
    assert audit_stock() == []
    assert [line.quantity for line in response.context["basket"].lines] == [3]  # the basket is kept


def test_an_unknown_barcode_is_a_clear_error(counter):
    response = counter.post(reverse("web:counter-sale-scan"), {"barcode": "0000000"}, **HTMX)

    assert response.status_code == 422
    assert "No product with barcode 0000000" in response.content.decode()


def test_search_adds_a_product_and_the_quantity_can_change(counter, store, tea):
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=4, actor=SYSTEM)

    found = counter.get(reverse("web:counter-sale-search"), {"q": "jasmine"}, **HTMX)
    assert "Jasmine tea 500ml" in found.content.decode() and "4 on the shelf" in found.content.decode()
    counter.post(reverse("web:counter-sale-line"), {"sku_id": tea.pk, "add": "1"}, **HTMX)
    more = counter.post(reverse("web:counter-sale-line"), {"sku_id": tea.pk, "quantity": "3"}, **HTMX)

    assert more.status_code == 200 and "¥13.50" in more.content.decode()
    basket = counter.get(reverse("web:counter-sale")).context["basket"]
    assert [(line.sku, line.quantity) for line in basket.lines] == [(tea, 3)]
    counter.post(reverse("web:counter-sale-line"), {"sku_id": tea.pk, "quantity": "0"}, **HTMX)
    assert counter.get(reverse("web:counter-sale")).context["basket"].lines == []


def test_an_unknown_phone_can_be_signed_up_credited_to_the_store_and_clerk(counter, store, clerk):
    lookup = counter.post(reverse("web:counter-customer"), {"phone": "13900001111", "back": "sale"}, **HTMX)
    assert "Sign up as a new member" in lookup.content.decode()

    signed_up = counter.post(
        reverse("web:counter-customer-register"), {"phone": "13900001111", "name": "Li Lei", "back": "sale"}, **HTMX
    )

    member = Member.objects.get(phone="+8613900001111")
    assert (member.registration_channel, member.acquiring_location, member.acquiring_employee) == ("pos", store, clerk)
    page = signed_up.content.decode()
    assert "Li Lei" in page and "+86139****1111" in page and "13900001111" not in page


def test_an_invalid_phone_is_a_form_error(counter):
    response = counter.post(reverse("web:counter-customer"), {"phone": "12", "back": "sale"}, **HTMX)

    assert response.status_code == 422
    assert "Enter a valid mobile phone number" in response.content.decode()
    assert Member.objects.count() == 0


# --- endless aisle --------------------------------------------------------------------------------


@pytest.fixture
def warehouse():
    return LocationFactory(
        name="Pudong warehouse", kind=Location.Kind.WAREHOUSE, pickup_enabled=False, latitude=31.22, longitude=121.55
    )


def test_the_aisle_lists_other_locations_that_have_the_item(counter, store, other_store, warehouse, tea):
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=9, actor=SYSTEM)
    receive_stock(location_id=other_store.pk, sku_id=tea.pk, quantity=3, actor=SYSTEM)
    far = LocationFactory(name="Beijing store", latitude=39.9, longitude=116.4)
    receive_stock(location_id=far.pk, sku_id=tea.pk, quantity=50, actor=SYSTEM)

    response = counter.get(reverse("web:counter-aisle"), {"sku": tea.pk, "quantity": 2})

    sources = response.context["chosen"].sources
    assert [s.location for s in sources] == [other_store]  # not this store, not 1000 km away, not empty
    assert sources[0].available == 2  # 3 on the shelf, 1 kept back for that store's own customers
    assert response.context["chosen"].here == 9


def add_to_aisle(counter, sku, quantity, source):
    return counter.post(
        reverse("web:counter-aisle-line"), {"sku_id": sku.pk, "quantity": quantity, "location_id": source.pk, "add": 1}
    )


def test_an_aisle_order_shipped_from_another_location_paid_by_card(counter, store, warehouse, tea, member):
    receive_stock(location_id=warehouse.pk, sku_id=tea.pk, quantity=5, actor=SYSTEM)
    counter.post(reverse("web:counter-customer"), {"phone": member.phone, "back": "aisle"})
    add_to_aisle(counter, tea, 2, warehouse)
    page = counter.get(reverse("web:counter-aisle"))
    form = {
        "fulfilment": "delivery",
        "delivery_address": "Shanghai, Yuyuan Road 100",
        "method": "card",
        "token": page.context["token"],
    }

    placed = counter.post(reverse("web:counter-aisle-order"), form)
    again = counter.post(reverse("web:counter-aisle-order"), form)

    order = Order.objects.get()
    assert placed["Location"] == again["Location"] == reverse("web:counter-receipt", args=[order.pk])
    assert (order.selling_location, order.fulfilment_location) == (store, warehouse)
    # 2 x 4.50 + the delivery fee (8.00 below 99.00 of goods, docs/pricing.md)
    assert (order.state, order.member, order.total) == (OrderState.PAID, member, Decimal("17.00"))
    payment = Payment.objects.get(order=order)
    assert (payment.method, payment.location) == ("card", store)
    assert stock(warehouse, tea).reserved == 2
    receipt = counter.get(placed["Location"]).content.decode()
    assert "Delivered from Pudong warehouse" in receipt and "Yuyuan Road 100" in receipt
    assert counter.get(reverse("web:counter-aisle")).context["aisle"] is None  # the list is empty again


def test_an_aisle_pickup_at_another_store_issues_a_code_to_the_member(counter, store, other_store, tea, member):
    receive_stock(location_id=other_store.pk, sku_id=tea.pk, quantity=5, actor=SYSTEM)
    counter.post(reverse("web:counter-customer"), {"phone": member.phone, "back": "aisle"})
    add_to_aisle(counter, tea, 1, other_store)
    token = counter.get(reverse("web:counter-aisle")).context["token"]

    placed = counter.post(
        reverse("web:counter-aisle-order"), {"fulfilment": "pickup", "method": "store_qr", "token": token}
    )

    order = Order.objects.get()
    assert (order.state, order.fulfilment_location, order.member) == (OrderState.PAID, other_store, member)
    voucher = PickupVoucher.objects.get(order=order)
    assert voucher.location == other_store
    receipt = counter.get(placed["Location"]).content.decode()
    assert f"Pick up at {other_store.name}" in receipt and "A pickup code was issued" in receipt
    assert voucher.display_code in receipt and voucher.display_number in receipt  # the receipt carries the code


def test_an_aisle_pickup_needs_a_member_and_a_delivery_needs_an_address(counter, other_store, tea):
    receive_stock(location_id=other_store.pk, sku_id=tea.pk, quantity=5, actor=SYSTEM)
    add_to_aisle(counter, tea, 1, other_store)
    form = {"method": "cash", "token": counter.get(reverse("web:counter-aisle")).context["token"]}

    pickup = counter.post(reverse("web:counter-aisle-order"), {**form, "fulfilment": "pickup"})
    delivery = counter.post(reverse("web:counter-aisle-order"), {**form, "fulfilment": "delivery"})

    assert pickup.status_code == 422 and "A pickup needs a member" in pickup.content.decode()
    assert delivery.status_code == 422 and "Type the address to deliver to" in delivery.content.decode()
    assert Order.objects.count() == 0


def test_a_receipt_of_another_store_is_not_found(counter, other_store, tea):
    receive_stock(location_id=other_store.pk, sku_id=tea.pk, quantity=5, actor=SYSTEM)
    stranger = signed_in(EmployeeFactory(home_location=other_store))
    stranger.post(reverse("web:counter-sale-scan"), {"barcode": tea.barcode})
    token = stranger.get(reverse("web:counter-sale")).context["token"]
    sold = stranger.post(reverse("web:counter-sale-pay"), {"method": "cash", "token": token})

    assert stranger.get(sold["Location"]).status_code == 200
    assert counter.get(sold["Location"]).status_code == 404


def test_the_basket_refuses_more_than_a_line_can_hold(counter, tea):
    counter.post(reverse("web:counter-sale-line"), {"sku_id": tea.pk, "quantity": "999"})

    response = counter.post(reverse("web:counter-sale-scan"), {"barcode": tea.barcode}, **HTMX)

    assert response.status_code == 422
    assert "A basket holds at most 100 different items and 999 of each" in response.content.decode()
    assert [line.quantity for line in counter.get(reverse("web:counter-sale")).context["basket"].lines] == [999]
