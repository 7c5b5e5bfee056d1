"""The share link /shop/e/<code>/ as a customer meets it: the catalogue at share-link prices, the
employee's card, visits counted once an hour, joining credited to the employee, orders placed
through the link, the QR and the posters."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from o2o.access.actors import SYSTEM
from o2o.catalog.models import Channel, Price
from o2o.inventory.services import receive_stock
from o2o.members.models import Member
from o2o.orders.models import Order
from o2o.outreach.models import EmployeeCard, ShareVisit
from o2o.outreach.posters import HEIGHT, WIDTH
from o2o.outreach.selectors import Figures, share_link_figures
from o2o.outreach.services import hashed_visitor
from o2o.outreach.sessions import REFERRER_KEY
from o2o.testing.factories import EmployeeFactory, MemberFactory, SKUFactory
from o2o.testing.outbox import last_code_sent_to
from o2o.web.auth import MEMBER_SESSION_KEY

pytestmark = pytest.mark.django_db

NEAR_STORE = {"lat": "31.2310", "lng": "121.4740"}


@pytest.fixture(autouse=True)
def _no_safety_buffer(settings):
    settings.O2O_ONLINE_SAFETY_BUFFER = 0


@pytest.fixture
def seller(store):
    employee = EmployeeFactory(home_location=store, code="WANG01", display_name="王小明")
    EmployeeCard.objects.create(employee=employee, title="店长", greeting="欢迎光临", contact_phone="+8613800001111")
    return employee


@pytest.fixture
def tea():
    sku = SKUFactory(name="乌龙茶 500ml", price=Decimal("6.50"))
    Price.objects.filter(sku=sku, channel=Channel.SHARE_LINK).update(amount=Decimal("5.90"))
    return sku


def browser(member=None) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    if member is not None:
        session = client.session
        session[MEMBER_SESSION_KEY] = member.pk
        session.save()
    return client


def test_the_share_link_lists_share_link_prices_and_the_card(seller, tea):
    response = browser().get("/shop/e/WANG01/")

    assert response.status_code == 200
    assert response.context["products"] == [(tea, Decimal("5.90"))]
    body = response.content.decode()
    assert "王小明" in body and "店长" in body and "¥5.90" in body and "¥6.50" not in body
    # an anonymous visitor does not see the employee's phone
    assert "+8613800001111" not in body


def test_a_signed_in_member_sees_the_contact_phone(seller, tea, member):
    body = browser(member).get("/shop/e/WANG01/").content.decode()

    assert "+8613800001111" in body


@pytest.mark.parametrize("code", ["NOPE", "x" * 40, "%00"])
def test_an_unknown_code_is_a_404_and_counts_nothing(seller, code):
    client = browser()

    for path in (f"/shop/e/{code}/", f"/shop/e/{code}/qr.svg", f"/shop/e/{code}/poster.png", f"/shop/e/{code}/join/"):
        assert client.get(path).status_code == 404, path
    assert ShareVisit.objects.count() == 0
    assert REFERRER_KEY not in client.session


def test_an_inactive_employees_link_is_a_404(seller):
    seller.is_active = False
    seller.save(update_fields=["is_active"])

    assert browser().get("/shop/e/WANG01/").status_code == 404


def test_a_visit_is_counted_once_per_visitor_and_hour(seller, tea):
    first, second = browser(), browser()

    for _ in range(3):
        first.get("/shop/e/WANG01/")
    second.get("/shop/e/WANG01/")

    visits = ShareVisit.objects.filter(employee=seller)
    assert visits.count() == 2
    assert len({visit.visitor for visit in visits}) == 2
    # the stored visitor is a hash, never the cookie's value
    assert first.cookies["o2o_visitor"].value not in {visit.visitor for visit in visits}


def test_a_malformed_visitor_cookie_is_replaced_by_a_random_key(seller, tea):
    client = browser()
    client.cookies["o2o_visitor"] = "a"

    client.get("/shop/e/WANG01/")

    key = client.cookies["o2o_visitor"].value
    assert key != "a" and len(key) == 32
    assert ShareVisit.objects.get().visitor == hashed_visitor(key)


def test_the_same_visitor_counts_again_the_next_hour(seller, tea):
    client = browser()
    client.get("/shop/e/WANG01/")
    earlier = timezone.now() - timedelta(hours=2)
    ShareVisit.objects.update(at=earlier, hour=earlier.replace(minute=0, second=0, microsecond=0))

    client.get("/shop/e/WANG01/")

    assert ShareVisit.objects.filter(employee=seller).count() == 2


def test_joining_through_the_link_credits_the_employee(seller):
    client = browser()
    client.get("/shop/e/WANG01/")

    sent = client.post("/shop/e/WANG01/join/", {"phone": "13912345678", "name": "李雷", "marketing_consent": "on"})
    assert sent.status_code == 200
    code = last_code_sent_to("+8613912345678")
    joined = client.post(
        "/shop/e/WANG01/join/", {"phone": "13912345678", "name": "李雷", "marketing_consent": "on", "code": code}
    )

    member = Member.objects.get(phone="+8613912345678")
    assert joined.status_code == 302 and joined["Location"] == "/shop/e/WANG01/"
    assert (member.registration_channel, member.acquiring_employee, member.acquiring_location) == (
        "share_link",
        seller,
        None,
    )
    assert client.session[MEMBER_SESSION_KEY] == member.pk


def test_a_wrong_code_joins_nobody(seller):
    client = browser()
    client.post("/shop/e/WANG01/join/", {"phone": "13912345678"})

    response = client.post("/shop/e/WANG01/join/", {"phone": "13912345678", "code": "000000"})

    assert response.status_code == 422
    assert not Member.objects.filter(phone="+8613912345678").exists()


def test_an_existing_member_keeps_who_acquired_them(seller, store):
    first = EmployeeFactory(home_location=store)
    member = MemberFactory(phone="+8613912345678", acquiring_employee=first, registration_channel="store_qr")
    client = browser()
    client.post("/shop/e/WANG01/join/", {"phone": "13912345678"})

    client.post("/shop/e/WANG01/join/", {"phone": "13912345678", "code": last_code_sent_to("+8613912345678")})

    member.refresh_from_db()
    assert (member.acquiring_employee, member.registration_channel) == (first, "store_qr")


def test_an_order_after_the_link_is_placed_through_it_with_the_referrer(seller, tea, store, member):
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=tea.pk, quantity=5)
    client = browser(member)
    client.get("/shop/e/WANG01/")
    client.post("/shop/cart/add/", {"sku_id": tea.pk, "quantity": 2})

    cart = client.get("/shop/cart/")
    page = client.get("/shop/checkout/", NEAR_STORE)
    form = page.context["form"]
    fields = {"token": form.initial["token"], "lat": form.initial["lat"], "lng": form.initial["lng"]}
    response = client.post("/shop/checkout/", {**fields, "fulfilment": "pickup", "pickup_store": store.pk})

    order = Order.objects.get()
    assert cart.context["total"] == Decimal("11.80")
    assert response.status_code == 302
    assert (order.channel, order.referrer, order.selling_location) == ("share_link", seller, store)
    assert order.total == Decimal("11.80")
    assert [(line.unit_price, line.quantity) for line in order.lines.all()] == [(Decimal("5.90"), 2)]


def test_without_the_link_the_order_is_an_h5_order(tea, store, member):
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=tea.pk, quantity=5)
    client = browser(member)
    client.post("/shop/cart/add/", {"sku_id": tea.pk, "quantity": 1})
    form = client.get("/shop/checkout/", NEAR_STORE).context["form"]
    fields = {"token": form.initial["token"], "lat": form.initial["lat"], "lng": form.initial["lng"]}

    client.post("/shop/checkout/", {**fields, "fulfilment": "pickup", "pickup_store": store.pk})

    order = Order.objects.get()
    assert (order.channel, order.referrer, order.total) == ("h5", None, Decimal("6.50"))


def test_the_link_is_forgotten_after_seven_days(seller, tea, store, member):
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=tea.pk, quantity=5)
    client = browser(member)
    client.get("/shop/e/WANG01/")
    session = client.session
    session[REFERRER_KEY] = {**session[REFERRER_KEY], "at": (timezone.now() - timedelta(days=8)).isoformat()}
    session.save()
    client.post("/shop/cart/add/", {"sku_id": tea.pk, "quantity": 1})
    form = client.get("/shop/checkout/", NEAR_STORE).context["form"]
    fields = {"token": form.initial["token"], "lat": form.initial["lat"], "lng": form.initial["lng"]}

    client.post("/shop/checkout/", {**fields, "fulfilment": "pickup", "pickup_store": store.pk})

    assert Order.objects.get().channel == "h5"


def test_the_qr_is_an_svg_of_the_link_and_cacheable(seller):
    client = browser()
    response = client.get("/shop/e/WANG01/qr.svg")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<?xml") and b"<svg" in response.content
    assert response["Cache-Control"] == "public, max-age=3600"
    again = client.get("/shop/e/WANG01/qr.svg", headers={"If-None-Match": response["ETag"]})
    assert again.status_code == 304 and again.content == b""


def test_a_product_poster_is_a_png_of_the_right_size(seller, tea):
    response = browser().get(f"/shop/e/WANG01/poster.png?sku={tea.pk}")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert (image.format, image.size) == ("PNG", (WIDTH, HEIGHT)) == ("PNG", (750, 1100))
    assert len(response.content) < 500_000
    assert response["ETag"]


def test_a_store_poster_is_a_png_and_its_etag_follows_the_card(seller):
    client = browser()
    first = client.get("/shop/e/WANG01/poster.png")
    EmployeeCard.objects.filter(employee=seller).update(title="副店长")
    second = client.get("/shop/e/WANG01/poster.png", headers={"If-None-Match": first["ETag"]})

    assert Image.open(io.BytesIO(first.content)).size == (750, 1100)
    assert second.status_code == 200 and second["ETag"] != first["ETag"]


@pytest.mark.parametrize("sku", ["abc", "0", "-1", "99999999", "1e3", ""])
def test_a_bad_sku_poster_is_a_404(seller, tea, sku):
    assert browser().get(f"/shop/e/WANG01/poster.png?sku={sku}").status_code == 404


def test_a_sku_not_sold_through_share_links_has_no_poster(seller, tea):
    Price.objects.filter(sku=tea, channel=Channel.SHARE_LINK).delete()

    assert browser().get(f"/shop/e/WANG01/poster.png?sku={tea.pk}").status_code == 404


def test_journey_link_join_order_pay_shows_in_the_employees_figures(seller, tea, store, settings):
    # given the tea in stock and the simulated gateway
    settings.O2O_PAYMENT_SIMULATOR = True
    receive_stock(actor=SYSTEM, location_id=store.pk, sku_id=tea.pk, quantity=5)
    client = browser()

    # when a stranger opens the link, joins through it, buys two teas and pays
    client.get("/shop/e/WANG01/")
    client.post("/shop/e/WANG01/join/", {"phone": "13912345678"})
    client.post("/shop/e/WANG01/join/", {"phone": "13912345678", "code": last_code_sent_to("+8613912345678")})
    client.post("/shop/cart/add/", {"sku_id": tea.pk, "quantity": 2})
    form = client.get("/shop/checkout/", NEAR_STORE).context["form"]
    fields = {"token": form.initial["token"], "lat": form.initial["lat"], "lng": form.initial["lng"]}
    client.post("/shop/checkout/", {**fields, "fulfilment": "pickup", "pickup_store": store.pk})
    order = Order.objects.get()
    paid = client.post(f"/shop/orders/{order.pk}/pay/simulate/", {"outcome": "succeeded"})

    # then the member and the paid order are the employee's, and the figures say so to the fen
    order.refresh_from_db()
    member = Member.objects.get(phone="+8613912345678")
    assert paid.status_code == 302 and order.paid_at is not None
    assert (member.acquiring_employee, order.member, order.referrer, order.channel) == (
        seller,
        member,
        seller,
        "share_link",
    )
    now = timezone.now()
    figures = share_link_figures(employee_ids=[seller.pk], since=now - timedelta(hours=1), until=now)[seller.pk]
    assert figures == Figures(visits=1, visitors=1, members_acquired=1, orders=1, revenue=Decimal("11.80"))
    assert figures.conversion == Decimal("1.0000")


def test_signing_in_at_checkout_after_the_link_credits_the_employee(seller):
    client = browser()
    client.get("/shop/e/WANG01/")

    client.post("/shop/signin/", {"phone": "13912345678", "next": "/shop/checkout/"})
    code = last_code_sent_to("+8613912345678")
    response = client.post("/shop/signin/", {"phone": "13912345678", "code": code, "next": "/shop/checkout/"})

    member = Member.objects.get(phone="+8613912345678")
    assert response.status_code == 302 and response["Location"] == "/shop/checkout/"
    assert (member.registration_channel, member.acquiring_employee) == ("share_link", seller)


def test_signing_in_without_the_link_is_an_h5_member(seller):
    client = browser()
    client.post("/shop/signin/", {"phone": "13912345678"})

    client.post("/shop/signin/", {"phone": "13912345678", "code": last_code_sent_to("+8613912345678")})

    member = Member.objects.get(phone="+8613912345678")
    assert (member.registration_channel, member.acquiring_employee) == ("h5", None)


def test_a_product_posters_link_puts_the_product_on_top_and_records_it(seller, tea):
    response = browser().get(f"/shop/e/WANG01/?sku={tea.pk}")

    assert response.status_code == 200
    assert response.context["featured"] == (tea, Decimal("5.90"))
    assert ShareVisit.objects.get().sku == tea


@pytest.mark.parametrize("sku", ["abc", "99999999", "-1"])
def test_a_bad_sku_in_the_link_still_opens_the_store(seller, tea, sku):
    response = browser().get(f"/shop/e/WANG01/?sku={sku}")

    assert response.status_code == 200 and response.context["featured"] is None
    assert ShareVisit.objects.get().sku is None
