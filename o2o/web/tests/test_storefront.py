"""The customer H5 storefront: browse, find a store, cart, checkout, simulated payment, my orders."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client

from o2o.access.actors import SYSTEM, actor_for_user
from o2o.catalog.models import Channel, Price
from o2o.core.models import OutboxMessage
from o2o.inventory.models import StockLevel
from o2o.inventory.services import receive_stock
from o2o.orders.models import Order, OrderState, OrderTransition
from o2o.payments.models import Payment
from o2o.pickup.models import PickupVoucher
from o2o.pickup.services import redeem_pickup_voucher
from o2o.stores.models import Location
from o2o.testing.factories import (
    CategoryFactory,
    LocationFactory,
    MemberFactory,
    ProductFactory,
    RegionFactory,
    SKUFactory,
)
from o2o.testing.journeys import paid_pickup_order, place_pickup_order
from o2o.web.auth import MEMBER_SESSION_KEY
from o2o.web.storefront.cart import SESSION_KEY as CART_KEY

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
NEAR_STORE = {"lat": "31.2310", "lng": "121.4740"}  # a few hundred metres from the `store` fixture


@pytest.fixture(autouse=True)
def _no_safety_buffer(settings):
    settings.O2O_ONLINE_SAFETY_BUFFER = 0


@pytest.fixture
def tea():
    return SKUFactory(name="乌龙茶 500ml", price=Decimal("6.50"))


def shop(member=None) -> Client:
    """A browser in English (the zh-Hans catalogue is compiled later), signed in as `member` if given."""
    client = Client()
    client.cookies["django_language"] = "en"
    if member is not None:
        session = client.session
        session[MEMBER_SESSION_KEY] = member.pk
        session.save()
    return client


def put_in_cart(client: Client, sku, quantity: int) -> None:
    response = client.post("/shop/cart/add/", {"sku_id": sku.pk, "quantity": quantity}, headers=HTMX)
    assert response.status_code == 200


def cart_of(client: Client) -> dict[str, int]:
    return client.session.get(CART_KEY, {})


def checkout_form(client: Client, **fields) -> dict:
    """The checkout page's own hidden fields (token, position), with the customer's choices on top."""
    page = client.get("/shop/checkout/", NEAR_STORE)
    assert page.status_code == 200
    form = page.context["form"]
    return {"token": form.initial["token"], "lat": form.initial["lat"], "lng": form.initial["lng"], **fields}


def product_ids(response) -> list[int]:
    """The products a list (or its htmx fragment) links to, in order."""
    return [int(pk) for pk in re.findall(r'href="/shop/p/(\d+)/"', response.content.decode())]


def set_online_price(sku, amount: str, location=None) -> None:
    Price.objects.update_or_create(sku=sku, channel=Channel.H5, location=location, defaults={"amount": Decimal(amount)})


def reserved(location, sku) -> int:
    level = StockLevel.objects.filter(location=location, sku=sku).first()
    return level.reserved if level else 0


# --- product list ---------------------------------------------------------------------------------


def test_product_list_shows_what_is_sold_online_at_its_h5_price(tea):
    # given a tea priced 5.80 on H5 (6.50 elsewhere) and a product sold only in stores
    set_online_price(tea, "5.80")
    shelf_only = SKUFactory(name="散装大米 5kg", sold_online=False)

    # when the customer opens the shop
    page = shop().get("/shop/")

    # then the tea is listed at its H5 price and the shelf-only product is not
    assert page.status_code == 200
    assert [sku for sku, _price in page.context["products"]] == [tea]
    assert page.context["products"][0][1] == Decimal("5.80")
    assert "¥5.80" in page.content.decode()
    assert shelf_only.name not in page.content.decode()


def test_live_search_answers_with_the_results_partial(tea):
    # given a tea and a cola
    cola = SKUFactory(name="可乐 330ml")

    # when the customer types "乌龙" (htmx asks for the results only)
    page = shop().get("/shop/", {"q": "乌龙"}, headers=HTMX)

    # then only the tea comes back, as a fragment without the page around it
    html = page.content.decode()
    assert page.status_code == 200
    assert product_ids(page) == [tea.pk]
    assert html.lstrip().startswith('<div id="results">') and "<html" not in html
    assert tea.name in html and cola.name not in html


def test_category_filter_includes_its_sub_categories():
    # given a drinks category under food, and a cleaning product elsewhere
    food = CategoryFactory(name="食品")
    drinks = CategoryFactory(name="饮料", parent=food)
    juice = SKUFactory(product=ProductFactory(category=drinks), name="橙汁 1L")
    soap = SKUFactory(name="洗衣皂")

    # when the customer picks "food"
    page = shop().get("/shop/", {"category": food.pk})

    # then the juice shows, the soap does not
    assert [sku for sku, _price in page.context["products"]] == [juice]
    assert soap.name not in page.content.decode()


def test_more_loads_the_next_page_after_the_last_product():
    # given 23 products online
    skus = [SKUFactory() for _ in range(23)]

    # when the customer opens the list, then asks for more
    first = shop().get("/shop/")
    after = first.context["next_after"]
    more = shop().get("/shop/", {"after": after}, headers=HTMX)

    # then 20 come first and the other 3 follow, with no further "more"
    assert [s for s, _p in first.context["products"]] == skus[:20]
    assert after == skus[19].pk
    assert product_ids(more) == [s.pk for s in skus[20:]]
    assert "<html" not in more.content.decode() and "after=" not in more.content.decode()


# --- product detail and store finder --------------------------------------------------------------


def test_product_page_shows_the_nearest_stores_with_units_they_can_promise(tea, store, other_store):
    # given the tea on the shelf at two stores (one buffer unit kept back from online), none at a third
    empty = LocationFactory(name="空店", latitude=31.2320, longitude=121.4750)
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=5, actor=SYSTEM)
    receive_stock(location_id=other_store.pk, sku_id=tea.pk, quantity=3, actor=SYSTEM)
    receive_stock(location_id=empty.pk, sku_id=tea.pk, quantity=1, actor=SYSTEM)
    store.online_safety_buffer = 1
    store.save(update_fields=["online_safety_buffer"])
    empty.online_safety_buffer = 1
    empty.save(update_fields=["online_safety_buffer"])

    # when the customer opens the tea near People's Square
    page = shop().get(f"/shop/p/{tea.pk}/", NEAR_STORE)

    # then the stores that can promise it are listed nearest first with their units
    assert page.status_code == 200
    assert [(r.location, r.available) for r in page.context["stores"]] == [(store, 4), (other_store, 3)]
    html = page.content.decode()
    assert 'data-units="4"' in html and 'data-units="3"' in html
    assert "¥6.50" in html and store.address in html
    assert empty.name not in html


def test_product_page_uses_a_chosen_district_centre(tea, store):
    # given a second district with a store far from People's Square, both stores stocked
    xuhui = RegionFactory(code="SH-XH", name="徐汇区")
    far = LocationFactory(name="徐汇店", region=xuhui, latitude=31.1955, longitude=121.4365)
    for location in (store, far):
        receive_stock(location_id=location.pk, sku_id=tea.pk, quantity=2, actor=SYSTEM)

    # when the customer chooses Xuhui district
    page = shop().get(f"/shop/p/{tea.pk}/", {"district": xuhui.pk})

    # then distances are measured from Xuhui's stores: the Xuhui store comes first
    assert page.context["position"].district.name == "徐汇区"
    assert [r.location for r in page.context["stores"]] == [far, store]
    assert page.context["stores"][0].distance_km < 0.01


def test_the_chosen_district_is_remembered_across_pages(tea, store):
    xuhui = RegionFactory(code="SH-XH", name="徐汇区")
    far = LocationFactory(name="徐汇店", region=xuhui, latitude=31.1955, longitude=121.4365)
    client = shop()

    client.get(f"/shop/p/{tea.pk}/", {"district": xuhui.pk})
    finder = client.get("/shop/stores/")

    assert finder.context["position"].district.name == "徐汇区"
    assert [row.location for row in finder.context["rows"]] == [far, store]


def test_a_product_not_sold_online_has_no_page():
    shelf_only = SKUFactory(sold_online=False)

    assert shop().get(f"/shop/p/{shelf_only.pk}/").status_code == 404
    assert shop().get("/shop/p/999999/").status_code == 404


def test_store_finder_sorts_by_distance_and_says_who_has_the_item(tea, store, other_store):
    # given the tea only at the farther store, and a warehouse that is not a store
    receive_stock(location_id=other_store.pk, sku_id=tea.pk, quantity=2, actor=SYSTEM)
    LocationFactory(name="配送中心", kind=Location.Kind.WAREHOUSE, latitude=31.2305, longitude=121.4738)

    # when the customer looks for stores near People's Square that have the tea
    page = shop().get("/shop/stores/", {**NEAR_STORE, "sku": tea.pk})

    # then both stores are listed nearest first, the warehouse is not, and only one has the tea
    assert page.status_code == 200
    assert [(r.location, r.available) for r in page.context["rows"]] == [(store, 0), (other_store, 2)]
    html = page.content.decode()
    assert "配送中心" not in html
    assert html.index(store.name) < html.index(other_store.name)
    assert "Not in stock" in html and 'data-units="2"' in html


# --- cart -------------------------------------------------------------------------------------------


def test_add_to_cart_updates_the_badge(tea):
    client = shop()

    # when the customer adds 2 teas, then 1 more
    first = client.post("/shop/cart/add/", {"sku_id": tea.pk, "quantity": 2}, headers=HTMX)
    client.post("/shop/cart/add/", {"sku_id": tea.pk, "quantity": 1}, headers=HTMX)

    # then the cart holds 3 and the answer carries the new badge out of band
    assert cart_of(client) == {str(tea.pk): 3}
    assert re.search(r'id="cart-count"[^>]*hx-swap-oob="true"[^>]*>2<', first.content.decode())
    assert ">3</span>" in client.get("/shop/cart/").content.decode()


def test_add_to_cart_refuses_bad_input_and_products_not_sold_online(tea):
    client = shop()
    shelf_only = SKUFactory(sold_online=False)

    zero = client.post("/shop/cart/add/", {"sku_id": tea.pk, "quantity": 0}, headers=HTMX)
    offline = client.post("/shop/cart/add/", {"sku_id": shelf_only.pk, "quantity": 1}, headers=HTMX)

    assert zero.status_code == 200 and "errorlist" in zero.content.decode()
    assert "not sold online" in offline.content.decode()
    assert cart_of(client) == {}


def test_change_and_remove_cart_lines(tea):
    # given 1 tea and 1 cola in the cart
    cola = SKUFactory(name="可乐 330ml", price=Decimal("3.00"))
    client = shop()
    put_in_cart(client, tea, 1)
    put_in_cart(client, cola, 1)

    # when the customer sets the tea to 4
    changed = client.post(f"/shop/cart/{tea.pk}/", {"quantity": 4}, headers=HTMX)

    # then the cart fragment shows the new line total and total
    assert cart_of(client) == {str(tea.pk): 4, str(cola.pk): 1}
    html = changed.content.decode()
    assert "¥26.00" in html and "¥29.00" in html and "<html" not in html
    assert re.search(r'id="cart-count"[^>]*hx-swap-oob="true"[^>]*>5<', html)

    # when the customer removes the cola, and tries a bad quantity on the tea
    client.post(f"/shop/cart/{cola.pk}/", {"quantity": 0}, headers=HTMX)
    bad = client.post(f"/shop/cart/{tea.pk}/", {"quantity": -1}, headers=HTMX)

    # then only the tea is left, unchanged, and the error is shown
    assert cart_of(client) == {str(tea.pk): 4}
    assert "errorlist" in bad.content.decode()


# --- checkout ---------------------------------------------------------------------------------------


def test_anonymous_customers_are_sent_to_sign_in(tea):
    client = shop()
    put_in_cart(client, tea, 1)

    for path in ("/shop/checkout/", "/shop/orders/", "/shop/orders/1/", "/shop/orders/1/pay/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == f"/shop/signin/?next={path}"


def test_checkout_for_pickup_places_the_order_at_server_prices_and_reserves_stock(tea, store, member):
    # given the tea in stock, priced 5.00 on H5 at this store (6.50 chain-wide), 2 in the cart
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=5, actor=SYSTEM)
    set_online_price(tea, "5.00", location=store)
    client = shop(member)
    put_in_cart(client, tea, 2)

    # when the member checks out for pickup at that store
    fields = checkout_form(client, fulfilment="pickup", pickup_store=store.pk)
    response = client.post("/shop/checkout/", fields)

    # then one order is placed, priced on the server, its stock reserved, the cart emptied
    order = Order.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/shop/orders/{order.pk}/pay/"
    assert (order.member, order.channel, order.fulfilment) == (member, "h5", "pickup")
    assert order.fulfilment_location == store
    assert order.total == Decimal("10.00")
    assert [(line.sku, line.quantity, line.unit_price) for line in order.lines.all()] == [(tea, 2, Decimal("5.00"))]
    assert reserved(store, tea) == 2
    assert cart_of(client) == {}


def test_checkout_lists_only_stores_that_have_everything(tea, store, other_store, member):
    receive_stock(location_id=other_store.pk, sku_id=tea.pk, quantity=2, actor=SYSTEM)
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=1, actor=SYSTEM)
    client = shop(member)
    put_in_cart(client, tea, 2)

    page = client.get("/shop/checkout/", NEAR_STORE)

    assert [supply.nearby.location for supply, _open, _times in page.context["pickup_stores"]] == [other_store]
    assert page.context["form"].initial["pickup_store"] == other_store.pk


def test_submitting_the_same_checkout_twice_places_one_order(tea, store, member):
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=5, actor=SYSTEM)
    client = shop(member)
    put_in_cart(client, tea, 2)
    fields = checkout_form(client, fulfilment="pickup", pickup_store=store.pk)

    first = client.post("/shop/checkout/", fields)
    second = client.post("/shop/checkout/", fields)

    order = Order.objects.get()
    assert first["Location"] == second["Location"] == f"/shop/orders/{order.pk}/pay/"
    assert reserved(store, tea) == 2


def test_the_same_token_with_the_cart_still_there_returns_the_first_order(tea, store, member):
    # given two submits that both read the cart before either finished (the second one's session
    # does not know about the first order yet)
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=5, actor=SYSTEM)
    client = shop(member)
    put_in_cart(client, tea, 2)
    fields = checkout_form(client, fulfilment="pickup", pickup_store=store.pk)
    client.post("/shop/checkout/", fields)
    session = client.session
    session.pop("o2o_checkouts")
    session.save()
    put_in_cart(client, tea, 2)

    # when the second submit arrives
    again = client.post("/shop/checkout/", fields)

    # then the service answers with the first order: still one order, two units reserved
    order = Order.objects.get()
    assert again["Location"] == f"/shop/orders/{order.pk}/pay/"
    assert reserved(store, tea) == 2


def test_insufficient_stock_shows_an_error_and_writes_nothing(tea, store, member):
    # given one tea on the shelf and three in the cart
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=1, actor=SYSTEM)
    client = shop(member)
    put_in_cart(client, tea, 3)

    # when the member insists on that store
    fields = checkout_form(client, fulfilment="pickup", pickup_store=store.pk)
    response = client.post("/shop/checkout/", fields)

    # then the checkout comes back with the reason; no order, no reservation, the cart kept
    assert response.status_code == 422
    assert "not enough stock" in response.content.decode()
    assert Order.objects.count() == 0
    assert reserved(store, tea) == 0
    assert cart_of(client) == {str(tea.pk): 3}
    assert response.context["form"]["token"].value() != fields["token"]  # the next try is a new checkout


def test_checkout_form_errors_are_shown(tea, store, member):
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=5, actor=SYSTEM)
    client = shop(member)
    put_in_cart(client, tea, 1)

    no_store = client.post("/shop/checkout/", checkout_form(client, fulfilment="pickup"))
    no_address = client.post("/shop/checkout/", checkout_form(client, fulfilment="delivery", delivery_address=" "))

    assert no_store.status_code == 422 and "Choose the store" in no_store.content.decode()
    assert no_address.status_code == 422 and "Enter the address" in no_address.content.decode()
    assert Order.objects.count() == 0


def test_delivery_ships_from_the_nearest_location_that_has_everything(tea, store, member):
    # given the store (no delivery) short of stock and a warehouse 6 km away that delivers 30 km
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=1, actor=SYSTEM)
    warehouse = LocationFactory(
        name="配送中心", kind=Location.Kind.WAREHOUSE, pickup_enabled=False, latitude=31.2650, longitude=121.5200
    )
    warehouse.delivery_radius_km = Decimal("30.0")
    warehouse.save(update_fields=["delivery_radius_km"])
    receive_stock(location_id=warehouse.pk, sku_id=tea.pk, quantity=10, actor=SYSTEM)
    client = shop(member)
    put_in_cart(client, tea, 3)

    # when the member orders home delivery
    fields = checkout_form(client, fulfilment="delivery", delivery_address="上海市黄浦区南京东路100号")
    response = client.post("/shop/checkout/", fields)

    # then the warehouse ships it
    order = Order.objects.get()
    assert response["Location"] == f"/shop/orders/{order.pk}/pay/"
    assert (order.fulfilment, order.fulfilment_location) == ("delivery", warehouse)
    assert order.delivery_address == "上海市黄浦区南京东路100号"
    assert reserved(warehouse, tea) == 3


def test_an_empty_cart_has_no_checkout(member):
    response = shop(member).get("/shop/checkout/")

    assert response.status_code == 302 and response["Location"] == "/shop/cart/"


# --- payment and my orders --------------------------------------------------------------------------


def test_simulated_payment_makes_the_order_ready_and_shows_the_pickup_code(tea, store, member):
    # given an unpaid pickup order of the member
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=5, actor=SYSTEM)
    order = place_pickup_order(member=member, store=store, sku=tea, quantity=2, channel="h5")
    client = shop(member)

    # when the member opens the pay page, asks for the QR code and pays (simulated)
    started = client.post(f"/shop/orders/{order.pk}/pay/")
    pay_page = client.get(f"/shop/orders/{order.pk}/pay/")
    paid = client.post(f"/shop/orders/{order.pk}/pay/simulate/", {"outcome": "succeeded"})

    # then the pay page showed the amount and a QR; the order is paid (the store prepares it next)
    assert started.status_code == 302 and started["Location"] == f"/shop/orders/{order.pk}/pay/"
    assert pay_page.status_code == 200
    assert "¥13.00" in pay_page.content.decode() and 'src="data:image/svg+xml' in pay_page.content.decode()
    assert paid.status_code == 302 and paid["Location"] == f"/shop/orders/{order.pk}/"
    order.refresh_from_db()
    assert order.state == OrderState.PAID

    # and the order page shows the 12-digit code, its QR and the store
    detail = client.get(f"/shop/orders/{order.pk}/")
    voucher = PickupVoucher.objects.get(order=order)
    html = detail.content.decode()
    assert re.fullmatch(r"\d{12}", voucher.code)
    assert voucher.display_code in html and f'data-code="{voucher.code}"' in html
    assert re.search(r'<img class="qr" src="data:image/svg\+xml', html)
    assert store.name in html and store.address in html
    assert "Preparing" in html  # 备货中 until the store marks it ready


def test_a_failed_simulated_payment_leaves_the_order_unpaid(tea, store, member):
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=5, actor=SYSTEM)
    order = place_pickup_order(member=member, store=store, sku=tea, channel="h5")
    client = shop(member)

    response = client.post(f"/shop/orders/{order.pk}/pay/simulate/", {"outcome": "failed"}, follow=True)

    order.refresh_from_db()
    assert order.state == OrderState.PENDING_PAYMENT
    assert "The payment failed" in response.content.decode()
    assert not PickupVoucher.objects.filter(order=order).exists()
    # and paying again works
    client.post(f"/shop/orders/{order.pk}/pay/simulate/", {"outcome": "succeeded"})
    order.refresh_from_db()
    assert order.state == OrderState.PAID


def test_the_pay_page_says_why_an_order_cannot_be_paid(tea, store, member):
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=5, actor=SYSTEM)
    order = paid_pickup_order(member=member, store=store, sku=tea)

    page = shop(member).get(f"/shop/orders/{order.pk}/pay/")

    assert page.status_code == 200
    assert "is paid and cannot be paid" in page.content.decode()
    assert "pay_qr" not in page.context and "(simulated)" not in page.content.decode()


def test_the_order_page_sees_the_pickup_when_the_clerk_redeems_the_code(tea, store, clerk, member):
    # given a paid pickup order the page shows as preparing
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=5, actor=SYSTEM)
    order = paid_pickup_order(member=member, store=store, sku=tea)
    client = shop(member)
    status = f"/shop/orders/{order.pk}/status/"
    page = client.get(f"/shop/orders/{order.pk}/")
    assert f'hx-get="{status}?seen=paid"' in page.content.decode()
    assert 'hx-trigger="every 5s"' in page.content.decode()

    # while nothing changes, the poll swaps nothing
    assert client.get(status, {"seen": "paid"}, headers=HTMX).status_code == 204

    # when the clerk redeems the code at the counter
    redeem_pickup_voucher(actor=actor_for_user(clerk.user), presented=order.pickup_voucher.code)

    # then the next poll brings "picked up" and stops polling
    polled = client.get(status, {"seen": "paid"}, headers=HTMX)
    html = polled.content.decode()
    assert polled.status_code == 200
    assert "picked up" in html and "every 5s" not in html and "<html" not in html


def test_my_orders_lists_only_mine(tea, store, member):
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=5, actor=SYSTEM)
    mine = place_pickup_order(member=member, store=store, sku=tea, channel="h5")
    theirs = place_pickup_order(member=MemberFactory(), store=store, sku=tea, channel="h5")

    page = shop(member).get("/shop/orders/")

    assert [order for order, _badge in page.context["orders"]] == [mine]
    assert mine.number in page.content.decode() and theirs.number not in page.content.decode()
    assert "awaiting payment" in page.content.decode()


def test_a_unicode_digit_as_the_paging_id_is_ignored_not_a_500(tea, store, member):
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=5, actor=SYSTEM)
    mine = place_pickup_order(member=member, store=store, sku=tea, channel="h5")

    orders = shop(member).get("/shop/orders/", {"before": "²"})  # a digit to isdigit(), not to int()

    assert orders.status_code == 200 and [order for order, _badge in orders.context["orders"]] == [mine]


def test_another_member_gets_404_for_my_order(tea, store, member):
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=5, actor=SYSTEM)
    order = place_pickup_order(member=member, store=store, sku=tea, channel="h5")
    stranger = shop(MemberFactory())

    assert stranger.get(f"/shop/orders/{order.pk}/").status_code == 404
    assert stranger.get(f"/shop/orders/{order.pk}/status/").status_code == 404
    assert stranger.get(f"/shop/orders/{order.pk}/pay/").status_code == 404
    assert stranger.post(f"/shop/orders/{order.pk}/pay/simulate/", {"outcome": "succeeded"}).status_code == 404
    assert stranger.post(f"/shop/orders/{order.pk}/cancel/").status_code == 404
    order.refresh_from_db()
    assert order.state == OrderState.PENDING_PAYMENT


def test_cancelling_an_unpaid_order_releases_its_stock(tea, store, member):
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=5, actor=SYSTEM)
    order = place_pickup_order(member=member, store=store, sku=tea, quantity=2, channel="h5")
    client = shop(member)

    response = client.post(f"/shop/orders/{order.pk}/cancel/", follow=True)

    order.refresh_from_db()
    assert order.state == OrderState.CANCELLED
    assert reserved(store, tea) == 0
    assert "The order is cancelled." in response.content.decode()
    # and a second cancel explains instead of failing
    again = client.post(f"/shop/orders/{order.pk}/cancel/", follow=True)
    assert again.status_code == 200 and "can no longer be cancelled" in again.content.decode()


def test_the_nav_shows_sign_in_or_sign_out(member):
    anonymous = shop().get("/shop/").content.decode()
    signed_in = shop(member).get("/shop/").content.decode()

    assert 'href="/shop/signin/?next=/shop/"' in anonymous and "/shop/signout/" not in anonymous
    assert 'action="/shop/signout/"' in signed_in and 'href="/shop/orders/"' in signed_in


def test_ids_too_large_for_the_database_are_not_found(tea, member):
    huge = 2**70
    client = shop(member)

    assert shop().get(f"/shop/p/{huge}/").status_code == 404
    assert client.get(f"/shop/orders/{huge}/").status_code == 404
    assert client.get("/shop/orders/", {"before": huge}).status_code == 200
    assert shop().get("/shop/", {"after": huge, "category": huge}).status_code == 200
    assert shop().get("/shop/stores/", {"sku": huge, "district": huge}).status_code == 200
    added = client.post("/shop/cart/add/", {"sku_id": huge, "quantity": 1}, headers=HTMX)
    assert added.status_code == 200 and cart_of(client) == {}
    assert client.post(f"/shop/cart/{huge}/", {"quantity": 1}).status_code == 302


def test_an_order_past_its_payment_deadline_cannot_be_paid_and_gives_its_stock_back(tea, store, member):
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=5, actor=SYSTEM)
    order = place_pickup_order(member=member, store=store, sku=tea, quantity=2, channel="h5")
    Order.objects.filter(pk=order.pk).update(payment_deadline=order.created_at - timedelta(minutes=1))
    client = shop(member)

    # the page says so and writes nothing (the expiry job, or a POST, cancels the order)
    page = client.get(f"/shop/orders/{order.pk}/pay/")
    assert page.status_code == 200
    assert "The time to pay has run out" in page.content.decode()
    assert "Show the QR code to pay" not in page.content.decode()
    order.refresh_from_db()
    assert order.state == OrderState.PENDING_PAYMENT and reserved(store, tea) == 2
    assert not Payment.objects.filter(order=order).exists()

    # trying to pay anyway cancels the order and gives the stock back
    tried = client.post(f"/shop/orders/{order.pk}/pay/", follow=True)
    order.refresh_from_db()
    assert order.state == OrderState.CANCELLED
    assert reserved(store, tea) == 0
    assert not Payment.objects.filter(order=order).exists()
    assert "is cancelled and cannot be paid" in tried.content.decode()


def _database_rows() -> dict[str, int]:
    return {
        "orders": Order.objects.count(),
        "payments": Payment.objects.count(),
        "transitions": OrderTransition.objects.count(),
        "stock": sum(StockLevel.objects.values_list("reserved", flat=True)),
        "messages": OutboxMessage.objects.count(),
    }


def test_opening_the_pay_page_writes_nothing(tea, store, member):
    # given an unpaid order without a payment, and one whose time ran out
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=5, actor=SYSTEM)
    fresh = place_pickup_order(member=member, store=store, sku=tea, quantity=1, channel="h5")
    late = place_pickup_order(member=member, store=store, sku=tea, quantity=1, channel="h5")
    Order.objects.filter(pk=late.pk).update(payment_deadline=late.created_at - timedelta(minutes=1))
    client = shop(member)
    before = _database_rows()
    states = list(Order.objects.order_by("pk").values_list("pk", "state", "payment_deadline"))

    # when the member (or a link preview) opens both pay pages, twice
    pages = [client.get(f"/shop/orders/{o.pk}/pay/") for o in (fresh, late, fresh, late)]

    # then nothing was written: no payment started, no order cancelled, no stock released
    assert [p.status_code for p in pages] == [200, 200, 200, 200]
    assert _database_rows() == before
    assert list(Order.objects.order_by("pk").values_list("pk", "state", "payment_deadline")) == states
    # and the fresh order offers to start the payment with a POST
    assert f'<form method="post" action="/shop/orders/{fresh.pk}/pay/"' in pages[0].content.decode()
    assert "pay_qr" not in pages[0].context


def test_the_pay_qr_points_at_the_address_the_customer_used(tea, store, member, settings):
    receive_stock(location_id=store.pk, sku_id=tea.pk, quantity=5, actor=SYSTEM)
    order = place_pickup_order(member=member, store=store, sku=tea, channel="h5")
    client = shop(member)
    client.post(f"/shop/orders/{order.pk}/pay/", headers={"Host": "localhost:8040"})
    ref = Payment.objects.get(order=order, state=Payment.State.PENDING).gateway_ref

    served = client.get(f"/shop/orders/{order.pk}/pay/", headers={"Host": "localhost:8040"})
    settings.O2O_SITE_URL = "https://shop.example"
    public = client.get(f"/shop/orders/{order.pk}/pay/", headers={"Host": "localhost:8040"})

    assert served.context["pay_url"] == f"http://localhost:8040/api/v1/payments/simulator/{ref}"
    assert public.context["pay_url"] == f"https://shop.example/api/v1/payments/simulator/{ref}"
    assert Payment.objects.filter(order=order).count() == 1
